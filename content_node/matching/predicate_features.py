"""`subqueries(field)`: the subquery bitmap of the query's predicate item on the field for each
candidate, as Vespa's subqueries feature -- `.lsb` (the default output) the low 32 bits, `.msb` the
high 32 bits; 0 without such an item or for a document it does not match."""
from __future__ import annotations

import numpy as np

from content_node.matching.feature_api import Calculator, FeatureName
from content_node.matching.predicate_match import predicate_items, subquery_bitmaps
from searchlib.errors import InvalidParameterError


def subqueries(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    field = feature.args[0] if feature.args else ""
    if feature.output not in ("", "lsb", "msb"):
        raise InvalidParameterError(f"subqueries({field}) has no output '{feature.output}' (outputs: lsb, msb)")
    bits = np.zeros(len(candidates), dtype=np.uint64)
    for item in predicate_items(calc.query):
        if item.field == field:
            bits |= subquery_bitmaps(item, calc.schema, calc.index.attribute)[candidates]
    half = bits >> np.uint64(32) if feature.output == "msb" else bits & np.uint64(0xFFFFFFFF)
    return half.astype(np.float64)


PREDICATE_FEATURES = {"subqueries": subqueries}
