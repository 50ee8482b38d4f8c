"""Field types and tensor type specs as written in a schema, normalized to Vespa's canonical form."""
from __future__ import annotations

import re

from searchlib.schema.model import FieldType

PRIMITIVE_KINDS = frozenset({"string", "int", "long", "float", "double", "bool", "byte"})
TENSOR_CELL_TYPES = frozenset({"double", "float", "bfloat16", "int8"})
_DIMENSION = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\{\s*\}|\[\s*(\d+)\s*\])\s*$")
_TENSOR = re.compile(r"^\s*tensor\s*(?:<\s*([A-Za-z0-9_]+)\s*>)?\s*\((.*)\)\s*$", re.S)


class TypeSpecError(ValueError):
    """A type spec that does not parse; the caller adds the source location."""


def canonical_tensor_type(spec: str) -> str:
    """`tensor<float>(x[3], a{})` -> `tensor<float>(a{},x[3])`; the cell type is dropped when double."""
    match = _TENSOR.match(spec)
    if not match:
        raise TypeSpecError(f"invalid tensor type '{spec.strip()}'")
    cell = match.group(1) or "double"
    if cell not in TENSOR_CELL_TYPES:
        raise TypeSpecError(f"unknown tensor cell type '{cell}' in '{spec.strip()}'")
    body = match.group(2).strip()
    dims: dict[str, str] = {}
    for part in body.split(",") if body else []:
        dim = _DIMENSION.match(part)
        if not dim:
            raise TypeSpecError(f"invalid tensor dimension '{part.strip()}' in '{spec.strip()}'")
        name = dim.group(1)
        if name in dims:
            raise TypeSpecError(f"duplicate tensor dimension '{name}' in '{spec.strip()}'")
        dims[name] = "{}" if dim.group(3) is None else f"[{int(dim.group(3))}]"
    rendered = ",".join(name + dims[name] for name in sorted(dims))
    prefix = "tensor" if cell == "double" else f"tensor<{cell}>"
    return f"{prefix}({rendered})"


# Vespa's scalar input types: numbers are doubles in ranking; a string input is hashed like a
# string attribute or literal, so `query(s) == "red"` compares as in Vespa
SCALAR_VALUE_TYPES = frozenset({"double", "float", "int", "long", "string"})


def canonical_value_type(spec: str) -> str:
    """An input/constant type: `double` (also for an empty spec), `float`, `int`, `long`, `string`,
    or a canonical tensor type."""
    stripped = spec.strip()
    if stripped == "":
        return "double"
    if stripped in SCALAR_VALUE_TYPES:
        return stripped
    if stripped.startswith("tensor"):
        return canonical_tensor_type(stripped)
    raise TypeSpecError(f"invalid type '{stripped}': expected double, float, int, long, string or a tensor type")


def parse_field_type(spec: str) -> FieldType:
    """`string`, `array<int>`, `weightedset<string>`, `tensor<float>(x[3])`, ... into a FieldType."""
    stripped = spec.strip()
    if stripped.startswith("tensor"):
        return FieldType("tensor", tensor_type=canonical_tensor_type(stripped))
    collection = re.match(r"^(array|weightedset)\s*<(.*)>$", stripped, re.S)
    if collection:
        kind, inner = collection.group(1), collection.group(2).strip()
        element = parse_field_type(inner)
        if kind == "weightedset" and element.kind not in ("byte", "int", "long", "string", "uri"):
            raise TypeSpecError(f"weightedset element type must be byte, int, long, string or uri, not '{inner}'")
        return FieldType(kind, element=element)
    if stripped in PRIMITIVE_KINDS:
        return FieldType(stripped)
    return _geo_or_unsupported_type(stripped)


# field types of the geo/uri/predicate/reference work (kept apart from the collection types above)
def _geo_or_unsupported_type(spec: str) -> FieldType:
    """`position` (searchlib.geo), `uri` (searchlib.uri), `predicate` (searchlib.predicate); the
    Vespa types not implemented yet are refused as such."""
    if spec in ("position", "uri", "predicate"):
        return FieldType(spec)
    if re.match(r"^reference\s*<", spec):
        raise TypeSpecError("not supported: reference fields (parent-child)")
    raise TypeSpecError(f"unknown field type '{spec}'")
