"""Replica catch-up in process: a node that missed writes converges on its replica by the newest
timestamp, a live write that arrives during catch-up is never overwritten by an older fetched copy,
and a write only the catching-up node holds is never deleted."""
from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from content_node.catch_up import AWAITING_SYNC, READY, list_documents, read_stamped
from content_node.node import ContentNode

APP = Path(__file__).resolve().parents[2] / "schemas"


def doc(n: str) -> str:
    return f"id:test:doc::{n}"


def fields(text: str) -> str:
    return json.dumps({"title": text, "text": text})


class InProcessPeer:
    """A Peer backed by another ContentNode; `before_fetch` lets a test interleave live writes."""

    def __init__(self, node: ContentNode, before_fetch=None) -> None:
        self.address = "in-process"
        self._node = node
        self._before_fetch = before_fetch
        self.fetched: list[list[str]] = []

    def identity(self) -> tuple[str, int]:
        return self._node.generation, self._node.distribution_key

    def list_documents(self) -> dict[str, int]:
        return dict(list_documents(self._node))

    def fetch(self, document_ids):
        self.fetched.append(list(document_ids))
        answer = [(d, *read_stamped(self._node, d)) for d in document_ids]
        if self._before_fetch:
            self._before_fetch(document_ids)
        return answer

    def close(self) -> None:
        pass


@pytest.fixture
def pair(tmp_path):
    replica = ContentNode(APP, tmp_path / "replica", 2)
    replica.sync.start([], wait=True)
    restarted = ContentNode(APP, tmp_path / "restarted", 0)
    yield replica, restarted
    replica.close()
    restarted.close()


def sync_from(node: ContentNode, peer: InProcessPeer) -> None:
    node.sync._dial = lambda address: peer
    assert node.sync.start(["in-process"], wait=True)


def test_a_node_without_peers_is_ready_at_once(pair):
    _, restarted = pair
    assert restarted.sync.state == AWAITING_SYNC and not restarted.sync.ready
    assert restarted.sync.start([], wait=True)
    assert restarted.sync.ready and not restarted.sync.start([])  # only once


def test_missing_stale_and_removed_documents_converge_on_the_replica(pair):
    replica, restarted = pair
    for n in range(30):
        replica.put(doc(f"d{n}"), fields(f"fresh {n}"), timestamp=1000 + n)
    for n in range(10):
        restarted.put(doc(f"d{n}"), fields(f"stale {n}"), timestamp=100 + n)  # missed a later put
    restarted.put(doc("gone"), fields("removed while down"), timestamp=5)  # missed the remove
    replica.put(doc("gone"), fields("removed while down"), timestamp=5)
    replica.remove(doc("gone"), timestamp=6)
    sync_from(restarted, InProcessPeer(replica))
    assert restarted.sync.state == READY and restarted.sync.fetched == 31
    assert dict(list_documents(restarted)) == dict(list_documents(replica))
    assert restarted.get(doc("d3"))["title"] == "fresh 3" and restarted.get(doc("gone")) is None


def test_a_write_only_the_restarted_node_holds_is_never_deleted_nor_made_older(pair):
    """The old one-way catch-up mirrored the replica and deleted these (acknowledged) writes."""
    replica, restarted = pair
    replica.put(doc("both"), fields("older on the replica"), timestamp=10)
    restarted.put(doc("both"), fields("newer here"), timestamp=20)
    restarted.put(doc("mine"), fields("the replica never got it"), timestamp=30)
    sync_from(restarted, InProcessPeer(replica))
    assert restarted.sync.state == READY and restarted.sync.fetched == 0
    assert restarted.get(doc("both"))["title"] == "newer here"
    assert restarted.get(doc("mine"))["title"] == "the replica never got it"


def test_a_live_put_during_catch_up_wins_over_the_fetched_copy(pair):
    replica, restarted = pair
    replica.put(doc("x"), fields("old on replica"))

    def live_write(document_ids):  # arrives after the replica answered, before the apply
        if doc("x") in document_ids:
            restarted.put(doc("x"), fields("newest"))

    sync_from(restarted, InProcessPeer(replica, live_write))
    assert restarted.get(doc("x"))["title"] == "newest"


