"""Catch-up faults on real processes, without periodic merges (catch-up alone must bring the
writes). Three groups (nodes 0, 1, 2 replicas of each other): nodes 0 and 1 die, a put and a
remove are acknowledged by node 2 alone, node 2 stalls (SIGSTOP) while nodes 0 and 1 come back
(nothing to catch up from but each other), then resumes: both must sync with node 2, though each
lists the other first; and mixed writes while two of the three die in turn. Two groups: the
replica a node catches up from dies mid-way."""
from __future__ import annotations

import signal

import httpx
import pytest

from deploy import processes
from deploy.local_cluster import LocalCluster
from tests.integration.conftest import DEFAULT_APP
from tests.integration.mixed_writes import MixedFeeder, assert_as_modelled
from tests.integration.storage_faults import NodeReader, wait_until

FIELDS = {"title": "three groups", "text": "acknowledged by one replica"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:  # inherited by the cluster's processes
        patch.setenv("PHASEDSEARCH_MERGE_INTERVAL", "0")  # catch-up alone must bring the writes
        with LocalCluster(DEFAULT_APP, tmp_path_factory.mktemp("three-groups"), nodes=3, groups=3) as running:
            yield running


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PHASEDSEARCH_MERGE_INTERVAL", "0")
        with LocalCluster(DEFAULT_APP, tmp_path_factory.mktemp("two-groups"), nodes=2, groups=2) as running:
            yield running


def node_view(http: httpx.Client, key: int) -> dict:
    return next(n for n in http.get("/state/v1/nodes").json()["nodes"] if n["distribution_key"] == key)


def node_up(http: httpx.Client, key: int) -> bool:
    return node_view(http, key)["up"]


def _answers(http: httpx.Client) -> bool:
    try:
        return http.get("/state/v1/nodes").status_code == 200
    except httpx.HTTPError:
        return False


def node_state(http: httpx.Client, key: int) -> str:
    return node_view(http, key)["state"]


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


@pytest.mark.parametrize("container", ["kept", "restarted"])
def test_a_catch_up_cut_short_by_the_replica_dying_is_redone_when_it_returns(pair, container):
    """Node 1 alone acknowledges a put while node 0 is down; node 0 comes back and node 1 dies
    while node 0 catches up from it. Node 0 serves what it has (no replica is up), but once node 1
    returns node 0 must sync with it before serving alone: the put is read back from every node.
    `restarted`: a new container, which never saw node 0 miss the write, asks for that catch-up."""
    url = "/document/v1/test/doc/docid/"
    name = f"cut-short-{container}"
    with httpx.Client(base_url=pair.url, timeout=30.0) as http:
        pair.kill_node(0, signal.SIGKILL)
        assert http.post(url + name, json={"fields": FIELDS}).status_code == 200  # node 1 alone
        if container == "restarted":
            processes.send_signal(pair.container_pid, signal.SIGKILL)
            pair.restart_container(wait_healthy=False)
            wait_until(lambda: _answers(http), 60)
        pair.restart_node(0, wait_healthy=False)
        wait_until(lambda: node_state(http, 0) == "catching-up", 60, interval=0.02)
        pair.kill_node(1, signal.SIGKILL)
        wait_until(lambda: node_up(http, 0), 60)
        pair.restart_node(1)
        with NodeReader(pair.node(0).address) as reader:
            wait_until(lambda: reader.get(f"id:test:doc::{name}") is not None, 30)
        for _ in range(4):  # either replica may answer
            assert http.get(url + name).status_code == 200


def test_mixed_writes_through_two_of_three_replicas_dying_converge_by_catch_up_alone(cluster):
    """Puts, removes and updates while nodes 0 and 1 die one after the other and come back with
    the writes paused (so the newest of many is on the others alone): no merge runs, so catch-up
    from every replica must leave the three nodes holding the same, modelled documents."""
    readers = [NodeReader(cluster.node(key).address) for key in range(3)]
    try:
        with MixedFeeder(cluster.url, "three") as feeder:
            feeder.settle(30)
            cluster.kill_node(0, signal.SIGKILL)
            feeder.settle(30)
            cluster.kill_node(1, signal.SIGKILL)
            feeder.settle(30)  # node 2 alone
            with feeder.paused():
                cluster.restart_node(1, wait_healthy=False)
                cluster.restart_node(0)
                assert_as_modelled(readers, feeder)
            feeder.settle(20)
        assert_as_modelled(readers, feeder)
    finally:
        for reader in readers:
            reader.__exit__()
