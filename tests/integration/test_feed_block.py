"""The cluster-wide feed block on real processes, two groups (node 1 is node 0's replica), node 1's
data directory a real 16 MB tmpfs (mounting needs root) and services.xml's <resource-limits> at 70 %
disk: once node 1's filesystem is filled past it, puts and updates are refused with 507 naming the
node and the resource, and reach neither replica; removes pass; freeing the space lifts the block."""
from __future__ import annotations

import os

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import DEFAULT_APP
from tests.integration.storage_faults import NodeReader, app_with_resource_limits, tmpfs_node_dir, wait_until



@pytest.fixture(scope="module")
def disk(tmp_path_factory):
    with tmpfs_node_dir(tmp_path_factory.mktemp("feed-block"), 1) as mounted:
        yield mounted


@pytest.fixture(scope="module")
def cluster(disk):
    app = app_with_resource_limits(DEFAULT_APP, disk[0] / "app", disk=0.7)
    with LocalCluster(app, disk[0] / "data", nodes=2, groups=2) as running:
        yield running


@pytest.fixture(scope="module")
def http(cluster):
    with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
        yield client


def post(http, user_id: str) -> httpx.Response:
    return http.post(f"/document/v1/test/doc/docid/{user_id}", json={"fields": {"title": user_id, "text": "feed"}})


def test_a_node_past_the_disk_limit_blocks_puts_and_updates_everywhere_removes_pass(cluster, http, disk):
    node_dir = disk[1]
    assert post(http, "kept").status_code == 200 and post(http, "removed").status_code == 200
    stats = os.statvfs(node_dir)
    assert (stats.f_blocks - stats.f_bavail) / stats.f_blocks < 0.7, "the node's own files leave room"
    filler = node_dir / "filler"  # to 85 % of the filesystem: real usage, as statvfs reports it
    filler.write_bytes(b"\0" * int((stats.f_bavail - 0.15 * stats.f_blocks) * stats.f_frsize))
    try:
        wait_until(lambda: post(http, "probe").status_code == 507)
        refused = post(http, "blocked")
        assert refused.status_code == 507
        message = refused.json()["message"]
        assert message.startswith("External feed is blocked due to resource exhaustion: in content cluster "
                                  f"'content': disk on node 1 [{cluster.node(1).address}] is 8"), message
        assert "% full (the configured limit is 70.0%" in message
        assert http.get("/state/v1/nodes").json()["nodes"][1]["disk_usage"] > 0.8
        update = http.put("/document/v1/test/doc/docid/kept", json={"fields": {"text": {"assign": "changed"}}})
        assert update.status_code == 507 and update.json()["message"].startswith("External feed is blocked")
        assert http.delete("/document/v1/test/doc/docid/removed").status_code == 200
        with NodeReader(cluster.node(0).address) as first, NodeReader(cluster.node(1).address) as second:
            for reader in (first, second):  # neither replica got a refused write; both got the remove
                assert reader.get("id:test:doc::blocked") is None
                assert reader.get("id:test:doc::kept")["text"] == "feed"
                assert reader.get("id:test:doc::removed") is None
        assert http.get("/search/", params={"yql": "select * from doc where true"}).status_code == 200
    finally:
        filler.unlink()
    wait_until(lambda: post(http, "after").status_code == 200, 10)  # the next health checks lift it
    with NodeReader(cluster.node(0).address) as first, NodeReader(cluster.node(1).address) as second:
        assert first.get("id:test:doc::after") == second.get("id:test:doc::after") is not None
