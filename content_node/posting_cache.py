"""Posting lists, term statistics and values derived from them (bm25 contributions, bounds, the
bitsets of long lists) kept between queries while a database's documents do not change. Every
write moves the database's last sequence number, and no write runs while a query holds its read
view, so what was read at one sequence number stays right until it moves; the first query after a
write starts the cache afresh. Looking a term up (dictionary, segment tiers, the alive filter)
costs more than ranking its postings, and queries share their terms.

Bounded by the bytes it holds: every array of an entry, counted again when a cached posting list
reads its frequencies or positions later (a query asks for them after the list was cached), and
the Python objects around it (key, bookkeeping, array headers), which are most of a small entry's
cost (a document frequency, one number, costs ~500 bytes; it used to be counted as 64). When
over, the entry least worth keeping goes first (GreedyDual-Size-Frequency, as web caches rank
objects of unequal size and cost): worth = L + uses × cost / bytes, where cost is the time its
computation took (the rebuild a miss pays; perf_counter, not the thread's CPU clock: that one is a
system call, and under load each let the scheduler switch away), uses counts its reads, and L, the
worth of the last entry evicted, ages what is no longer read. A stop word's list, cheap to slice
and megabytes long, goes before the bitset built from it (a hundredth of the bytes for the same
time) or a rare term's list. Posting arrays are shared between queries, as the segments' own arrays already are: nothing
writes into them."""
from __future__ import annotations

import heapq
import itertools
import sys
import threading
import time
from functools import partial
from typing import Callable

import numpy as np

DEFAULT_BYTES = 32 * 1024 * 1024
# Bytes of an entry's bookkeeping apart from its key's strings and its value: the key tuple, the
# _Entry with its size number, its dict slot and heap item (tracemalloc over a long stream of small
# entries with evictions, where the dict keeps room for deleted slots; CPython 3.11)
_ENTRY = 420
_ARRAY = sys.getsizeof(np.empty(0))  # an array's header, apart from its data
_POSTINGS = 1100  # a Postings object, its reader closures and watch callback, apart from its arrays (~1,050)
_LEAST_COST = 1e-7  # s: a floor under a measured cost (clock granularity)


class _Entry:
    """One cached value's bookkeeping. `uses` and `stamp` are updated by readers without the lock
    (a lost increment only misjudges the worth a little); the rest under it."""

    __slots__ = ("value", "size", "cost", "uses", "stamp", "version")

    def __init__(self, value: object, size: int, cost: float, stamp: float) -> None:
        self.value, self.size, self.cost, self.uses, self.stamp, self.version = value, size, cost, 1, stamp, 0

    def worth(self) -> float:
        return self.stamp + self.uses * self.cost / self.size


class PostingCache:
    def __init__(self, max_bytes: int = DEFAULT_BYTES, clock: Callable[[], float] = time.perf_counter) -> None:
        self._max_bytes, self.clock = max_bytes, clock
        self._lock = threading.Lock()  # for writers; a query reads its generation's dict without it
        self._source: tuple[int, int] | None = None  # (id of the database, its last sequence number)
        self._entries: dict[tuple, _Entry] = {}  # of that source only; replaced, never cleared
        self._heap: list[tuple[float, int, tuple, int]] = []  # (worth when pushed, order, key, version)
        # the heap is built when the cache first fills, from the entries' worth then (the rebuild
        # _push does for stale items), and kept after: until then an insert costs no heap push
        self._heap_built = False
        self._order = itertools.count()
        self._bytes = 0
        self._floor = 0.0  # L: the worth of the last entry evicted
        self._generation = 0  # counts the sources: a cached list's later reads name theirs

    @property
    def held_bytes(self) -> int:
        return self._bytes

    def keys(self) -> set[tuple]:
        return set(self._entries)

    def over(self, index) -> "CachedReads":
        """`index` inside its read view: the reads of one query through this cache."""
        source = (id(index), index.last_sequence)
        with self._lock:
            if source != self._source:
                self._source, self._entries, self._heap, self._bytes, self._floor = source, {}, [], 0, 0.0
                self._heap_built = False
                self._generation += 1
            return CachedReads(index, self, self._entries, self._generation)

    def _put(self, entries: dict, key: tuple, value: object, cost: float) -> None:
        size = entry_bytes(key, value)
        if size > self._max_bytes // 4:
            return  # one huge value would flush everything else
        with self._lock:
            if entries is not self._entries or key in entries:
                return  # a write came since this query's view: its dict is gone
            entry = entries[key] = _Entry(value, size, max(cost, _LEAST_COST), self._floor)
            self._bytes += size
            self._push(key, entry)
            self._evict()

    def _grew(self, generation: int, key: tuple, postings: object, cost: float) -> None:
        """A cached posting list read more of its arrays (taking `cost` s): count them. (Given the
        generation, not its dict: the list holds this callback, and must not hold its own dict.)"""
        with self._lock:
            entry = self._entries.get(key)
            if generation != self._generation or entry is None or entry.value is not postings:
                return
            size = entry_bytes(key, postings)
            self._bytes += size - entry.size
            entry.size, entry.cost = size, entry.cost + cost
            entry.version += 1  # its worth fell: the heap's older item for it is stale
            if size > self._max_bytes // 4:
                self._drop(key)
            else:
                self._push(key, entry)
            self._evict()

    def _push(self, key: tuple, entry: _Entry) -> None:
        if not self._heap_built:
            return
        heapq.heappush(self._heap, (entry.worth(), next(self._order), key, entry.version))
        if len(self._heap) > 4 * len(self._entries) + 64:  # stale items: rebuild from the live entries
            self._rebuild()

    def _rebuild(self) -> None:
        self._heap = [(e.worth(), next(self._order), k, e.version) for k, e in self._entries.items()]
        heapq.heapify(self._heap)
        self._heap_built = True

    def _evict(self) -> None:
        """Drop the least worth until within bounds. Worth only grows between pushes (uses, L), so
        a popped item whose entry is now worth more is pushed back at its current worth."""
        if self._bytes > self._max_bytes and not self._heap_built:
            self._rebuild()
        while self._bytes > self._max_bytes and self._heap:
            worth, _, key, version = heapq.heappop(self._heap)
            entry = self._entries.get(key)
            if entry is None or entry.version != version:
                continue
            now = entry.worth()
            if now > worth:
                heapq.heappush(self._heap, (now, next(self._order), key, version))
                continue
            self._floor = max(self._floor, worth)
            self._drop(key)

    def _drop(self, key: tuple) -> None:
        entry = self._entries.pop(key)
        entry.version += 1
        self._bytes -= entry.size


