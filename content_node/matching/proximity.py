"""near/onear over word positions: which candidate documents hold the words close enough.

Positions come from the posting lists (one increasing array per document and word). Per document
the work is linear in its positions of the query's words: a sweep keeps the latest position of
each word (near) or a greedy earliest chain (onear)."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from content_node.matching.element_gap import Mover
from content_node.store.posting_segment import EMPTY_POSTINGS, Postings
from searchlib.query import tree as q

EMPTY = np.empty(0, dtype=np.int32)


def near_matches(node: q.Near, field: str, postings: Callable[[str, str], object],
                 move: Mover | None = None) -> np.ndarray:
    """Sorted local ids of documents where `node` matches in `field`; `move` places the positions of
    a multi-value field's elements (content_node/matching/element_gap.py: the profile's element
    gap, or elements apart), all candidates' at once."""
    lists = [postings(field, term) for term in node.terms]
    candidates = lists[0].doc_ids
    for other in lists[1:]:
        candidates = np.intersect1d(candidates, other.doc_ids, assume_unique=True)
    if not len(candidates):
        return EMPTY
    placed = None if move is None else move(candidates)
    words = [_candidate_positions(p, candidates, placed) for p in lists]
    negatives = [_candidate_positions(postings(field, term), candidates, placed) for term in node.negative]
    keep = np.zeros(len(candidates), dtype=bool)
    for i in range(len(candidates)):
        positions = [flat[offsets[i]:offsets[i + 1]] for offsets, flat in words]
        excluded = np.sort(np.concatenate([flat[offsets[i]:offsets[i + 1]] for offsets, flat in negatives]
                                          or [EMPTY]))
        windows = _ordered_windows(positions) if node.ordered else _windows(positions)
        keep[i] = any(last - first <= node.distance
                      and not _hits(excluded, first - node.exclusion_distance, last + node.exclusion_distance)
                      for first, last in windows)
    return candidates[keep].astype(np.int32, copy=False)


def _candidate_positions(postings: Postings, candidates: np.ndarray,
                         placed: Callable[[np.ndarray, np.ndarray], np.ndarray] | None
                         ) -> tuple[np.ndarray, np.ndarray]:
    """(offsets per candidate, positions): each candidate's positions of this word (none where it
    lacks it), moved by `placed` (rows into candidates, positions) when given."""
    if not len(postings.doc_ids):
        return np.zeros(len(candidates) + 1, dtype=np.int64), EMPTY.astype(np.int64)
    rows = np.minimum(np.searchsorted(postings.doc_ids, candidates), len(postings.doc_ids) - 1)
    present = postings.doc_ids[rows] == candidates
    offsets = postings.position_offsets
    first = np.where(present, offsets[rows], 0)
    counts = np.where(present, offsets[rows + 1] - offsets[rows], 0)
    total = int(counts.sum())
    bounds = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    flat = postings.flat_positions[np.repeat(first - bounds[:-1], counts) + np.arange(total)].astype(np.int64)
    if placed is not None and total:
        flat = placed(np.repeat(np.arange(len(candidates), dtype=np.int64), counts), flat)
    return bounds, flat


def _windows(positions: Sequence[np.ndarray]) -> list[tuple[int, int]]:
    """For each occurrence, the tightest window ending there that holds every word."""
    events = sorted((int(pos), word) for word, array in enumerate(positions) for pos in array.tolist())
    latest: dict[int, int] = {}
    found = []
    for pos, word in events:
        latest[word] = pos
        if len(latest) == len(positions):
            found.append((min(latest.values()), pos))
    return found


def _ordered_windows(positions: Sequence[np.ndarray]) -> list[tuple[int, int]]:
    """For each start of the first word, the earliest chain w1 < w2 < ... (the tightest end)."""
    found = []
    for start in positions[0].tolist():
        at = start
        for array in positions[1:]:
            index = int(np.searchsorted(array, at, side="right"))
            if index == len(array):
                return found  # later starts cannot find a chain either
            at = int(array[index])
        found.append((start, at))
    return found


