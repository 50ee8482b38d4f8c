"""Rules of `position` fields (searchlib.geo): a position attribute is kept as the z-curve
attribute `<field>_zcurve`, which no other field may be named."""
from __future__ import annotations

from typing import Mapping

from searchlib.errors import SchemaError
from searchlib.geo import ZCURVE_SUFFIX, zcurve_name
from searchlib.schema.model import Field


def is_position(field: Field) -> bool:
    kind = field.type.kind
    return kind == "position" or (kind == "array" and field.type.element is not None
                                  and field.type.element.kind == "position")


def check_position_fields(fields: Mapping[str, Field]) -> None:
    for field in fields.values():
        if not is_position(field):
            continue
        where = f"position field '{field.name}'"
        if field.is_index:
            raise SchemaError(f"{where} cannot have 'index': a position is searched as an attribute "
                              "(geoLocation, geoBoundingBox)", field.location)
        clash = fields.get(zcurve_name(field.name))
        if field.is_attribute and clash is not None:
            raise SchemaError(f"field '{clash.name}' clashes with the z-curve attribute of {where}",
                              clash.location)


def zcurve_source(fields: Mapping[str, Field], name: str) -> str | None:
    """The single-value position attribute whose z-curve attribute `name` (`pos_zcurve`) is."""
    if not name.endswith(ZCURVE_SUFFIX) or name in fields:
        return None
    source = fields.get(name[: -len(ZCURVE_SUFFIX)])
    if source is None or source.type.kind != "position" or not source.is_attribute:
        return None
    return source.name
