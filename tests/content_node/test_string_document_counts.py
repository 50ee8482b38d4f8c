"""The document frequency of a word in a fast-search string attribute (an attribute field of a
fieldset: IndexReads.document_frequency) from counts made in one pass per field and write, not a
scan of the column per word: the same numbers as matching the word against the column, and new
counts after every write."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from content_node.document_db import DocumentDB
from content_node.matching import attribute_terms
from content_node.matching.attribute_terms import attribute_term_matches
from searchlib.schema.application import application_from_text

SD = """schema doc {
    document doc {
        field body type string { indexing: index | summary }
        field tag type string { indexing: attribute
            attribute: fast-search }
        field cased type string { indexing: attribute
            attribute: fast-search
            match: cased }
        field tags type array<string> { indexing: attribute
            attribute: fast-search }
        field labels type weightedset<string> { indexing: attribute
            attribute: fast-search }
        field sizes type array<int> { indexing: attribute
            attribute: fast-search }
    }
}
"""
SCHEMA = application_from_text(SD, name="doc.sd").schemas["doc"]
WORDS = ["red", "Red", "RED", "blue", "green", "Grün", "grün", "", "absent"]
FIELDS = ["tag", "cased", "tags", "labels", "sizes"]


def _scan(db: DocumentDB, field: str, word: str) -> int:
    """The count by matching the word against every document (the rule the counts must equal)."""
    spec = db.schema.fields[field]
    return int(np.count_nonzero(db.alive[attribute_term_matches(spec, db.attribute(field), word)]))


@pytest.fixture()
def db(tmp_path):
    rng = np.random.default_rng(5)
    db = DocumentDB(SCHEMA, tmp_path / "db")
    colors = ["red", "Red", "blue", "green", "Grün"]
    for i in range(120):
        fields = {"body": "x"}
        if rng.random() < 0.8:
            fields["tag"] = fields["cased"] = str(rng.choice(colors))
        picked = [str(c) for c in rng.choice(colors, size=int(rng.integers(0, 4)))]  # repeats too
        fields["tags"] = picked
        fields["labels"] = {c: int(rng.integers(1, 9)) for c in picked}
        fields["sizes"] = [int(v) for v in rng.integers(0, 5, size=int(rng.integers(0, 3)))]
        db.put(f"id:test:doc::{i}", fields)
    for i in range(0, 120, 7):
        db.remove(f"id:test:doc::{i}")
    yield db
    db.close()


def test_counts_equal_matching_every_word(db):
    for field in FIELDS:
        for word in WORDS + ["1", "[1;3]"]:
            assert db.document_frequency(field, word) == _scan(db, field, word), (field, word)
    assert db.document_frequency("tag", "RED") == db.document_frequency("tag", "red") > 0  # folded
    assert db.document_frequency("cased", "RED") == 0 < db.document_frequency("cased", "Red")


def test_one_pass_per_field_until_a_write(db, monkeypatch):
    passes = []
    real = attribute_terms.string_document_counts
    monkeypatch.setattr("content_node.index_reads.string_document_counts",
                        lambda *args: passes.append(args[0].name) or real(*args))
    for word in WORDS:
        db.document_frequency("tags", word)
        db.document_frequency("tag", word)
    assert sorted(passes) == ["tag", "tags"]
    before = db.document_frequency("tags", "purple")
    db.put("id:test:doc::500", {"body": "x", "tags": ["purple", "PURPLE"], "tag": "purple"})
    assert (before, db.document_frequency("tags", "purple"), db.document_frequency("tag", "Purple")) == (0, 1, 1)
    db.remove("id:test:doc::500")
    assert db.document_frequency("tags", "purple") == 0
    assert sorted(passes) == ["tag", "tag", "tags", "tags", "tags"]


def test_the_pass_runs_outside_the_database_lock(db, monkeypatch):
    """A pass over a column of millions of rows held the lock (writes and other queries waited):
    now another thread takes the lock during the pass, and a write it makes meanwhile is counted
    (the pass, which may have seen half of it, is made again) and kept for the next words."""
    passes, free = [], []
    real = attribute_terms.string_document_counts

    def counting(*args):
        passes.append(args[0].name)
        if len(passes) == 1:
            def write():
                if db._lock.acquire(timeout=5):
                    free.append(True)
                    db._lock.release()
                    db.put("id:test:doc::600", {"body": "x", "tag": "purple"})
            writer = threading.Thread(target=write)
            writer.start()
            writer.join(10)
        return real(*args)

    monkeypatch.setattr("content_node.index_reads.string_document_counts", counting)
    assert db.document_frequency("tag", "purple") == 1 == _scan(db, "tag", "purple")
    assert free == [True] and passes == ["tag", "tag"]
    assert db.document_frequency("tag", "red") == _scan(db, "tag", "red") and passes == ["tag", "tag"]
