"""flowCompleteness(f), as Vespa's flow_completeness_feature.cpp computes it.

Over the query terms searching index field f with weight != 0 (n of them), for each element of f
(an array's or weighted set's elements; a single value is one element) in which some of them occur:
flow = the size of a maximum matching between those terms and the element's positions (a term takes
one of the positions where it occurs, a position serves one term: a word repeated in the query
counts as often as it occurs); queryCompleteness = flow / n, fieldCompleteness = flow / the
element's length, completeness = fieldCompleteness * c + queryCompleteness * (1 - c), with c =
`flowCompleteness(f).fieldCompletenessImportance` (0.5), and score = completeness * the summed
weights of the terms occurring in the element. The outputs are those of the first element with the
highest score above 0 (all 0 when none): completeness (the default), fieldCompleteness,
queryCompleteness, elementWeight, weight (the field's weight), flow.

Like the other element features (element_features.py) it reads the candidates' stored values: use it
in second phase or on few candidates.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from content_node.matching.core_features import field_weight
from content_node.matching.element_features import _elements, _field_terms, _starts
from content_node.matching.feature_api import Calculator, FeatureName
from searchlib.errors import InvalidParameterError
from searchlib.rank_properties import number

OUTPUTS = ("completeness", "fieldCompleteness", "queryCompleteness", "elementWeight", "weight", "flow")


def max_matching(positions_per_term: list[set[int]]) -> int:
    """The size of a maximum matching of terms to positions (augmenting paths, as Vespa's bfs)."""
    owner: dict[int, int] = {}  # position → the term holding it

    def augment(term: int, seen: set[int]) -> bool:
        for position in sorted(positions_per_term[term]):
            if position in seen:
                continue
            seen.add(position)
            if position not in owner or augment(owner[position], seen):
                owner[position] = term
                return True
        return False

    return sum(augment(term, set()) for term in range(len(positions_per_term)))


def flow_completeness(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray | float:
    field = calc.field_arg(feature, index_required=True)
    output = feature.output or "completeness"
    if output not in OUTPUTS:
        raise InvalidParameterError(f"flowCompleteness({field}) has no output '{output}'")
    if output == "weight":
        return float(field_weight(calc, field))
    importance = number(calc.rank_properties, 0.5, f"flowCompleteness({field}).fieldCompletenessImportance")
    best = calc.memo(("flowCompleteness", field, importance, candidates.tobytes()),
                     lambda: _best_elements(calc, field, importance, candidates))
    return best[OUTPUTS.index(output)]


def _best_elements(calc: Calculator, field: str, importance: float, candidates: np.ndarray) -> np.ndarray:
    """The outputs (rows) per candidate (columns); the weight row stays 0 (it is the field's)."""
    terms = _field_terms(calc, field)
    outputs = np.zeros((len(OUTPUTS), len(candidates)))
    if not terms:
        return outputs
    for column, elements in enumerate(_elements(calc, field, candidates)):
        best_score = 0.0
        for tokens, element_weight in elements:
            found = [(_starts(tokens, alternatives), weight) for alternatives, weight in terms]
            found = [(positions, weight) for positions, weight in found if positions]
            if not found:
                continue
            flow = max_matching([positions for positions, _ in found])
            query_completeness = flow / len(terms)
            field_completeness = flow / len(tokens)
            completeness = field_completeness * importance + query_completeness * (1.0 - importance)
            score = completeness * sum(weight for _, weight in found)
            if score > best_score:  # strictly: the first of equal elements
                best_score = score
                outputs[:, column] = (completeness, field_completeness, query_completeness, element_weight, 0.0,
                                      flow)
    return outputs


FLOW_FEATURES: dict[str, Callable[..., object]] = {"flowCompleteness": flow_completeness}
