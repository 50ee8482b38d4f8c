"""A write that reads the stored version (a partial update, a write by selection) is not sent to an
owner the container saw miss a write (missed_writes) before its resync order reached it: the node does
not refuse it yet, and applied on its old version with a newer timestamp the result would beat the
acknowledged write it missed when the replicas meet. The container refuses it on the node's behalf
(SearchCluster.stale_owner_refusals): the owner that took it copies its result there, and when no
owner took it the answer is 503 (nothing written) or 504 (the taker timed out), never a 200.
In-process nodes behind LocalContentNodeClient, no ping loop: B stays reachable with the miss noted.
A container acknowledges such a write only after sending B its resync order (SearchCluster.order_resyncs),
so B refuses reads for write from a second container too (`told`: B answers the order; `missed`: it
does not, and only this container's record guards it)."""
from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from types import SimpleNamespace

import pytest

from container.dispatch.content_client import NodeAddress, NodeTimeout
from container.dispatch.local_client import LocalContentNodeClient
from container.dispatch.search_cluster import SearchCluster
from container.http import visit_handler
from container.http.document_handler import DocumentHandler
from container.http.visit_handler import VisitHandler, _NodeRefused
from content_node.node import ContentNode
from content_node.replica_merge import merge_with
from content_node.service import ContentNodeService
from searchlib.docid import global_id
from searchlib.schema.application import load_application
from searchlib.wire.visit_codec import VisitedDocument
from tests.container.in_process import APPS
from tests.content_node.test_read_for_write_guard import Peer
from tests.content_node.test_replica_merge import InProcessMergePeer

APP = APPS / "inprocess"
DOC = "id:test:item::x"
V2 = {"title": "v2", "brand": "b2"}


def call(handler: DocumentHandler, method: str, fields: dict, **params) -> tuple[int, dict]:
    body = json.dumps({"fields": fields}).encode()
    answer = asyncio.run(handler.answer(method, "/document/v1/test/item/docid/x",
                                        {"namespace": "test", "doctype": "item", "docid": "x"}, params, body))
    return answer.status_code, json.loads(answer.body)


@pytest.fixture
def missed(tmp_path):
    """A (key 0) and B (key 1) hold v1; v2 is acknowledged with B missing it (noted, still reachable,
    not refusing itself: its resync order has not arrived)."""
    nodes = [ContentNode(APP, tmp_path / f"n{key}", key, group_keys=[key], groups=2) for key in (0, 1)]
    for node in nodes:
        node.sync.start([], wait=True, sole_copy=True)
    clients = [LocalContentNodeClient(NodeAddress(key, key, f"n:{key}"), ContentNodeService(node))
               for key, node in enumerate(nodes)]
    cluster = SearchCluster(clients)
    handler = DocumentHandler(load_application(APP), cluster)
    assert call(handler, "POST", {"title": "v1", "brand": "b1"})[0] == 200
    clients[1].available = False
    assert call(handler, "POST", V2)[0] == 200
    clients[1].available = True
    health = cluster.health[1]
    assert health.missed_writes and health.reachable and nodes[1].sync.refusal() is None
    assert cluster.stale_base_refusal([0, 1]) is None  # B's replica A can be synced from
    assert nodes[1].get(DOC) == {"title": "v1", "brand": "b1"}
    yield SimpleNamespace(nodes=nodes, clients=clients, cluster=cluster, handler=handler)
    for node in nodes:
        node.close()


def resync_a_from_b(nodes) -> None:
    """What the container orders once A, noted as missing the write, is back: a catch-up from B."""
    nodes[0].sync.set_dialer(lambda address: Peer(nodes[1], address))
    nodes[0].sync.start(["n:1"], wait=True, resync=True)


@pytest.mark.parametrize("then", ["catch-up", "merge"])
def test_an_update_with_the_fresh_owner_down_is_503_and_the_missed_write_survives(missed, then):
    missed.clients[0].available = False  # A crashed; no ping has seen it
    status, body = call(missed.handler, "PUT", {"year": {"assign": 7}})
    assert status == 503, body
    missed.clients[0].available = True
    assert missed.nodes[1].get(DOC) == {"title": "v1", "brand": "b1"}  # nothing applied on the stale base
    resync_a_from_b(missed.nodes) if then == "catch-up" else merge_with(missed.nodes[0], InProcessMergePeer(missed.nodes[1]))
    assert missed.nodes[0].get(DOC) == V2
    if then == "merge":
        assert missed.nodes[1].get(DOC) == V2


