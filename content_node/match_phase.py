"""Match-phase limiting on one node (the rule: searchlib/schema/match_phase.py).

When more documents match than `max-hits`, only the `max-hits` best by the attribute (highest for
`order: descending`, lowest for ascending; no value counts as 0; ties by local id) go on to
first-phase ranking. With `diversity`, a group (a value of the diversity attribute) takes at most
max-hits // min-groups of them, scanning in attribute order; `cutoff-strategy: strict` stops the
scan after cutoff-factor * max-hits documents, `loose` scans all. Exact selection: what Vespa's
pre-/post-filter choice (`max-filter-coverage`) approximates. The same rule, over the first phase's
order with max-hits = rerank-count, picks the hits the second phase reranks (`diverse_first`).
"""
from __future__ import annotations

import numpy as np

from searchlib.numbers import number_value, present
from searchlib.schema.match_phase import Diversity, MatchPhase, diversity_of, match_phase_of, with_overrides
from searchlib.schema.model import RankProfile, Schema


def settings_of(schema: Schema, profile: RankProfile, overrides=None) -> MatchPhase | None:
    """The profile's match-phase, with the query's overrides (checked by the container) over it."""
    return match_phase_of(with_overrides(profile.settings, overrides or {}), schema.fields, profile.name,
                          profile.location)


def diversity_settings(schema: Schema, profile: RankProfile, overrides=None) -> Diversity | None:
    """The profile's diversity, with the query's ranking.matchPhase.diversity.* over it."""
    return diversity_of(with_overrides(profile.settings, overrides or {}), schema.fields, profile.name,
                        profile.location)


def diverse_first(index, diversity: Diversity, rows: np.ndarray, rerank_count: int) -> np.ndarray:
    """Positions of `rows` (in first-phase order): the diverse `rerank_count` first, then the rest."""
    chosen = _pick(index, diversity, rows, np.arange(len(rows)), rerank_count)
    rest = np.setdiff1d(np.arange(len(rows)), chosen, assume_unique=True)
    return np.concatenate([chosen, rest]).astype(np.int64)


def limit(index, phase: MatchPhase | None, candidates: np.ndarray, total_share: int | None = None) -> np.ndarray:
    """The candidates to rank, in local-id order (all of them when few enough match). With
    `total-max-hits`, `total_share` is this node's share of it (the container's; alone: all of it)."""
    if phase is None:
        return candidates
    max_hits = phase.max_hits if phase.max_hits is not None else total_share or phase.total_max_hits
    if len(candidates) <= max_hits:
        return candidates
    values = np.asarray(index.attribute(phase.attribute))[candidates]
    values = np.where(present(values), values, values.dtype.type(0))  # unset as 0; int64 stays exact
    descending = ~values if values.dtype.kind == "i" else -values  # ~v: reversed without overflow
    order = np.argsort(values if phase.ascending else descending, kind="stable")  # candidates are in local-id order
    if phase.diversity is None:
        chosen = order[:max_hits]
    else:
        chosen = _pick(index, phase.diversity, candidates, order, max_hits)
    return np.sort(candidates[chosen])


def _pick(index, diversity: Diversity, candidates: np.ndarray, order: np.ndarray, max_hits: int) -> np.ndarray:
    """Positions in `order`'s sequence, each group taking at most max_hits // min-groups."""
    groups = index.attribute(diversity.attribute)
    per_group = max(1, max_hits // diversity.min_groups)
    scan = int(diversity.cutoff_factor * max_hits) if diversity.strict else len(order)
    counts: dict[object, int] = {}
    chosen: list[int] = []
    for position in order[:scan]:
        value = groups[candidates[position]]
        key = 0.0 if isinstance(value, (float, np.number)) and number_value(value) is None else value
        if counts.get(key, 0) < per_group:
            counts[key] = counts.get(key, 0) + 1
            chosen.append(int(position))
            if len(chosen) == max_hits:
                break
    return np.asarray(chosen, dtype=np.int64)
