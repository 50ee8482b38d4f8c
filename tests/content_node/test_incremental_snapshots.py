"""Incremental snapshots (store/segments.py, store/snapshots.py): a snapshot writes only what changed,
a crash at any step of writing one loses no acknowledged write and no timestamp or tombstone (they
are in the same records), and data directories written by older formats (the one-file snapshots of
main before segments; format-3 manifests with whole-file timestamp sidecars) still load and
upgrade in place."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from content_node.document_db import DocumentDB
from content_node.store import segments
from content_node.store.segments import read_manifest
from content_node.store.snapshots import list_snapshots
from content_node.store.wal import list_segments
from searchlib.docid import global_id
from searchlib.schema.model import Field, FieldType, HnswParams, Schema
from searchlib.timestamps import timestamp_of

DIM = 8
SCHEMA = Schema("doc", "doc", {
    "title": Field("title", FieldType("string"), is_index=True, is_summary=True),
    "year": Field("year", FieldType("int"), is_attribute=True),
    "vec": Field("vec", FieldType("tensor", tensor_type=f"tensor<float>(x[{DIM}])"), is_attribute=True,
                 is_index=True, distance_metric="euclidean", hnsw=HnswParams(16, 200)),
})
LEGACY = Path(__file__).parent / "data" / "legacy_format2"
FORMAT3 = Path(__file__).parent / "data" / "format3_sidecar"
STEPS = ["segment-write", "segment-fsync", "segment-rename", "segments-directory-fsync", "manifest-write",
         "manifest-fsync", "manifest-rename", "manifest-directory-fsync", "retain-snapshots",
         "retain-segments", "log-trim"]


class SimulatedCrash(BaseException):
    """The process dies here: no cleanup handler runs (they catch Exception only)."""


def doc_id(n: int) -> str:
    return f"id:ns:doc::{n}"


def vector(n: int, step: int) -> list[float]:
    return np.random.default_rng([n, step]).normal(size=DIM).astype(np.float32).tolist()


class Workload:
    """Writes of every kind, with the state every acknowledged write should leave."""

    def __init__(self) -> None:
        self.expected: dict[str, dict] = {}
        self.stamps: dict[str, tuple[int, bool]] = {}  # document id → (timestamp, removed)
        self.step = 0
        self.clock = timestamp_of(time.time())

    def timestamp(self, document_id: str, removed: bool = False) -> int:
        self.clock += 1
        self.stamps[document_id] = (self.clock, removed)
        return self.clock

    def put(self, db: DocumentDB, n: int) -> None:
        fields = {"title": f"document {n} step {self.step}", "year": n + self.step, "vec": {"values": vector(n, self.step)}}
        db.put(doc_id(n), fields, timestamp=self.timestamp(doc_id(n)))
        self.expected[doc_id(n)] = fields

    def round(self, db: DocumentDB, new: range) -> None:
        """New documents, a rewrite, a partial update and a remove of older ones, and a tombstone
        of a document never held (a remove that reached this replica before its put)."""
        self.step += 1
        for n in new:
            self.put(db, n)
        older = sorted(self.expected)[: 3]
        if older:
            self.put(db, int(older[0].rsplit(":", 1)[1]))
            assert db.update(older[1], {"year": {"assign": 1234}}, timestamp=self.timestamp(older[1]))
            self.expected[older[1]] = {**self.expected[older[1]], "year": 1234}
            assert db.remove(older[2], timestamp=self.timestamp(older[2], removed=True))
            del self.expected[older[2]]
        never = f"id:ns:doc::never-{self.step}"
        assert not db.remove(never, timestamp=self.timestamp(never, removed=True))

    def check(self, db: DocumentDB) -> None:
        assert db.doc_count == len(self.expected)
        for document_id, fields in self.expected.items():
            assert db.get(document_id) == fields, document_id
        stamps = {s.document_id: (s.timestamp, s.removed) for s in db.timestamps.stamps()}
        assert stamps == self.stamps, "every timestamp and tombstone as acknowledged"
        index = db.vector_index("vec")
        assert index.document_count == len(self.expected)
        for document_id, fields in list(self.expected.items())[:10]:  # the graph finds each document's own vector
            hits = index.approximate(np.asarray(fields["vec"]["values"], dtype=np.float32), 1, 20, None)
            assert [db.document_id(int(i)) for i in hits.local_ids] == [document_id]


def crash_at(monkeypatch, step: str, occurrence: int, error: BaseException) -> list[str]:
    seen: list[str] = []

    def hook(name: str) -> None:
        seen.append(name)
        if name == step and seen.count(name) == occurrence:
            raise error
    monkeypatch.setattr(segments, "crash_point", hook)
    return seen


def test_a_snapshot_writes_only_the_documents_changed_since_the_previous_one(tmp_path):
    work = Workload()
    db = DocumentDB(SCHEMA, tmp_path)
    work.round(db, range(200))
    first = read_manifest(db.snapshot())
    assert [s.entries for s in first.segments] == [200 - 1 + 2]  # one removed: its tombstone, and the other
    work.round(db, range(200, 205))
    second = read_manifest(db.snapshot())
    assert second.segments[:1] == first.segments, "the first segment is not rewritten"
    assert second.segments[1].entries == 5 + 4  # the new documents, the rewrite, the update, the removes
    assert second.segments[1].bytes < first.segments[0].bytes / 10
    db._wal.close()
    reopened = DocumentDB(SCHEMA, tmp_path)
    work.check(reopened)
    reopened.close()


def test_superseded_records_are_compacted_and_the_segment_count_stays_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(segments, "MAX_SEGMENTS", 4)
    work = Workload()
    db = DocumentDB(SCHEMA, tmp_path)
    for step in range(30):
        work.round(db, range(step * 3, step * 3 + 3))
        for n in range(0, step * 3, 7):  # rewrites: garbage in older segments
            if doc_id(n) in work.expected:
                work.put(db, n)
        manifest = read_manifest(db.snapshot())
        assert len(manifest.segments) <= 4
        held = db.doc_count + db.timestamps.tombstone_count
        assert manifest.entries <= 2 * held + 3 * 8, "garbage never outgrows the live documents and tombstones"
    referenced = {s.name for p in list_snapshots(tmp_path) for s in read_manifest(p).segments}
    assert {p.name for p in segments.list_segment_files(tmp_path)} == referenced, "unreferenced segments are deleted"
    db._wal.close()
    reopened = DocumentDB(SCHEMA, tmp_path)
    work.check(reopened)
    reopened.close()


def _crash_cases() -> list[tuple[str, int]]:
    return [(step, 1) for step in STEPS] + [(step, 2) for step in STEPS[:3]]  # 2nd: the merge's segment


@pytest.mark.parametrize("step, occurrence", _crash_cases())
def test_a_crash_at_any_step_of_a_snapshot_loses_no_acknowledged_write(tmp_path, monkeypatch, step, occurrence):
    monkeypatch.setattr(segments, "MAX_SEGMENTS", 2)  # the third snapshot merges two segments
    work = Workload()
    db = DocumentDB(SCHEMA, tmp_path)
    work.round(db, range(40))
    db.snapshot()
    work.round(db, range(40, 50))
    db.snapshot()
    work.round(db, range(50, 60))
    seen = crash_at(monkeypatch, step, occurrence, SimulatedCrash())
    with pytest.raises(SimulatedCrash):
        db.snapshot()
    assert seen[-1] == step
    db._wal.close()  # the process is gone: what is on disk is what the crash left
    monkeypatch.setattr(segments, "crash_point", lambda name: None)
    reopened = DocumentDB(SCHEMA, tmp_path)
    work.check(reopened)
    work.round(reopened, range(60, 65))  # and it goes on: snapshots, a crash, recovery
    reopened.snapshot()
    work.round(reopened, range(65, 70))
    reopened._wal.close()
    again = DocumentDB(SCHEMA, tmp_path)
    work.check(again)
    again.close()


@pytest.mark.parametrize("step", STEPS[:8])
def test_a_snapshot_that_fails_midway_is_followed_by_a_full_one(tmp_path, monkeypatch, step):
    """A disk error at any step before the manifest is durable: the changes it took must not be
    forgotten by the next (incremental) snapshot, whose log trim would otherwise lose them."""
    work = Workload()
    db = DocumentDB(SCHEMA, tmp_path)
    work.round(db, range(30))
    db.snapshot()
    work.round(db, range(30, 40))
    crash_at(monkeypatch, step, 1, OSError(28, "No space left on device"))
    with pytest.raises(OSError):
        db.snapshot()
    monkeypatch.setattr(segments, "crash_point", lambda name: None)
    work.round(db, range(40, 45))
    db.snapshot()
    work.round(db, range(45, 50))
    db.snapshot()  # the log of the failed snapshot's writes is trimmed now
    db._wal.close()
    reopened = DocumentDB(SCHEMA, tmp_path)
    work.check(reopened)
    reopened.close()


@pytest.mark.parametrize("damage", ["flip", "truncate", "missing"])
def test_a_damaged_newest_segment_falls_back_to_the_previous_manifest_and_the_log(tmp_path, damage):
    work = Workload()
    db = DocumentDB(SCHEMA, tmp_path)
    work.round(db, range(30))
    db.snapshot()
    work.round(db, range(30, 40))
    newest = read_manifest(db.snapshot())
    work.round(db, range(40, 45))
    db._wal.close()
    segment = tmp_path / newest.segments[-1].name
    data = bytearray(segment.read_bytes())
    data[len(data) // 2] ^= 0x10
    if damage == "missing":
        segment.unlink()
    else:
        segment.write_bytes(bytes(data) if damage == "flip" else bytes(data[:-50]))
    reopened = DocumentDB(SCHEMA, tmp_path)
    work.check(reopened)
    assert list(tmp_path.glob(f"{newest.path.name}.corrupt-*")), "the manifest naming it is moved aside"
    reopened.close()


def _legacy_copy(tmp_path: Path, source: Path = LEGACY) -> tuple[Path, dict]:
    directory = tmp_path / "data"
    shutil.copytree(source, directory)
    expected = json.loads((source.parent / f"{source.name}.expected.json").read_text())
    return directory, expected


def stamps_of(db: DocumentDB) -> list[list]:
    return sorted([s.document_id, s.timestamp, s.removed] for s in db.timestamps.stamps())


def test_a_data_directory_of_the_one_file_format_loads_and_upgrades_in_place(tmp_path):
    directory, expected = _legacy_copy(tmp_path)  # main at 373a365: two snapshots, a log after them
    db = DocumentDB(SCHEMA, directory)
    assert db.doc_count == len(expected) == 59
    assert {d: db.get(d) for d in expected} == expected
    # written before timestamps existed: every document at 0, older than any new write; the
    # log's removes without a timestamp leave tombstones at 0, which the next prune drops
    assert {(s.document_id, s.timestamp) for s in db.timestamps.stamps() if not s.removed} == {(d, 0) for d in expected}
    assert db.timestamps.prune(time.time()) == 1 and db.timestamps.tombstone_count == 0
    assert db.vector_indexes_restored  # its saved graph is used too
    db.put(doc_id(100), {"title": "after the upgrade", "year": 1, "vec": {"values": [0.25] * DIM}})
    expected[doc_id(100)] = db.get(doc_id(100))
    first = db.snapshot()
    assert first.name.startswith("manifest-") and read_manifest(first).entries == 60  # the first is full
    db.put(doc_id(101), {"title": "in the log only", "year": 2, "vec": {"values": [0.5] * DIM}})
    expected[doc_id(101)] = db.get(doc_id(101))
    db.snapshot()
    db.remove(doc_id(0))
    del expected[doc_id(0)]
    db._wal.close()  # a crash after the upgrade
    assert not list(directory.glob("snapshot-*.jsonl")), "the old files go once two manifests exist"
    reopened = DocumentDB(SCHEMA, directory)
    assert {d: reopened.get(d) for d in expected} == expected and reopened.doc_count == len(expected)
    assert reopened.timestamps.timestamp(global_id(doc_id(1))) == 0  # kept through the upgrade
    reopened.close()


def test_a_data_directory_with_timestamp_sidecars_loads_and_moves_them_into_the_segments(tmp_path):
    directory, expected = _legacy_copy(tmp_path, FORMAT3)  # main at b023d37: format-3 manifests, sidecars
    db = DocumentDB(SCHEMA, directory)
    assert {d: db.get(d) for d in expected["documents"]} == expected["documents"]
    assert db.doc_count == len(expected["documents"])
    assert stamps_of(db) == expected["stamps"], "the sidecar's entries, then the log's"
    assert [doc_id(3), 1900000000000100, True] in expected["stamps"]  # tombstones in the fixture
    assert ["id:ns:doc::never-here", 1900000000000101, True] in expected["stamps"]
    first = db.snapshot()
    manifest = read_manifest(first)
    assert manifest.format == segments.FORMAT_VERSION and len(manifest.segments) == 1, "the first is full"
    assert manifest.entries == len(expected["stamps"])  # every document and every tombstone
    assert len(list(directory.glob("timestamps-*"))) == 1, "the fallback (format 3) keeps its sidecar"
    db.put(doc_id(70), {"title": "after the upgrade", "year": 1, "vec": {"values": [0.25] * DIM}}, timestamp=1)
    db.snapshot()
    assert not list(directory.glob("timestamps-*")), "no sidecar once no format-3 snapshot is kept"
    db.remove(doc_id(7), timestamp=1900000000000200)
    db._wal.close()  # a crash
    reopened = DocumentDB(SCHEMA, directory)
    stamps = [[doc_id(7), 1900000000000200, True] if s[0] == doc_id(7) else s for s in expected["stamps"]]
    assert stamps_of(reopened) == sorted(stamps + [[doc_id(70), 1, False]])
    reopened.close()


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_during_the_first_snapshot_after_a_sidecar_upgrade_keeps_every_timestamp(tmp_path, monkeypatch, step):
    directory, expected = _legacy_copy(tmp_path, FORMAT3)
    db = DocumentDB(SCHEMA, directory)
    crash_at(monkeypatch, step, 1, SimulatedCrash())
    with pytest.raises(SimulatedCrash):
        db.snapshot()
    db._wal.close()
    monkeypatch.setattr(segments, "crash_point", lambda name: None)
    reopened = DocumentDB(SCHEMA, directory)
    assert stamps_of(reopened) == expected["stamps"]
    assert {d: reopened.get(d) for d in expected["documents"]} == expected["documents"]
    reopened.close()


def test_a_crash_during_the_first_snapshot_after_the_upgrade_keeps_the_old_files_usable(tmp_path, monkeypatch):
    directory, expected = _legacy_copy(tmp_path)
    db = DocumentDB(SCHEMA, directory)
    crash_at(monkeypatch, "manifest-fsync", 1, SimulatedCrash())
    with pytest.raises(SimulatedCrash):
        db.snapshot()
    db._wal.close()
    monkeypatch.setattr(segments, "crash_point", lambda name: None)
    assert len(list(directory.glob("snapshot-*.jsonl"))) == 2 and list_segments(directory)
    reopened = DocumentDB(SCHEMA, directory)
    assert {d: reopened.get(d) for d in expected} == expected
    reopened.close()


def test_the_graph_is_saved_once_a_tenth_changed_and_a_stale_one_is_reconciled_at_startup(tmp_path):
    work = Workload()
    db = DocumentDB(SCHEMA, tmp_path)
    work.round(db, range(200))
    db.snapshot()
    saved = sorted(p.name for p in (tmp_path / "hnsw").iterdir())
    with np.load(next((tmp_path / "hnsw").glob("vec.*.npz"))) as table:
        assert "vectors" not in table, "the slot table holds no vectors: the attribute does"
    work.round(db, range(200, 205))  # 8 writes: fewer than a tenth of the vectors
    db.snapshot()
    assert sorted(p.name for p in (tmp_path / "hnsw").iterdir()) == saved, "the graph is not rewritten"
    db._wal.close()  # a crash: the graph is older than the documents
    reopened = DocumentDB(SCHEMA, tmp_path)
    assert reopened.vector_indexes_restored
    work.check(reopened)  # the rewritten vector is found at its new place, the removed one is gone
    for document_id, fields in list(work.expected.items())[-8:]:
        hits = reopened.vector_index("vec").approximate(np.asarray(fields["vec"]["values"], dtype=np.float32), 1, 20, None)
        assert [reopened.document_id(int(i)) for i in hits.local_ids] == [document_id]
    reopened.close()  # a graceful stop saves the graph whatever changed
    assert sorted(p.name for p in (tmp_path / "hnsw").iterdir()) != saved
