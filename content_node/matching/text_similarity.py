"""textSimilarity(f) as Vespa's text_similarity_feature.cpp, over the query's terms as term_data
numbers them (a phrase is one term, occurring where the whole phrase starts; weight-0 terms left out).

Per document the terms' positions in f are swept in order (ties by query order): the first
occurrence starts the chain, then each term joins it at most once, at its first position after the
chain's last. Where the terms' first positions differ, that chain is every term at its first
position, in position order: computed for all candidates at once from those first positions; a
document where two terms start at one position (a phrase and its first word, a repeated term) is
swept event by event. With m = min(fieldLength, terms joined):
- proximity: the mean over the m-1 steps of (1 - ((d-1)/8)^2) for a step of d <= 8 (0 beyond);
  with m < 2 the same score of d = fieldLength;
- order: the share of the m-1 steps to a term later in the query (m < 2: 1 for a one-term query, else 0);
- queryCoverage: the joined terms' weight over all terms' weight; fieldCoverage: m / fieldLength;
- textSimilarity(f) (.score) = 0.35 proximity + 0.15 order + 0.30 queryCoverage + 0.20 fieldCoverage.
Positions are as matching reads them (an array field's with the profile's element gap) and the
field length the whole field's.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from content_node.matching.feature_api import Calculator, FeatureName
from content_node.matching.term_data import query_terms
from content_node.matching.text_features import term_occurrences
from searchlib.errors import InvalidParameterError
from searchlib.ranking.formulas import proximity_step_scores

WEIGHTS = {"proximity": 0.35, "order": 0.15, "queryCoverage": 0.30, "fieldCoverage": 0.20}


def text_similarity(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    field = calc.field_arg(feature, index_required=True)
    output = feature.output or "score"
    if output != "score" and output not in WEIGHTS:
        raise InvalidParameterError(f"textSimilarity({field}) has no output '{feature.output}'")
    terms = [t for t in query_terms(calc) if t.weight != 0 and field in calc.schema.index_fields(t.index_name)]
    if not terms:
        return np.zeros(len(candidates))
    found = [term_occurrences(calc, field, t.text, candidates) for t in terms]
    lengths = calc.index.field_lengths(field)[candidates].astype(np.float64)
    remap = calc.position_remap(field)

    def events(row: int) -> tuple[np.ndarray, np.ndarray]:
        positions, term_ids = [], []
        for idx, (_, _, postings, at) in enumerate(found):
            if at[row] >= 0:
                term_positions = postings.positions(int(at[row])).astype(np.int64)
                positions.append(term_positions if remap is None else remap(int(candidates[row]), term_positions))
                term_ids.append(np.full(len(term_positions), idx, dtype=np.int64))
        positions, term_ids = np.concatenate(positions), np.concatenate(term_ids)
        order = np.lexsort((term_ids, positions))
        return positions[order], term_ids[order]

    first = np.stack([first for _, first, _, _ in found], axis=1)
    parts = dict(zip(WEIGHTS, sweep(first, [t.weight for t in terms], lengths, events)))
    if output != "score":
        return parts[output]
    return sum(weight * parts[name] for name, weight in WEIGHTS.items())


def sweep(first: np.ndarray, weights: list[float], lengths: np.ndarray,
          events: Callable[[int], tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, ...]:
    """(proximity, order, queryCoverage, fieldCoverage) per row of `first` (each term's first position
    per row, -1 where absent); `events(row)`: the row's (positions, term indexes) in sweep order, read
    only for rows where two terms start at one position (a skip there may move a term later)."""
    out = [np.zeros(len(first)) for _ in WEIGHTS]
    present = first >= 0
    term_order = np.argsort(np.where(present, first, np.inf), axis=1, kind="stable")  # ties: query order
    chain = np.take_along_axis(first, term_order, axis=1)
    joined = present.sum(axis=1)
    tied = np.any((chain[:, 1:] == chain[:, :-1]) & (chain[:, 1:] >= 0), axis=1)
    rows = np.flatnonzero((joined > 0) & ~tied)
    chain, term_order, joined = chain[rows], term_order[rows], joined[rows]
    weight_array = np.asarray(weights, dtype=np.float64)
    proximity, in_order, weight = np.zeros(len(rows)), np.zeros(len(rows)), weight_array[term_order[:, 0]]
    for k in range(1, first.shape[1]):  # the k-th step of every chain that long, summed in chain order
        longer = np.flatnonzero(joined > k)
        proximity[longer] += proximity_step_scores(chain[longer, k] - chain[longer, k - 1])
        in_order[longer] += term_order[longer, k] > term_order[longer, k - 1]
        weight[longer] += weight_array[term_order[longer, k]]
    _finish(out, rows, proximity, in_order, weight, joined, weights, lengths)
    tied_rows = np.flatnonzero(tied)
    if len(tied_rows):
        swept = np.array([_sweep_row(*events(int(row)), weights) for row in tied_rows], dtype=np.float64)
        _finish(out, tied_rows, *swept.T, weights, lengths)
    return tuple(out)


def _finish(out: list[np.ndarray], chain_rows: np.ndarray, proximity: np.ndarray, in_order: np.ndarray,
            weight: np.ndarray, joined: np.ndarray, weights: list[float], lengths: np.ndarray) -> None:
    length = lengths[chain_rows]
    matches = np.minimum(length, joined)
    few = matches < 2
    steps = np.where(few, 1.0, matches - 1)
    out[0][chain_rows] = np.where(few, proximity_step_scores(length), proximity / steps)
    out[1][chain_rows] = np.where(few, 1.0 if len(weights) == 1 else 0.0, in_order / steps)
    out[2][chain_rows] = weight / sum(weights)
    out[3][chain_rows] = np.divide(matches, length, out=np.zeros(len(length)), where=length != 0)


def _sweep_row(positions: np.ndarray, term_ids: np.ndarray,
               weights: list[float]) -> tuple[float, float, float, int]:
    """One row's (proximity sum, in-order steps, weight, terms joined), event by event (sorted by
    position, then query order)."""
    last_pos, last_idx = int(positions[0]), int(term_ids[0])
    joined, weight, distances, in_order = {last_idx}, weights[last_idx], [], 0
    for pos, idx in zip(positions[1:].tolist(), term_ids[1:].tolist()):
        if idx in joined or pos <= last_pos:
            continue
        distances.append(pos - last_pos)
        in_order += idx > last_idx
        last_pos, last_idx = pos, idx
        joined.add(idx)
        weight += weights[idx]
    proximity = 0.0
    for score in proximity_step_scores(np.array(distances, dtype=np.float64)).tolist():  # summed in chain order
        proximity += score
    return proximity, in_order, weight, len(joined)
