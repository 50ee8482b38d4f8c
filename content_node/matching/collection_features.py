"""attribute(...) features of array and weighted-set attributes (values kept as fed, one object
per document, so these loop over the candidates; use them on few rows or accept the cost):
- attribute(name, n): element n of an array (0 when shorter or unset);
- attribute(name, key).weight / .contains: a weighted-set lookup (0 when absent);
- attribute(name).count: the number of elements.
Numeric elements are read as numbers, strings are hashed as everywhere else in ranking.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from content_node.matching.attribute_terms import element_kind, is_cased, string_fold
from searchlib.errors import InvalidParameterError
from searchlib.expression import string_hash
from searchlib.schema.model import Field


def _number(value: Any) -> float:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        return string_hash(value)
    return math.nan


def collection_attribute(spec: Field, raw_values: np.ndarray, args: tuple[str, ...], output: str) -> np.ndarray:
    name = spec.name
    if output == "count":
        return np.array([float(len(v)) if isinstance(v, (list, dict)) else 0.0 for v in raw_values])
    if spec.type.kind == "weightedset":
        if len(args) != 2 or output not in ("weight", "contains"):
            raise InvalidParameterError(
                f"attribute({name}) is a weighted set: use attribute({name},key).weight, .contains or .count")
        key = args[1]
        if element_kind(spec) == "string" and not is_cased(spec):  # an uncased set: keys in any case
            fold = string_fold(spec)
            key = fold(key)
            weights = [next((w for k, w in v.items() if fold(k) == key), None) if isinstance(v, dict) else None
                       for v in raw_values]
        else:
            weights = [v.get(key) if isinstance(v, dict) else None for v in raw_values]
        if output == "contains":
            return np.array([0.0 if w is None else 1.0 for w in weights])
        return np.array([0.0 if w is None else float(w) for w in weights])
    if spec.type.kind == "array":
        if len(args) != 2:
            raise InvalidParameterError(f"attribute({name}) is an array: use attribute({name},n) or .count")
        try:
            index = int(args[1])
        except ValueError:
            raise InvalidParameterError(f"attribute({name},{args[1]}): the element index must be a number") from None
        return np.array([_number(v[index]) if isinstance(v, list) and 0 <= index < len(v) else 0.0
                         for v in raw_values])
    raise InvalidParameterError(f"attribute({','.join(args)}).{output}: not a feature of a {spec.type} attribute")