def test_an_update_the_fresh_owner_timed_out_on_is_504_and_the_missed_write_survives(missed):
    missed.clients[0].delay = 3.0  # A stalls past the timeout, never running it
    status, body = call(missed.handler, "PUT", {"year": {"assign": 7}}, timeout="0.3s")
    assert status == 504, body
    missed.clients[0].delay = 0.0
    merge_with(missed.nodes[0], InProcessMergePeer(missed.nodes[1]))
    assert missed.nodes[0].get(DOC) == missed.nodes[1].get(DOC) == V2


def test_with_the_fresh_owner_up_the_update_is_taken_and_copied_to_the_stale_one(missed):
    assert call(missed.handler, "PUT", {"year": {"assign": 7}})[0] == 200
    assert missed.nodes[0].get(DOC) == missed.nodes[1].get(DOC) == {**V2, "year": 7}


def test_a_plain_put_still_goes_to_the_stale_owner(missed):
    missed.clients[0].available = False
    assert call(missed.handler, "POST", {"title": "v3", "brand": "b3"})[0] == 200
    assert missed.nodes[1].get(DOC) == {"title": "v3", "brand": "b3"}


def test_a_single_owner_that_missed_a_write_still_takes_an_update(tmp_path):
    """No replica can hold a newer version than the only copy (the node's own rule: never refused
    without replicas), so a timed-out write on it refuses nothing after."""
    node = ContentNode(APP, tmp_path / "n0", 0)
    node.sync.start([], wait=True, sole_copy=True)
    try:
        cluster = SearchCluster([LocalContentNodeClient(NodeAddress(0, 0, "n:0"), ContentNodeService(node))])
        handler = DocumentHandler(load_application(APP), cluster)
        assert call(handler, "POST", {"title": "v1"})[0] == 200
        cluster.note_missed_write(0)
        assert call(handler, "PUT", {"year": {"assign": 7}})[0] == 200
        assert node.get(DOC)["year"] == 7
    finally:
        node.close()


def test_a_write_by_selection_with_the_fresh_owner_down_is_refused_and_the_missed_write_survives(missed, monkeypatch):
    missed.clients[0].available = False
    page = VisitedDocument(global_id(DOC), DOC, {"title": "v1", "brand": "b1"})  # read from B: stale
    monkeypatch.setattr(visit_handler, "holders", lambda *args: missed.clients)
    handler = SimpleNamespace(_cluster=missed.cluster, _global_types=frozenset())
    operation = lambda client, document, left, timestamp, **step: client.update(  # noqa: E731
        document.document_id, {"year": {"assign": 7}}, False, left, 'item.title=="v1"', timestamp=timestamp, **step)
    with pytest.raises(_NodeRefused) as refused:
        asyncio.run(VisitHandler._write_everywhere(handler, page, operation, time.monotonic() + 5))
    assert refused.value.status == 503
    missed.clients[0].available = True
    merge_with(missed.nodes[0], InProcessMergePeer(missed.nodes[1]))
    assert missed.nodes[0].get(DOC) == missed.nodes[1].get(DOC) == V2


def test_a_conditional_put_judged_only_on_the_stale_owner_is_503(missed):
    """The probe is not sent there either: its verdict would be on v1, which the condition holds on."""
    missed.clients[0].available = False
    status, body = call(missed.handler, "POST", {"title": "v3", "brand": "b3"}, condition='item.title=="v1"')
    assert status == 503, body
    missed.clients[0].available = True
    merge_with(missed.nodes[0], InProcessMergePeer(missed.nodes[1]))
    assert missed.nodes[0].get(DOC) == missed.nodes[1].get(DOC) == V2


@contextlib.contextmanager
def times_out(client: LocalContentNodeClient, method: str):
    """`method` fails on the client with a timeout at once; every other call (a Sync) goes through."""
    call_node = client._call

    async def failing(name, request, timeout):
        if name == method:
            raise NodeTimeout(f"content node {client.node.distribution_key} timed out")
        return await call_node(name, request, timeout)

    client._call = failing
    try:
        yield
    finally:
        client._call = call_node


@pytest.fixture
def told(tmp_path):
    """As `missed`, but B, reachable, times out on the put alone: it answers the resync order the
    container sends before acknowledging v2. Its catch-up from A waits on `release` (the window)."""
    nodes = [ContentNode(APP, tmp_path / f"n{key}", key, group_keys=[key], groups=2) for key in (0, 1)]
    for node in nodes:
        node.sync.start([], wait=True, sole_copy=True)
    release = threading.Event()
    nodes[1].sync.set_dialer(lambda address: release.wait(10) and Peer(nodes[0], address))
    clients = [LocalContentNodeClient(NodeAddress(key, key, f"n:{key}"), ContentNodeService(node))
               for key, node in enumerate(nodes)]
    cluster = SearchCluster(clients)
    handler = DocumentHandler(load_application(APP), cluster)
    assert call(handler, "POST", {"title": "v1", "brand": "b1"})[0] == 200
    with times_out(clients[1], "Put"):
        assert call(handler, "POST", V2)[0] == 200
    assert cluster.health[1].missed_writes and nodes[1].get(DOC) == {"title": "v1", "brand": "b1"}
    yield SimpleNamespace(nodes=nodes, clients=clients, cluster=cluster, handler=handler, release=release)
    release.set()
    for node in nodes:
        node.close()


