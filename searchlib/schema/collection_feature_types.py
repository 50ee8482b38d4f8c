"""Load-time rules of the rank features over array and weighted-set attributes (the content node
computes them in content_node/matching/collection_dot_product.py):

- `dotProduct(f, vector)`: f a weighted set of string/integer keys or an array of numbers;
- `tensorFromWeightedSet(attribute(f)[, dim])`: f a weighted set of string/integer keys;
- `tensorFromLabels(attribute(f)[, dim])`: f a single value or array of strings/integers.

The tensor features produce `tensor(dim{})`, dim defaulting to the attribute's name (Vespa's
tensor_from_weighted_set_feature.cpp / tensor_from_labels_feature.cpp)."""
from __future__ import annotations

import re

from searchlib.schema.model import Field, Schema
from searchlib.tensor import DOUBLE, TensorType

INTEGER_KINDS = ("byte", "int", "long")
NUMBER_KINDS = INTEGER_KINDS + ("float", "double")
_ATTRIBUTE_SOURCE = re.compile(r"^attribute\((\w[\w.]*)\)$")
_DIMENSION = re.compile(r"^[A-Za-z_][\w]*$")


class FeatureProblem(ValueError):
    """Why a collection feature cannot be computed for this schema (a load error)."""


def collection_feature_type(schema: Schema, name: str, args: list[str], bound: set[str]) -> TensorType | None:
    """The type of one of these features, or FeatureProblem; None when a function parameter stands
    for the attribute (checked where the function is called)."""
    if name == "dotProduct":
        if not args or args[0] not in bound:
            dot_product_field(schema, name, args)
        return DOUBLE
    if args and any(f"({parameter})" in args[0].replace(" ", "") for parameter in bound):
        return None
    return TensorType.parse(f"tensor({tensor_source(schema, name, args)[1]}{{}})")


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


def tensor_source(schema: Schema, name: str, args: list[str]) -> tuple[Field, str]:
    """(the attribute, the dimension) of `tensorFromWeightedSet/tensorFromLabels(attribute(f)[, dim])`."""
    if not 1 <= len(args) <= 2:
        raise FeatureProblem(f"{name} takes (attribute(name)[, dimension]), got {len(args)} argument(s)")
    source = _ATTRIBUTE_SOURCE.match(args[0].replace(" ", ""))
    if source is None:
        raise FeatureProblem(f"not supported: {name} from '{args[0]}' (only an attribute(name) source)")
    spec = _attribute(schema, name, source.group(1))
    dimension = args[1].strip('"') if len(args) == 2 else spec.name
    if not _DIMENSION.match(dimension):
        raise FeatureProblem(f"{name}: '{dimension}' is not a valid dimension name")
    kind, element = spec.type.kind, element_kind(spec)
    keys = ("string",) + INTEGER_KINDS
    if name == "tensorFromWeightedSet" and not (kind == "weightedset" and element in keys):
        raise FeatureProblem(f"{name}: '{spec.name}' must be a weighted set of strings or integers, not {spec.type}")
    if name == "tensorFromLabels" and not (kind in ("array",) + keys and element in keys):
        raise FeatureProblem(f"{name}: '{spec.name}' must be a single value or array of strings or integers, "
                             f"not {spec.type}")
    return spec, dimension


def _attribute(schema: Schema, feature: str, name: str) -> Field:
    spec = schema.fields.get(name)
    if spec is None:
        raise FeatureProblem(f"{feature}({name}): no field '{name}' in schema '{schema.name}'")
    if not spec.is_attribute:
        raise FeatureProblem(f"{feature}({name}): field '{name}' is not an attribute")
    return spec
