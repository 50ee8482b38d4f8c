"""The two-phase update repair (container/http/update_repair.py) against two in-process content
nodes reached through their gRPC servicer and the wire codec: replicas that applied an update to
different versions are made identical with a put at a newer timestamp; replicas that agree cost
nothing more; a repair that reaches only one replica leaves a timestamp difference the merge's
checksums see (and the merge then converges them); one that reaches none is an error. Then the
handler with scripted replicas: acknowledged only after the repair, and a 503 when it failed."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from container.app import create_app
from container.dispatch.content_client import NodeAddress, NodeUnavailable
from container.http.update_repair import held_after, repair, repair_source
from content_node.catch_up import read_stamped
from content_node.node import ContentNode
from content_node.replica_merge import bucket_checksums, merge_with
from content_node.service import ContentNodeService
from protos import content_node_pb2 as pb
from searchlib.timestamps import CLOCK
from searchlib.wire import feed_codec
from searchlib.wire.feed_codec import FeedResult, NodeStatus, StoredVersion
from tests.content_node.test_replica_merge import InProcessMergePeer
from tests.container.scripted_nodes import QuietReplica

APP = Path(__file__).resolve().parents[2] / "schemas"
MUSIC = str(Path(__file__).resolve().parents[1] / "apps" / "music")
ID = "id:test:doc::x"
UPDATE = {"text": {"assign": "updated"}}


class ServiceClient:
    """The container's view of a node: requests and replies cross the real servicer and codec."""

    def __init__(self, node: ContentNode) -> None:
        self.node = node
        self._service = ContentNodeService(node)
        self.calls: list[str] = []
        self.failing = False  # puts and removes raise NodeUnavailable (a node that went down)

    async def update(self, document_id, operations, create, timeout, condition="", timestamp=0, probe=False,
                     tested_base=None) -> FeedResult:
        if probe:
            return self._probe(document_id, condition, create)
        request = feed_codec.update_request(document_id, operations, create, condition, timestamp, tested_base)
        return self._reply(self._service.Update(pb.UpdateRequest.FromString(request.SerializeToString()), None))

    async def put(self, document_id, fields, timeout, condition="", create=False, timestamp=0, probe=False,
                  tested_base=None, origin=0, replica_copy=False) -> FeedResult:
        self.calls.append("put")
        if self.failing:
            raise NodeUnavailable("went down")
        if probe:
            return self._probe(document_id, condition, create)
        request = feed_codec.put_request(document_id, fields, condition, create, timestamp, tested_base, origin,
                                         replica_copy)
        return self._reply(self._service.Put(pb.PutRequest.FromString(request.SerializeToString()), None))

    async def remove(self, document_id, timeout, condition="", timestamp=0, probe=False,
                     tested_base=None) -> FeedResult:
        self.calls.append("remove")
        if self.failing:
            raise NodeUnavailable("went down")
        if probe:
            return self._probe(document_id, condition, False)
        return self._reply(self._service.Remove(feed_codec.remove_request(document_id, condition, timestamp,
                                                                          tested_base), None))

    def _probe(self, document_id, condition, create) -> FeedResult:
        request = feed_codec.probe_request(document_id, condition, create)
        return self._reply(self._service.Probe(pb.ProbeRequest.FromString(request.SerializeToString()), None))

    async def get(self, document_id, timeout):
        return (await self.get_version(document_id, timeout)).fields

    async def get_version(self, document_id, timeout):
        self.calls.append("get")
        reply = self._service.Get(pb.GetRequest(document_id=document_id), None)
        return feed_codec.decode_get_reply(pb.GetReply.FromString(reply.SerializeToString()))

    @staticmethod
    def _reply(reply: pb.FeedReply) -> FeedResult:
        return feed_codec.decode_feed_reply(pb.FeedReply.FromString(reply.SerializeToString()))


@pytest.fixture
def replicas(tmp_path):
    nodes = ContentNode(APP, tmp_path / "a", 0), ContentNode(APP, tmp_path / "b", 2)
    for node in nodes:
        node.sync.start([], wait=True)
    yield tuple(ServiceClient(node) for node in nodes)
    for node in nodes:
        node.close()


def put(client: ServiceClient, text: str, timestamp: int) -> None:
    client.node.put(ID, json.dumps({"title": text, "text": "body"}), timestamp=timestamp)


def update_both(a, b, create=False, operations=UPDATE) -> tuple[int, dict]:
    timestamp = CLOCK.next()

    async def both():
        return dict(zip((a, b), await asyncio.gather(*(c.update(ID, operations, create, 5.0, timestamp=timestamp)
                                                     for c in (a, b)))))
    return timestamp, asyncio.run(both())