def test_a_live_update_on_a_stale_base_is_fetched_again(pair):
    replica, restarted = pair
    replica.put(doc("y"), fields("base"), timestamp=10)
    calls = []

    def live_update(document_ids):  # the container sends both the update's one timestamp
        if doc("y") in document_ids and not calls:
            calls.append(1)
            operations = json.dumps({"text": {"assign": "updated"}})
            replica.update(doc("y"), operations, False, timestamp=20)
            restarted.update(doc("y"), operations, True, timestamp=20)  # applied to no base at all

    peer = InProcessPeer(replica, live_update)
    sync_from(restarted, peer)
    assert sum(doc("y") in batch for batch in peer.fetched) == 2
    assert restarted.get(doc("y")) == replica.get(doc("y")) == {"title": "base", "text": "updated"}


def test_a_ready_node_resyncs_only_when_asked_and_only_with_a_replica(pair):
    replica, restarted = pair
    restarted.sync.start([], wait=True)
    replica.put(doc("missed"), fields("written while the node was stalled"))
    assert not restarted.sync.start(["in-process"]) and not restarted.sync.start([], resync=True)
    peer = InProcessPeer(replica)
    restarted.sync._dial = lambda address: peer
    assert restarted.sync.start(["in-process"], wait=True, resync=True)
    assert restarted.sync.ready and restarted.get(doc("missed")) == replica.get(doc("missed"))


def test_a_node_that_lost_data_is_ready_only_after_catching_up_from_a_replica(tmp_path):
    replica = ContentNode(APP, tmp_path / "replica", 2, groups=2)
    replica.sync.start([], wait=True)
    damaged = ContentNode(APP, tmp_path / "damaged", 0, groups=2)
    for n in range(20):
        replica.put(doc(f"r{n}"), fields(f"replica {n}"))
    damaged.put(doc("stale"), fields("removed on the replica"), timestamp=1)
    replica.remove(doc("stale"), timestamp=2)  # a tombstone: the replica's newer version
    damaged.sync.require_replica("write-ahead log x is corrupt at byte 1 (test)")
    assert not damaged.sync.start([], wait=True)  # no peer in service: never ready on its own data
    assert damaged.sync.state == AWAITING_SYNC

    class Unreachable(InProcessPeer):
        def list_documents(self):
            raise ConnectionError("replica down")

    damaged.sync._dial = lambda address: Unreachable(replica)
    assert damaged.sync.start(["down"], wait=True)
    assert damaged.sync.state == AWAITING_SYNC  # a failed catch-up leaves it waiting, not ready
    sync_from(damaged, InProcessPeer(replica))
    assert damaged.sync.state == READY
    assert dict(list_documents(damaged)) == dict(list_documents(replica))  # exactly the replica's
    replica.close()
    damaged.close()


