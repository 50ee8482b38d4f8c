"""Posting lists and term statistics kept between queries while a database's documents do not
change. Every write moves the database's last sequence number, and no write runs while a query
holds its read view, so what was read at one sequence number stays right until it moves; the
first query after a write starts the cache afresh. Looking a term up (dictionary, segment tiers,
the alive filter) costs more than ranking its postings, and queries share their terms.

Bounded by the bytes of the postings held (least recently used go first). Posting arrays are
shared between queries, as the segments' own arrays already are: nothing writes into them."""
from __future__ import annotations

import threading
from collections import OrderedDict

DEFAULT_BYTES = 32 * 1024 * 1024


class PostingCache:
    def __init__(self, max_bytes: int = DEFAULT_BYTES) -> None:
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._source: tuple[int, int] | None = None  # (id of the database, its last sequence number)
        self._entries: OrderedDict[tuple, tuple[object, int]] = OrderedDict()
        self._bytes = 0

    def over(self, index) -> "CachedReads":
        """`index` inside its read view: the reads of one query through this cache."""
        source = (id(index), index.last_sequence)
        with self._lock:
            if source != self._source:
                self._entries.clear()
                self._bytes = 0
                self._source = source
        return CachedReads(index, self, source)

    def _get(self, key: tuple, source: tuple[int, int]):
        with self._lock:
            if source != self._source:
                return None
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found[0]
        return None

    def _put(self, key: tuple, value: object, size: int, source: tuple[int, int]) -> None:
        if size > self._max_bytes // 4:
            return  # one huge list would flush everything else
        with self._lock:
            if source != self._source or key in self._entries:
                return
            self._entries[key] = (value, size)
            self._bytes += size
            while self._bytes > self._max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped


class CachedReads:
    """The index of one query with its pure term reads served by the cache; the rest passes
    through unchanged."""

    __slots__ = ("_index", "_cache", "_source")

    def __init__(self, index, cache: PostingCache, source: tuple[int, int]) -> None:
        self._index, self._cache, self._source = index, cache, source

    def __getattr__(self, name: str):
        return getattr(self._index, name)

    def _read(self, key: tuple, compute, size=lambda value: 64):
        found = self._cache._get(key, self._source)
        if found is None:
            found = compute()
            self._cache._put(key, found, size(found), self._source)
        return found

    def postings(self, field: str, term: str):
        return self._read(("postings", field, term), lambda: self._index.postings(field, term), _postings_bytes)

    def document_frequency(self, field: str, term: str) -> int:
        return self._read(("df", field, term), lambda: self._index.document_frequency(field, term))

    def average_field_length(self, field: str) -> float:
        return self._read(("avgdl", field), lambda: self._index.average_field_length(field))


def _postings_bytes(postings) -> int:
    return 64 + sum(getattr(postings, name).nbytes for name in ("doc_ids", "term_freqs", "position_offsets",
                                                                "flat_positions") if hasattr(postings, name))
