"""A rank profile's `filter-threshold: t` (Vespa's fef FilterThreshold): a query term whose hit ratio
in an index field — the documents its posting list holds over this node's documents — is above t is
treated as a filter in that field, as `rank: filter` treats all of its terms: it still matches, and
still counts where a feature asks whether the field matched (`matches(f)`), but carries no term
frequency and no positions, so bm25, nativeRank, fieldMatch and the other ranking features get
nothing from it there. The default 1.0 makes no term a filter (a ratio is never above 1)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from searchlib.query import tree as q

FILTER_THRESHOLD = "filter-threshold"
_NO_POSITIONS = np.empty(0, dtype=np.int32)


@dataclass(frozen=True, slots=True)
class FilterPostings:
    """A term's documents without the detail ranking reads (Vespa unpacks only the document id):
    no occurrences, so every document's slice of the flat positions is empty; the one -1 there is
    what a reader taking a document's first position without its count gets (text_features: none)."""

    doc_ids: np.ndarray
    term_freqs: np.ndarray
    position_offsets: np.ndarray
    flat_positions: np.ndarray = field(default_factory=lambda: np.full(1, -1, dtype=np.int32))

    def positions(self, index: int) -> np.ndarray:
        return _NO_POSITIONS


def threshold_of(settings: Mapping[str, str]) -> float:
    """The profile's threshold (checked at load, searchlib/schema/profiles.py), 1.0 without one."""
    text = settings.get(FILTER_THRESHOLD)
    return 1.0 if text is None else float(text)


def filtered(lookup: Callable[[str, str], object], document_count: Callable[[], int],
             threshold: float) -> Callable[[str, str], object]:
    """The postings lookup ranking reads, with the terms above the threshold made filters."""
    if threshold >= 1.0:
        return lookup

    def postings(field: str, term: str) -> object:
        found = lookup(field, term)
        count = document_count()
        if count and len(found.doc_ids) / count > threshold:
            return as_filter(found)
        return found
    return postings


def as_filter(found) -> FilterPostings:  # type: ignore[no-untyped-def]
    """`found`'s documents as a filter's: no frequencies, no positions."""
    size = len(found.doc_ids)
    return FilterPostings(found.doc_ids, np.zeros(size, dtype=found.term_freqs.dtype),
                          np.zeros(size + 1, dtype=np.int64))


def without_positions(lookup: Callable[[str, str], object],
                      words: frozenset[tuple[str, str]]) -> Callable[[str, str], object]:
    """The postings lookup with the (field, word)s of `{usePositionData: false}` terms made filters:
    Vespa resolves such a term with forceFilter on every field it searches (querynodes.h), the match
    data `rank: filter` gives. Features read match data by word here, not by query term, so a word
    is a filter only where every rank term of it says so (no_position_words)."""
    if not words:
        return lookup

    def postings(field: str, term: str) -> object:
        found = lookup(field, term)
        return as_filter(found) if (field, term) in words else found
    return postings


def no_position_words(items: list, index_fields: Callable[[str], tuple[str, ...]]) -> frozenset[tuple[str, str]]:
    """The (field, word) of each rank term or phrase (its one word: tree.item_key) with
    `{usePositionData: false}`, less those another rank term of the same word uses positions for."""
    off: set[tuple[str, str]] = set()
    on: set[tuple[str, str]] = set()
    for item in items:
        if isinstance(item, (q.Term, q.Phrase)):
            key = q.item_key(item)
            # a word streaming expanded into an equiv: ranking also reads its alternatives' postings
            keys = (key, *(q.equiv_alternatives(key) or ()))
            (on if item.positions else off).update((field, k) for field in index_fields(item.field) for k in keys)
    return frozenset(off - on)
