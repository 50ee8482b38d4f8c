"""Load-time rules of the rank features over array, weighted-set and position attributes (the
content node computes them in content_node/matching/collection_dot_product.py and path_distance.py):

- `dotProduct(f, vector)`: f a weighted set of string/integer keys or an array of numbers;
- `tensorFromWeightedSet(attribute(f) or query(p)[, dim])`: f a weighted set of string/integer keys;
- `tensorFromLabels(attribute(f) or query(p)[, dim])`: f a single value or array of strings/integers;
- `tensorFromStructs(attribute(f), key..., value, cell type)`: f an array of structs (or a map) whose
  struct fields `f.key` (1 to 5 of them, strings or integers) and `f.value` (a number) are attributes;
- `distanceToPath(f).distance/.traveled/.product`: f a position attribute;
- `elementCompleteness(f)[.completeness/.fieldCompleteness/.queryCompleteness/.elementWeight]`: f an
  index field (content_node/matching/element_features.py).

The tensor features produce `tensor(dim{})`, dim defaulting to the source's name (Vespa's
tensor_from_weighted_set_feature.cpp / tensor_from_labels_feature.cpp)."""
from __future__ import annotations

import re

from searchlib.schema.geo_fields import is_position
from searchlib.schema.model import Field, Schema
from searchlib.tensor import DOUBLE, TensorType

INTEGER_KINDS = ("byte", "int", "long")
NUMBER_KINDS = INTEGER_KINDS + ("float", "double")
_SOURCE = re.compile(r"^(attribute|query)\((\w[\w.]*)\)$")
_DIMENSION = re.compile(r"^[A-Za-z_][\w]*$")


class FeatureProblem(ValueError):
    """Why a collection feature cannot be computed for this schema (a load error)."""


DISTANCE_TO_PATH_OUTPUTS = ("distance", "traveled", "product")
ELEMENT_COMPLETENESS_OUTPUTS = ("completeness", "fieldCompleteness", "queryCompleteness", "elementWeight")


def collection_feature_type(schema: Schema, name: str, args: list[str], bound: set[str],
                            output: str = "") -> TensorType | None:
    """The type of one of these features, or FeatureProblem; None when a function parameter stands
    for the attribute (checked where the function is called)."""
    if name == "elementCompleteness":
        if output and output not in ELEMENT_COMPLETENESS_OUTPUTS:
            raise FeatureProblem(f"elementCompleteness has no output '{output}'")
        if len(args) != 1:
            raise FeatureProblem(f"elementCompleteness takes one index field, got {len(args)} argument(s)")
        spec = schema.fields.get(args[0])
        if args[0] not in bound and (spec is None or not spec.is_index):
            what = "no field" if spec is None else "not an index field:"
            raise FeatureProblem(f"elementCompleteness({args[0]}): {what} '{args[0]}'")
        return DOUBLE
    if name == "distanceToPath":
        if output and output not in DISTANCE_TO_PATH_OUTPUTS:
            raise FeatureProblem(f"distanceToPath has no output '{output}'")
        if len(args) != 1:
            raise FeatureProblem(f"distanceToPath takes one position field, got {len(args)} argument(s)")
        if args[0] not in bound and not is_position(_attribute(schema, name, args[0])):
            raise FeatureProblem(f"distanceToPath({args[0]}): '{args[0]}' is not a position field")
        return DOUBLE
    if output:
        raise FeatureProblem(f"{name} has no output '{output}'")
    if name == "dotProduct":
        if not args or args[0] not in bound:
            dot_product_field(schema, name, args)
        return DOUBLE
    if args and any(f"({parameter})" in args[0].replace(" ", "") for parameter in bound):
        return None
    if name == "tensorFromStructs":
        return struct_tensor_source(schema, args)[2]
    return TensorType.parse(f"tensor({tensor_source(schema, name, args)[2]}{{}})")


def element_kind(spec: Field) -> str:
    element = spec.type.element
    return element.kind if spec.type.kind in ("array", "weightedset") and element is not None else spec.type.kind


def dot_product_field(schema: Schema, name: str, args: list[str]) -> Field:
    """The attribute of `dotProduct(f, vector)`, checked."""
    if len(args) != 2:
        raise FeatureProblem(f"dotProduct takes (attribute, vector), got {len(args)} argument(s)")
    spec = _attribute(schema, name, args[0])
    kind, element = spec.type.kind, element_kind(spec)
    if not ((kind == "weightedset" and element in ("string",) + INTEGER_KINDS)
            or (kind == "array" and element in NUMBER_KINDS)):
        raise FeatureProblem(f"dotProduct({args[0]}): '{args[0]}' must be a weighted set of strings or integers "
                             f"or an array of numbers, not {spec.type}")
    return spec


