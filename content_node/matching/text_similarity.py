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


def _step_scores(distance: np.ndarray) -> np.ndarray:
    return np.where((distance > 8) | (distance < 1), 0.0, 1.0 - ((distance - 1) / 8.0) ** 2)


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
    rows, positions, term_ids = _events(found, calc.position_remap(field), candidates)
    parts = dict(zip(WEIGHTS, sweep(rows, positions, term_ids, [t.weight for t in terms], lengths)))
    if output != "score":
        return parts[output]
    return sum(weight * parts[name] for name, weight in WEIGHTS.items())


def _events(found: list, remap, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every candidate's (row, position, term index) occurrences, gathered per term over all rows."""
    rows, positions, term_ids = [], [], []
    for idx, (_, _, postings, at) in enumerate(found):
        present = np.flatnonzero(at >= 0)
        if not len(present):
            continue
        begin, end = postings.position_offsets[at[present]], postings.position_offsets[at[present] + 1]
        counts = end - begin
        starts = np.repeat(begin - np.cumsum(counts) + counts, counts)
        term_positions = postings.flat_positions[starts + np.arange(int(counts.sum()))].astype(np.int64)
        term_rows = np.repeat(present, counts)
        if remap is not None:  # per document: the element gap re-tokenizes it (rare, profile opt-in)
            bounds = np.concatenate(([0], np.cumsum(counts)))
            term_positions = np.concatenate([remap(int(candidates[row]), term_positions[bounds[i]:bounds[i + 1]])
                                             for i, row in enumerate(present)]).astype(np.int64)
        rows.append(term_rows)
        positions.append(term_positions)
        term_ids.append(np.full(len(term_rows), idx, dtype=np.int64))
    if not rows:
        return (np.zeros(0, dtype=np.int64),) * 3
    return np.concatenate(rows), np.concatenate(positions), np.concatenate(term_ids)


def sweep(rows: np.ndarray, positions: np.ndarray, term_ids: np.ndarray, weights: list[float],
          lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(proximity, order, queryCoverage, fieldCoverage) per row of `lengths` from all rows' (row,
    position, term index) events, unsorted. Where no two terms of a row share a position, the chain
    is simply each term at its first position, in position order: that is computed over all rows at
    once; rows with a shared position (a skip may then move a term later) take the sequential sweep."""
    out = [np.zeros(len(lengths)) for _ in WEIGHTS]
    if not len(rows):
        return tuple(out)
    order = np.lexsort((term_ids, positions, rows))
    rows, positions, term_ids = rows[order], positions[order], term_ids[order]
    tie = (rows[1:] == rows[:-1]) & (positions[1:] == positions[:-1])
    tied_rows = np.unique(rows[1:][tie])
    simple = ~np.isin(rows, tied_rows)
    # first occurrence of each (row, term): the first in (row, position) order, kept in that order
    r, p, t = rows[simple], positions[simple], term_ids[simple]
    by_term = np.lexsort((p, t, r))
    first = np.ones(len(r), dtype=bool)
    first[1:] = (r[by_term][1:] != r[by_term][:-1]) | (t[by_term][1:] != t[by_term][:-1])
    keep = np.sort(by_term[first])
    r, p, t = r[keep], p[keep], t[keep]
    chain_rows, chain_start, joined = np.unique(r, return_index=True, return_counts=True)
    proximity, in_order = np.zeros(len(chain_rows)), np.zeros(len(chain_rows))
    weight_array = np.asarray(weights, dtype=np.float64)
    weight = weight_array[t[chain_start]]
    for k in range(1, int(joined.max(initial=1))):  # step k of every chain that long, summed in chain order
        longer = np.flatnonzero(joined > k)
        at = chain_start[longer] + k
        proximity[longer] += _step_scores((p[at] - p[at - 1]).astype(np.float64))
        in_order[longer] += t[at] > t[at - 1]
        weight[longer] += weight_array[t[at]]
    _finish(out, chain_rows, proximity, in_order, weight, joined, weights, lengths)
    for row in tied_rows:
        lo, hi = np.searchsorted(rows, [row, row + 1])
        _sweep_row(out, int(row), positions[lo:hi], term_ids[lo:hi], weights, lengths)
    return tuple(out)


def _finish(out: list[np.ndarray], chain_rows: np.ndarray, proximity: np.ndarray, in_order: np.ndarray,
            weight: np.ndarray, joined: np.ndarray, weights: list[float], lengths: np.ndarray) -> None:
    length = lengths[chain_rows]
    matches = np.minimum(length, joined)
    few = matches < 2
    steps = np.where(few, 1.0, matches - 1)
    out[0][chain_rows] = np.where(few, _step_scores(length), proximity / steps)
    out[1][chain_rows] = np.where(few, 1.0 if len(weights) == 1 else 0.0, in_order / steps)
    out[2][chain_rows] = weight / sum(weights)
    out[3][chain_rows] = np.divide(matches, length, out=np.zeros(len(length)), where=length != 0)


def _sweep_row(out: list[np.ndarray], row: int, positions: np.ndarray, term_ids: np.ndarray,
               weights: list[float], lengths: np.ndarray) -> None:
    """One row's chain, event by event (sorted by position, then query order)."""
    last_pos, last_idx = int(positions[0]), int(term_ids[0])
    joined, weight, proximity, in_order = {last_idx}, weights[last_idx], 0.0, 0
    for pos, idx in zip(positions[1:].tolist(), term_ids[1:].tolist()):
        if idx in joined or pos <= last_pos:
            continue
        proximity += float(_step_scores(np.float64(pos - last_pos)))
        in_order += idx > last_idx
        last_pos, last_idx = pos, idx
        joined.add(idx)
        weight += weights[idx]
    _finish(out, np.array([row]), np.array([proximity]), np.array([float(in_order)]),
            np.array([float(weight)]), np.array([len(joined)]), weights, lengths)
