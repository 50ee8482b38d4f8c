"""An owner that refuses a write reading the stored document because its own copy may be stale (the
content node's guard: catching up, or not synced from a replica; the client raises UnsyncedOwner) is,
to the document API, an owner that did not take the write: the replica that took it acknowledges it
once the refusing owner got the resulting version as a plain put (noted as lacking the write only if
that copy failed), and when no owner took it the answer is that refusal's 503 at once, not a wait for
the owner to "come back" (unless an owner timed out: it may have applied it, 504)."""
from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest

from starlette.testclient import TestClient

from container.app import create_app
from container.dispatch.content_client import NodeAddress, NodeTimeout, NodeUnavailable, UnsyncedOwner
from container.dispatch.local_client import LocalContentNodeClient
from container.http.update_repair import copy_to_refusers
from content_node.catch_up import read_stamped
from content_node.node import ContentNode
from content_node.service import ContentNodeService
from searchlib.wire.feed_codec import FeedResult, NodeStatus, StoredVersion
from tests.content_node.test_read_for_write_guard import APP, ID, Peer, fields
from tests.container.scripted_nodes import QuietReplica

MUSIC = str(Path(__file__).resolve().parents[1] / "apps" / "music")
URL = "/document/v1/test/music/docid/u"
REFUSAL = "Content node 0 is catching up with its replicas: its copy of the document may be stale"
TAKEN = StoredVersion({"title": "t", "year": 2001}, timestamp=77)
OLDER = StoredVersion({"title": "t", "year": 1999}, timestamp=3)  # older than the base (5) the taker reports


class Owner(QuietReplica):
    """`stale`: refuses updates, conditions and probes as the node's guard does; `alive` False: down;
    `hangs`: its writes time out. Plain puts (the copy) are recorded in `copies`, how they were sent
    (tested_base, replica_copy) in `sent`."""

    def __init__(self, key: int, stale: bool = False) -> None:
        self.node = NodeAddress(key, key, f"host:{key}")
        self.stale, self.alive, self.hangs = stale, True, False
        self.applied: list[str] = []
        self.copies: list[tuple[dict, int]] = []
        self.sent: list[tuple[int | None, bool]] = []
        self.syncs: list[tuple[list, bool, tuple, bool]] = []
        self.held = OLDER if stale else TAKEN  # what a get reads

    def _answer(self, what: str, base: int = 5) -> FeedResult:
        if not self.alive:
            raise NodeUnavailable(f"content node {self.node.distribution_key} is unavailable")
        if self.hangs:
            raise NodeTimeout(f"content node {self.node.distribution_key} did not answer")
        if self.stale:
            raise UnsyncedOwner(REFUSAL)
        if what != "probe":
            self.applied.append(what)
        return FeedResult(True, base=base)

    async def update(self, document_id: str, operations: dict, create: bool, timeout: float,
                     condition: str = "", timestamp: int = 0, *, probe: bool = False,
                     tested_base: int | None = None) -> FeedResult:
        return self._answer("probe" if probe else "update")

    async def get_version(self, document_id: str, timeout: float) -> StoredVersion:
        if not self.alive:
            raise NodeUnavailable("down")
        return self.held

    async def get(self, document_id: str, timeout: float) -> dict | None:
        return (await self.get_version(document_id, timeout)).fields

    async def put(self, document_id: str, fields: dict, timeout: float, condition: str = "",
                  create: bool = False, timestamp: int = 0, origin: int = 0, tested_base: int | None = None,
                  replica_copy: bool = False) -> FeedResult:
        if not self.alive:
            raise NodeUnavailable("down")
        self.copies.append((fields, timestamp))
        self.sent.append((tested_base, replica_copy))
        return FeedResult(True)

    async def ping(self, timeout: float) -> NodeStatus:
        if not self.alive:
            raise NodeUnavailable("down")
        return NodeStatus(self.node.distribution_key, 1, "", True, 0, "ready")

    async def sync(self, peers, timeout: float, resync: bool = False, unreachable=(), sole_copy: bool = False) -> bool:
        self.syncs.append((list(peers), resync, tuple(unreachable), sole_copy))
        return True