def caught_up(nodes, release) -> None:
    release.set()
    nodes[1].sync._thread.join(10)
    assert nodes[1].sync.ready and nodes[1].sync.refusal() is None


def test_a_second_container_with_no_record_cannot_update_the_stale_owner(told):
    """The reviewer's case: another container (or this one restarted) knows nothing of B's miss; B
    itself refuses, having had its resync order before v2 was acknowledged."""
    assert told.clients[1].calls.count("Sync") == 1 and told.nodes[1].sync.refusal() is not None
    handler2 = DocumentHandler(load_application(APP), SearchCluster(told.clients))
    told.clients[0].available = False  # A crashed; the second container has not seen it
    status, body = call(handler2, "PUT", {"year": {"assign": 7}})
    assert status == 503, body
    told.clients[0].available = True
    assert told.nodes[1].get(DOC) == {"title": "v1", "brand": "b1"}
    caught_up(told.nodes, told.release)
    merge_with(told.nodes[0], InProcessMergePeer(told.nodes[1]))
    assert told.nodes[0].get(DOC) == told.nodes[1].get(DOC) == V2


def test_the_order_is_sent_once_and_the_record_clears_after_the_catch_up(told):
    health = told.cluster.health[1]
    assert told.clients[1].calls.count("Sync") == 1 and health.pending_sync is not None  # sent by the write
    health.up = False  # as a ping that saw B ready just before the order landed leaves it
    asyncio.run(told.cluster._start_catch_ups())  # ordered since that ping: not again
    asyncio.run(told.cluster.ping_all())  # B reports catching-up: no second order
    assert told.clients[1].calls.count("Sync") == 1 and told.cluster.health[1].missed_writes
    caught_up(told.nodes, told.release)
    asyncio.run(told.cluster.ping_all())
    assert not health.missed_writes and health.pending_sync is None and health.up
    assert told.clients[1].calls.count("Sync") == 1 and told.nodes[1].get(DOC) == V2


def test_a_write_by_selection_a_reachable_owner_missed_orders_its_resync_before_it_counts(told, monkeypatch):
    caught_up(told.nodes, told.release)
    asyncio.run(told.cluster.ping_all())
    assert not told.cluster.health[1].missed_writes
    page = VisitedDocument(global_id(DOC), DOC, V2)
    monkeypatch.setattr(visit_handler, "holders", lambda *args: told.clients)
    handler = SimpleNamespace(_cluster=told.cluster, _global_types=frozenset())
    operation = lambda client, document, left, timestamp, **step: client.update(  # noqa: E731
        document.document_id, {"year": {"assign": 7}}, False, left, 'item.title=="v2"', timestamp=timestamp, **step)
    with times_out(told.clients[1], "Update"):
        assert asyncio.run(VisitHandler._write_everywhere(handler, page, operation, time.monotonic() + 5))
    assert told.clients[1].calls.count("Sync") == 2 and told.cluster.health[1].pending_sync is not None


def test_a_ping_answered_before_the_writes_order_landed_does_not_settle_it(told):
    """B answered a ping `ready` (synced from A earlier) just before a write's resync order reached
    it; that answer, read after, must not count as the catch-up done: B would be back in rotation
    holding v1 of the acknowledged v2."""
    caught_up(told.nodes, told.release)
    asyncio.run(told.cluster.ping_all())
    health, client = told.cluster.health[1], told.clients[1]
    assert not health.missed_writes and health.up
    told.release.clear()
    told.nodes[1].sync.set_dialer(lambda address: told.release.wait(10) and Peer(told.nodes[0], address))
    answered = asyncio.run(client.ping(1.5))  # ready
    ping = client.ping

    async def answered_before_the_order(timeout):
        with times_out(client, "Put"):  # the write (in its own loop) misses B and orders its resync
            status, body = await asyncio.to_thread(call, told.handler, "POST", {"title": "v3", "brand": "b3"})
        assert status == 200, body
        return answered

    client.ping = answered_before_the_order
    try:
        asyncio.run(told.cluster._ping(1, client))
    finally:
        client.ping = ping
    assert health.pending_sync is not None and health.missed_writes and not told.cluster.in_service(1)
    assert told.cluster.may_be_stale(1)
    caught_up(told.nodes, told.release)
    asyncio.run(told.cluster.ping_all())
    assert not health.missed_writes and health.up
