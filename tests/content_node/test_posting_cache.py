"""The posting cache (content_node/posting_cache.py): reads through it equal the database's own,
a write (any put, update or remove) makes the next query read afresh, and its size is bounded."""
from __future__ import annotations

import numpy as np
import pytest

from content_node.document_db import DocumentDB
from content_node.posting_cache import PostingCache
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
    cache = PostingCache(max_bytes=400)
    with db.read_view() as view:
        reads = cache.over(view)
        for term in ("red", "fox", "hen", "blue", "green", "jumps"):
            reads.postings("title", term)
        assert cache.held_bytes <= 400 and len(cache.keys()) < 6
        assert np.array_equal(reads.postings("title", "red").doc_ids, view.postings("title", "red").doc_ids)


def held(value) -> int:
    """What the cache should count for a value it holds: every array, 64 bytes at least."""
    if hasattr(value, "doc_ids"):
        arrays = [value.doc_ids] + [getattr(value, name) for name in ("_freqs", "_offsets", "_flat")
                                    if isinstance(getattr(value, name), np.ndarray)]
    else:
        arrays = [item for item in (value if isinstance(value, tuple) else (value,)) if isinstance(item, np.ndarray)]
    return 64 + sum(array.nbytes for array in arrays)


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
        assert cache.held_bytes == sum(held(entry.value) for entry in entries.values()) > before
        assert entries[("bitset", "title", "hen")].value is bitset
        assert entries[("postings", "title", "fox")].size == held(fox) > held(red) >= 64 + 8
        red.term_freqs  # read already: counted once
        assert cache.held_bytes == sum(held(entry.value) for entry in entries.values())


def test_a_list_that_grows_past_its_share_is_dropped(db) -> None:
    cache = PostingCache(max_bytes=4 * (64 + 8 + 4))  # "fox": 2 documents, 2 positions
    with db.read_view() as view:
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
    cache = PostingCache(max_bytes=6_000, clock=clock)  # one value: at most 1,500 bytes
    with db.read_view() as view:
        reads = cache.over(view)
        reads.derived(("bitset",), clock.costing(1e-3, 1_000))  # small and costly
        reads.derived(("stop word",), clock.costing(1e-5, 1_400))  # big and cheap to slice again
        reads.derived(("rare word",), clock.costing(1e-5, 100))
        for _ in range(10):
            reads.derived(("often",), clock.costing(1e-5, 1_000))  # read again: costs nothing more
        reads.derived(("once",), clock.costing(1e-5, 1_000))
        assert cache.held_bytes == 4_820
        reads.derived(("new",), clock.costing(1e-4, 1_400))  # over: the least CPU a byte goes
        assert cache.keys() == {("bitset",), ("rare word",), ("often",), ("once",), ("new",)}
        reads.derived(("another",), clock.costing(1e-4, 1_400))  # read once goes before read 10 times
        assert cache.keys() == {("bitset",), ("rare word",), ("often",), ("new",), ("another",)}
        assert cache.held_bytes == sum(entry.size for entry in cache._entries.values()) <= 6_000


def test_what_is_no_longer_read_ages_out(db) -> None:
    """L, the worth of the last eviction, is added to what is read or cached after it: an entry
    once worth much but not read since is eventually evicted by a stream of cheaper new ones."""
    clock = Clock()
    cache = PostingCache(max_bytes=5_000, clock=clock)
    with db.read_view() as view:
        reads = cache.over(view)
        reads.derived(("once costly",), clock.costing(1e-3, 1_000))
        for n in range(200):
            reads.derived(("fresh", n), clock.costing(1e-4, 1_000))
            assert cache.held_bytes <= 5_000
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
        assert cache.held_bytes == held_now == sum(held(entry.value) for entry in cache._entries.values())