def update(client: TestClient, **params):
    started = time.monotonic()
    response = client.put(URL, params=params, json={"fields": {"year": {"assign": 2001}}})
    return response, time.monotonic() - started


@pytest.mark.parametrize("copy_fails", [False, True], ids=["copied", "copy failed"])
def test_the_replica_that_took_it_acknowledges_once_the_refusing_owner_has_its_version(copy_fails):
    nodes = [Owner(0, stale=True), Owner(1)]
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        for params in ({}, {"condition": "music.year==2000"}):
            nodes[0].stale, nodes[0].copies, nodes[0].sent = True, [], []
            if copy_fails:
                nodes[0].put = None  # the copy raises: the owner is noted as lacking the write
            response, _ = update(client, **params)
            assert response.status_code == 200, response.text
            assert nodes[1].applied[-1] == "update" and nodes[0].applied == []
            assert nodes[0].copies == ([] if copy_fails else [(TAKEN.fields, TAKEN.timestamp)])  # the taker's version
            # a replica copy: a node whose package dropped the version's language still takes it
            assert nodes[0].sent == ([] if copy_fails else [(None, True)])
            assert client.app.state.cluster.health[0].missed_writes is copy_fails


def test_an_update_taken_on_an_older_version_than_the_refusing_owner_holds_is_undone_not_acknowledged():
    """Node 1 missed a write node 0 took (its resync not ordered yet) and applies the update on the
    older version; node 0 refuses it as it is catching up. Acknowledged (and copied), the result would
    replace that write everywhere: node 0's version is written again to both at a new timestamp and
    the update is answered as not applied."""
    nodes = [Owner(0, stale=True), Owner(1)]
    nodes[0].held = StoredVersion({"title": "only node 0 has it", "year": 2000}, timestamp=9)
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        response, _ = update(client)
        assert response.status_code == 503 and "it was undone" in response.json()["message"], response.text
        for node in nodes:
            (fields, timestamp), = node.copies
            assert fields == {"title": "only node 0 has it", "year": 2000} and timestamp > 77


def test_a_refusing_owner_that_cannot_be_read_leaves_the_write_unacknowledged():
    """Node 0 refuses, then cannot be read (it crashed): it may hold a version newer than the base node 1
    applied the update to, which that acknowledged result would replace. Outcome unknown (504), not
    200; node 0 is noted as missing the write."""
    nodes = [Owner(0, stale=True), Owner(1)]

    async def unreadable(document_id, timeout):
        raise NodeTimeout("content node 0 did not answer")
    nodes[0].get_version = unreadable
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        response, _ = update(client)
        assert response.status_code == 504 and "Outcome unknown" in response.json()["message"], response.text
        assert client.app.state.cluster.health[0].missed_writes


def test_an_undo_that_reaches_no_owner_is_outcome_unknown_not_nothing_written():
    nodes = [Owner(0, stale=True), Owner(1)]
    nodes[0].held = StoredVersion({"title": "only node 0 has it", "year": 2000}, timestamp=9)

    async def fails(document_id, fields, timeout, condition="", create=False, timestamp=0):
        raise NodeUnavailable("down")
    for node in nodes:
        node.put = fails  # the undo's puts reach nobody: node 1 still holds the update
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        response, _ = update(client)
        message = response.json()["message"]
        assert response.status_code == 504 and "nothing was written" not in message, response.text
        assert "Outcome unknown" in message


def test_a_refusal_beside_an_owner_that_timed_out_is_outcome_unknown_not_nothing_written():
    nodes = [Owner(0, stale=True), Owner(1)]
    nodes[1].hangs = True  # it may have applied the update
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        response, _ = update(client, timeout="1s")
        assert response.status_code == 504, response.text


def test_a_resync_with_no_replica_answering_tells_the_node_which_are_unreachable():
    """It missed a write while its replica is down: it serves as is, and the node itself records the
    replica it lacks (a container started since knows nothing of the miss)."""
    nodes = [Owner(0), Owner(1)]
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        cluster = client.app.state.cluster
        nodes[1].alive = False
        deadline = time.monotonic() + 10
        while cluster.health[1].reachable and time.monotonic() < deadline:
            time.sleep(0.05)
        cluster.take_out_of_rotation(0, "missed a write")
        cluster.note_missed_write(0)
        while not nodes[0].syncs and time.monotonic() < deadline:
            time.sleep(0.05)
        assert nodes[0].syncs[-1] == ([], True, ("host:1",), False)


