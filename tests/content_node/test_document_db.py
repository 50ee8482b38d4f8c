"""DocumentDB: operations, recovery from snapshot + WAL, statistics, attributes, concurrency."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from content_node.document_db import DocumentDB
from content_node.store.snapshots import Snapshots, list_snapshots, snapshot_sequence
from content_node.store.wal import list_segments, segment_first_sequence
from searchlib.docid import global_id
from searchlib.errors import DocumentError
from searchlib.linguistics import tokenize
from searchlib.numbers import UNSET_INTEGER
from searchlib.schema.model import Field, FieldType, Schema

STRING = FieldType("string")


def make_schema() -> Schema:
    fields = [
        Field("title", STRING, is_index=True, is_summary=True),
        Field("body", STRING, is_index=True, is_summary=True),
        Field("tags", FieldType("array", STRING), is_index=True, is_attribute=True),
        Field("year", FieldType("int"), is_attribute=True, is_summary=True),
        Field("flag", FieldType("bool"), is_attribute=True),
        Field("genre", STRING, is_attribute=True),
        Field("embedding", FieldType("tensor", tensor_type="tensor<float>(x[2])"),
              is_attribute=True),
        Field("match_count", FieldType("long"), is_attribute=True, in_document=False,
              attribute_properties=frozenset({"mutable"})),
    ]
    return Schema("doc", "doc", {f.name: f for f in fields})


SCHEMA = make_schema()


def doc_id(n) -> str:
    return f"id:ns:doc::{n}"


@pytest.fixture
def db(tmp_path):
    database = DocumentDB(SCHEMA, tmp_path)
    yield database
    database.close()


def test_put_get_update_remove(db):
    db.put(doc_id(1), {"title": "Hello world", "year": 2001, "genre": "rock"})
    assert db.get(doc_id(1)) == {"title": "Hello world", "year": 2001, "genre": "rock"}
    assert db.update(doc_id(1), {"year": {"increment": 2}, "title": {"assign": "Bye"}})
    assert db.get(doc_id(1)) == {"title": "Bye", "year": 2003, "genre": "rock"}
    assert db.update(doc_id(2), {"year": {"assign": 1}}) is False
    assert db.get(doc_id(2)) is None
    assert db.update(doc_id(2), {"year": {"assign": 1}}, create=True) is True
    assert db.get(doc_id(2)) == {"year": 1}
    assert db.remove(doc_id(1)) is True
    assert db.remove(doc_id(1)) is False
    assert db.get(doc_id(1)) is None
    assert db.doc_count == 1
    assert db.last_sequence == 4  # put, update, update(create), remove; no-ops are not logged


def test_invalid_operations_write_nothing(db):
    with pytest.raises(DocumentError, match="No field 'nope'"):
        db.put(doc_id(1), {"nope": 1})
    with pytest.raises(DocumentError, match="Document type 'other'"):
        db.put("id:ns:other::1", {"title": "x"})
    db.put(doc_id(1), {"year": 5})
    with pytest.raises(DocumentError, match="division by zero"):
        db.update(doc_id(1), {"year": {"divide": 0}})
    assert db.get(doc_id(1)) == {"year": 5}
    assert db.last_sequence == 1


def test_read_side_by_local_id(db):
    db.put(doc_id("a"), {"title": "red fox", "body": "the quick red fox", "year": 1990,
                         "flag": True, "genre": "pop", "embedding": [1, 2]})
    db.put(doc_id("b"), {"title": "blue", "tags": ["red sky", "night"]})
    a, b = db.local_id(global_id(doc_id("a"))), db.local_id(global_id(doc_id("b")))
    assert (a, b) == (0, 1)
    assert db.document_id(b) == doc_id("b")
    assert db.global_ids[a] == global_id(doc_id("a"))
    assert db.document(a)["genre"] == "pop"
    assert db.local_id_limit == 2 and db.alive.tolist() == [True, True]
    postings = db.postings("body", "red")
    assert postings.doc_ids.tolist() == [a] and postings.positions(0).tolist() == [2]
    assert db.postings("tags", "red").doc_ids.tolist() == [b]
    year = db.attribute("year")
    assert year[a] == 1990 and year[b] == UNSET_INTEGER
    assert db.attribute("flag").tolist() == [1.0, 0.0]
    assert db.attribute("genre").tolist() == ["pop", None]
    assert db.attribute("embedding").json(a) == {"values": [1.0, 2.0]}
    assert db.attribute("tags")[b] == ["red sky", "night"]
    assert db.field_lengths("title").tolist() == [2, 1]
    with pytest.raises(KeyError, match="no inverted index"):
        db.postings("year", "1990")
    with pytest.raises(KeyError, match="not an attribute"):
        db.attribute("title")


def test_statistics_follow_removes_and_reindexing(db):
    texts = {1: "a b c", 2: "a a d", 3: "b"}
    for n, text in texts.items():
        db.put(doc_id(n), {"body": text})
    assert db.document_frequency("body", "a") == 2
    assert db.average_field_length("body") == pytest.approx(7 / 3)
    db.remove(doc_id(2))
    assert db.document_frequency("body", "a") == 1
    assert db.document_frequency("body", "d") == 0
    assert db.postings("body", "d").doc_ids.tolist() == []
    assert db.average_field_length("body") == pytest.approx(4 / 2)
    db.put(doc_id(3), {"body": "a a a a"})  # re-put changes the text: stats move with it
    assert db.document_frequency("body", "b") == 1
    assert db.document_frequency("body", "a") == 2
    assert db.average_field_length("body") == pytest.approx(7 / 2)
    db.put(doc_id(4), {"title": "no body"})  # documents without the field do not count
    assert db.average_field_length("body") == pytest.approx(7 / 2)
    assert db.doc_count == 3
    live = db.postings("body", "a")
    assert len(live) == db.document_frequency("body", "a")
    assert db.alive[live.doc_ids].all()


def test_attribute_update_is_in_place_index_update_moves(db):
    db.put(doc_id(1), {"title": "x", "year": 1})
    first = db.local_id(global_id(doc_id(1)))
    db.mutate("match_count", np.array([first]), "+=", 3)
    db.update(doc_id(1), {"year": {"increment": 1}})
    assert db.local_id(global_id(doc_id(1))) == first, "attribute-only update keeps the row"
    assert db.attribute("year")[first] == 2
    db.update(doc_id(1), {"title": {"assign": "y"}})
    moved = db.local_id(global_id(doc_id(1)))
    assert moved != first and not db.alive[first]
    assert db.attribute("match_count")[moved] == 3, "mutable counters survive re-indexing"
    assert db.attribute("year")[first] == UNSET_INTEGER, "dead rows are cleared"
    assert db.postings("title", "y").doc_ids.tolist() == [moved]
    assert db.postings("title", "x").doc_ids.tolist() == []


def test_mutate_operators(db):
    db.put(doc_id(1), {"title": "x"})
    db.put(doc_id(2), {"title": "y"})
    db.mutate("match_count", np.array([0, 1]), "+=", 2)
    db.mutate("match_count", np.array([1]), "-=", 5)
    assert db.attribute("match_count").tolist() == [2.0, -3.0]
    db.mutate("match_count", np.array([0]), "=", 0)
    assert db.attribute("match_count").tolist() == [0.0, -3.0]
    with pytest.raises(DocumentError, match="operator"):
        db.mutate("match_count", np.array([0]), "*=", 2)


def test_recovery_from_wal_only(tmp_path):
    database = DocumentDB(SCHEMA, tmp_path)
    database.put(doc_id(1), {"title": "one", "year": 1})
    database.put(doc_id(2), {"title": "two"})
    database.update(doc_id(1), {"year": {"increment": 1}})
    database.remove(doc_id(2))
    sequence = database.last_sequence
    # no close(): as after a crash, only the WAL has the data
    reopened = DocumentDB(SCHEMA, tmp_path)
    assert reopened.get(doc_id(1)) == {"title": "one", "year": 2}
    assert reopened.get(doc_id(2)) is None
    assert reopened.doc_count == 1
    assert reopened.last_sequence == sequence
    assert reopened.postings("title", "one").doc_ids.tolist() == [0], "ids compacted on load"
    reopened.put(doc_id(3), {"title": "three"})
    assert reopened.last_sequence == sequence + 1
    reopened.close()


def test_recovery_from_snapshot_plus_wal(tmp_path):
    database = DocumentDB(SCHEMA, tmp_path)
    database.put(doc_id(1), {"title": "one"})
    database.mutate("match_count", np.array([0]), "+=", 7)
    database.close()  # snapshot
    assert len(list(tmp_path.glob("manifest-*.json"))) == 1
    reopened = DocumentDB(SCHEMA, tmp_path)
    reopened.put(doc_id(2), {"title": "two"})  # only in the WAL
    again = DocumentDB(SCHEMA, tmp_path)
    assert again.get(doc_id(1)) == {"title": "one"}
    assert again.get(doc_id(2)) == {"title": "two"}
    assert again.attribute("match_count")[again.local_id(global_id(doc_id(1)))] == 7
    assert again.last_sequence == 2
    again.close()


def test_periodic_snapshots_delete_old_segments(tmp_path):
    database = DocumentDB(SCHEMA, tmp_path, snapshot_interval=10)
    for n in range(35):
        database.put(doc_id(n), {"title": f"doc {n}", "year": n})
    for n in range(0, 35, 2):
        database.remove(doc_id(n))
    database.wait_for_snapshot()  # automatic snapshots are written in the background
    snapshots = list_snapshots(tmp_path)  # the newest and the previous one (its fallback)
    assert len(snapshots) == 2
    previous = snapshot_sequence(snapshots[0])  # only the segments needed to replay from it are kept
    assert [segment_first_sequence(s) for s in list_segments(tmp_path)] == [previous + 1, snapshot_sequence(snapshots[1]) + 1]
    reopened = DocumentDB(SCHEMA, tmp_path)
    assert reopened.doc_count == 17
    assert all(reopened.get(doc_id(n)) == ({"title": f"doc {n}", "year": n} if n % 2 else None)
               for n in range(35))
    assert reopened.last_sequence == 35 + 18


def test_the_write_that_crosses_the_snapshot_interval_is_not_held_up_by_the_snapshot(tmp_path, monkeypatch):
    release, writing = threading.Event(), threading.Event()
    original = Snapshots.write

    def slow_write(snapshots, cut, records, cutoff):
        writing.set()
        assert release.wait(10)
        return original(snapshots, cut, records, cutoff)

    monkeypatch.setattr(Snapshots, "write", slow_write)
    database = DocumentDB(SCHEMA, tmp_path, snapshot_interval=5)
    for n in range(5):
        database.put(doc_id(n), {"title": f"doc {n}"})  # the fifth starts the snapshot and returns
    assert writing.wait(10)
    database.put(doc_id(5), {"title": "written while the snapshot is"})
    assert not list(tmp_path.glob("manifest-*.json"))
    release.set()
    database.wait_for_snapshot()
    assert len(list(tmp_path.glob("manifest-*.json"))) == 1
    database._wal.close()  # a crash: the snapshot (5 documents), then the log (the sixth)
    reopened = DocumentDB(SCHEMA, tmp_path)
    assert reopened.doc_count == 6 and reopened.get(doc_id(5)) == {"title": "written while the snapshot is"}
    reopened.close()


def test_corrupt_wal_tail_is_ignored(tmp_path):
    database = DocumentDB(SCHEMA, tmp_path)
    database.put(doc_id(1), {"title": "kept"})
    database.put(doc_id(2), {"title": "torn"})
    segment = list_segments(tmp_path)[-1]
    records = segment.read_bytes().rstrip(b"\x00")  # without the last group's padding to 4 KB
    segment.write_bytes(records[:-3])
    reopened = DocumentDB(SCHEMA, tmp_path)
    assert reopened.get(doc_id(1)) == {"title": "kept"}
    assert reopened.get(doc_id(2)) is None
    assert reopened.last_sequence == 1
    reopened.put(doc_id(3), {"title": "after"})
    final = DocumentDB(SCHEMA, tmp_path)
    assert final.get(doc_id(3)) == {"title": "after"} and final.last_sequence == 2


def test_concurrent_writers_lose_nothing(tmp_path):
    database = DocumentDB(SCHEMA, tmp_path)
    errors: list[BaseException] = []

    def writer(worker: int):
        try:
            for n in range(40):
                database.put(doc_id(f"{worker}-{n}"), {"body": f"worker {worker} item {n}",
                                                       "year": n})
                if n % 4 == 0:
                    database.update(doc_id(f"{worker}-{n}"), {"year": {"increment": 100}})
                database.postings("body", "worker")  # readers interleave with writers
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert database.doc_count == 200
    assert database.document_frequency("body", "worker") == 200
    reopened = DocumentDB(SCHEMA, tmp_path)
    for worker in range(5):
        for n in range(40):
            expected_year = n + 100 if n % 4 == 0 else n
            assert reopened.get(doc_id(f"{worker}-{n}"))["year"] == expected_year
    assert reopened.last_sequence == 250


def test_text_statistics_match_a_naive_count(db):
    texts = ["The cats sat", "a cat and the dog", "dogs and cats", "nothing here"]
    for n, text in enumerate(texts):
        db.put(doc_id(n), {"body": text})
    for term in {t for text in texts for t in tokenize(text)}:
        expected = sum(term in tokenize(text) for text in texts)
        assert db.document_frequency("body", term) == expected
        assert len(db.postings("body", term)) == expected
