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
        assert cache._bytes <= 400 and len(cache._entries) < 6 and set(cache._entries) == set(cache._sizes)
        assert np.array_equal(reads.postings("title", "red").doc_ids, view.postings("title", "red").doc_ids)