def _hits(sorted_positions: np.ndarray, low: int, high: int) -> bool:
    if not len(sorted_positions):
        return False
    index = int(np.searchsorted(sorted_positions, low))
    return index < len(sorted_positions) and sorted_positions[index] <= high


def merged_postings(lists: Sequence[object]) -> Postings:
    """One posting list for equiv("a", "b"): every document of any, its positions the union of
    theirs (so term frequency, proximity and bm25 see one term occurring wherever any does)."""
    docs, positions = [], []
    for postings in lists:
        counts = np.diff(postings.position_offsets)
        docs.append(np.repeat(postings.doc_ids, counts))
        positions.append(postings.flat_positions[postings.position_offsets[0]:postings.position_offsets[-1]])
    if not docs or not sum(len(d) for d in docs):
        return EMPTY_POSTINGS
    doc_ids, flat = np.concatenate(docs), np.concatenate(positions)
    order = np.lexsort((flat, doc_ids))
    doc_ids, flat = doc_ids[order], flat[order]
    keep = np.ones(len(flat), dtype=bool)  # the same position twice (a == b) counts once
    keep[1:] = (doc_ids[1:] != doc_ids[:-1]) | (flat[1:] != flat[:-1])
    doc_ids, flat = doc_ids[keep], flat[keep]
    unique, starts, counts = np.unique(doc_ids, return_index=True, return_counts=True)
    offsets = np.append(starts, len(flat)).astype(np.int64)
    return Postings(unique.astype(np.int32), counts.astype(np.int32), offsets, flat.astype(np.int32))


def phrase_postings(lists: Sequence[object]) -> Postings:
    """One posting list for a phrase standing as one word (searchlib.query.tree.phrase_key): the
    documents holding the words in a row, its positions where the phrase starts (so its term
    frequency is the phrase's occurrences, what bm25 counts). Vectorized over (document, start)
    keys: a word at position p in document d starts the phrase at p - its offset."""
    candidates = lists[0].doc_ids
    for other in lists[1:]:
        candidates = np.intersect1d(candidates, other.doc_ids, assume_unique=True)
    if not len(candidates):
        return EMPTY_POSTINGS
    starts = None
    for offset, postings in enumerate(lists):
        rows = np.searchsorted(postings.doc_ids, candidates)
        offsets = postings.position_offsets
        first, counts = offsets[rows], offsets[rows + 1] - offsets[rows]
        flat = np.repeat(first - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        start = postings.flat_positions[flat].astype(np.int64) - offset
        docs = np.repeat(candidates.astype(np.int64), counts)
        keys = (docs << 32) | np.where(start >= 0, start, 0)
        keys = keys[start >= 0]  # positions are ascending per document, so the keys are unique
        starts = keys if starts is None else np.intersect1d(starts, keys, assume_unique=True)
    if not len(starts):
        return EMPTY_POSTINGS
    docs, first, counts = np.unique(starts >> 32, return_index=True, return_counts=True)
    offsets = np.append(first, len(starts)).astype(np.int64)
    return Postings(docs.astype(np.int32), counts.astype(np.int32), offsets,
                    (starts & 0xFFFFFFFF).astype(np.int32))


# the first character of each kind
_COMPOUND_MARKS = (q.equiv_key(("",))[:1], q.equiv_key(("",), inner=True)[:1], q.phrase_key(("",))[:1])


def compound_postings(field: str, term: str, lookup: Callable[[str, str], object]) -> object | None:
    """The postings of an Equiv's combined word or a phrase key, built from `lookup` (which
    answers compound words too, so they nest); None for a plain word."""
    if term[:1] not in _COMPOUND_MARKS:  # a plain word (most): no parsing
        return None
    alternatives = q.equiv_alternatives(term)
    if alternatives is not None:
        return merged_postings([lookup(field, word) for word in alternatives])
    words = q.phrase_words(term)
    if words is not None:
        return phrase_postings([lookup(field, word) for word in words])
    return None


def with_equiv(lookup: Callable[[str, str], object]) -> Callable[[str, str], object]:
    """A postings lookup that also answers compound words (equiv_key, phrase_key)."""
    def postings(field: str, term: str) -> object:
        found = compound_postings(field, term, postings)
        return lookup(field, term) if found is None else found
    return postings
