"""Posting lists and term statistics kept between queries while a database's documents do not
change. Every write moves the database's last sequence number, and no write runs while a query
holds its read view, so what was read at one sequence number stays right until it moves; the
first query after a write starts the cache afresh. Looking a term up (dictionary, segment tiers,
the alive filter) costs more than ranking its postings, and queries share their terms.

Bounded by the bytes of the postings held (the oldest go first). Posting arrays are
shared between queries, as the segments' own arrays already are: nothing writes into them."""
from __future__ import annotations

import threading
from collections import OrderedDict

DEFAULT_BYTES = 32 * 1024 * 1024
_ABSENT = object()


class PostingCache:
    def __init__(self, max_bytes: int = DEFAULT_BYTES) -> None:
        self._max_bytes = max_bytes
        self._lock = threading.Lock()  # for writers; a query reads its generation's dict without it
        self._source: tuple[int, int] | None = None  # (id of the database, its last sequence number)
        self._entries: dict[tuple, object] = {}  # of that source only; replaced, never cleared
        self._sizes: dict[tuple, int] = {}
        self._bytes = 0

    def over(self, index) -> "CachedReads":
        """`index` inside its read view: the reads of one query through this cache."""
        source = (id(index), index.last_sequence)
        with self._lock:
            if source != self._source:
                self._source, self._entries, self._sizes, self._bytes = source, {}, {}, 0
            return CachedReads(index, self, self._entries)

    def _put(self, entries: dict, key: tuple, value: object, size: int) -> None:
        if size > self._max_bytes // 4:
            return  # one huge list would flush everything else
        with self._lock:
            if entries is not self._entries or key in entries:
                return  # a write came since this query's view: its dict is gone
            entries[key] = value
            self._sizes[key] = size
            self._bytes += size
            while self._bytes > self._max_bytes:  # the oldest first
                oldest = next(iter(self._sizes))
                self._bytes -= self._sizes.pop(oldest)
                del entries[oldest]


class CachedReads:
    """The index of one query with its pure term reads served by the cache; the rest passes
    through unchanged."""

    __slots__ = ("_index", "_cache", "_entries")

    def __init__(self, index, cache: PostingCache, entries: dict) -> None:
        self._index, self._cache, self._entries = index, cache, entries

    def __getattr__(self, name: str):
        return getattr(self._index, name)

    def postings(self, field: str, term: str):
        key = ("postings", field, term)
        found = self._entries.get(key)
        if found is None:
            found = self._index.postings(field, term)
            self._cache._put(self._entries, key, found, _postings_bytes(found))
        return found

    def derived(self, key: tuple, compute):
        """A tuple of arrays computed from this generation's term reads alone (`key` names every
        other input), e.g. one term's bm25 contributions over its posting list."""
        found = self._entries.get(key)
        if found is None:
            found = compute()
            self._cache._put(self._entries, key, found, 64 + sum(array.nbytes for array in found))
        return found

    def statistic(self, key: tuple, compute):
        """A number (or None) computed from this generation's term statistics and document count
        alone (`key` names every other input), e.g. a query item's idf."""
        found = self._entries.get(key, _ABSENT)
        if found is _ABSENT:
            found = compute()
            self._cache._put(self._entries, key, found, 64)
        return found

    def document_frequency(self, field: str, term: str) -> int:
        key = ("df", field, term)
        found = self._entries.get(key)
        if found is None:
            found = self._index.document_frequency(field, term)
            self._cache._put(self._entries, key, found, 64)
        return found

    def average_field_length(self, field: str, per_element: bool = False) -> float:
        key = ("avgdl", field, per_element)
        found = self._entries.get(key)
        if found is None:
            found = (self._index.average_field_length(field, per_element=True) if per_element
                     else self._index.average_field_length(field))
            self._cache._put(self._entries, key, found, 64)
        return found


def _postings_bytes(postings) -> int:
    if hasattr(postings, "nbytes"):  # the store's: positions are read (and held) only when a query asks
        return 64 + postings.nbytes
    return 64 + sum(getattr(postings, name).nbytes for name in ("doc_ids", "term_freqs", "position_offsets",
                                                                "flat_positions") if hasattr(postings, name))