def run_repair(outcomes, timestamp: int, timeout=lambda: 5.0) -> str:
    """The repair's answer's message ("" when acknowledged): `repair_answer` for its status."""
    answer = repair_answer(outcomes, timestamp, timeout)
    return "" if not answer else answer.message


def repair_answer(outcomes, timestamp: int, timeout=lambda: 5.0):
    return asyncio.run(repair(ID, outcomes, timeout, held_after(outcomes, timestamp)))


def test_an_update_applied_to_different_versions_is_repaired_with_a_newer_put(replicas):
    a, b = replicas
    t1 = CLOCK.next()
    put(a, "v1", t1)
    put(b, "v1", t1)
    put(a, "v2", CLOCK.next())  # the container died before writing v2 to b
    t3, outcomes = update_both(a, b)
    assert outcomes[a].base > outcomes[b].base == t1  # the nodes report the version they updated
    assert repair_source(outcomes) is a
    assert run_repair(outcomes, t3) == ""
    assert a.node.get(ID) == b.node.get(ID) == {"title": "v2", "text": "updated"}
    (_, ta, _), (_, tb, _) = read_stamped(a.node, ID), read_stamped(b.node, ID)
    assert ta == tb > t3
    assert bucket_checksums(a.node) == bucket_checksums(b.node)


def test_replicas_that_updated_the_same_version_cost_nothing_more(replicas):
    a, b = replicas
    t1 = CLOCK.next()
    put(a, "v1", t1)
    put(b, "v1", t1)
    t3, outcomes = update_both(a, b)
    assert outcomes[a].base == outcomes[b].base == t1
    assert run_repair(outcomes, t3) == ""
    assert a.calls == b.calls == []
    assert read_stamped(a.node, ID)[1] == read_stamped(b.node, ID)[1] == t3


def test_a_superseded_replica_is_not_compared(replicas):
    a, b = replicas
    put(a, "v1", CLOCK.next())
    t3, outcomes = update_both(a, b)
    retried = {a: outcomes[a], b: asyncio.run(b.update(ID, UPDATE, False, 5.0, timestamp=read_stamped(a.node, ID)[1]))}
    assert retried[b].base == -1  # b has no document: evaluated, not found
    put(b, "newer", CLOCK.next())
    again = asyncio.run(b.update(ID, UPDATE, False, 5.0, timestamp=read_stamped(a.node, ID)[1]))
    assert again.ok and again.base is None  # older than b's version: not evaluated
    assert repair_source({a: outcomes[a], b: again}) is None


@pytest.mark.parametrize("create", [False, True])
def test_a_replica_lacking_the_document_gets_the_others(replicas, create):
    a, b = replicas
    put(a, "v2", CLOCK.next())  # b never got it
    t3, outcomes = update_both(a, b, create=create)
    assert outcomes[b].base == -1 and outcomes[b].found is create
    assert run_repair(outcomes, t3) == ""
    assert a.node.get(ID) == b.node.get(ID) == {"title": "v2", "text": "updated"}
    assert bucket_checksums(a.node) == bucket_checksums(b.node)


def test_a_newer_remove_on_one_replica_wins(replicas):
    a, b = replicas
    put(a, "v1", CLOCK.next())
    b.node.remove(ID, timestamp=CLOCK.next())  # a missed the remove
    t3, outcomes = update_both(a, b)
    assert run_repair(outcomes, t3) == ""
    assert a.node.get(ID) is None and b.node.get(ID) is None
    assert bucket_checksums(a.node) == bucket_checksums(b.node)


@pytest.mark.parametrize("failing", ["stale", "source"])
def test_a_repair_reaching_one_replica_stays_visible_to_the_merge(replicas, failing):
    a, b = replicas
    t1 = CLOCK.next()
    put(a, "v1", t1)
    put(b, "v1", t1)
    put(a, "v2", CLOCK.next())
    t3, outcomes = update_both(a, b)
    (b if failing == "stale" else a).failing = True
    assert run_repair(outcomes, t3) == ""  # one has it: acknowledged, the merge carries it to the other
    assert bucket_checksums(a.node) != bucket_checksums(b.node)
    merge_with(b.node, InProcessMergePeer(a.node))
    assert a.node.get(ID) == b.node.get(ID) == {"title": "v2", "text": "updated"}
    assert bucket_checksums(a.node) == bucket_checksums(b.node)
    assert merge_with(a.node, InProcessMergePeer(b.node)).buckets_differing == 0


