"""The indexes of `uri` fields (searchlib.uri): an indexed uri field `f` is matched as text, and
gets one synthetic index field per component (`f.host`, `f.hostname`, ...), filled from `f` when a
document is written (container.docproc) and searched like any index (`f.host contains "x"`)."""
from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from searchlib.schema.model import Field, FieldType
from searchlib.uri import COMPONENTS, component_field, component_value

URI_SOURCE = "uri.source"  # setting of a component field: the uri field it is taken from


def is_uri(field: Field) -> bool:
    kind = field.type.kind
    return kind == "uri" or (kind in ("array", "weightedset") and field.type.element is not None
                             and field.type.element.kind == "uri")


def add_uri_components(fields: dict[str, Field]) -> None:
    for field in [f for f in fields.values() if is_uri(f) and f.is_index]:
        fields[field.name] = replace(field, match="text")
        value_type = FieldType("string") if field.type.kind == "uri" else FieldType("array", FieldType("string"))
        for component in COMPONENTS:
            name = component_field(field.name, component)
            fields[name] = Field(name=name, type=value_type, is_index=True, in_document=False, match="text",
                                 location=field.location,
                                 settings=MappingProxyType({URI_SOURCE: field.name, "uri.component": component}))


def uri_component_fields(fields) -> dict[str, tuple[str, str]]:
    """{component field: (uri field, component)} of a compiled schema."""
    return {name: (f.settings[URI_SOURCE], f.settings["uri.component"])
            for name, f in fields.items() if URI_SOURCE in f.settings}


def with_uri_components(fields, document: dict) -> dict:
    """The document with its component fields filled from its uri fields."""
    result = dict(document)
    for name, (source, component) in uri_component_fields(fields).items():
        result.pop(name, None)
        value = component_value(document.get(source), component)
        if value is not None:
            result[name] = value
    return result


def with_uri_component_updates(fields, operations: dict) -> dict:
    """Update operations plus the component fields of every uri field the update assigns."""
    result = dict(operations)
    for name, (source, component) in uri_component_fields(fields).items():
        operation = operations.get(source)
        if isinstance(operation, dict) and "assign" in operation:
            result[name] = {"assign": component_value(operation["assign"], component)}
    return result
