"""A disk that fills while snapshots and log trims run every few operations, under puts, removes
and updates of the same documents, one node (no replica to repair anything): writes are refused
(507) or taken, snapshots fail, the node is killed -9 while the disk is full and must start on it,
then again once space is back. Every acknowledged write, removes included, is in the node's own
files, and nothing refused appears (the model: tests/integration/mixed_writes.py). The node's data
directory is a 16 MB tmpfs (mounting needs root)."""
from __future__ import annotations

import os
import signal

import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import DEFAULT_APP
from tests.integration.mixed_writes import MixedFeeder, assert_as_modelled
from tests.integration.storage_faults import NodeReader, app_with_resource_limits, tmpfs_node_dir, wait_until


@pytest.fixture(scope="module")
def disk(tmp_path_factory):
    with tmpfs_node_dir(tmp_path_factory.mktemp("full-snapshots"), 0) as mounted:
        yield mounted


@pytest.fixture(scope="module")
def cluster(disk):
    app = app_with_resource_limits(DEFAULT_APP, disk[0] / "app", disk=1.0)  # the node's own refusal, no feed block
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PHASEDSEARCH_SNAPSHOT_INTERVAL", "10")
        with LocalCluster(app, disk[0] / "data", nodes=1, groups=1) as running:
            yield running


def fill(directory, leave: int) -> None:
    stats = os.statvfs(directory)
    with open(directory / "filler", "ab") as handle:
        handle.write(b"\0" * max(0, stats.f_bavail * stats.f_frsize - leave))


def test_kill_9_on_a_full_disk_mid_snapshots_loses_no_write_and_resurrects_no_remove(cluster, disk):
    node_dir = disk[1]
    with NodeReader(cluster.node(0).address) as reader:
        with MixedFeeder(cluster.url, "f") as feeder:
            feeder.settle(40)
            fill(node_dir, 200_000)
            wait_until(lambda: feeder.statuses.get(507, 0) >= 10, 90)
            fill(node_dir, 0)
            feeder.settle(0)
            cluster.kill_node(0, signal.SIGKILL)
            cluster.restart_node(0)  # starts on the full disk, serves what it holds
            wait_until(lambda: feeder.statuses.get(507, 0) >= 20, 90)
        assert_as_modelled([reader], feeder)
        (node_dir / "filler").unlink()
        with MixedFeeder(cluster.url, "g") as again:
            again.settle(60)
            cluster.kill_node(0, signal.SIGKILL)
            cluster.restart_node(0)
            again.settle(20)
        assert_as_modelled([reader], feeder)
        assert_as_modelled([reader], again)
