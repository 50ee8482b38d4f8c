"""Readiness and write availability (issue 15) through the container's ASGI app with scripted
content nodes: health is "initializing" (503) until every group has had all its nodes in rotation,
then "up" for good; a write whose only owner is briefly down waits for it within `timeout`; a write
another group has is acknowledged at once and the missing owner catches up later."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from container.app import create_app
from container.dispatch.content_client import NodeAddress, NodeUnavailable
from searchlib.distribution import node_in_group
from searchlib.docid import global_id
from searchlib.wire.feed_codec import FeedResult, NodeStatus, StoredVersion
from tests.container.scripted_nodes import QuietReplica

MUSIC = str(Path(__file__).resolve().parents[1] / "apps" / "music")


class FlakyNode(QuietReplica):
    """A content node that can be switched off (unreachable) and on again."""

    def __init__(self, key: int, group: int, alive: bool = True) -> None:
        self.node = NodeAddress(key, group, f"host:{key}")
        self.alive = alive
        self.documents: dict[str, dict] = {}
        self.attempts = 0

    def _check(self) -> None:
        if not self.alive:
            raise NodeUnavailable(f"content node {self.node.distribution_key} ({self.node.address}) is unavailable")

    async def put(self, document_id: str, fields: dict, timeout: float, condition: str = "",
                  create: bool = False, timestamp: int = 0) -> FeedResult:
        self.attempts += 1
        self._check()
        self.documents[document_id] = fields
        return FeedResult(ok=True)

    async def ping(self, timeout: float) -> NodeStatus:
        self._check()
        return NodeStatus(self.node.distribution_key, len(self.documents), "", True, 0, "ready")


def owner_of(user_id: str, keys: list[int]) -> int:
    return node_in_group(global_id(f"id:test:music::{user_id}"), keys)


def later(seconds: float, action) -> threading.Timer:
    timer = threading.Timer(seconds, action)
    timer.start()
    return timer


def put(client: TestClient, user_id: str, **params):
    started = time.monotonic()
    response = client.post(f"/document/v1/test/music/docid/{user_id}", params=params,
                           json={"fields": {"artist": "a", "album": "b", "year": 2000}})
    return response, time.monotonic() - started


def test_health_is_initializing_until_every_group_was_complete_then_up_for_good():
    nodes = [FlakyNode(0, 0), FlakyNode(1, 0, alive=False)]
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        health = client.get("/state/v1/health")
        assert health.status_code == 503
        assert health.json()["status"]["code"] == "initializing" and "[1]" in health.json()["status"]["message"]
        nodes[1].alive = True
        deadline = time.monotonic() + 5
        while client.get("/state/v1/health").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert client.get("/state/v1/health").json() == {"status": {"code": "up"}}
        nodes[0].alive = False
        time.sleep(1.2)  # a couple of health rounds: node 0 is out of rotation now
        assert not client.get("/state/v1/nodes").json()["nodes"][0]["up"]
        assert client.get("/state/v1/health").status_code == 200


def test_a_write_waits_for_its_only_owner_to_come_back():
    nodes = [FlakyNode(0, 0), FlakyNode(1, 0)]
    user_id = next(f"w{i}" for i in range(100) if owner_of(f"w{i}", [0, 1]) == 1)
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        nodes[1].alive = False
        timer = later(1.5, lambda: setattr(nodes[1], "alive", True))
        response, seconds = put(client, user_id)
        timer.join()
        assert response.status_code == 200, response.text
        assert 1.4 < seconds < 10 and nodes[1].attempts >= 2
        assert f"id:test:music::{user_id}" in nodes[1].documents


def test_a_write_whose_owner_stays_down_is_503_after_its_timeout():
    nodes = [FlakyNode(0, 0), FlakyNode(1, 0)]
    user_id = next(f"w{i}" for i in range(100) if owner_of(f"w{i}", [0, 1]) == 1)
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        nodes[1].alive = False
        response, seconds = put(client, user_id, timeout="1s")
        assert response.status_code == 503 and 0.9 < seconds < 5
        assert "not back within the timeout of 1 s" in response.json()["message"]
        assert put(client, user_id, timeout="-1")[0].status_code == 400


@pytest.mark.parametrize("down", [0, 1])
def test_a_write_another_group_has_is_acknowledged_at_once(down):
    nodes = [FlakyNode(0, 0), FlakyNode(1, 1)]
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        app_cluster = client.app.state.cluster
        nodes[down].alive = False
        response, seconds = put(client, "g1")
        assert response.status_code == 200 and seconds < 1.0
        assert "id:test:music::g1" in nodes[1 - down].documents
        assert app_cluster.health[down].missed_writes  # it catches up before serving again


class ReadableNode(FlakyNode):
    def __init__(self, key: int, group: int) -> None:
        super().__init__(key, group)
        self.stamps: dict[str, int] = {}

    async def put(self, document_id: str, fields: dict, timeout: float, condition: str = "",
                  create: bool = False, timestamp: int = 0) -> FeedResult:
        result = await super().put(document_id, fields, timeout, condition, create, timestamp)
        self.stamps[document_id] = timestamp
        return result

    async def get(self, document_id: str, timeout: float) -> dict | None:
        self._check()
        return self.documents.get(document_id)

    async def get_version(self, document_id: str, timeout: float) -> StoredVersion:
        self._check()
        return StoredVersion(self.documents.get(document_id), self.stamps.get(document_id, 0))


def test_a_write_is_read_back_from_the_replica_that_took_it_not_one_that_missed_it():
    """Node 0 (first in group order) was away for one write, between two health checks: still up as
    far as the container knows. The acknowledged put must be read back from node 1, which has it."""
    nodes = [ReadableNode(0, 0), ReadableNode(1, 1)]
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        deadline = time.monotonic() + 5
        while client.get("/state/v1/health").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        nodes[0].alive = False
        response, _ = put(client, "read-back")
        nodes[0].alive = True  # back before the next ping noticed
        assert response.status_code == 200, response.text
        assert client.get("/document/v1/test/music/docid/read-back").status_code == 200


class CatchingUpNode(ReadableNode):
    """Catches up on its own (a catch-up this container did not order) while not ready; one the
    container orders finishes at once from every peer."""

    def __init__(self, key: int, group: int) -> None:
        super().__init__(key, group)
        self.ready, self.synced_from = True, ""

    async def ping(self, timeout: float) -> NodeStatus:
        self._check()
        return NodeStatus(self.node.distribution_key, len(self.documents), "", self.ready, 0,
                          "ready" if self.ready else "catching-up", synced_from=self.synced_from)

    async def sync(self, peers, timeout: float, resync: bool = False, unreachable=(), sole_copy: bool = False) -> bool:
        self.synced_from = ",".join(peers)
        return True


def test_a_read_with_replicas_goes_only_to_a_node_in_rotation_or_else_to_every_replica():
    """Both replicas are catching up (out of rotation); node 0, first in group order, lacks an
    acknowledged write: the read goes to both and the newest version wins (Vespa's get on an
    inconsistent bucket), never node 0's stale 404; with both unreachable it is 503."""
    nodes = [CatchingUpNode(0, 0), CatchingUpNode(1, 1)]
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        deadline = time.monotonic() + 5
        while client.get("/state/v1/health").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        response, _ = put(client, "in-rotation")
        assert response.status_code == 200, response.text
        del nodes[0].documents["id:test:music::in-rotation"]
        nodes[0].ready = nodes[1].ready = False
        while any(node["up"] for node in client.get("/state/v1/nodes").json()["nodes"]):
            assert time.monotonic() < deadline + 5
            time.sleep(0.1)
        read = client.get("/document/v1/test/music/docid/in-rotation")
        assert read.status_code == 200 and read.json()["fields"]["artist"] == "a", read.text
        nodes[0].alive = nodes[1].alive = False
        while any(node["reachable"] for node in client.get("/state/v1/nodes").json()["nodes"]):
            assert time.monotonic() < deadline + 10
            time.sleep(0.1)
        assert client.get("/document/v1/test/music/docid/in-rotation").status_code == 503
        nodes[0].alive = nodes[1].alive = nodes[1].ready = True
        while not client.get("/state/v1/nodes").json()["nodes"][1]["up"]:
            assert time.monotonic() < deadline + 10
            time.sleep(0.1)
        assert client.get("/document/v1/test/music/docid/in-rotation").status_code == 200


