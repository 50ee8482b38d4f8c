"""Puts, removes, updates with create=true and conditional updates of the same documents, over
and over, through kill -9 of either replica (at any moment: a snapshot and a log trim every few
operations), of both in turn (the one killed first comes back first) and of the container, with
periodic replica merges: a remove, not only a put, must survive every fault (a removed document
never comes back), and every acknowledged write must be there, on both replicas alike (the model:
tests/integration/mixed_writes.py)."""
from __future__ import annotations

import signal

import pytest

from deploy import processes
from deploy.local_cluster import LocalCluster
from tests.integration.conftest import DEFAULT_APP
from tests.integration.mixed_writes import MixedFeeder, answers_ready, assert_as_modelled
from tests.integration.storage_faults import NodeReader, wait_until


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:  # inherited by the cluster's processes
        patch.setenv("PHASEDSEARCH_SNAPSHOT_INTERVAL", "12")  # snapshots and log trims all along
        patch.setenv("PHASEDSEARCH_MERGE_INTERVAL", "2")
        with LocalCluster(DEFAULT_APP, tmp_path_factory.mktemp("mixed"), nodes=2, groups=2) as running:
            yield running


@pytest.fixture(scope="module")
def readers(cluster):
    with NodeReader(cluster.node(0).address) as first, NodeReader(cluster.node(1).address) as second:
        yield first, second


def test_kill_9_of_either_replica_under_mixed_writes_loses_no_write_and_resurrects_no_remove(cluster, readers):
    """The writes stop before the node killed comes back, so the newest write of many documents is
    one the other replica alone took: its catch-up and the merges must bring exactly those."""
    with MixedFeeder(cluster.url, "a") as feeder:
        feeder.settle(40)
        for key in (1, 0, 1):
            cluster.kill_node(key, signal.SIGKILL)
            feeder.settle(40)  # acknowledged by the other replica alone
            with feeder.paused():
                cluster.restart_node(key)
                assert_as_modelled(readers, feeder)
            feeder.settle(20)
    assert_as_modelled(readers, feeder)


def test_both_replicas_killed_in_turn_the_first_back_holding_stale_documents(cluster, readers):
    """Node 1 misses removes and puts that node 0 alone acknowledges; node 0 dies too and node 1
    comes back first, serving what it holds (taking puts and removes of its own: some documents then
    have their newest write on node 1 alone); once node 0 is back the two must hold the newest
    versions: none of node 1's stale copies may win, no remove node 0 alone holds may be undone.
    Updates and conditional updates are sent all along: while node 1 is alone they are 503 and
    applied nowhere (one applied to node 1's stale version would, by its newer timestamp, replace
    node 0's newer base when it returns: the acknowledged put under it would be lost)."""
    with MixedFeeder(cluster.url, "b") as feeder:
        feeder.settle(30)
        cluster.kill_node(1, signal.SIGKILL)
        feeder.settle(40)
        with feeder.paused():
            cluster.kill_node(0, signal.SIGKILL)
            cluster.restart_node(1, wait_healthy=False)
            wait_until(lambda: answers_ready(readers[1]), 60)
        feeder.settle(10)  # node 1 alone
        wait_until(lambda: feeder.stale_refused["update"] + feeder.stale_refused["conditional"] > 0, 30)
        with feeder.paused():
            assert feeder.stale_refused["put"] == feeder.stale_refused["remove"] == 0, feeder.stale_refused
            cluster.restart_node(0)
            assert_as_modelled(readers, feeder)
        acked = feeder.acked["update"] + feeder.acked["conditional"]
        # node 0 back and node 1 synced with it: updates are taken again
        wait_until(lambda: feeder.acked["update"] + feeder.acked["conditional"] > acked, 30)
    assert_as_modelled(readers, feeder)


def test_kill_9_of_the_container_under_mixed_writes(cluster, readers):
    with MixedFeeder(cluster.url, "c") as feeder:
        for _ in range(2):
            feeder.settle(40)
            processes.send_signal(cluster.container_pid, signal.SIGKILL)
            cluster.restart_container()
        feeder.settle(30)
    assert_as_modelled(readers, feeder)
