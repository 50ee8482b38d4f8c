"""The content node's own guard against writes that read a stale copy (ReplicaSync.refusal): a node
with replicas refuses partial updates, test-and-set conditions and probes until a catch-up since it
started finished from every replica, whatever the container believes; plain puts, removes and
reads go on. A node without replicas never refuses. The refusal crosses the wire as its own flag,
and the container's client raises it as an owner that did not take the write (UnsyncedOwner)."""
from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest

from container.dispatch.content_client import NodeAddress, UnsyncedOwner
from container.dispatch.local_client import LocalContentNodeClient
from content_node.catch_up import AWAITING_SYNC, CATCHING_UP, READY, list_documents, read_stamped
from content_node.node import ContentNode
from content_node.replica_merge import MergeReport, ReplicaMerger
from content_node.service import ContentNodeService
from searchlib.errors import UnsyncedReplicaError
from tests.content_node.test_replica_merge import InProcessMergePeer

APP = Path(__file__).resolve().parents[2] / "schemas"
ID = "id:test:doc::x"
ASSIGN = json.dumps({"text": {"assign": "updated"}})


def fields(text: str) -> str:
    return json.dumps({"title": text, "text": text})


class Peer:
    """A replica in process; `fail` makes its listing fail (it died during the catch-up)."""

    def __init__(self, node: ContentNode, address: str = "replica:1", fail: bool = False,
                 listed: threading.Event | None = None) -> None:
        self.address, self._node, self._fail, self._listed = address, node, fail, listed

    def identity(self) -> tuple[str, int]:
        return self._node.generation, self._node.distribution_key

    def list_documents(self) -> dict[str, int]:
        if self._fail:
            raise ConnectionError("the replica died")
        if self._listed is not None:
            assert self._listed.wait(30)  # the test writes meanwhile
        return dict(list_documents(self._node))

    def fetch(self, document_ids):
        return [(d, *read_stamped(self._node, d)) for d in document_ids]

    def close(self) -> None:
        pass


@pytest.fixture
def nodes(tmp_path):
    """A replica holding the newest version (timestamp 20) and a restarted node holding an older one."""
    replica = ContentNode(APP, tmp_path / "replica", 1, groups=2)
    replica.sync.start([], wait=True, sole_copy=True)  # (no replica known: it is ready at once)
    restarted = ContentNode(APP, tmp_path / "restarted", 0, groups=2)
    restarted.put(ID, fields("old"), timestamp=10)  # then it went down and missed the put at 20
    replica.put(ID, fields("old"), timestamp=10)
    replica.put(ID, fields("acknowledged"), timestamp=20)
    yield replica, restarted
    replica.close()
    restarted.close()


def refused_reads_for_write(node: ContentNode) -> list[str]:
    attempts = {
        "update": lambda: node.update(ID, ASSIGN, False, timestamp=30),
        "update create": lambda: node.update(ID, ASSIGN, True, timestamp=30),
        "conditional put": lambda: node.put(ID, fields("c"), condition="doc.title", timestamp=30),
        "conditional remove": lambda: node.remove(ID, condition="doc.title", timestamp=30),
        "probe": lambda: node.probe(ID, "doc.title", False),
    }
    refused = []
    for name, attempt in attempts.items():
        try:
            attempt()
        except UnsyncedReplicaError:
            refused.append(name)
    return refused


ALL = ["update", "update create", "conditional put", "conditional remove", "probe"]


def test_a_restarted_node_refuses_reads_for_write_until_it_caught_up(nodes):
    replica, restarted = nodes
    assert restarted.sync.state == AWAITING_SYNC
    assert refused_reads_for_write(restarted) == ALL
    assert restarted.get(ID)["text"] == "old"  # nothing applied on the stale copy; reads go on
    restarted.sync.set_dialer(lambda address: Peer(replica, address))
    assert restarted.sync.start(["replica:1"], wait=True) and restarted.sync.state == READY
    assert restarted.update(ID, ASSIGN, False, timestamp=30)
    assert restarted.get(ID) == {"title": "acknowledged", "text": "updated"}  # on the newest base