class CachedReads:
    """The index of one query with its pure term reads served by the cache; the rest passes
    through unchanged."""

    __slots__ = ("_index", "_cache", "_entries", "_generation")

    def __init__(self, index, cache: PostingCache, entries: dict, generation: int) -> None:
        self._index, self._cache, self._entries, self._generation = index, cache, entries, generation

    def __getattr__(self, name: str):
        return getattr(self._index, name)

    def postings(self, field: str, term: str):
        key = ("postings", field, term)
        return self.derived(key, lambda: self._read_postings(key, field, term))

    def _read_postings(self, key: tuple, field: str, term: str):
        found = self._index.postings(field, term)
        watch = getattr(found, "watch", None)
        if watch is not None:  # its frequencies and positions are read later, if at all
            watch(partial(self._cache._grew, self._generation, key))
        return found

    def derived(self, key: tuple, compute):
        """A value computed from this generation's term reads alone (`key` names every other
        input): an array, a tuple of arrays or numbers, e.g. one term's bm25 contributions over its
        posting list or the bitset of its documents."""
        entry = self._entries.get(key)
        if entry is not None:  # counted as read, inline: a query reads dozens of entries
            entry.uses += 1
            entry.stamp = self._cache._floor
            return entry.value
        clock = self._cache.clock
        started = clock()
        found = compute()
        self._cache._put(self._entries, key, found, clock() - started)
        return found

    def statistic(self, key: tuple, compute):
        """A number (or None) computed from this generation's term statistics and document count
        alone (`key` names every other input), e.g. a query item's idf; kept in a 1-tuple so that
        None is remembered too."""
        return self.derived(key, lambda: (compute(),))[0]

    def document_frequency(self, field: str, term: str) -> int:
        return self.derived(("df", field, term), lambda: self._index.document_frequency(field, term))

    def average_field_length(self, field: str, per_element: bool = False) -> float:
        return self.derived(("avgdl", field, per_element), lambda: (
            self._index.average_field_length(field, per_element=True) if per_element
            else self._index.average_field_length(field)))


def entry_bytes(key: tuple, value) -> int:
    """What holding `value` under `key` costs: the bookkeeping, the key's strings and tuples after
    the kind (a literal): a query's terms, which the cache keeps alive, and a field name, shared with
    the schema but counted on the safe side; and the value's arrays and objects."""
    keyed = _ENTRY
    for item in key[1:]:  # a loop, not sum() over a generator: every cache miss pays this
        if isinstance(item, (str, tuple)):
            keyed += sys.getsizeof(item)
    return keyed + (_postings_bytes(value) if hasattr(value, "doc_ids") else _value_bytes(value))


def _value_bytes(value) -> int:
    if isinstance(value, np.ndarray):
        return _ARRAY + value.nbytes
    if isinstance(value, tuple):
        return sys.getsizeof(value) + sum(_ARRAY + item.nbytes if isinstance(item, np.ndarray)
                                          else sys.getsizeof(item) for item in value)
    return sys.getsizeof(value)


def _postings_bytes(postings) -> int:
    arrays = [getattr(postings, name, None) for name in ("doc_ids", "_freqs", "_offsets", "_flat")]
    headers = _ARRAY * sum(isinstance(array, np.ndarray) for array in arrays)
    if hasattr(postings, "nbytes"):  # the store's: counts frequencies and positions once read
        return _POSTINGS + headers + postings.nbytes
    return _POSTINGS + headers + sum(getattr(postings, name).nbytes for name in (
        "doc_ids", "term_freqs", "position_offsets", "flat_positions") if hasattr(postings, name))
