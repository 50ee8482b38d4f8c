"""Model-based durability test of one DocumentDB: random puts, updates (create or not) and removes
with container-style timestamps, some old enough that their tombstones are pruned, interleaved
with snapshots (incremental, merged down to two segment files, index images after a few changes),
graceful restarts, crashes (the process dies: nothing at close) and crashes at a random step of a
snapshot, its image or the log trim. After every restart the database holds exactly the model:
every acknowledged write, no removed document (by get, by count and by a query matching every
document), and a tombstone for each remove not yet pruned."""
from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from content_node import matcher
from content_node.document_db import DocumentDB
from content_node.ranking.rank_program import RankProgram
from content_node.store import index_image, segments
from content_node.store.timestamps import DocumentTimestamps
from searchlib.docid import global_id
from searchlib.query import tree as q
from searchlib.schema.application import application_from_text
from searchlib.timestamps import timestamp_of

SD = """
schema doc {
    document doc {
        field title type string { indexing: index | summary }
        field year type int { indexing: attribute | summary }
    }
    rank-profile plain { first-phase { expression: attribute(year) } }
}
"""
SCHEMA = application_from_text(SD, name="doc.sd").schemas["doc"]
PROGRAM = RankProgram(SCHEMA, SCHEMA.rank_profiles["plain"], ())
DOCUMENTS = 12
MAX_AGE = 3600.0  # tombstones older than an hour are pruned
STEPS = [f"{kind}-{step}" for kind in ("segment", "manifest", "image") for step in ("write", "fsync", "rename")] + [
    "segments-directory-fsync", "manifest-directory-fsync", "image-directory-fsync", "retain-snapshots",
    "retain-segments", "log-trim"]


class SimulatedCrash(BaseException):
    """The process dies here: no cleanup handler runs (they catch Exception only)."""


def document_id(n: int) -> str:
    return f"id:ns:doc::{n}"


operation = st.one_of(
    st.tuples(st.just("put"), st.integers(0, DOCUMENTS - 1), st.integers(0, 99)),
    st.tuples(st.just("update"), st.integers(0, DOCUMENTS - 1), st.booleans()),
    st.tuples(st.just("remove"), st.integers(0, DOCUMENTS - 1), st.booleans()),  # True: an old remove
    st.tuples(st.just("snapshot")),
    st.tuples(st.just("restart")),
    st.tuples(st.just("crash")),
    st.tuples(st.just("crash-in-snapshot"), st.sampled_from(STEPS), st.integers(1, 2)),
)


class Run:
    def __init__(self, directory: Path, monkeypatch) -> None:
        self.directory, self.monkeypatch = directory, monkeypatch
        self.model: dict[str, dict] = {}
        self.removed_at: set[str] = set()  # tombstones that must be held (not old enough to prune)
        self.clock = timestamp_of(time.time())
        self.db = self.open()

    def open(self) -> DocumentDB:
        return DocumentDB(SCHEMA, self.directory, snapshot_interval=7,
                          timestamps=DocumentTimestamps(max_age=MAX_AGE))

    def tick(self, old: bool = False) -> int:
        """A timestamp: now, or (old) one past the prune age (a remove a replica missed for long)."""
        self.clock += 1
        return self.clock - (timestamp_of(2 * MAX_AGE) if old else 0)

    def apply(self, op: tuple) -> None:
        kind = op[0]
        if kind == "put":
            fields = {"title": f"k9 word{op[2] % 5} doc{op[1]}", "year": op[2]}
            self.db.put(document_id(op[1]), fields, timestamp=self.tick())
            self.model[document_id(op[1])] = fields
            self.removed_at.discard(document_id(op[1]))
        elif kind == "update":
            found = self.db.update(document_id(op[1]), {"year": {"increment": 1}, "title": {"assign": "k9 updated"}},
                                   create=op[2], timestamp=self.tick())
            exists = document_id(op[1]) in self.model
            assert found == (exists or op[2])
            if found:
                year = self.model.get(document_id(op[1]), {}).get("year", 0) + 1
                self.model[document_id(op[1])] = {"title": "k9 updated", "year": year}
                self.removed_at.discard(document_id(op[1]))
        elif kind == "remove":
            self.db.remove(document_id(op[1]), timestamp=self.tick(old=op[2]))
            self.model.pop(document_id(op[1]), None)
            if not op[2]:
                self.removed_at.add(document_id(op[1]))
            else:
                self.removed_at.discard(document_id(op[1]))
        elif kind == "snapshot":
            self.db.wait_for_snapshot()
            self.db.snapshot()
        elif kind == "restart":
            self.db.close()
            self.db = self.open()
            self.check()
        elif kind == "crash":
            self.die()
            self.db = self.open()
            self.check()
        else:
            self.db.wait_for_snapshot()
            seen = {"count": 0}

            def crash(name: str) -> None:
                if name == op[1]:
                    seen["count"] += 1
                    if seen["count"] == op[2]:
                        raise SimulatedCrash(name)
            self.monkeypatch.setattr(segments, "crash_point", crash)
            self.monkeypatch.setattr(index_image, "crash_point", crash)
            try:
                self.db.snapshot()
            except SimulatedCrash:
                pass
            finally:
                self.monkeypatch.setattr(segments, "crash_point", lambda name: None)
                self.monkeypatch.setattr(index_image, "crash_point", lambda name: None)
            self.die()
            self.db = self.open()
            self.check()

    def die(self) -> None:
        """The process is killed: what reached the files stays, nothing more is written."""
        self.db.wait_for_snapshot()
        self.db._flusher.stop()
        self.db._wal.close()

    def check(self) -> None:
        db = self.db
        for n in range(DOCUMENTS):
            stored = db.get(document_id(n))
            expected = self.model.get(document_id(n))
            assert (stored and {k: stored.get(k) for k in ("title", "year")}) == expected, document_id(n)
        assert db.doc_count == len(self.model)
        outcome = matcher.search(db, PROGRAM, matcher.SearchParams(query=q.Term("title", "k9"), hits=100))
        matched = sorted(db.document_id(db.local_id(hit.global_id)) for hit in outcome.hits)
        assert matched == sorted(self.model) and outcome.total_hits == len(self.model)
        for removed in self.removed_at:
            stamp = db.timestamps.get(global_id(removed))
            assert stamp is not None and stamp.removed, f"the tombstone of {removed} is gone"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(operation, min_size=5, max_size=60))
def test_every_acknowledged_write_survives_restarts_crashes_and_snapshots(tmp_path_factory, monkeypatch, ops):
    monkeypatch.setattr(segments, "MAX_SEGMENTS", 2)  # merges at most snapshots
    monkeypatch.setattr(index_image, "DUE_MINIMUM", 3)  # images after a few changes
    run = Run(tmp_path_factory.mktemp("db"), monkeypatch)
    try:
        for op in ops:
            run.apply(op)
        run.die()
        run.db = run.open()
        run.check()
    finally:
        run.db.close()
