"""An owner that refuses a write reading the stored document because its own copy may be stale (the
content node's guard: not caught up with its replicas since it started; the client raises
UnsyncedOwner) is, to the document API, an owner that did not take the write: the replica that took
it acknowledges it and the refusing node is noted as lacking it (it catches up), and when no owner
took it the answer is that refusal's 503 at once, not a wait for the owner to "come back"."""
from __future__ import annotations

import time
from pathlib import Path

from starlette.testclient import TestClient

from container.app import create_app
from container.dispatch.content_client import NodeAddress, NodeUnavailable, UnsyncedOwner
from searchlib.wire.feed_codec import FeedResult, NodeStatus
from tests.container.scripted_nodes import QuietReplica

MUSIC = str(Path(__file__).resolve().parents[1] / "apps" / "music")
URL = "/document/v1/test/music/docid/u"
REFUSAL = "Content node 0 is ready: not yet caught up with all its replicas since it started"


class Owner(QuietReplica):
    """`stale`: refuses updates, conditions and probes as the node's guard does; `alive` False: down."""

    def __init__(self, key: int, stale: bool = False) -> None:
        self.node = NodeAddress(key, key, f"host:{key}")
        self.stale, self.alive = stale, True
        self.applied: list[str] = []

    def _answer(self, what: str, base: int = 5) -> FeedResult:
        if not self.alive:
            raise NodeUnavailable(f"content node {self.node.distribution_key} is unavailable")
        if self.stale:
            raise UnsyncedOwner(REFUSAL)
        if what != "probe":
            self.applied.append(what)
        return FeedResult(True, base=base)

    async def update(self, document_id: str, operations: dict, create: bool, timeout: float,
                     condition: str = "", timestamp: int = 0, *, probe: bool = False,
                     tested_base: int | None = None) -> FeedResult:
        return self._answer("probe" if probe else "update")

    async def ping(self, timeout: float) -> NodeStatus:
        if not self.alive:
            raise NodeUnavailable("down")
        return NodeStatus(self.node.distribution_key, 1, "", True, 0, "ready")


def update(client: TestClient, **params):
    started = time.monotonic()
    response = client.put(URL, params=params, json={"fields": {"year": {"assign": 2001}}})
    return response, time.monotonic() - started


def test_the_replica_that_took_it_acknowledges_and_the_refusing_owner_catches_up():
    nodes = [Owner(0, stale=True), Owner(1)]
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        for params in ({}, {"condition": "music.year==2000"}):
            nodes[0].stale = True
            response, _ = update(client, **params)
            assert response.status_code == 200, response.text
            assert nodes[1].applied[-1] == "update" and nodes[0].applied == []
            assert client.app.state.cluster.health[0].missed_writes  # it lacks the update: catches up


def test_refused_by_every_owner_that_answers_is_503_at_once_with_nothing_written():
    nodes = [Owner(0, stale=True), Owner(1)]
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        nodes[1].alive = False  # down, not yet seen by pings: the write is sent to it too
        for params in ({}, {"condition": "music.year==2000"}):
            response, seconds = update(client, **params)
            assert response.status_code == 503 and seconds < 5, response.text  # not the 180 s timeout
            assert REFUSAL in response.json()["message"]
            assert nodes[0].applied == nodes[1].applied == []
