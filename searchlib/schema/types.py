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
    composite = parse_struct_or_map_type(stripped)
    if composite is not None:
        return composite
    return _geo_or_unsupported_type(stripped)


_STRUCT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_NOT_STRUCT_NAMES = frozenset({"position", "uri", "predicate", "annotationreference", "reference"})


def parse_struct_or_map_type(spec: str) -> FieldType | None:
    """`map<K,V>`, `float16`, `raw` and a struct by name (resolved against the schema's structs by
    the compiler); None for anything else. Kept apart from the types other branches add."""
    if spec in ("float16", "raw"):
        return FieldType(spec)
    if spec == "tag":  # Vespa's built-in tag type: a weighted set of strings
        return FieldType("weightedset", element=FieldType("string"))
    reference = re.match(r"^annotationreference\s*<\s*([A-Za-z_][A-Za-z0-9_]*)\s*>$", spec)
    if reference:  # a reference to an annotation (spans of linguistic annotation, not fed as JSON)
        return FieldType("annotationreference", struct_name=reference.group(1))
    mapped = re.match(r"^map\s*<(.*)>$", spec, re.S)
    if mapped:
        key_spec, value_spec = _split_top_level_comma(mapped.group(1), spec)
        key = parse_field_type(key_spec)
        if not (key.kind in PRIMITIVE_KINDS or key.kind == "float16"):
            raise TypeSpecError(f"map key type must be a primitive type, not '{key_spec.strip()}'")
        return FieldType("map", element=parse_field_type(value_spec), key=key)
    if _STRUCT_NAME.match(spec) and spec not in _NOT_STRUCT_NAMES:
        return FieldType("struct", struct_name=spec)
    return None


def _split_top_level_comma(body: str, spec: str) -> tuple[str, str]:
    depth = 0
    for i, ch in enumerate(body):
        depth += {"<": 1, "(": 1, ">": -1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            return body[:i], body[i + 1:]
    raise TypeSpecError(f"map type '{spec}' needs a key and a value type: map<K,V>")


# field types of the geo/uri/predicate/reference work (kept apart from the collection types above)
def _geo_or_unsupported_type(spec: str) -> FieldType:
    """`position` (searchlib.geo), `uri` (searchlib.uri), `predicate` (searchlib.predicate); the
    Vespa types not implemented yet are refused as such."""
    if spec in ("position", "uri", "predicate"):
        return FieldType(spec)
    reference = re.match(r"^reference\s*<\s*([A-Za-z_][A-Za-z0-9_]*)\s*>$", spec)
    if reference:  # a parent document; its type is checked against the package (schema/references.py)
        return FieldType("reference", document_type=reference.group(1))
    raise TypeSpecError(f"unknown field type '{spec}'")
