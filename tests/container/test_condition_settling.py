"""Test-and-set on replicas holding different versions (one missed an acknowledged put): the
condition holds on one and not on the other. The replica that tested the newest version decides
the answer (container/http/condition_probe.py): a write it refuses is written nowhere (the stale
replica's verdict would otherwise spread through the merge, replacing the acknowledged version),
one it accepts is written everywhere. Real content nodes behind their servicer and the wire codec;
the container's handler in process."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from container.app import create_app
from container.dispatch.content_client import (GrpcContentNodeClient, NodeAddress, NodeOverloaded, NodeTimeout,
                                               NodeUnavailable)
from container.dispatch.feed_batcher import FeedBatcher
from content_node.node import ContentNode
from content_node.replica_merge import bucket_checksums, merge_with
from protos import content_node_pb2 as pb
from searchlib.timestamps import CLOCK
from searchlib.wire.feed_codec import NodeStatus
from searchlib.wire.visit_codec import decode_visit_page, encode_visit_call
from tests.container.test_update_repair import ServiceClient
from tests.container.scripted_nodes import QuietReplica
from tests.content_node.test_replica_merge import InProcessMergePeer

APP = Path(__file__).resolve().parents[2] / "schemas"
ID = "id:test:doc::x"
PATH = "/document/v1/test/doc/docid/x"


class Replica(QuietReplica, ServiceClient):
    """A real node as the container's client: reached through the servicer and the codec."""

    def __init__(self, node: ContentNode, key: int) -> None:
        super().__init__(node)
        self.content, self.node = node, NodeAddress(key, key, f"host:{key}")

    async def get(self, document_id, timeout):
        return self.content.get(document_id)

    async def ping(self, timeout: float) -> NodeStatus:
        return NodeStatus(self.node.distribution_key, 1, "", True, 0, "ready")


@pytest.fixture
def replicas(tmp_path):
    nodes = ContentNode(APP, tmp_path / "a", 0), ContentNode(APP, tmp_path / "b", 1)
    for node in nodes:
        node.sync.start([], wait=True)
    first = CLOCK.next()
    for node in nodes:
        node.put(ID, json.dumps({"title": "v1", "text": "body"}), timestamp=first)
    nodes[0].put(ID, json.dumps({"title": "v2", "text": "body"}), timestamp=CLOCK.next())  # b missed it
    yield nodes
    for node in nodes:
        node.close()


def conditional_put(nodes, condition: str):
    with TestClient(create_app(str(APP), clients=[Replica(node, key) for key, node in enumerate(nodes)])) as client:
        return client.post(PATH, params={"condition": condition}, json={"fields": {"title": "v3", "text": "body"}})


def test_a_condition_only_the_stale_replica_meets_is_refused_and_written_nowhere(replicas):
    a, b = replicas
    response = conditional_put(replicas, 'doc.title=="v1"')
    assert response.status_code == 412, response.text
    assert a.get(ID)["title"] == "v2" and b.get(ID)["title"] == "v1", "nothing written: b waits for the merge"
    merge_with(b, InProcessMergePeer(a))
    assert a.get(ID)["title"] == b.get(ID)["title"] == "v2", "the acknowledged v2 stays, on both"
    assert bucket_checksums(a) == bucket_checksums(b)


def test_a_condition_the_newest_replica_meets_is_applied_everywhere(replicas):
    a, b = replicas
    response = conditional_put(replicas, 'doc.title=="v2"')
    assert response.status_code == 200, response.text
    assert a.get(ID)["title"] == b.get(ID)["title"] == "v3"
    assert bucket_checksums(a) == bucket_checksums(b)


class StalledReplica(Replica):
    """A replica stalled past the write's timeout (SIGSTOP): the container hears nothing from it, and
    what it was sent runs on it only afterwards, when it resumes (`resume`)."""

    def __init__(self, node: ContentNode, key: int) -> None:
        super().__init__(node, key)
        self.queued: list = []

    async def put(self, document_id, fields, timeout, *args, **kwargs):
        return await self._stall(lambda: Replica.put(self, document_id, fields, timeout, *args, **kwargs), timeout)

    async def remove(self, document_id, timeout, *args, **kwargs):
        return await self._stall(lambda: Replica.remove(self, document_id, timeout, *args, **kwargs), timeout)

    async def _stall(self, call, timeout: float):
        self.queued.append(call)
        await asyncio.sleep(timeout)
        raise NodeTimeout(f"content node {self.node.distribution_key} timed out")

    def resume(self) -> None:
        for call in self.queued:
            asyncio.run(call())


@pytest.mark.parametrize("condition, status", [('doc.title=="v1"', 412), ('doc.title=="v2"', 504)])
def test_a_stale_replica_that_resumes_after_the_answer_writes_nothing_the_newest_did_not_accept(
        replicas, condition, status):
    """b missed v2 and stalls until after the container answered: refused on v2 (412), or not testable on
    every replica in time (504). Either way nothing may be written: b's late request must not apply the
    write to its v1, which the merge would spread over the acknowledged v2."""
    a, b = replicas
    stalled = StalledReplica(b, 1)
    with TestClient(create_app(str(APP), clients=[Replica(a, 0), stalled])) as client:
        response = client.post(PATH, params={"condition": condition, "timeout": "0.3s"},
                               json={"fields": {"title": "v3", "text": "body"}})
    assert response.status_code == status, response.text
    stalled.resume()
    merge_with(b, InProcessMergePeer(a))
    assert a.get(ID)["title"] == b.get(ID)["title"] == "v2"


