"""The one total order of hits: relevance descending, NaN as -inf, ties broken by global id.

Every merge in the engine (content node top-k, container merge, global phase) uses this module,
so results are deterministic whatever order the nodes answer in.
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np


@dataclass(frozen=True, slots=True)
class LeanHit:
    """A hit as the query phase returns it: no summary fields yet."""

    global_id: bytes
    relevance: float
    distribution_key: int = 0
    match_features: Mapping[str, object] = field(default_factory=dict)
    sort_data: tuple = ()


def relevance_key(relevance: float) -> float:
    """NaN sorts as -inf."""
    return -math.inf if math.isnan(relevance) else relevance


def hit_sort_key(hit: LeanHit) -> tuple:
    return (-relevance_key(hit.relevance), hit.global_id)


def sorted_hits(hits: Iterable[LeanHit]) -> list[LeanHit]:
    return sorted(hits, key=hit_sort_key)


def merge_top_k(hit_lists: Iterable[Sequence[LeanHit]], k: int) -> list[LeanHit]:
    """Merge lists sorted by hit order into the first k of their union; equal entries deduplicated."""
    merged: list[LeanHit] = []
    previous = None
    for hit in heapq.merge(*hit_lists, key=hit_sort_key):
        key = hit_sort_key(hit)
        if key == previous:
            continue
        previous = key
        merged.append(hit)
        if len(merged) >= k:
            break
    return merged


def trim_window(hits: Sequence[LeanHit], offset: int, count: int) -> list[LeanHit]:
    return list(hits[offset : offset + count])


def top_k_indices(scores: np.ndarray, global_ids: Sequence[bytes], k: int) -> np.ndarray:
    """Indices of the k best rows by hit order, vectorized: argpartition, then an exact sort of the
    few survivors with the global-id tie-break (ties at the partition boundary are kept)."""
    n = len(scores)
    if n == 0 or k <= 0:
        return np.empty(0, dtype=np.int64)
    keyed = np.where(np.isnan(scores), -np.inf, scores).astype(np.float64)
    if k < n:
        threshold = np.partition(-keyed, k - 1)[k - 1]
        candidates = np.flatnonzero(-keyed <= threshold)
    else:
        candidates = np.arange(n)
    order = sorted(candidates.tolist(), key=lambda i: (-keyed[i], global_ids[i]))
    return np.asarray(order[:k], dtype=np.int64)


def sort_order_key(hit: LeanHit, ascending: Sequence[bool]) -> tuple:
    """Key for results sorted by `order by`: sort values in the requested directions, NaN last,
    then the global id, so a merge across nodes gives the same order as one big sort."""
    parts: list = []
    for value, asc in zip(hit.sort_data, ascending):
        if isinstance(value, str):
            parts.append((0, _StringKey(value, asc)))
        elif value is None or value != value:  # None/NaN: missing values sort last either way
            parts.append((1, 0.0))
        else:
            parts.append((0, value if asc else -value))
    parts.append(hit.global_id)
    return tuple(parts)


class _StringKey:
    __slots__ = ("value", "ascending")

    def __init__(self, value: str, ascending: bool) -> None:
        self.value, self.ascending = value, ascending

    def __lt__(self, other: "_StringKey") -> bool:
        return self.value < other.value if self.ascending else self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _StringKey) and self.value == other.value


def merge_sorted_by(hit_lists: Iterable[Sequence[LeanHit]], ascending: Sequence[bool], k: int) -> list[LeanHit]:
    merged = heapq.merge(*hit_lists, key=lambda h: sort_order_key(h, ascending))
    return [hit for _, hit in zip(range(k), merged)]
