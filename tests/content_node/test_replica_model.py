"""Model-based test of two replicas in process (real ContentNodes and their files): random puts,
updates (create or not) and removes with the container's one timestamp each, sent to both nodes
or, while one is down, to the other alone; the node that was down comes back (a graceful restart,
a crash, or a crash at a step of a snapshot, snapshots every few writes) and catches up from its
replica before the next outage, as the container orders it; merges run now and then. After every
catch-up and at the end, both nodes hold exactly the acknowledged writes: none lost, no removed
document back, on either side."""
from __future__ import annotations

import json
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from content_node.catch_up import list_documents, read_stamped
from content_node.node import ContentNode
from content_node.replica_merge import bucket_checksums, merge_with
from content_node.store import segments
from searchlib.timestamps import timestamp_of
from tests.content_node.test_catch_up import InProcessPeer
from tests.content_node.test_replica_merge import InProcessMergePeer

APP = Path(__file__).resolve().parents[2] / "schemas"
DOCUMENTS = 6
STEPS = ["segment-write", "segment-rename", "manifest-write", "manifest-rename", "retain-snapshots", "log-trim"]


class MergePeer(InProcessMergePeer):
    def bucket_checksums(self):  # now, not the fixed future of test_replica_merge (it prunes every tombstone)
        return bucket_checksums(self._node, time.time())


class SimulatedCrash(BaseException):
    """The process dies here: no cleanup handler runs (they catch Exception only)."""


def document_id(n: int) -> str:
    return f"id:test:doc::r{n}"


write = st.tuples(st.sampled_from(["put", "update", "update-create", "remove"]), st.integers(0, DOCUMENTS - 1))
outage = st.tuples(st.sampled_from([0, 1]), st.lists(write, max_size=8),
                   st.sampled_from(["restart", "crash", "crash-in-snapshot"]), st.sampled_from(STEPS),
                   st.booleans())  # a merge after the catch-up
phase = st.tuples(st.lists(write, max_size=6), st.one_of(st.none(), outage))


class Replicas:
    def __init__(self, root: Path, monkeypatch) -> None:
        self.root, self.monkeypatch = root, monkeypatch
        self.model: dict[str, dict | None] = {}
        self.clock = timestamp_of(time.time())
        self.nodes = [self.open(0), self.open(1)]
        for node in self.nodes:
            node.sync.start([], wait=True)

    def open(self, index: int) -> ContentNode:
        return ContentNode(APP, self.root / f"node{index}", 2 * index)

    def write(self, kind: str, n: int, to: list[int]) -> None:
        self.clock += 1
        identifier, text = document_id(n), f"{kind} {self.clock}"
        current = self.model.get(identifier)
        found = []
        for index in to:
            node = self.nodes[index]
            if kind == "put":
                node.put(identifier, json.dumps({"title": text, "text": text}), timestamp=self.clock)
            elif kind == "remove":
                node.remove(identifier, timestamp=self.clock)
            else:
                found.append(node.update(identifier, json.dumps({"title": {"assign": text}}),
                                         create=kind == "update-create", timestamp=self.clock))
        if kind == "put":
            self.model[identifier] = {"title": text, "text": text}
        elif kind == "remove":
            self.model[identifier] = None
        elif current is not None or kind == "update-create":
            self.model[identifier] = {**(current or {}), "title": text}
        if kind.startswith("update") and to == [0, 1]:
            assert found[0] == found[1], "replicas holding the same writes agree on an update"

    def bring_back(self, index: int, how: str, step: str, merge: bool) -> None:
        node = self.nodes[index]
        if how == "restart":
            node.close()
        else:
            if how == "crash-in-snapshot":
                self.crash_in_snapshot(node, step)
            die(node)
        self.nodes[index] = node = self.open(index)
        other = self.nodes[1 - index]
        node.sync.set_dialer(lambda address: InProcessPeer(other))
        assert node.sync.start(["in-process"], wait=True) and node.sync.ready
        self.check()
        if merge:  # (it may copy tombstones of documents neither holds: catch-up lists documents only)
            merge_with(node, MergePeer(other), time.time())
            self.check()

    def crash_in_snapshot(self, node: ContentNode, step: str) -> None:
        def crash(name: str) -> None:
            if name == step:
                raise SimulatedCrash(name)
        self.monkeypatch.setattr(segments, "crash_point", crash)
        try:
            for db in node.databases.values():
                db.wait_for_snapshot()
                db.snapshot()
        except SimulatedCrash:
            pass
        finally:
            self.monkeypatch.setattr(segments, "crash_point", lambda name: None)

    def check(self) -> None:
        for index, node in enumerate(self.nodes):
            for identifier, expected in self.model.items():
                stored = node.get(identifier)
                held = None if stored is None else {k: stored[k] for k in ("title", "text") if k in stored}
                assert held == expected, f"node {index}: {identifier} is {held}, acknowledged {expected}"
        held = [dict(list_documents(node)) for node in self.nodes]
        assert held[0] == held[1]
        for identifier in self.model:  # (origins may differ: an update on a tombstone only one holds)
            assert read_stamped(self.nodes[0], identifier)[1] == read_stamped(self.nodes[1], identifier)[1] or \
                self.model[identifier] is None, f"{identifier}: replicas hold different versions"


def die(node: ContentNode) -> None:
    """The process is killed: what reached the files stays, nothing more is written."""
    node._trimmer.stop()
    for db in node.databases.values():
        db.wait_for_snapshot()
        db._flusher.stop()
        db._wal.close()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.lists(phase, min_size=1, max_size=6))
def test_replicas_hold_every_acknowledged_write_through_outages_restarts_and_catch_ups(
        tmp_path_factory, monkeypatch, phases):
    monkeypatch.setenv("PHASEDSEARCH_SNAPSHOT_INTERVAL", "5")
    replicas = Replicas(tmp_path_factory.mktemp("replicas"), monkeypatch)
    try:
        for writes, down in phases:
            for kind, n in writes:
                replicas.write(kind, n, [0, 1])
            if down is not None:
                index, missed, how, step, merge = down
                for kind, n in missed:
                    replicas.write(kind, n, [1 - index])
                replicas.bring_back(index, how, step, merge)
        replicas.check()
    finally:
        for node in replicas.nodes:
            node.close()
