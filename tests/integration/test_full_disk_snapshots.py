"""A disk that fills while snapshots and log trims run every few operations, under puts, removes
and updates of the same documents, one node (no replica to repair anything): writes are refused
(507) or taken, snapshots fail, the node is killed -9 while the disk is full and must start on it,
then again once space is back. Every acknowledged write, removes included, is in the node's own
files, and nothing refused appears (the model: tests/integration/mixed_writes.py). The node's data
directory is a 16 MB tmpfs (mounting needs root)."""
from __future__ import annotations

import errno
import os
import signal

import pytest

from tests.integration.mixed_writes import MixedFeeder, assert_as_modelled
from tests.integration.storage_faults import NodeReader, one_node_on_disk, tmpfs_node_dir, wait_until


@pytest.fixture(scope="module")
def disk(tmp_path_factory):
    with tmpfs_node_dir(tmp_path_factory.mktemp("full-snapshots"), 0) as mounted:
        yield mounted


@pytest.fixture(scope="module")
def cluster(disk):
    with one_node_on_disk(disk[0]) as running:
        yield running


def fill(directory, leave: int) -> None:
    """Fill the node's disk to `leave` bytes free. The node writes meanwhile, so the filler may
    meet a full disk first: then it is cut back until `leave` bytes are free again."""
    path = directory / "filler"
    try:
        with open(path, "ab") as handle:
            handle.write(b"\0" * max(0, free_bytes(directory) - leave))
    except OSError as error:
        if error.errno != errno.ENOSPC:
            raise
    if free_bytes(directory) < leave:
        os.truncate(path, max(0, path.stat().st_size - (leave - free_bytes(directory))))


def free_bytes(directory) -> int:
    stats = os.statvfs(directory)
    return stats.f_bavail * stats.f_frsize


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
