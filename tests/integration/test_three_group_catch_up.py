"""Three groups (nodes 0, 1, 2 replicas of each other), no periodic merges: nodes 0 and 1 die, a
put and a remove are acknowledged by node 2 alone, node 2 stalls (SIGSTOP) while nodes 0 and 1
come back (nothing to catch up from but each other), then node 2 resumes. Both must then sync
with node 2, though each lists the other first: the put is read back and the removed document
stays gone from every node, before any merge could repair them."""
from __future__ import annotations

import signal

import httpx
import pytest

from deploy import processes
from deploy.local_cluster import LocalCluster
from tests.integration.conftest import DEFAULT_APP
from tests.integration.storage_faults import NodeReader, wait_until

FIELDS = {"title": "three groups", "text": "acknowledged by one replica"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:  # inherited by the cluster's processes
        patch.setenv("PHASEDSEARCH_MERGE_INTERVAL", "0")  # catch-up alone must bring the writes
        with LocalCluster(DEFAULT_APP, tmp_path_factory.mktemp("three-groups"), nodes=3, groups=3) as running:
            yield running


def node_up(http: httpx.Client, key: int) -> bool:
    return next(n for n in http.get("/state/v1/nodes").json()["nodes"] if n["distribution_key"] == key)["up"]


def test_two_nodes_back_from_an_outage_sync_with_the_third_not_only_with_each_other(cluster):
    url = "/document/v1/test/doc/docid/"
    with httpx.Client(base_url=cluster.url, timeout=30.0) as http:
        assert http.post(url + "removed", json={"fields": FIELDS}).status_code == 200
        cluster.kill_node(0, signal.SIGKILL)
        cluster.kill_node(1, signal.SIGKILL)
        assert http.post(url + "acked", json={"fields": FIELDS}).status_code == 200  # node 2 alone
        assert http.delete(url + "removed").status_code == 200
        processes.send_signal(cluster.node_pid(2), signal.SIGSTOP)
        try:
            wait_until(lambda: not node_up(http, 2), 30)
            for key in (1, 0):  # each comes back with no replica to catch up from but the other
                cluster.restart_node(key, wait_healthy=False)
                wait_until(lambda: node_up(http, key), 60)
        finally:
            processes.send_signal(cluster.node_pid(2), signal.SIGCONT)
        cluster.wait_until_healthy()
        wait_until(lambda: all(node_up(http, key) for key in range(3)), 60)
        for key in range(3):
            with NodeReader(cluster.node(key).address) as reader:
                wait_until(lambda: reader.get("id:test:doc::acked") is not None, 30)
                assert reader.get("id:test:doc::removed") is None, f"node {key} brought a removed document back"
        for _ in range(6):  # any replica may answer
            assert http.get(url + "acked").status_code == 200
            assert http.get(url + "removed").status_code == 404
