"""textSimilarity(f) as Vespa's text_similarity_feature.cpp, over the query's terms as term_data
numbers them (a phrase is one term, occurring where the whole phrase starts; weight-0 terms left out).

Per document the terms' positions in f are swept in order (ties by query order): the first
occurrence starts the chain, then each term joins it at most once, at its first position after the
chain's last. With m = min(fieldLength, terms joined):
- proximity: the mean over the m-1 steps of (1 - ((d-1)/8)^2) for a step of d <= 8 (0 beyond);
  with m < 2 the same score of d = fieldLength;
- order: the share of the m-1 steps to a term later in the query (m < 2: 1 for a one-term query, else 0);
- queryCoverage: the joined terms' weight over all terms' weight; fieldCoverage: m / fieldLength;
- textSimilarity(f) (.score) = 0.35 proximity + 0.15 order + 0.30 queryCoverage + 0.20 fieldCoverage.
Positions are as matching reads them (an array field's with the profile's element gap) and the
field length the whole field's.
"""
from __future__ import annotations

import numpy as np

from content_node.matching.feature_api import Calculator, FeatureName
from content_node.matching.term_data import query_terms
from content_node.matching.text_features import term_occurrences
from searchlib.errors import InvalidParameterError

WEIGHTS = {"proximity": 0.35, "order": 0.15, "queryCoverage": 0.30, "fieldCoverage": 0.20}


def _step_score(distance: float) -> float:
    return 0.0 if distance > 8 or distance < 1 else 1.0 - ((distance - 1) / 8.0) ** 2


def text_similarity(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    field = calc.field_arg(feature, index_required=True)
    output = feature.output or "score"
    if output != "score" and output not in WEIGHTS:
        raise InvalidParameterError(f"textSimilarity({field}) has no output '{feature.output}'")
    terms = [t for t in query_terms(calc) if t.weight != 0 and field in calc.schema.index_fields(t.index_name)]
    parts = {name: np.zeros(len(candidates)) for name in WEIGHTS}
    if not terms:
        return parts["proximity"] if output == "score" else parts[output]
    weights = [t.weight for t in terms]
    found = [term_occurrences(calc, field, t.text, candidates) for t in terms]
    lengths = calc.index.field_lengths(field)[candidates].astype(np.float64)
    remap = calc.position_remap(field)
    for row in np.flatnonzero(np.any([at >= 0 for _, _, _, at in found], axis=0)):
        events = []
        for idx, (_, _, postings, at) in enumerate(found):
            if at[row] >= 0:
                positions = postings.positions(int(at[row])).astype(np.int64)
                if remap is not None:
                    positions = remap(int(candidates[row]), positions)
                events.extend((int(p), idx) for p in positions)
        events.sort()
        scores = _sweep(events, weights, len(terms), float(lengths[row]))
        for name, value in zip(WEIGHTS, scores):
            parts[name][row] = value
    if output != "score":
        return parts[output]
    return sum(weight * parts[name] for name, weight in WEIGHTS.items())


def _sweep(events: list[tuple[int, int]], weights: list[float], n: int,
           length: float) -> tuple[float, float, float, float]:
    """(proximity, order, queryCoverage, fieldCoverage) from the (position, term) events, sorted."""
    last_pos, last_idx = events[0]
    joined, weight, proximity, in_order = {last_idx}, weights[last_idx], 0.0, 0
    for pos, idx in events[1:]:
        if idx in joined or pos <= last_pos:
            continue
        proximity += _step_score(pos - last_pos)
        in_order += idx > last_idx
        last_pos, last_idx = pos, idx
        joined.add(idx)
        weight += weights[idx]
    matches = min(length, len(joined))
    if matches < 2:
        proximity, order = _step_score(length), 1.0 if n == 1 else 0.0
    else:
        proximity, order = proximity / (matches - 1), in_order / (matches - 1)
    return proximity, order, weight / sum(weights), matches / length if length else 0.0