class Judging(Owner):
    """The condition held on both owners' probes; the write is then refused on a newer version
    (`newer`: an acknowledged put landed between the steps) or the owner dies before answering."""

    def __init__(self, key: int, newer: bool) -> None:
        super().__init__(key)
        self.newer = newer

    async def update(self, document_id, operations, create, timeout, condition="", timestamp=0, *, probe=False,
                     tested_base=None) -> FeedResult:
        if probe:
            return FeedResult(True, base=5)
        if self.newer:
            return FeedResult(False, condition_failed=True, base=9, message="condition not met")
        raise NodeUnavailable("content node 1 went down")

    async def get(self, document_id, timeout):
        return TAKEN.fields

    async def put(self, document_id, fields, timeout, condition="", create=False, timestamp=0, **copy) -> FeedResult:
        if not self.newer:
            raise NodeUnavailable("content node 1 went down")  # the settling's put misses it too
        return await super().put(document_id, fields, timeout, condition, create, timestamp, **copy)


def test_an_owner_that_missed_a_write_the_condition_was_settled_on_is_noted_as_missing_it():
    """The newest owner refused, the other died mid-write (it may have applied it): the newest version
    is written again to all (update_repair.settle_condition); the dead one missed that too and must
    catch up before it serves reads or takes an update alone."""
    nodes = [Judging(0, newer=True), Judging(1, newer=False)]
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        response, _ = update(client, condition="music.year==2000")
        assert response.status_code == 412, response.text
        assert client.app.state.cluster.health[1].missed_writes


class Verdict(Owner):
    """Its probe holds (base 5); its write answers `written`."""

    def __init__(self, key: int, written: FeedResult) -> None:
        super().__init__(key)
        self.written = written

    async def update(self, document_id, operations, create, timeout, condition="", timestamp=0, *, probe=False,
                     tested_base=None) -> FeedResult:
        return FeedResult(True, base=5) if probe else self.written


@pytest.mark.parametrize("refuser_holds", [9, 3], ids=["newer", "older"])
def test_a_settled_condition_still_reaches_the_refusing_owner(refuser_holds):
    """Three groups: node 1 applies the conditional update on base 5, node 2 refuses it on base 7 (the
    newest: it settles, 412), node 0 refuses as it is catching up. Node 0 holding a version newer than 7
    has it written again to all (undone), not lost at the next merge; holding an older one it gets the
    settled version copied, as after any write taken beside a refuser."""
    nodes = [Owner(0, stale=True), Verdict(1, FeedResult(True, base=5)),
             Verdict(2, FeedResult(False, condition_failed=True, base=7, message="condition not met"))]
    nodes[0].held = StoredVersion({"title": "node 0", "year": 2000}, timestamp=refuser_holds)
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        response, _ = update(client, condition="music.year==2000")
        if refuser_holds == 9:
            assert response.status_code == 503 and "it was undone" in response.json()["message"], response.text
            assert all(node.copies[-1][0] == {"title": "node 0", "year": 2000} for node in nodes)
            assert len(nodes[0].copies) == 1  # nothing written to node 0 before it was read
        else:
            assert response.status_code == 412, response.text
            assert nodes[0].copies == [(TAKEN.fields, TAKEN.timestamp)]  # what the taker holds now, only
            assert not client.app.state.cluster.health[0].missed_writes


@pytest.fixture
def real_pair(tmp_path, monkeypatch):
    """Node 0 (restarted, holding what node 1 holds) and its replica node 1, with their clients."""
    monkeypatch.setattr("content_node.catch_up.SETTLE_SECONDS", 0.0)
    replica = ContentNode(APP, tmp_path / "r", 1, groups=2)
    node0 = ContentNode(APP, tmp_path / "n", 0, groups=2)
    replica.sync.start([], wait=True, sole_copy=True)
    for node in (replica, node0):
        node.put(ID, fields("v2"), timestamp=20)
    clients = [LocalContentNodeClient(NodeAddress(key, key, f"n:{key}"), ContentNodeService(node))
               for key, node in enumerate((node0, replica))]
    yield node0, replica, clients
    replica.close()
    node0.close()