class SyncingNode(ReadableNode):
    """Takes updates and removes, and reports a catch-up finished from the first peer it was sent."""

    def __init__(self, key: int, group: int) -> None:
        super().__init__(key, group)
        self.updates: list[str] = []
        self.synced_from = ""

    async def update(self, document_id: str, operations: dict, create: bool, timeout: float,
                     condition: str = "", timestamp: int = 0) -> FeedResult:
        self._check()
        self.updates.append(document_id)
        return FeedResult(True, document_id in self.documents)

    async def remove(self, document_id: str, timeout: float, condition: str = "", timestamp: int = 0) -> FeedResult:
        self._check()
        return FeedResult(True, self.documents.pop(document_id, None) is not None)

    async def sync(self, peers, timeout: float, resync: bool = False, unreachable=(), sole_copy: bool = False) -> bool:
        self._check()  # a dead node takes no order (one is sent with a write it missed: order_resyncs)
        self.synced_from = peers[0] if peers else ""
        return True

    async def ping(self, timeout: float) -> NodeStatus:
        self._check()
        return NodeStatus(self.node.distribution_key, len(self.documents), "", True, 0, "ready",
                          synced_from=self.synced_from)


def wait_for(condition, seconds: float = 8.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_node_serving_as_is_takes_no_update_or_condition_until_synced_with_its_replica():
    """Node 1 was down when node 0 alone acknowledged a put; node 0 died and node 1 came back first:
    it serves what it holds. An update applied there would build on its old version with a newer
    timestamp and replace the acknowledged put when node 0 returns: it is 503 and sent nowhere, as
    is a test-and-set condition; plain puts and removes are taken. Once node 1 caught up from node 0,
    updates go again."""
    nodes = [SyncingNode(0, 0), SyncingNode(1, 1)]
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        cluster = client.app.state.cluster
        wait_for(lambda: client.get("/state/v1/health").status_code == 200)
        nodes[1].alive = False
        assert put(client, "x")[0].status_code == 200  # acknowledged by node 0 alone
        nodes[0].alive = False
        nodes[1].alive = True
        wait_for(lambda: cluster.health[1].up and not cluster.health[0].reachable)
        assert cluster.unsynced_replicas(1) == {0}
        update = client.put("/document/v1/test/music/docid/x", json={"fields": {"year": {"increment": 1}}})
        assert update.status_code == 503, update.text
        assert "may hold a newer version" in update.json()["message"] and "[0]" in update.json()["message"]
        assert nodes[1].updates == []
        conditional = client.post("/document/v1/test/music/docid/y", params={"condition": "music.year==2000"},
                                  json={"fields": {"artist": "c"}})
        assert conditional.status_code == 503 and "id:test:music::y" not in nodes[1].documents
        assert client.delete("/document/v1/test/music/docid/x", params={"condition": "music.year==2000"}
                             ).status_code == 503
        assert put(client, "y")[0].status_code == 200 and "id:test:music::y" in nodes[1].documents
        assert client.delete("/document/v1/test/music/docid/y").status_code == 200
        nodes[0].alive = True
        wait_for(lambda: cluster.health[1].up and cluster.health[0].up and not cluster.unsynced_replicas(1))
        update = client.put("/document/v1/test/music/docid/x", json={"fields": {"year": {"increment": 1}}})
        assert update.status_code == 200, update.text
        assert nodes[1].updates == ["id:test:music::x"] and nodes[0].updates == ["id:test:music::x"]



def both_down_then_the_stale_one_returns(client, nodes) -> threading.Thread:
    """Node 1 is down while node 0 alone acknowledges a put of x; then node 0 dies too; node 1, stale,
    comes back first a second later (the returned timer: join it after the write that waits)."""
    cluster = client.app.state.cluster
    wait_for(lambda: client.get("/state/v1/health").status_code == 200)
    nodes[1].alive = False
    assert put(client, "x")[0].status_code == 200  # acknowledged by node 0 alone
    nodes[0].alive = False
    wait_for(lambda: not cluster.health[0].reachable and not cluster.health[1].reachable)
    return later(1.0, lambda: setattr(nodes[1], "alive", True))


def test_an_update_waiting_for_down_owners_is_not_sent_to_a_stale_one_that_comes_back():
    """Node 1 was down when node 0 alone acknowledged a put; then node 0 died too. An update arriving
    now waits for an owner to come back: node 1 comes back first, stale. The refusal is checked again
    after the wait: 503, not applied on node 1's old version (which would replace the acknowledged put
    when node 0 returns)."""
    nodes = [SyncingNode(0, 0), SyncingNode(1, 1)]
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        timer = both_down_then_the_stale_one_returns(client, nodes)
        update = client.put("/document/v1/test/music/docid/x", params={"timeout": "10"},
                            json={"fields": {"year": {"increment": 1}}})
        timer.join()
        assert update.status_code == 503, update.text
        assert "newer version" in update.json()["message"] and nodes[1].updates == []


def test_an_owner_that_is_down_does_not_hold_up_updates_its_reachable_replicas_take():
    """Three groups; node 0 serves unsynced from node 2 (a partial catch-up), then dies. An update of
    its document goes to nodes 1 and 2 only, both in sync: taken, though node 0's record says it may
    be stale (it gets nothing, misses the write and catches up when back)."""
    nodes = [SyncingNode(0, 0), SyncingNode(1, 1), SyncingNode(2, 2)]
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        cluster = client.app.state.cluster
        wait_for(lambda: client.get("/state/v1/health").status_code == 200)
        assert put(client, "x")[0].status_code == 200
        cluster.health[0].unsynced = frozenset({2})
        assert cluster.stale_base_refusal([0, 1, 2]) is not None
        nodes[0].alive = False
        wait_for(lambda: not cluster.health[0].reachable)
        update = client.put("/document/v1/test/music/docid/x", json={"fields": {"year": {"increment": 1}}})
        assert update.status_code == 200, update.text
        assert nodes[1].updates == nodes[2].updates == ["id:test:music::x"] and nodes[0].updates == []
        assert cluster.health[0].missed_writes


class ProbedNode(SyncingNode):
    """Takes test-and-set's probe (the condition holds on version 1) and its write."""

    def __init__(self, key: int, group: int) -> None:
        super().__init__(key, group)
        self.probed = 0

    async def put(self, document_id: str, fields: dict, timeout: float, condition: str = "",
                  create: bool = False, timestamp: int = 0, *, probe: bool = False,
                  tested_base: int | None = None) -> FeedResult:
        self._check()
        if probe:
            self.probed += 1
            return FeedResult(True, document_id in self.documents, base=1)
        return await super().put(document_id, fields, timeout, condition, create, timestamp)


def test_a_condition_waiting_for_down_owners_is_not_probed_on_a_stale_one_that_comes_back():
    """As above for a test-and-set put: its probe waits for an owner to come back; the stale node 1
    comes back first: 503, neither probed nor written there."""
    nodes = [ProbedNode(0, 0), ProbedNode(1, 1)]
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        timer = both_down_then_the_stale_one_returns(client, nodes)
        response = client.post("/document/v1/test/music/docid/x",
                               params={"timeout": "10", "condition": "music.year==2000"},
                               json={"fields": {"artist": "c", "album": "d", "year": 2000}})
        timer.join()
        assert response.status_code == 503, response.text
        assert nodes[1].probed == 0 and "id:test:music::x" not in nodes[1].documents