class DyingReplica(Replica):
    """Applies what it is sent, then dies before it replies (kill -9 between its write and its answer)."""

    async def put(self, *args, **kwargs):
        await Replica.put(self, *args, **kwargs)
        raise NodeUnavailable(f"content node {self.node.distribution_key} went down")


class RacedReplica(Replica):
    """Another container's put, stamped just before this write but arriving just before it, lands first."""

    raced = False

    async def put(self, document_id, fields, timeout, condition="", create=False, timestamp=0, **step):
        if timestamp and not self.raced:  # the write, not the probe
            self.raced = True
            self.content.put(document_id, json.dumps({"title": "v4", "text": "body"}), timestamp=timestamp - 1)
        return await Replica.put(self, document_id, fields, timeout, condition, create, timestamp, **step)


@pytest.mark.parametrize("newest", [Replica, RacedReplica])
def test_a_write_a_stale_replica_applied_before_dying_is_undone_when_the_newest_refused_it(replicas, newest):
    """b (stale: v1) applies what it gets and dies before answering; a refuses the write, on v2 (its
    probe) or on v4, an acknowledged put that landed between the two steps. The 412-answered write must
    not survive on b: the merge would spread it over a's version."""
    a, b = replicas
    with TestClient(create_app(str(APP), clients=[newest(a, 0), DyingReplica(b, 1)])) as client:
        response = client.post(PATH, params={"condition": 'doc.title=="v1" or doc.title=="v2"' if newest is RacedReplica
                                             else 'doc.title=="v1"'}, json={"fields": {"title": "v3", "text": "body"}})
    assert response.status_code == 412, response.text
    expected = a.get(ID)["title"]
    assert expected == ("v4" if newest is RacedReplica else "v2")
    merge_with(b, InProcessMergePeer(a))
    assert a.get(ID)["title"] == b.get(ID)["title"] == expected


class BusyReplica(Replica):
    """A node alive but busy: its writes and probes go through the container's real client and
    FeedBatcher and stay queued behind an earlier batch the node is still applying (stalled past the
    deadline), so each fails as the client fails an operation never sent. Its visits fail: the page
    is read from the other, stale, replica (as when it was read from one that missed a write)."""

    def __init__(self, node: ContentNode, key: int) -> None:
        super().__init__(node, key)
        self.grpc = GrpcContentNodeClient(NodeAddress(key, key, "127.0.0.1:1"))
        self.grpc._rpc = self._stalled_feed
        self.grpc._batcher = FeedBatcher(lambda batch, left: self.grpc._rpc("Feed", batch, left), max_in_flight=1)
        self.failures: list = []

    @staticmethod
    async def _stalled_feed(method, request, timeout):
        await asyncio.sleep(timeout)
        raise NodeTimeout("busy")

    async def _busy(self, operation):
        earlier = asyncio.ensure_future(self.grpc.remove("id:test:doc::other", 0.5, timestamp=1))
        await asyncio.sleep(0.01)  # in flight: the operation queues behind it
        try:
            return await operation
        except Exception as error:
            self.failures.append(error)
            raise
        finally:
            await asyncio.gather(earlier, return_exceptions=True)

    async def put(self, document_id, fields, timeout, condition="", create=False, timestamp=0, **step):
        return await self._busy(self.grpc.put(document_id, fields, timeout, condition, create, timestamp, **step))

    async def update(self, document_id, operations, create, timeout, condition="", timestamp=0, **step):
        return await self._busy(self.grpc.update(document_id, operations, create, timeout, condition, timestamp,
                                                 **step))

    async def visit(self, call, timeout):
        raise NodeUnavailable(f"content node {self.node.distribution_key} is busy")


class VisitingReplica(Replica):
    async def visit(self, call, timeout):
        request = pb.VisitRequest.FromString(encode_visit_call(call).SerializeToString())
        return decode_visit_page(self._service.Visit(request, None))


@pytest.mark.parametrize("path", ["condition", "selection"])
def test_a_busy_owner_whose_probe_was_never_sent_is_not_taken_for_dead(replicas, path):
    """a holds the acknowledged v2, b still v1; a is alive but its probe stays queued in the container
    behind earlier writes to it until the deadline (never sent). a may hold a newer version: the
    condition (or the selection) is not judged on b's v1 alone, nothing is written, 503 (retry). Taken
    for dead, b's verdict wrote v3 and the merge spread it over the acknowledged v2."""
    a, b = replicas
    busy = BusyReplica(a, 0)
    with TestClient(create_app(str(APP), clients=[busy, VisitingReplica(b, 1)])) as client:
        if path == "condition":
            response = client.post(PATH, params={"condition": 'doc.title=="v1"', "timeout": "0.3s"},
                                   json={"fields": {"title": "v3", "text": "body"}})
        else:
            response = client.put("/document/v1/test/doc/docid/", params={
                "selection": 'doc.title=="v1"', "cluster": "content", "timeout": "0.3s"},
                json={"fields": {"title": {"assign": "v3"}}})
    assert response.status_code == 503, response.text
    assert "nothing was written" in response.text and "not sent" in response.text
    merge_with(b, InProcessMergePeer(a))
    assert a.get(ID)["title"] == b.get(ID)["title"] == "v2", "the acknowledged v2 stays, on both"
    assert [type(error) for error in busy.failures] == [NodeOverloaded], "the probe, never sent; no write sent"