def tensor_source(schema: Schema, name: str, args: list[str]) -> tuple[Field | None, str, str]:
    """(the attribute or None for a query source, the source's name, the dimension) of
    `tensorFromWeightedSet/tensorFromLabels(attribute(f) or query(p)[, dim])`; a query source reads
    the rank property p (`rankproperty.p={a:1,b:2}`, or `[a b]` for labels)."""
    if not 1 <= len(args) <= 2:
        raise FeatureProblem(f"{name} takes (attribute(name) or query(name)[, dimension]), got {len(args)} argument(s)")
    source = _SOURCE.match(args[0].replace(" ", ""))
    if source is None:
        raise FeatureProblem(f"{name}: the source must be attribute(name) or query(name), not '{args[0]}'")
    dimension = args[1].strip('"') if len(args) == 2 else source.group(2)
    if not _DIMENSION.match(dimension):
        raise FeatureProblem(f"{name}: '{dimension}' is not a valid dimension name")
    if source.group(1) == "query":
        return None, source.group(2), dimension
    spec = _attribute(schema, name, source.group(2))
    kind, element = spec.type.kind, element_kind(spec)
    keys = ("string",) + INTEGER_KINDS
    if name == "tensorFromWeightedSet" and not (kind == "weightedset" and element in keys):
        raise FeatureProblem(f"{name}: '{spec.name}' must be a weighted set of strings or integers, not {spec.type}")
    if name == "tensorFromLabels" and not (kind in ("array",) + keys and element in keys):
        raise FeatureProblem(f"{name}: '{spec.name}' must be a single value or array of strings or integers, "
                             f"not {spec.type}")
    return spec, spec.name, dimension


STRUCT_CELL_TYPES = ("double", "float", "bfloat16", "int8")


def struct_tensor_source(schema: Schema, args: list[str]) -> tuple[list[Field], Field, TensorType]:
    """(the key attributes, the value attribute, the tensor type) of `tensorFromStructs(attribute(f),
    k1[, ...k5], v, cell type)`: one mapped dimension per key field, named after it (Vespa's
    tensor_from_structs_feature.cpp). What Vespa answers with an empty tensor and a logged issue at
    query time (a value that is no number, a key that is neither string nor integer, a weighted set)
    is refused here at load."""
    name = "tensorFromStructs"
    if not 4 <= len(args) <= 8:
        raise FeatureProblem(f"{name} takes (attribute(name), 1 to 5 key fields, value field, cell type), "
                             f"got {len(args)} argument(s)")
    source = _SOURCE.match(args[0].replace(" ", ""))
    if source is None or source.group(1) != "attribute":
        raise FeatureProblem(f"{name}: the source must be attribute(name), not '{args[0]}'")
    base = source.group(2)
    keys, value, cell_type = [a.strip('"') for a in args[1:-2]], args[-2].strip('"'), args[-1].strip('"')
    if cell_type not in STRUCT_CELL_TYPES:
        raise FeatureProblem(f"{name}: invalid cell type '{cell_type}'")
    if len(set(keys)) != len(keys) or not all(_DIMENSION.match(key) for key in keys):
        raise FeatureProblem(f"{name}: invalid or duplicate dimension name(s) for key field(s)")
    key_specs = [_struct_attribute(schema, base, key) for key in keys]
    value_spec = _struct_attribute(schema, base, value)
    if element_kind(value_spec) not in NUMBER_KINDS:
        raise FeatureProblem(f"{name}: the value attribute '{value_spec.name}' must have a numeric type")
    for spec in key_specs:
        if element_kind(spec) not in ("string",) + INTEGER_KINDS:
            raise FeatureProblem(f"{name}: the key attribute '{spec.name}' must have basic type string or integer")
        if spec.type.kind == "weightedset" or (spec.type.kind == "array") != (value_spec.type.kind == "array"):
            raise FeatureProblem(f"{name}: the key attribute '{spec.name}' and value attribute '{value_spec.name}' "
                                 "must have the same collection type, array or single")
    cells = "" if cell_type == "double" else f"<{cell_type}>"
    return key_specs, value_spec, TensorType.parse(f"tensor{cells}({','.join(f'{key}{{}}' for key in keys)})")


def _struct_attribute(schema: Schema, base: str, field: str) -> Field:
    spec = schema.fields.get(f"{base}.{field}")
    if spec is None or not spec.is_attribute:
        raise FeatureProblem(f"tensorFromStructs: no such attribute '{base}.{field}'")
    return spec


def _attribute(schema: Schema, feature: str, name: str) -> Field:
    spec = schema.fields.get(name)
    if spec is None:
        raise FeatureProblem(f"{feature}({name}): no field '{name}' in schema '{schema.name}'")
    if not spec.is_attribute:
        raise FeatureProblem(f"{feature}({name}): field '{name}' is not an attribute")
    return spec
