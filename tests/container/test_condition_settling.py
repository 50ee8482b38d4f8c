"""Test-and-set on replicas holding different versions (one missed an acknowledged put): the
condition holds on one and not on the other. The replica that tested the newest version decides
the answer, and every replica ends with the same document, never the stale replica's verdict
(which the merge would otherwise spread, replacing the acknowledged version). Real content nodes
behind their servicer and the wire codec; the container's handler in process."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from container.app import create_app
from container.dispatch.content_client import NodeAddress
from content_node.node import ContentNode
from content_node.replica_merge import bucket_checksums
from searchlib.timestamps import CLOCK
from searchlib.wire.feed_codec import NodeStatus
from tests.container.test_update_repair import ServiceClient
from tests.container.scripted_nodes import QuietReplica

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


def test_a_condition_only_the_stale_replica_meets_is_refused_and_undone_there(replicas):
    a, b = replicas
    response = conditional_put(replicas, 'doc.title=="v1"')
    assert response.status_code == 412, response.text
    assert a.get(ID)["title"] == b.get(ID)["title"] == "v2", "the acknowledged v2 stays, on both"
    assert bucket_checksums(a) == bucket_checksums(b)


def test_a_condition_the_newest_replica_meets_is_applied_everywhere(replicas):
    a, b = replicas
    response = conditional_put(replicas, 'doc.title=="v2"')
    assert response.status_code == 200, response.text
    assert a.get(ID)["title"] == b.get(ID)["title"] == "v3"
    assert bucket_checksums(a) == bucket_checksums(b)