def test_plain_puts_and_removes_are_never_refused(nodes):
    _, restarted = nodes
    restarted.put("id:test:doc::y", fields("new"), timestamp=30)
    assert restarted.remove("id:test:doc::y", timestamp=31) is True
    assert restarted.get("id:test:doc::y") is None


def test_caught_up_from_nobody_it_still_refuses_and_reports_its_unreachable_replicas(nodes):
    """Every replica down when it restarted: serving as is is allowed, building on that copy is
    not, and the replicas it lacks are in its ping (`unsynced_from`), for a container started since."""
    replica, restarted = nodes
    assert restarted.sync.start([], wait=True, unreachable=["replica:1"])
    assert restarted.sync.state == READY and restarted.sync.unsynced_from == "replica:1"
    assert refused_reads_for_write(restarted) == ALL
    restarted.sync.set_dialer(lambda address: Peer(replica, address))
    assert restarted.sync.start(["replica:1"], wait=True, resync=True)
    assert restarted.sync.unsynced_from == "" and refused_reads_for_write(restarted) == []


def refused_while_catching_up(node: ContentNode, replica: ContentNode, resync: bool) -> list[str]:
    """What `node` refuses while its catch-up from `replica` has listed the replica's documents."""
    listing, listed = threading.Event(), threading.Event()

    class Blocked(Peer):
        def list_documents(self):
            listing.set()
            return super().list_documents()

    node.sync.set_dialer(lambda address: Blocked(replica, address, listed=listed))
    assert node.sync.start(["replica:1"], resync=resync)
    try:
        assert listing.wait(30) and node.sync.state == "catching-up"
        return refused_reads_for_write(node)
    finally:
        listed.set()
        node.sync._thread.join(30)
        assert node.sync.state == READY


@pytest.mark.parametrize("resync", [False, True], ids=["first catch-up", "resync"])
def test_every_catch_up_refuses_reads_for_write_until_it_is_over(nodes, monkeypatch, resync):
    """The first catch-up since it started and any later one (a resync: it missed a write): the
    listing may predate a write only the replica took, which it would then never fetch."""
    replica, restarted = nodes
    monkeypatch.setattr("content_node.catch_up.SETTLE_SECONDS", 0.0)
    if resync:
        restarted.sync.set_dialer(lambda address: Peer(replica, address))
        assert restarted.sync.start(["replica:1"], wait=True) and refused_reads_for_write(restarted) == []
    assert refused_while_catching_up(restarted, replica, resync) == ALL
    assert refused_reads_for_write(restarted) == []


def test_an_empty_order_without_sole_copy_serves_but_keeps_refusing(nodes):
    """A container older than `unreachable`/`sole_copy` sends an empty order when no replica answers:
    that is no proof the node is the only copy."""
    replica, restarted = nodes
    assert restarted.sync.start([], wait=True) and restarted.sync.state == READY
    assert refused_reads_for_write(restarted) == ALL
    assert not restarted.sync.start([], sole_copy=True)  # already ready: recorded, not started again
    assert refused_reads_for_write(restarted) == []  # an operator declared its replicas lost


def test_a_ready_node_told_its_replicas_are_unreachable_records_them_and_refuses(nodes):
    """The container's resync order when no replica answers (it missed a write meanwhile)."""
    replica, restarted = nodes
    restarted.sync.set_dialer(lambda address: Peer(replica, address))
    assert restarted.sync.start(["replica:1"], wait=True) and refused_reads_for_write(restarted) == []
    assert not restarted.sync.start([], resync=True, unreachable=["replica:1"])
    assert restarted.sync.unsynced_from == "replica:1" and refused_reads_for_write(restarted) == ALL