def catch_up_listed(node0: ContentNode, replica: ContentNode, resync: bool = False) -> threading.Event:
    """Start node 0's catch-up from node 1; it waits, having listed node 1's documents, until set."""
    listed = threading.Event()

    class Listed(Peer):
        def list_documents(self):
            listing = super().list_documents()
            assert listed.wait(30)
            return listing

    node0.sync.set_dialer(lambda address: Listed(replica, address))
    assert node0.sync.start(["replica:1"], resync=resync)
    return listed


def update_both(clients, text: str, timestamp: int) -> set:
    """An update as the document API sends it; the refusing owners that got the taker's copy."""
    async def send() -> set:
        outcomes = {}
        for client in clients:
            try:
                outcomes[client] = await client.update(ID, {"text": {"assign": text}}, False, 5.0, timestamp=timestamp)
            except UnsyncedOwner as refused:
                outcomes[client] = refused
        assert isinstance(outcomes[clients[0]], UnsyncedOwner) and outcomes[clients[1]].ok
        return await copy_to_refusers(ID, outcomes, lambda: 5.0)
    return asyncio.run(send())


def test_a_copy_makes_a_refused_update_part_of_the_refusing_nodes_catch_up(real_pair):
    """The data loss the copy closes, on real nodes: node 0 restarts and its catch-up lists node 1's
    documents; then U1 comes: node 0 refuses, node 1 applies it. The listing predates U1, so the
    catch-up never fetches the document again: without the copy node 0 finishes ready without U1, and
    a later update sent to it alone (node 1 died, a new container) is built on the base without U1."""
    node0, replica, clients = real_pair
    listed = catch_up_listed(node0, replica)
    assert update_both(clients, "U1", 30) == {clients[0]}
    listed.set()
    node0.sync._thread.join(30)
    assert node0.sync.refusal() is None
    node0.update(ID, json.dumps({"title": {"assign": "U2"}}), False, timestamp=40)  # node 1 gone
    assert node0.get(ID) == {"title": "U2", "text": "U1"}


def test_the_copy_carries_the_takers_origin(real_pair):
    """The copy is the taker's version: its timestamp and its origin (the base the update was computed
    on, store/timestamps.py), else the bucket checksums differ until a merge."""
    node0, replica, clients = real_pair
    listed = catch_up_listed(node0, replica)
    assert update_both(clients, "U1", 30) == {clients[0]}
    taken, copied = read_stamped(replica, ID), read_stamped(node0, ID)
    listed.set()
    node0.sync._thread.join(30)
    assert taken[2] != 0 and copied == taken


def test_a_steady_stream_of_updates_during_a_resync_is_no_stream_of_misses(real_pair):
    """Refused while it resyncs, each update still reaches node 0 (the copy): none is a new miss that
    would order another resync, and the resync ends holding the last one."""
    node0, replica, clients = real_pair
    node0.sync.set_dialer(lambda address: Peer(replica, address))
    assert node0.sync.start(["replica:1"], wait=True)
    listed = catch_up_listed(node0, replica, resync=True)
    for step in range(20):
        assert update_both(clients, f"u{step}", 30 + step) == {clients[0]}
    listed.set()
    node0.sync._thread.join(30)
    assert node0.sync.refusal() is None and node0.get(ID) == replica.get(ID) == {"title": "v2", "text": "u19"}


def test_refused_by_every_owner_that_answers_is_503_at_once_with_nothing_written():
    nodes = [Owner(0, stale=True), Owner(1)]
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        nodes[1].alive = False  # down, not yet seen by pings: the write is sent to it too
        for params in ({}, {"condition": "music.year==2000"}):
            response, seconds = update(client, **params)
            assert response.status_code == 503 and seconds < 5, response.text  # not the 180 s timeout
            assert REFUSAL in response.json()["message"]
            assert nodes[0].applied == nodes[1].applied == []
