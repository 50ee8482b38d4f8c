"""Groups, failover and catch-up with real processes (issue 7): kill -9 a content node under a
sustained mixed load, restart it, and check queries, coverage and every acknowledged write."""
from __future__ import annotations

import shutil
import signal
import time

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import DEFAULT_APP
from tests.integration.failover_load import (
    Load, group_documents, node_documents, nodes_view, wait_for)

# 2/4/3 s (was 4/8/6): on efdcbb7 this failed 1 run in 2 with a 503 undo: node 1's catch-up copied the
# update node 3 took onto node 1 before the container read it, which counted as a newer version there
# (fixed by c842d1a, pinned by tests/container/test_rewrite_cas.py)
LOAD_BEFORE_KILL = 2.0
DOWN_SECONDS = 4.0
LOAD_AFTER_RESTART = 3.0


@pytest.fixture(scope="module")
def grouped(tmp_path_factory):
    """2 groups of 2 nodes: keys 0,1 in group 0 and 2,3 in group 1."""
    # a private copy: a restarted node must load the package the container started with
    app = shutil.copytree(DEFAULT_APP, tmp_path_factory.mktemp("grouped-app") / "app")
    with LocalCluster(app, tmp_path_factory.mktemp("grouped"), nodes=4, groups=2) as running:
        yield running


@pytest.fixture(scope="module")
def grouped_http(grouped):
    with httpx.Client(base_url=grouped.url, timeout=30.0) as client:
        yield client


def expected_documents(writes) -> set[str]:
    return {doc for doc, fields in writes.acked.items() if fields is not None and doc not in writes.unknown}


def removed_documents(writes) -> set[str]:
    return {doc for doc, fields in writes.acked.items() if fields is None and doc not in writes.unknown}


def test_same_index_nodes_of_two_groups_hold_the_same_documents(grouped, grouped_http):
    for i in range(40):
        response = grouped_http.post(f"/document/v1/test/doc/docid/placed{i}",
                                     json={"fields": {"title": "placement", "text": f"placement check {i}"}})
        assert response.status_code == 200
    addresses = {spec.distribution_key: spec.address for spec in grouped.nodes}
    first, second = node_documents(addresses[0]), node_documents(addresses[2])
    assert first and first == second  # node 0 of group 0 and node 0 of group 1: same buckets
    assert node_documents(addresses[1]) == node_documents(addresses[3])
    assert not first.keys() & node_documents(addresses[1]).keys()


def test_kill_9_under_load_with_two_groups_loses_no_query_and_no_write(grouped, grouped_http):
    with Load(grouped.url, feeders=3, queriers=3) as load:
        time.sleep(LOAD_BEFORE_KILL)
        grouped.kill_node(1, signal.SIGKILL)
        killed_at = time.monotonic()
        wait_for(lambda: not nodes_view(grouped_http)[1]["up"], 10.0)
        detected_after = time.monotonic() - killed_at
        time.sleep(max(DOWN_SECONDS - detected_after, 0.0))
        grouped.restart_node(1, wait_healthy=False)
        wait_for(lambda: nodes_view(grouped_http)[1]["up"], 60.0)  # in rotation only once caught up
        time.sleep(LOAD_AFTER_RESTART)
    writes, queries = load.writes, load.queries
    assert detected_after < 5.0
    assert len(queries.statuses) > 20 and writes.count > 50
    assert queries.failures == [] and queries.degraded == []
    assert writes.failures == []  # the other group always had every document
    expected = expected_documents(writes)
    group0, group1 = group_documents(grouped, 0), group_documents(grouped, 1)
    assert expected <= group0.keys() and expected <= group1.keys()
    assert not removed_documents(writes) & (group0.keys() | group1.keys())
    assert group0 == group1  # same documents with the same content in both groups
    for doc in sorted(expected)[::25]:  # spot-check content against what was acknowledged
        user_id = doc.rsplit("::", 1)[1]
        fields = grouped_http.get(f"/document/v1/test/doc/docid/{user_id}").json()["fields"]
        assert {k: fields.get(k) for k in ("title", "text")} == writes.acked[doc]


def test_stalled_node_leaves_rotation_and_queries_stay_complete(grouped, grouped_http):
    grouped.kill_node(2, signal.SIGSTOP, wait=False)
    try:
        started = time.monotonic()
        first = grouped_http.get("/search/", params={"yql": "select * from doc where true", "timeout": "500ms"})
        assert time.monotonic() - started < 3.0 and first.status_code == 200  # timely, maybe degraded
        wait_for(lambda: not nodes_view(grouped_http)[2]["up"], 10.0)
        for _ in range(6):  # round robin would have picked group 1 half the time
            root = grouped_http.get("/search/", params={"yql": "select * from doc where true"}).json()["root"]
            assert root["coverage"]["full"] is True and "errors" not in root
        for i in range(12):  # acknowledged by group 0 alone: node 2 misses those it owns
            response = grouped_http.post(f"/document/v1/test/doc/docid/stalled{i}",
                                         json={"fields": {"title": "while stalled", "text": f"stall {i}"}})
            assert response.status_code == 200
    finally:
        grouped.kill_node(2, signal.SIGCONT, wait=False)
    wait_for(lambda: nodes_view(grouped_http)[2]["up"], 30.0)  # only after catching up again
    group0, group1 = group_documents(grouped, 0), group_documents(grouped, 1)
    assert {f"id:test:doc::stalled{i}" for i in range(12)} <= group1.keys()
    assert group0 == group1


def test_status_shows_every_node_in_rotation(grouped, grouped_http):
    view = nodes_view(grouped_http)
    assert sorted(view) == [0, 1, 2, 3]
    assert all(node["up"] and node["reachable"] and node["state"] == "ready" for node in view.values())
    assert [view[k]["group"] for k in range(4)] == [0, 0, 1, 1]