def test_the_need_to_rebuild_survives_a_restart_until_a_catch_up_completes(tmp_path):
    replica = ContentNode(APP, tmp_path / "replica", 2, groups=2)
    replica.sync.start([], wait=True)
    node = ContentNode(APP, tmp_path / "node", 0, groups=2)
    for n in range(30):
        node.put(doc(f"d{n}"), fields(f"document {n}"))
        replica.put(doc(f"d{n}"), fields(f"document {n}"))
    node.databases["doc"]._wal.close()  # a crash: the log only
    segment = sorted((tmp_path / "node" / "doc").glob("wal-*.log"))[-1]
    data = bytearray(segment.read_bytes())
    written = len(data.rstrip(b"\x00"))  # a record's byte: a flip in the preallocated zeros loses nothing
    data[len(data[:written // 2 + 1].rstrip(b"\x00")) - 1] ^= 0x08
    segment.write_bytes(bytes(data))
    damaged = ContentNode(APP, tmp_path / "node", 0, groups=2)
    assert damaged.databases["doc"].rebuild_reason
    damaged.close()  # restarted before any replica answered
    again = ContentNode(APP, tmp_path / "node", 0, groups=2)
    assert not again.sync.start([], wait=True) and again.sync.state == AWAITING_SYNC
    sync_from(again, InProcessPeer(replica))
    assert again.sync.state == READY and dict(list_documents(again)) == dict(list_documents(replica))
    again.close()
    healed = ContentNode(APP, tmp_path / "node", 0, groups=2)
    assert healed.sync.start([], wait=True) and healed.sync.ready  # the marker is gone
    healed.close()
    replica.close()


def test_a_resync_from_a_peer_of_another_distribution_discards_nothing(pair):
    """Issue 16: `Sync(peers=[fake], resync=true)` must not empty a node on the word of a peer that
    serves another application generation, or a node of its own group."""
    replica, restarted = pair
    for n in range(5):
        restarted.put(doc(f"own{n}"), fields(f"kept {n}"))
    restarted.sync.start([], wait=True)
    before = dict(list_documents(restarted))

    class Foreign(InProcessPeer):
        def __init__(self, node, identity):
            super().__init__(node)
            self._identity = identity

        def identity(self):
            return self._identity

    for identity in [("another-generation", 7), (restarted.generation, restarted.distribution_key)]:
        peer = Foreign(replica, identity)  # the replica is empty: copying it would delete everything
        restarted.sync._dial = lambda address, peer=peer: peer
        assert restarted.sync.start(["fake"], wait=True, resync=True)
        assert peer.fetched == [] and dict(list_documents(restarted)) == before


def test_a_node_that_cannot_store_the_copies_stays_out_of_service_until_a_later_sync_succeeds(pair):
    """A full disk on the restarted node: serving what its log holds would hide the writes it missed
    from every query its group answers, however long the disk stays full."""
    replica, restarted = pair
    replica.put(doc("missed"), fields("written while the node was down"))
    database = next(iter(restarted.databases.values()))

    def full(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    database._wal._write = full
    peer = InProcessPeer(replica)
    restarted.sync._dial = lambda address: peer
    assert restarted.sync.start(["in-process"], wait=True)
    assert restarted.sync.state == AWAITING_SYNC and not restarted.sync.ready
    del database._wal._write  # space is back: the container's next Sync catches up
    assert restarted.sync.start(["in-process"], wait=True)
    assert restarted.sync.ready and restarted.get(doc("missed")) == replica.get(doc("missed"))


def test_the_node_reports_the_peer_a_catch_up_finished_from_and_none_when_it_failed(pair):
    """The container keeps a node that missed writes out of rotation until it reports `synced_from`:
    a re-sync whose peer dies mid-way leaves the node ready (serving its log) but synced from nobody."""
    replica, restarted = pair
    sync_from(restarted, InProcessPeer(replica))
    assert restarted.sync.synced_from == "in-process"
    replica.put(doc("missed"), fields("written while the node was stalled"))

    class DiesMidway(InProcessPeer):
        def fetch(self, document_ids):
            raise ConnectionError("replica died")

    restarted.sync._dial = lambda address: DiesMidway(replica)
    assert restarted.sync.start(["in-process"], wait=True, resync=True)
    assert restarted.sync.ready and restarted.sync.synced_from == "" and restarted.get(doc("missed")) is None
    restarted.sync._dial = lambda address: InProcessPeer(replica)
    assert restarted.sync.start(["in-process"], wait=True, resync=True)
    assert restarted.sync.synced_from == "in-process" and restarted.get(doc("missed")) is not None


def test_with_three_groups_the_node_catches_up_from_every_replica_not_the_first_that_answers(pair, tmp_path):
    """Replicas in two other groups, the first listed stale itself (it was down too: catching up
    is not being complete): a write the second alone holds was acknowledged, and the node must
    hold it once its catch-up ends; a peer that fails is left out of `synced_from`."""
    stale, restarted = pair
    complete = ContentNode(APP, tmp_path / "complete", 4)
    try:
        complete.sync.start([], wait=True)
        for node in (stale, complete, restarted):
            node.put(doc("old"), fields("everyone had it"), timestamp=10)
        complete.put(doc("acked"), fields("only the second replica took it"), timestamp=20)
        complete.remove(doc("old"), timestamp=21)
        peers = {"stale": InProcessPeer(stale), "complete": InProcessPeer(complete)}
        restarted.sync._dial = lambda address: peers[address]
        assert restarted.sync.start(["stale", "complete"], wait=True)
        assert restarted.sync.ready and restarted.sync.synced_from and restarted.sync.unsynced_from == ""
        assert restarted.get(doc("acked")) == complete.get(doc("acked")) and restarted.get(doc("old")) is None

        complete.put(doc("missed"), fields("written while the node was stalled"), timestamp=30)

        class DiesMidway(InProcessPeer):
            def fetch(self, document_ids):
                raise ConnectionError("replica died")

        peers["complete"] = DiesMidway(complete)
        assert restarted.sync.start(["stale", "complete"], wait=True, resync=True)
        assert restarted.sync.ready and restarted.sync.synced_from == "stale", "not synced from every replica"
        assert restarted.sync.unsynced_from == "complete", "reported: a restarted container rebuilds its record"
    finally:
        complete.close()


@pytest.mark.parametrize("order", [["fresh", "stale"], ["stale", "fresh"]])
def test_a_remove_only_one_replica_took_survives_whatever_the_order_of_the_peers(pair, tmp_path, order):
    """Put@10 reached both replicas, remove@20 only the fresh one, and the restarted node neither:
    the fresh replica's tombstone is not in its listing, yet it must win over the stale replica's
    older copy in either order (a removed document must never come back)."""
    stale, restarted = pair
    fresh = ContentNode(APP, tmp_path / "fresh", 4)
    try:
        fresh.sync.start([], wait=True)
        for node in (stale, fresh):
            node.put(doc("d"), fields("old"), timestamp=10)
        fresh.remove(doc("d"), timestamp=20)
        peers = {"stale": InProcessPeer(stale), "fresh": InProcessPeer(fresh)}
        restarted.sync._dial = lambda address: peers[address]
        assert restarted.sync.start(order, wait=True)
        assert restarted.sync.synced_from == ",".join(order)
        assert read_stamped(restarted, doc("d"))[:2] == (None, 20)
    finally:
        fresh.close()


def test_with_three_replicas_each_document_takes_its_newest_version_across_all_of_them(pair, tmp_path):
    """Three peers, each newest for a different document (a put, an update-like re-put, a remove):
    the restarted node ends with the newest of each, in every order of the peers."""
    import itertools
    first, restarted = pair
    second, third = ContentNode(APP, tmp_path / "second", 4), ContentNode(APP, tmp_path / "third", 6)
    try:
        for node in (second, third):
            node.sync.start([], wait=True)
        for node in (first, second, third):
            for name in ("a", "b", "c"):
                node.put(doc(name), fields(f"{name} v1"), timestamp=10)
        first.put(doc("a"), fields("a v2"), timestamp=30)
        second.remove(doc("b"), timestamp=31)
        third.put(doc("c"), fields("c v2"), timestamp=32)
        third.remove(doc("b"), timestamp=25)  # an older remove: the second's is newer still
        peers = {"first": InProcessPeer(first), "second": InProcessPeer(second), "third": InProcessPeer(third)}
        for index, order in enumerate(itertools.permutations(peers)):
            node = ContentNode(APP, tmp_path / f"restarted{index}", 0)
            try:
                node.sync._dial = lambda address: peers[address]
                assert node.sync.start(list(order), wait=True)
                assert read_stamped(node, doc("a"))[:2] == (first.get(doc("a")), 30), order
                assert read_stamped(node, doc("b"))[:2] == (None, 31), order
                assert read_stamped(node, doc("c"))[:2] == (third.get(doc("c")), 32), order
            finally:
                node.close()
    finally:
        second.close()
        third.close()
