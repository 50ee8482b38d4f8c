"""The posting cache (content_node/posting_cache.py): reads through it equal the database's own,
a write (any put, update or remove) makes the next query read afresh, and its size is bounded."""
from __future__ import annotations

import gc
import sys
import tracemalloc

import numpy as np
import pytest

from content_node.document_db import DocumentDB
from content_node.posting_cache import PostingCache, entry_bytes
from tests.content_node.test_document_db import SCHEMA, doc_id


@pytest.fixture
def db(tmp_path):
    database = DocumentDB(SCHEMA, tmp_path)
    for n, title in enumerate(["red fox", "red hen", "blue fox jumps", "green hen"]):
        database.put(doc_id(n), {"title": title, "year": 2000 + n})
    yield database
    database.close()


def read(index, term: str) -> tuple:
    postings = index.postings("title", term)
    return (postings.doc_ids.tolist(), postings.term_freqs.tolist(), index.document_frequency("title", term),
            index.average_field_length("title"))


def test_reads_through_the_cache_equal_the_databases(db) -> None:
    cache = PostingCache()
    with db.read_view() as view:
        first = [read(cache.over(view), term) for term in ("red", "fox", "hen", "absent")]
        again = [read(cache.over(view), term) for term in ("red", "fox", "hen", "absent")]
        direct = [read(view, term) for term in ("red", "fox", "hen", "absent")]
    assert first == again == direct
    assert cache.over(db).doc_count == db.doc_count  # everything else passes through


@pytest.mark.parametrize("write", [
    lambda db: db.remove(doc_id(0)),
    lambda db: db.put(doc_id(9), {"title": "red red sky"}),
    lambda db: db.update(doc_id(1), {"title": {"assign": "grey hen"}}),
])
def test_a_write_makes_the_next_query_read_afresh(db, write) -> None:
    cache = PostingCache()
    with db.read_view() as view:
        before = read(cache.over(view), "red")
    write(db)
    with db.read_view() as view:
        after, direct = read(cache.over(view), "red"), read(view, "red")
    assert after == direct and after != before


def test_the_cache_keeps_to_its_size(db) -> None:
    cache = PostingCache(max_bytes=7_000)  # about four short lists
    with db.read_view() as view:
        reads = cache.over(view)
        for term in ("red", "fox", "hen", "blue", "green", "jumps"):
            reads.postings("title", term)
        assert cache.held_bytes <= 7_000 and 2 < len(cache.keys()) < 6
        assert np.array_equal(reads.postings("title", "red").doc_ids, view.postings("title", "red").doc_ids)


def arrays(value) -> int:
    """The bytes of a value's arrays (the cache counts these and a fixed cost of the entry)."""
    if hasattr(value, "doc_ids"):
        arrays = [value.doc_ids] + [getattr(value, name) for name in ("_freqs", "_offsets", "_flat")
                                    if isinstance(getattr(value, name), np.ndarray)]
    else:
        arrays = [item for item in (value if isinstance(value, tuple) else (value,)) if isinstance(item, np.ndarray)]
    return sum(array.nbytes for array in arrays)


def test_many_small_entries_keep_to_the_budget_in_real_bytes(tmp_path) -> None:
    """A long stream of distinct terms without writes: document frequencies, statistics, small
    arrays and short posting lists, each a few bytes of arrays and hundreds in Python objects. What
    the cache keeps alive (measured by tracemalloc) stays within its budget."""
    database = DocumentDB(SCHEMA, tmp_path)
    for n in range(400):
        database.put(doc_id(n), {"title": f"w{n} common"})
    budget = 100_000
    try:
        with database.read_view() as view:
            cache = PostingCache(max_bytes=budget)
            gc.collect()
            tracemalloc.start()
            try:
                base = tracemalloc.get_traced_memory()[0]
                reads = cache.over(view)
                for n in range(2_000):
                    term = f"term{n:05d}"
                    reads.document_frequency("title", term)
                    reads.statistic(("idf", term, ("title",)), lambda: 1.5 + n)
                    reads.derived(("bm25", "title", term), lambda: np.zeros(2, dtype=np.float32))
                    reads.postings("title", f"w{n % 400}").term_freqs
                del reads, term
                gc.collect()
                kept = tracemalloc.get_traced_memory()[0] - base
            finally:
                tracemalloc.stop()
            assert len(cache.keys()) > 50  # the budget holds many entries, and most were evicted
            assert cache.held_bytes <= budget and kept <= budget, kept
    finally:
        database.close()


