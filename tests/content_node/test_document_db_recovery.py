"""DocumentDB over damaged files and failing disks: snapshot fallback, corruption refused or
rebuilt, failed writes that change nothing."""
from __future__ import annotations

import errno
import os

import pytest

from content_node.document_db import DocumentDB
from content_node.store.recovery import StoreCorruption
from content_node.store.snapshots import list_snapshots
from content_node.store.wal import list_segments
from searchlib.errors import StorageError
from searchlib.schema.model import Field, FieldType, Schema

SCHEMA = Schema("doc", "doc", {
    "title": Field("title", FieldType("string"), is_index=True, is_summary=True),
    "n": Field("n", FieldType("int"), is_attribute=True),
})


def doc_id(n) -> str:
    return f"id:ns:doc::{n}"


def feed(db: DocumentDB, numbers) -> dict[str, dict]:
    fed = {}
    for n in numbers:
        fields = {"title": f"document {n}", "n": n}
        db.put(doc_id(n), fields)
        fed[doc_id(n)] = fields
    return fed


def contents(db: DocumentDB) -> dict[str, dict]:
    with db.read_view():
        ids = [db.document_id(local_id) for local_id in db.alive.nonzero()[0].tolist()]
    return {document_id: db.get(document_id) for document_id in ids}


def flip_middle(path) -> None:
    """Of the bytes written (a log segment is preallocated: zeros follow them)."""
    data = bytearray(path.read_bytes())
    data[len(data.rstrip(b"\x00")) // 2] ^= 0x04
    path.write_bytes(bytes(data))


def two_snapshots_and_a_log(tmp_path) -> dict[str, dict]:
    db = DocumentDB(SCHEMA, tmp_path)
    fed = feed(db, range(10))
    db.snapshot()
    fed |= feed(db, range(10, 20))
    db.remove(doc_id(3))
    del fed[doc_id(3)]
    db.snapshot()
    fed |= feed(db, range(20, 25))
    db._wal.close()  # a crash: two snapshots, the log after each
    return fed


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage-header"])
def test_a_damaged_newest_snapshot_falls_back_to_the_previous_one_and_the_log(tmp_path, damage):
    fed = two_snapshots_and_a_log(tmp_path)
    older, newest = list_snapshots(tmp_path)
    if damage == "truncate":
        newest.write_bytes(newest.read_bytes()[:-100])
    elif damage == "flip":
        flip_middle(newest)
    else:
        newest.write_bytes(b"\x00garbage" + newest.read_bytes()[8:])
    db = DocumentDB(SCHEMA, tmp_path)
    assert contents(db) == fed and db.rebuild_reason is None
    assert list(tmp_path.glob(f"{newest.name}.corrupt-*")), "the damaged snapshot is moved aside"
    db.put(doc_id(99), {"title": "after the fallback"})
    db.close()
    again = DocumentDB(SCHEMA, tmp_path)
    assert contents(again) == fed | {doc_id(99): {"title": "after the fallback"}}
    again.close()


def test_a_corrupt_log_record_refuses_to_start_without_a_replica(tmp_path):
    db = DocumentDB(SCHEMA, tmp_path)
    feed(db, range(50))
    db._wal.close()
    segment = list_segments(tmp_path)[-1]
    before = segment.read_bytes()
    flip_middle(segment)
    with pytest.raises(StoreCorruption) as caught:
        DocumentDB(SCHEMA, tmp_path)
    assert caught.value.path == segment and 0 < caught.value.offset < len(before) // 2 + 1
    assert f"write-ahead log {segment} is corrupt at byte {caught.value.offset}" in str(caught.value)
    assert len(segment.read_bytes()) == len(before), "nothing is cut"


def test_a_corrupt_log_record_with_a_replica_keeps_the_good_prefix_and_moves_the_file_aside(tmp_path):
    db = DocumentDB(SCHEMA, tmp_path)
    fed = feed(db, range(50))
    db._wal.close()
    segment = list_segments(tmp_path)[-1]
    flip_middle(segment)
    rebuilt = DocumentDB(SCHEMA, tmp_path, rebuild=True)
    assert rebuilt.rebuild_reason and str(segment) in rebuilt.rebuild_reason
    kept = contents(rebuilt)
    assert 0 < len(kept) < 50 and all(fed[d] == fields for d, fields in kept.items())
    assert list(tmp_path.glob(f"{segment.name}.corrupt-*"))
    rebuilt.put(doc_id(100), {"title": "new"})
    rebuilt._wal.close()
    again = DocumentDB(SCHEMA, tmp_path)  # what was kept was made durable again: a clean start
    assert contents(again) == kept | {doc_id(100): {"title": "new"}} and again.rebuild_reason is None
    again.close()


def test_no_intact_snapshot_and_no_full_log_refuses_or_starts_empty(tmp_path):
    db = DocumentDB(SCHEMA, tmp_path)
    feed(db, range(10))
    db.snapshot()
    feed(db, range(10, 12))
    db._wal.close()
    snapshot, = list_snapshots(tmp_path)
    snapshot.write_bytes(snapshot.read_bytes()[:40])
    with pytest.raises(StoreCorruption, match=f"snapshot {snapshot} is corrupt"):
        DocumentDB(SCHEMA, tmp_path)
    empty = DocumentDB(SCHEMA, tmp_path, rebuild=True)
    assert empty.doc_count == 0 and empty.rebuild_reason
    empty.close()


class FailingWrites:
    def __init__(self, error: int) -> None:
        self.error = error

    def __call__(self, fd, data):
        os.write(fd, bytes(data[:11]))  # part of the record reaches the file, then the disk fails
        raise OSError(self.error, os.strerror(self.error))


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EIO, errno.EROFS])
def test_a_failed_write_is_not_acknowledged_and_changes_nothing(tmp_path, error):
    db = DocumentDB(SCHEMA, tmp_path)
    fed = feed(db, range(5))
    sequence = db.last_sequence
    db._wal._write = FailingWrites(error)
    with pytest.raises(StorageError, match=os.strerror(error)) as caught:
        db.put(doc_id(5), {"title": "refused"})
    assert caught.value.code.http_status == 507
    with pytest.raises(StorageError):
        db.update(doc_id(1), {"title": {"assign": "refused"}})
    with pytest.raises(StorageError):
        db.remove(doc_id(2))
    assert contents(db) == fed and db.last_sequence == sequence
    assert db.write_error == os.strerror(error)
    del db._wal._write  # the disk works again: the next write is the probe
    fed |= feed(db, [6])
    assert db.write_error is None
    db._wal.close()
    assert contents(DocumentDB(SCHEMA, tmp_path)) == fed


