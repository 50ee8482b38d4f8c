"""Copies between replicas (catch-up, merge) carry versions already acknowledged elsewhere: a
document whose language lost its analyzer in a package change since is copied, as replay keeps it,
not refused (which would leave a catching-up node out of service and stop merges there); a client
put in that language is still refused. So do the container's copies of an acknowledged version
(container/http/update_repair.py: to an owner that refused a write, and a repair's writes). In
process: two ContentNodes, the merge push through the real PutRequest and service, the container's
writes through its client and the wire codec."""
from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from container.dispatch.content_client import NodeAddress, UnsyncedOwner
from container.dispatch.local_client import LocalContentNodeClient
from container.http.update_repair import Held, copy_to_refusers, repair
from content_node.catch_up import GrpcPeer
from content_node.node import ContentNode
from content_node.replica_merge import merge_with
from content_node.service import ContentNodeService
from searchlib.errors import DocumentError
from searchlib.wire.feed_codec import FeedResult
from tests.content_node.test_catch_up import InProcessPeer, sync_from
from tests.content_node.test_replica_merge import NOW, T, InProcessMergePeer

APP = Path(__file__).resolve().parents[1] / "apps" / "lucene_languages"
THAI = {"lang": "th", "title": "บ้านสวย"}  # th: analyzed only while the package configures it
ID = "id:test:doc::1"


@pytest.fixture
def apps(tmp_path):
    """(the package before, with a Thai analyzer, the package after: without it)."""
    before, after = tmp_path / "before", tmp_path / "after"
    shutil.copytree(APP, before)
    shutil.copytree(APP, after)
    services = (before / "services.xml").read_text()
    (before / "services.xml").write_text(services.replace("<analysis>", '<analysis><item key="th"/>', 1))
    return before, after


def holding_spanish(apps, data: Path) -> ContentNode:
    """A node that stored the Thai document under the old package, restarted on the new one."""
    before, after = apps
    old = ContentNode(before, data, 0)
    old.sync.start([], wait=True)
    old.put(ID, json.dumps(THAI), timestamp=T)
    old.close()
    node = ContentNode(after, data, 0)
    node.sync.start([], wait=True)
    with pytest.raises(DocumentError, match="not supported: language 'th'"):  # a client's put: refused
        node.put("id:test:doc::2", json.dumps(THAI))
    return node


def test_catch_up_copies_a_document_whose_language_lost_its_analyzer(apps, tmp_path):
    holder = holding_spanish(apps, tmp_path / "holder")
    restarted = ContentNode(apps[1], tmp_path / "restarted", 2)
    try:
        sync_from(restarted, InProcessPeer(holder))  # asserts the catch-up completed
        assert restarted.database_for(ID).get(ID) == THAI
    finally:
        holder.close()
        restarted.close()


class ServicePutMergePeer(InProcessMergePeer):
    """Pushes as the merge's GrpcPeer does: its PutRequest, into the peer's gRPC service."""

    def __init__(self, node: ContentNode) -> None:
        super().__init__(node)
        service = ContentNodeService(node)
        self._grpc = object.__new__(GrpcPeer)
        self._grpc._stub = type("Stub", (), {"Put": staticmethod(lambda request, timeout: service.Put(request, None))})

    def put(self, document_id, fields_, timestamp, origin=0):
        self._grpc.put(document_id, fields_, timestamp, origin)


def test_a_merge_copies_a_document_whose_language_lost_its_analyzer_both_ways(apps, tmp_path):
    holder = holding_spanish(apps, tmp_path / "holder")
    pulling = ContentNode(apps[1], tmp_path / "pulling", 2)
    pushed_to = ContentNode(apps[1], tmp_path / "pushed_to", 2)
    try:
        for node in (pulling, pushed_to):
            node.sync.start([], wait=True)
        assert merge_with(pulling, InProcessMergePeer(holder), NOW).pulled == 1
        assert pulling.database_for(ID).get(ID) == THAI
        assert merge_with(holder, ServicePutMergePeer(pushed_to), NOW).pushed == 1
        assert pushed_to.database_for(ID).get(ID) == THAI
    finally:
        for node in (holder, pulling, pushed_to):
            node.close()


@pytest.mark.parametrize("write", ["copy to a refuser", "repair"])
def test_the_containers_copy_of_an_acknowledged_version_is_taken_whatever_its_language(apps, tmp_path, write):
    """The holder took a write (its version: the Thai document at T); the other owner, on the new
    package, refused it as catching up (its copy) or applied an update on an older base (the repair)."""
    holder = holding_spanish(apps, tmp_path / "holder")
    other = ContentNode(apps[1], tmp_path / "other", 2)
    other.sync.start([], wait=True)
    clients = [LocalContentNodeClient(NodeAddress(key, key, f"n:{key}"), ContentNodeService(node))
               for key, node in ((0, holder), (2, other))]
    try:
        if write == "repair":
            outcomes = {clients[0]: FeedResult(True, base=T - 1), clients[1]: FeedResult(True, base=-1)}
            assert asyncio.run(repair(ID, outcomes, lambda: 5.0, Held({client: T for client in clients}, {T}))) is None
        else:
            outcomes = {clients[0]: FeedResult(True), clients[1]: UnsyncedOwner("catching up")}
            assert asyncio.run(copy_to_refusers(ID, outcomes, lambda: 5.0)) == {clients[1]}
        assert other.database_for(ID).get(ID) == holder.database_for(ID).get(ID) == THAI
    finally:
        holder.close()
        other.close()
