"""A disk that fills between two health checks, on real processes: two groups (node 1 is node 0's
replica), node 1's data directory a real 16 MB tmpfs (mounting needs root), the feed block off
(disk limit 1.0), as it is for a disk that fills faster than the pings see. Node 1 refuses a put
(507 "No space left on device") that node 0 applied: the client gets the 507, node 1 leaves
rotation (reads and queries are node 0's), and once space is freed it catches up from node 0 and
holds the document: the replicas do not diverge (tests/container/test_feed_block.py: the rule)."""
from __future__ import annotations

import os
import time

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import DEFAULT_APP
from tests.integration.storage_faults import NodeReader, app_with_resource_limits, tmpfs_node_dir, wait_until

TEXT = "lorem ipsum " * 20_000  # 240 KB: the log's preallocated segments (1 + 2 MB) run out in a few puts


@pytest.fixture(scope="module")
def disk(tmp_path_factory):
    with tmpfs_node_dir(tmp_path_factory.mktemp("refused-write"), 1) as mounted:
        yield mounted


@pytest.fixture(scope="module")
def cluster(disk):
    app = app_with_resource_limits(DEFAULT_APP, disk[0] / "app", disk=1.0)
    with LocalCluster(app, disk[0] / "data", nodes=2, groups=2) as running:
        yield running


@pytest.fixture(scope="module")
def http(cluster):
    with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
        yield client


def node(http, key: int) -> dict:
    return http.get("/state/v1/nodes").json()["nodes"][key]


def hits_of(http, user_id: str) -> list[dict]:
    response = http.get("/search/", params={"yql": f'select * from doc where title contains "{user_id}"'})
    assert response.status_code == 200, response.text
    return response.json()["root"].get("children", [])


def test_a_replica_that_refused_a_write_leaves_rotation_and_catches_up_once_space_is_back(cluster, http, disk):
    node_dir = disk[1]
    assert http.post("/document/v1/test/doc/docid/before", json={"fields": {"title": "before"}}).status_code == 200
    stats = os.statvfs(node_dir)
    filler = node_dir / "filler"
    filler.write_bytes(b"\0" * max(0, stats.f_bavail * stats.f_frsize - 300_000))
    try:
        refused = None
        for n in range(40):  # writes go into preallocated log segments until those are used up
            user_id = f"big{n}"
            response = http.post(f"/document/v1/test/doc/docid/{user_id}", json={"fields": {"title": user_id, "text": TEXT}})
            assert response.status_code in (200, 507), response.text
            if response.status_code == 507:
                refused = user_id
                break
        assert refused is not None, "node 1's full disk never refused a write"
        assert "No space left on device" in response.json()["message"]
        document_id = f"id:test:doc::{refused}"
        with NodeReader(cluster.node(0).address) as first, NodeReader(cluster.node(1).address) as second:
            assert first.get(document_id)["title"] == refused, "node 0 applied the write node 1 refused"
            assert second.get(document_id) is None
        state = node(http, 1)
        assert state["reachable"] and not state["up"], state  # missed a write: out of rotation
        assert node(http, 0)["up"]
        for _ in range(5):  # reads and queries are node 0's alone: they see the write every time
            read = http.get(f"/document/v1/test/doc/docid/{refused}")
            assert read.status_code == 200 and read.json()["fields"]["title"] == refused
            assert [hit["fields"]["title"] for hit in hits_of(http, refused)] == [refused]
        time.sleep(1.0)  # catch-ups tried meanwhile cannot write either: still out
        assert not node(http, 1)["up"]
    finally:
        filler.unlink()
    wait_until(lambda: node(http, 1)["up"])  # caught up from node 0, back in rotation
    with NodeReader(cluster.node(0).address) as first, NodeReader(cluster.node(1).address) as second:
        assert second.get(document_id) == first.get(document_id) is not None
        assert second.checksums() == first.checksums(), "the replicas diverge"
    assert http.post("/document/v1/test/doc/docid/after", json={"fields": {"title": "after"}}).status_code == 200
    with NodeReader(cluster.node(1).address) as second:
        assert second.get("id:test:doc::after")["title"] == "after"