def test_a_completed_merge_with_the_unsynced_replica_ends_the_refusal(nodes):
    """Else a node whose catch-up failed from a replica the container then merged it with (which
    clears only the container's record) would refuse for good: nothing orders another catch-up."""
    replica, restarted = nodes
    restarted.sync.set_dialer(lambda address: Peer(replica, address, fail=True))
    assert restarted.sync.start(["replica:1"], wait=True) and restarted.sync.unsynced_from == "replica:1"
    restarted.sync.merged_with("replica:2")  # another replica: nothing changes
    assert refused_reads_for_write(restarted) == ALL
    restarted.sync.set_dialer(lambda address: InProcessMergePeer(replica))
    assert ReplicaMerger(restarted).merge(["replica:1"])[1] == ""
    assert restarted.sync.unsynced_from == "" and refused_reads_for_write(restarted) == []
    assert restarted.get(ID)["title"] == "acknowledged"  # the merge brought what the replica held


class RecordedDuringMerge(InProcessMergePeer):
    """The node is told the replica is unreachable again (it missed a write from it) once the merge
    has compared checksums."""

    def __init__(self, replica: ContentNode, restarted: ContentNode) -> None:
        super().__init__(replica)
        self._restarted = restarted

    def bucket_checksums(self):
        checksums = super().bucket_checksums()
        self._restarted.sync.start([], resync=True, unreachable=["replica:1"])
        return checksums


def test_a_merge_clears_only_what_was_recorded_before_it_compared_and_only_when_it_settled(nodes, monkeypatch):
    replica, restarted = nodes
    restarted.sync.set_dialer(lambda address: Peer(replica, address, fail=True))
    assert restarted.sync.start(["replica:1"], wait=True) and restarted.sync.unsynced_from == "replica:1"
    restarted.sync.set_dialer(lambda address: RecordedDuringMerge(replica, restarted))
    assert ReplicaMerger(restarted).merge(["replica:1"])[1] == ""
    assert restarted.sync.unsynced_from == "replica:1" and refused_reads_for_write(restarted) == ALL
    # updates applied here on a stale version still differ from the peer's when the merge gives up
    monkeypatch.setattr("content_node.replica_merge.merge_with", lambda node, peer: MergeReport(unsettled=1))
    restarted.sync.set_dialer(lambda address: InProcessMergePeer(replica))
    assert ReplicaMerger(restarted).merge(["replica:1"])[1] == ""
    assert restarted.sync.unsynced_from == "replica:1"
    monkeypatch.undo()
    assert ReplicaMerger(restarted).merge(["replica:1"])[1] == "" and restarted.sync.unsynced_from == ""


class ListedFirst(Peer):
    """Lists the replica's documents, then waits (the test writes meanwhile) before answering."""

    taken = threading.Event()

    def list_documents(self) -> dict[str, int]:
        listing = dict(list_documents(self._node))
        self.taken.set()
        assert self._listed.wait(30)
        return listing


class FailsRefetch(ListedFirst):
    """Then dies before the end of the catch-up refetches what the node refused."""

    def fetch(self, document_ids):
        raise ConnectionError("the replica died")


@pytest.mark.parametrize("peer_dies", [False, True], ids=["refetched", "peer died"])
def test_a_write_refused_during_a_catch_up_is_fetched_again_at_its_end(nodes, peer_dies):
    """The update is refused here while the catch-up runs (its listing predates it) and the replica
    takes it; the container's copy of its result fails (no copy here). The node itself fetches the
    document again at the end of the catch-up; a replica that cannot answer then stays unsynced."""
    replica, restarted = nodes
    restarted.put(ID, fields("acknowledged"), timestamp=20)  # listed equal: the catch-up fetches nothing
    listed = threading.Event()
    kind = FailsRefetch if peer_dies else ListedFirst
    restarted.sync.set_dialer(lambda address: kind(replica, address, listed=listed))
    ListedFirst.taken.clear()
    assert restarted.sync.start(["replica:1"]) and ListedFirst.taken.wait(30)
    with pytest.raises(UnsyncedReplicaError):
        restarted.update(ID, ASSIGN, False, timestamp=30)
    assert replica.update(ID, ASSIGN, False, timestamp=30)
    listed.set()
    restarted.sync._thread.join(30)
    assert restarted.sync.state == READY
    if peer_dies:
        assert restarted.sync.unsynced_from == "replica:1" and refused_reads_for_write(restarted) == ALL
    else:
        assert restarted.sync.unsynced_from == "" and restarted.get(ID)["text"] == "updated"