def test_after_a_failed_fsync_the_node_refuses_writes_until_restart(tmp_path):
    db = DocumentDB(SCHEMA, tmp_path)
    feed(db, range(3))

    def failing_fsync(fd):
        raise OSError(errno.EIO, "Input/output error")

    db._wal._fsync = failing_fsync
    with pytest.raises(StorageError, match="fsync failed"):
        db.put(doc_id(3), {"title": "unknown fate"})
    del db._wal._fsync
    with pytest.raises(StorageError, match="until it restarts"):
        db.put(doc_id(4), {"title": "refused"})
    assert db.get(doc_id(0)) == {"title": "document 0", "n": 0}  # reads still work
    db.close()  # no snapshot of the unacknowledged write: the log decides on restart
    reopened = DocumentDB(SCHEMA, tmp_path)
    assert reopened.get(doc_id(4)) is None and reopened.write_error is None
    reopened.close()


def test_a_damaged_snapshot_line_that_parses_but_cannot_be_applied_is_damage_not_a_crash(tmp_path):
    schema = Schema("doc", "doc", {"n": Field("n", FieldType("int"), is_attribute=True)})
    db = DocumentDB(schema, tmp_path)
    db.put(doc_id(1), {"n": 1})
    db.snapshot()
    db.put(doc_id(2), {"n": 2})
    db.snapshot()
    db.close()
    newest = list_snapshots(tmp_path)[-1]
    newest.write_bytes(newest.read_bytes().replace(b'"n":2', b'"n":"x"'))  # valid JSON, not an int
    reopened = DocumentDB(schema, tmp_path)
    assert contents(reopened) == {doc_id(1): {"n": 1}, doc_id(2): {"n": 2}}
    reopened.close()