def test_the_cache_counts_what_cached_lists_read_later_and_derived_values(db) -> None:
    cache = PostingCache()
    with db.read_view() as view:
        reads = cache.over(view)
        red, fox = reads.postings("title", "red"), reads.postings("title", "fox")
        before = cache.held_bytes
        red.term_freqs  # read after caching: weakAnd never reads them, bm25 does
        fox.flat_positions  # the positions, and the frequencies they are grouped by
        bitset = reads.derived(("bitset", "title", "hen"), lambda: np.packbits(np.ones(1000, dtype=bool)))
        reads.document_frequency("title", "hen")
        entries = cache._entries
        assert cache.held_bytes == sum(entry_bytes(key, entry.value) for key, entry in entries.items()) > before
        assert entries[("bitset", "title", "hen")].value is bitset
        assert entries[("postings", "title", "fox")].size == entry_bytes(("postings", "title", "fox"), fox)
        assert arrays(fox) > arrays(red) > 0
        assert entries[("postings", "title", "fox")].size - entries[("postings", "title", "red")].size == (
            arrays(fox) - arrays(red) + 2 * sys.getsizeof(np.empty(0)))  # and the positions' two headers
        red.term_freqs  # read already: counted once
        assert cache.held_bytes == sum(entry_bytes(key, entry.value) for key, entry in entries.items())


def test_a_list_that_grows_past_its_share_is_dropped(db) -> None:
    with db.read_view() as view:
        probe = PostingCache()
        probe.over(view).postings("title", "fox")
        cache = PostingCache(max_bytes=4 * (probe.held_bytes + 100))  # "fox": 2 documents, 2 positions
        fox = cache.over(view).postings("title", "fox")
        assert ("postings", "title", "fox") in cache.keys()
        fox.flat_positions
        assert cache.keys() == set() and cache.held_bytes == 0


class Clock:
    """CPU seconds as the tests spend them: a computation advances it by what it claims to cost."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def costing(self, seconds: float, size: int):
        def compute():
            self.now += seconds
            return np.zeros(size, dtype=np.uint8)
        return compute


def test_eviction_keeps_what_is_expensive_to_rebuild_and_often_read(db) -> None:
    clock = Clock()
    fixed = entry_bytes(("often",), np.zeros(0, dtype=np.uint8))
    budget = 4 * (1_400 + fixed) + 200  # one value: at most a quarter
    cache = PostingCache(max_bytes=budget, clock=clock)
    with db.read_view() as view:
        reads = cache.over(view)
        reads.derived(("bitset",), clock.costing(1e-3, 1_000))  # small and costly
        reads.derived(("stop word",), clock.costing(1e-5, 1_400))  # big and cheap to slice again
        reads.derived(("rare word",), clock.costing(1e-5, 100))
        for _ in range(10):
            reads.derived(("often",), clock.costing(1e-5, 1_000))  # read again: costs nothing more
        reads.derived(("once",), clock.costing(1e-5, 1_000))
        assert cache.held_bytes == 4_500 + 5 * fixed
        reads.derived(("new",), clock.costing(1e-4, 1_400))  # over: the least CPU a byte goes
        assert cache.keys() == {("bitset",), ("rare word",), ("often",), ("once",), ("new",)}
        reads.derived(("another",), clock.costing(1e-4, 1_400))  # read once goes before read 10 times
        assert cache.keys() == {("bitset",), ("rare word",), ("often",), ("new",), ("another",)}
        assert cache.held_bytes == sum(entry.size for entry in cache._entries.values()) <= budget


def test_what_is_no_longer_read_ages_out(db) -> None:
    """L, the worth of the last eviction, is added to what is read or cached after it: an entry
    once worth much but not read since is eventually evicted by a stream of cheaper new ones."""
    clock = Clock()
    budget = 4 * entry_bytes(("fresh", 0), np.zeros(1_000, dtype=np.uint8)) + 100
    cache = PostingCache(max_bytes=budget, clock=clock)
    with db.read_view() as view:
        reads = cache.over(view)
        reads.derived(("once costly",), clock.costing(1e-3, 1_000))
        for n in range(200):
            reads.derived(("fresh", n), clock.costing(1e-4, 1_000))
            assert cache.held_bytes <= budget
        assert ("once costly",) not in cache.keys() and ("fresh", 199) in cache.keys()


def test_a_write_starts_the_accounting_afresh(db) -> None:
    cache = PostingCache()
    with db.read_view() as view:
        red = cache.over(view).postings("title", "red")
    db.put(doc_id(9), {"title": "red red sky"})
    with db.read_view() as view:
        cache.over(view).postings("title", "hen")
        held_now = cache.held_bytes
        red.term_freqs  # the old generation's list: no longer counted
        entries = cache._entries.items()
        assert cache.held_bytes == held_now == sum(entry_bytes(key, entry.value) for key, entry in entries)