def test_a_catch_up_cut_short_keeps_the_refusal(nodes):
    replica, restarted = nodes
    restarted.sync.set_dialer(lambda address: Peer(replica, address, fail=True))
    assert restarted.sync.start(["replica:1"], wait=True)
    assert restarted.sync.state == READY and restarted.sync.unsynced_from == "replica:1"
    assert refused_reads_for_write(restarted) == ALL


def test_the_only_copy_and_a_node_without_replicas_never_refuse(tmp_path):
    sole = ContentNode(APP, tmp_path / "sole", 0, groups=2)
    assert sole.sync.start([], wait=True, sole_copy=True)  # the container knows no replica of it
    alone = ContentNode(APP, tmp_path / "alone", 0, groups=1)  # redundancy 1: before any order too
    try:
        for node in (sole, alone):
            node.put(ID, fields("v1"), timestamp=10)
            assert refused_reads_for_write(node) == []
    finally:
        sole.close()
        alone.close()


def test_the_refusal_crosses_the_wire_as_an_owner_that_did_not_take_the_write(nodes):
    _, restarted = nodes
    client = LocalContentNodeClient(NodeAddress(0, 0, "restarted:1"), ContentNodeService(restarted))
    with pytest.raises(UnsyncedOwner, match="has not caught up with its replicas since it started"):
        asyncio.run(client.update(ID, {"text": {"assign": "updated"}}, False, 5.0, timestamp=30))
    with pytest.raises(UnsyncedOwner):
        asyncio.run(client.put(ID, {"title": "c"}, 5.0, condition="doc.title", probe=True))
    assert asyncio.run(client.put(ID, {"title": "plain"}, 5.0, timestamp=31)).ok
    assert UnsyncedReplicaError("").code.http_status == 503


def test_the_ping_stamps_each_completed_catch_up_or_clearing_merge_for_the_container(nodes):
    """PingReply.synced_at (with unsynced_from, read together): newer after a completed catch-up and
    after a merge that cleared a replica, unchanged by a recorded unreachable replica or a merge
    that cleared nothing (container/dispatch/search_cluster.py drops its record on a newer empty one)."""
    replica, restarted = nodes
    service = ContentNodeService(restarted)

    def report() -> tuple[str, int]:
        reply = service.Ping(None, None)
        return reply.unsynced_from, reply.synced_at

    assert report() == ("", 0)
    restarted.sync.set_dialer(lambda address: Peer(replica, address, fail=True))
    assert restarted.sync.start(["replica:1"], wait=True)
    unsynced, first = report()
    assert unsynced == "replica:1" and first > 0
    assert not restarted.sync.start([], resync=True, unreachable=["replica:1"])
    restarted.sync.merged_with("replica:2")  # nothing to clear
    assert report() == ("replica:1", first)
    restarted.sync.set_dialer(lambda address: InProcessMergePeer(replica))
    assert ReplicaMerger(restarted).merge(["replica:1"])[1] == ""
    unsynced, merged = report()
    assert unsynced == "" and merged > first
    restarted.sync.set_dialer(lambda address: Peer(replica, address))
    assert restarted.sync.start(["replica:1"], wait=True, resync=True)
    assert report()[1] > merged


def test_the_ping_reads_the_state_with_the_unsynced_report(nodes):
    """A catch-up that starts right after the ping read (unsynced_from, synced_at) must not lend the
    reply its state: the three are one reading (the container's rule pairs them)."""
    _, restarted = nodes
    assert restarted.sync.start([], wait=True, sole_copy=True)
    sync, service = restarted.sync, ContentNodeService(restarted)
    report = sync.unsynced_report

    def then_a_catch_up_starts():
        taken = report()
        with sync._lock:
            sync.state = CATCHING_UP
        return taken

    sync.unsynced_report = then_a_catch_up_starts
    try:
        reply = service.Ping(None, None)
    finally:
        sync.unsynced_report = report
        with sync._lock:
            sync.state = READY
    assert (reply.state, reply.ready, reply.unsynced_from) == (READY, True, "")