def test_a_repair_reaching_no_replica_is_an_error(replicas):
    a, b = replicas
    put(a, "v2", CLOCK.next())
    t3, outcomes = update_both(a, b, create=True)
    a.failing = b.failing = True
    message = run_repair(outcomes, t3)
    assert "could not be reconciled" in message and "went down" in message
    # both hold the update's timestamp, on different bases: the origins differ, so the merge sees it
    assert read_stamped(a.node, ID)[1] == read_stamped(b.node, ID)[1]
    assert bucket_checksums(a.node) != bucket_checksums(b.node)
    merge_with(b.node, InProcessMergePeer(a.node))  # the stale replica drives: it pulls the newest base's
    assert a.node.get(ID) == b.node.get(ID) == {"title": "v2", "text": "updated"}
    assert bucket_checksums(a.node) == bucket_checksums(b.node)


class ScriptedReplica(QuietReplica):
    """A content node for the handler tests: updates answer with a scripted base; puts are recorded."""

    def __init__(self, key: int, group: int, base: int, put_fails: bool = False, written_by_others=False) -> None:
        self.node = NodeAddress(key, group, f"host:{key}")
        self.base, self.put_fails, self.written_by_others = base, put_fails, written_by_others
        self.updated_at, self.puts, self.sent = 0, [], []

    async def update(self, document_id, operations, create, timeout, condition="", timestamp=0) -> FeedResult:
        self.updated_at = self.stored = timestamp
        return feed_codec.decode_feed_reply(feed_codec.encode_feed_reply(FeedResult(True, base=self.base)))

    async def get_version(self, document_id, timeout):
        return StoredVersion({"artist": f"as of {self.base}"}, timestamp=self.stored)

    async def put(self, document_id, fields, timeout, condition="", create=False, timestamp=0, tested_base=None,
                  replica_copy=False) -> FeedResult:
        if self.put_fails:
            raise NodeUnavailable("went down")
        self.puts.append((fields, timestamp))
        self.sent.append((tested_base, replica_copy))
        if self.written_by_others:  # another container's put lands before each rewrite
            self.stored = timestamp - 1
            return FeedResult(False, condition_failed=True, base=self.stored)
        return FeedResult(True)

    async def ping(self, timeout: float) -> NodeStatus:
        return NodeStatus(self.node.distribution_key, 1, "", True, 0, "ready")


def update_through_handler(nodes, timeout: str = ""):
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        return client.put(f"/document/v1/test/music/docid/u{timeout and '?timeout=' + timeout}",
                          json={"fields": {"year": {"assign": 2001}}})


def test_the_handler_acknowledges_after_writing_the_newest_result_to_every_replica():
    nodes = [ScriptedReplica(0, 0, base=20), ScriptedReplica(1, 1, base=10)]
    response = update_through_handler(nodes)
    assert response.status_code == 200, response.text
    for node in nodes:
        [(fields, timestamp)] = node.puts
        assert fields == {"artist": "as of 20"} and timestamp > node.updated_at
        # a replica copy (taken whatever the node's languages), conditional on the update's version
        assert node.sent == [(node.updated_at, True)]


def test_the_handler_writes_nothing_more_when_the_bases_agree():
    nodes = [ScriptedReplica(0, 0, base=10), ScriptedReplica(1, 1, base=10)]
    assert update_through_handler(nodes).status_code == 200
    assert nodes[0].puts == nodes[1].puts == []


def test_the_handler_answers_504_when_the_repair_reaches_no_replica():
    """The update was applied (on different versions) and nothing rewritten: outcome unknown, as a 503's
    retry would apply the update twice."""
    nodes = [ScriptedReplica(0, 0, base=20, put_fails=True), ScriptedReplica(1, 1, base=-1, put_fails=True)]
    response = update_through_handler(nodes)
    assert response.status_code == 504
    assert response.json()["pathId"] == "/document/v1/test/music/docid/u"
    assert "could not be reconciled" in response.json()["message"]


def test_the_handler_answers_504_when_the_document_changes_under_the_repair_until_the_deadline():
    """The update was applied and some rewrites were: outcome unknown (a 503 would invite a retry
    that applies the update twice). The rounds end at the request's deadline, not after a count."""
    nodes = [ScriptedReplica(0, 0, base=20), ScriptedReplica(1, 1, base=10, written_by_others=True)]
    response = update_through_handler(nodes, timeout="0.5s")
    assert response.status_code == 504 and "Outcome unknown" in response.json()["message"], response.text
    assert len(nodes[1].puts) > 3
