"""Struct and map values: fed JSON checked against their declared types, and the values of
struct-fields (`persons.name`, `m.key`, `m.value.weight`) derived from their document field.

The content node indexes a struct-field's derived values (attribute or inverted index) and
`sameElement` compares them element by element: element i of every struct-field of one field is
read from the same element i (array<struct>) or the same map entry (map, in key order as stored).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from searchlib.errors import DocumentError
from searchlib.schema.model import Field, FieldType, StructType

Coerce = Callable[..., Any]  # documents.coerce_value(name, field_type, value, structs=...)


def coerce_composite(name: str, field_type: FieldType, value: Any, structs: Mapping[str, StructType],
                     coerce: Coerce) -> Any:
    """A struct as an object of its fields, a map as `{"key": value}` (or Vespa's
    `[{"key": k, "value": v}]`), checked recursively; map keys become strings (JSON's)."""
    if field_type.kind == "struct":
        struct = structs.get(field_type.struct_name)
        if struct is None:
            raise DocumentError(f"Field '{name}': unknown struct type '{field_type.struct_name}'")
        if not isinstance(value, Mapping):
            raise DocumentError(f"Field '{name}' of type {field_type} needs a JSON object, got {type(value).__name__}")
        result: dict[str, Any] = {}
        for key, item in value.items():
            sub_type = struct.field_type(key)
            if sub_type is None:
                raise DocumentError(f"No field '{key}' in the structure of type '{struct.name}' (field '{name}')")
            if item is not None:
                result[key] = coerce(f"{name}.{key}", sub_type, item, structs=structs)
        return result
    if isinstance(value, list):  # [{"key": k, "value": v}, ...]
        pairs = []
        for entry in value:
            if not isinstance(entry, Mapping) or set(entry) - {"key", "value"} or "key" not in entry:
                raise DocumentError(f"Field '{name}' of type {field_type}: array entries must be "
                                    f'{{"key": k, "value": v}}')
            pairs.append((entry["key"], entry.get("value")))
    elif isinstance(value, Mapping):
        pairs = list(value.items())
    else:
        raise DocumentError(f"Field '{name}' of type {field_type} needs a JSON object, got {type(value).__name__}")
    result = {}
    for key, item in pairs:
        result[_map_key(name, field_type, key, coerce, structs)] = coerce(f"{name}{{{key}}}", field_type.element,
                                                                        item, structs=structs)
    return result


def _map_key(name: str, field_type: FieldType, key: Any, coerce: Coerce, structs: Mapping) -> str:
    key_type = field_type.key
    if key_type.kind in ("string",):
        if not isinstance(key, str):
            raise DocumentError(f"Field '{name}' of type {field_type}: keys must be strings")
        return key
    if isinstance(key, str):
        try:
            key = float(key) if key_type.kind in ("float", "double", "float16") else int(key)
        except ValueError:
            raise DocumentError(f"Field '{name}' of type {field_type}: key '{key}' is not a {key_type}") from None
    return str(coerce(f"{name}.key", key_type, key, structs=structs))


def sub_field_value(field: Field, fields: Mapping[str, Any]) -> Any:
    """The value of struct-field `field` in a document's `fields`: a list (one per element or map
    entry) when its parent holds many, the single value for a plain struct; None when absent.
    The compiler wrote the walk into settings["struct-field.path"]: `*` each array element, `k` the
    map's keys, `v` the map's values, `.x` sub-field x."""
    value = fields.get(field.parent)
    if value is None:
        return None
    values, many = [value], False
    for step in field.settings.get("struct-field.path", "").split("|"):
        if step == "*":
            values, many = [e for v in values if isinstance(v, list) for e in v], True
        elif step == "k":
            values, many = [k for v in values if isinstance(v, Mapping) for k in v], True
        elif step == "v":
            values, many = [e for v in values if isinstance(v, Mapping) for e in v.values()], True
        elif step.startswith("."):
            values = [v.get(step[1:]) if isinstance(v, Mapping) else None for v in values]
    if many:
        return values
    return values[0] if values else None


def field_value(fields: Mapping[str, Any], field: Field) -> Any:
    """A field's value in a document: its own, or derived from its parent for a struct-field."""
    return sub_field_value(field, fields) if field.parent else fields.get(field.name)


def summary_source_value(fields: Mapping[str, Any], source: str) -> Any:
    """A summary field's source: a document field, or a struct sub-field path (`a.f1`: the f1 of
    struct a, or a list of the f1 of each element of an array of structs; `m.key`/`m.value` of a
    map: its keys or values), as the compiler allowed it (struct_compiler.check_summary_source)."""
    name, *path = source.split(".")
    value = fields.get(name)
    for step in path:
        value = _step(value, step)
    return value


def _step(value: Any, step: str) -> Any:
    if isinstance(value, list):
        return [item for item in (_step(v, step) for v in value) if item is not None]
    if not isinstance(value, Mapping):
        return None
    if step in value:
        return value[step]
    if step == "key":
        return list(value)
    if step == "value":
        return list(value.values())
    return None
