"""The one hit order. A sort specification (YQL `order by`, `ranking.sorting`) becomes an order
here and nowhere else; the content node (vectorized), the dispatcher's merge, the global phase and
the container's multi-schema merge all use it, so per-node lists merge to what one sort of
everything would give, whatever order the nodes answer in.

The rule:
- no sorting, or only relevance descending ("rank order"): relevance descending, NaN as -inf;
- otherwise the keys in turn: relevance (NaN as -inf) or an attribute's sort value (numbers,
  strings in code-point order; missing values and NaN last in either direction);
- ties are broken by the global id, ascending.
`[relevance]` and `[rank]` both name the relevance (Vespa's sort spec aliases).
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np

from searchlib.explain import HitPhases
from searchlib.numbers import UNSET_INTEGER, number_value
from searchlib.sort_functions import sort_column

RELEVANCE_FIELDS = ("[relevance]", "[rank]")


@dataclass(frozen=True, slots=True)
class LeanHit:
    """A hit as the query phase returns it: no summary fields yet."""

    global_id: bytes
    relevance: float
    distribution_key: int = 0
    match_features: Mapping[str, object] = field(default_factory=dict)
    sort_data: tuple = ()  # one value per sort key (sort_value), when the query sorts
    phases: HitPhases | None = None  # the node's phase trace, only when the query explains


def is_relevance(sort_field: str) -> bool:
    return sort_field in RELEVANCE_FIELDS


def is_rank_order(sorting: Sequence) -> bool:
    """True when the sort specification (SortKey-likes with .field/.ascending) is the rank order."""
    return all(is_relevance(key.field) and not key.ascending for key in sorting)


def relevance_key(relevance: float) -> float:
    """NaN sorts as -inf."""
    return -math.inf if math.isnan(relevance) else relevance


def hit_sort_key(hit: LeanHit) -> tuple:
    """The rank order's key (the fast path of hit_key)."""
    return (-relevance_key(hit.relevance), hit.global_id)


def hit_key(sorting: Sequence) -> Callable[[LeanHit], tuple]:
    """The key of a hit under a sort specification: smaller sorts first."""
    if is_rank_order(sorting):
        return hit_sort_key
    keys = tuple((is_relevance(k.field), k.ascending) for k in sorting)

    def key(hit: LeanHit) -> tuple:
        parts: list = []
        for i, (relevance, ascending) in enumerate(keys):
            if relevance:
                value = relevance_key(hit.relevance)
                parts.append((0, value if ascending else -value))
                continue
            value = hit.sort_data[i] if i < len(hit.sort_data) else None
            if isinstance(value, str):
                parts.append((0, _StringKey(value, ascending)))
            elif value is None or value != value:  # None/NaN: missing values sort last either way
                parts.append((1, 0.0))
            else:
                parts.append((0, value if ascending else -value))
        parts.append(hit.global_id)
        return tuple(parts)

    return key


class _StringKey:
    __slots__ = ("value", "ascending")

    def __init__(self, value: str, ascending: bool) -> None:
        self.value, self.ascending = value, ascending

    def __lt__(self, other: "_StringKey") -> bool:
        return self.value < other.value if self.ascending else self.value > other.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _StringKey) and self.value == other.value


def sort_hits(hits: Iterable[LeanHit], sorting: Sequence = ()) -> list[LeanHit]:
    return sorted(hits, key=hit_key(sorting))


def merge_hits(hit_lists: Iterable[Sequence[LeanHit]], sorting: Sequence, k: int,
               key: Callable[[object], tuple] | None = None) -> list[LeanHit]:
    """Merge lists each sorted in the order of `sorting` into the first k of their union; entries
    with equal keys (the same hit from two replicas) are kept once. `key`: hit_key(sorting) of
    entries that are not LeanHits (hits_codec.merge_reply_hits merges undecoded messages)."""
    key = key or hit_key(sorting)
    merged: list[LeanHit] = []
    previous = None
    if k <= 0:
        return merged
    for hit in heapq.merge(*hit_lists, key=key):
        current = key(hit)
        if current == previous:
            continue
        previous = current
        merged.append(hit)
        if len(merged) >= k:
            break
    return merged


def top_k_indices(scores: np.ndarray, global_ids: Sequence[bytes], k: int) -> np.ndarray:
    """Indices of the k best rows in rank order, vectorized: argpartition, then an exact sort of
    the few survivors with the global-id tie-break (ties at the partition boundary are kept)."""
    n = len(scores)
    if n == 0 or k <= 0:
        return np.empty(0, dtype=np.int64)
    negated = -np.where(np.isnan(scores), -np.inf, scores).astype(np.float64)  # ascending: best first
    if k < n:
        threshold = np.partition(negated, k - 1)[k - 1]
        candidates = np.flatnonzero(negated <= threshold)
    else:
        candidates = np.arange(n)
    rows = candidates.tolist()  # Python numbers: the sort reads no numpy scalars
    order = sorted(zip(negated[candidates].tolist(), [global_ids[i] for i in rows], rows))
    return np.asarray([row for _, _, row in order[:k]], dtype=np.int64)


def order_rows(sorting: Sequence, scores: np.ndarray, column: Callable[[str], np.ndarray],
               global_ids: Sequence[bytes], k: int) -> np.ndarray:
    """The first k row indices in the order of `sorting`, vectorized (the content node's sort):
    `column(name)` gives an attribute's values for the rows. Agrees with hit_key on the hits
    built with sort_value."""
    if is_rank_order(sorting):
        return top_k_indices(scores, global_ids, k)
    keys = []
    for key in reversed(sorting):
        if is_relevance(key.field):
            keyed = np.where(np.isnan(scores), -np.inf, scores).astype(np.float64)
            keys.append(keyed if key.ascending else -keyed)
        else:
            values = sort_column(column(key.field), getattr(key, "function", ""), getattr(key, "strength", ""))
            keys.extend(sort_key_columns(values, key.ascending))
    gid_rank = np.argsort(np.array(global_ids, dtype=object)) if len(global_ids) else np.empty(0, dtype=np.int64)
    tie_break = np.empty(len(global_ids), dtype=np.int64)
    tie_break[gid_rank] = np.arange(len(global_ids))
    return np.lexsort([tie_break, *keys])[: max(k, 0)]


def sort_key_columns(column: np.ndarray, ascending: bool) -> list[np.ndarray]:
    """Keys per row for np.lexsort (least significant first): smaller sorts first, missing last.
    int64 columns keep exact int64 keys (`~v` reverses without overflow) behind a missing flag."""
    if column.dtype.kind == "i":
        missing = column == UNSET_INTEGER
        return [column if ascending else ~column, missing]
    return [_sort_key_column(column, ascending)]


def _sort_key_column(column: np.ndarray, ascending: bool) -> np.ndarray:
    """A float64 key per row: smaller sorts first, NaN (missing) sorts last."""
    if column.dtype.kind in "fub":
        values = column.astype(np.float64)
        return values if ascending else -values
    present = np.array([isinstance(v, str) for v in column], dtype=bool)
    keys = np.full(len(column), np.nan)
    if present.any():
        ranks = np.unique(column[present].astype(str), return_inverse=True)[1].astype(np.float64)
        keys[present] = ranks if ascending else -ranks
    return keys


def sort_value(value: object) -> int | float | str | None:
    """The attribute value sent with a hit for the merge: str, an exact int from an integer
    column, float (NaN when missing), None."""
    if isinstance(value, str) or value is None:
        return value
    number = number_value(value)
    return math.nan if number is None else number
