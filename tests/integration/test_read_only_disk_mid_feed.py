"""A disk that turns read-only in the middle of a feed, as ext4 does on an I/O error
(errors=remount-ro): the node's data directory is a small ext4 image on a loop device, and
`/sys/fs/ext4/<dev>/trigger_fs_error` aborts its journal while puts, removes and updates of the
same documents and snapshots every few operations run. One node (no replica to repair anything):
writes from then on must be refused, never acknowledged and then lost: the node is killed -9, the
disk repaired (e2fsck) and mounted again, and the node's own files hold every acknowledged write,
removes included (the model: tests/integration/mixed_writes.py). Two groups: the replicas converge
on a state the acknowledged writes allow once the repaired node is back. Needs root and a loop device."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import DEFAULT_APP
from tests.integration.mixed_writes import MixedFeeder, assert_as_modelled
from tests.integration.storage_faults import NodeReader, app_with_resource_limits, one_node_on_disk, wait_until


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True)


def mount_image(image: Path, directory: Path) -> tuple[str | None, str]:
    """Mount the ext4 `image` on `directory`: (its block device's name, "") or (None, why not)."""
    mounted = run("mount", "-o", "loop,errors=remount-ro", str(image), str(directory))
    if mounted.returncode != 0:
        return None, f"mount -o loop failed: {mounted.stderr.strip() or mounted.returncode}"
    sources = [line.split()[0] for line in Path("/proc/self/mounts").read_text().splitlines()
               if line.split()[1] == str(directory)]
    return (Path(sources[-1]).name, "") if sources else (None, f"{directory} is not in /proc/self/mounts")


@contextlib.contextmanager
def ext4_node_dir(root: Path, key: int):
    """Skips, naming the step that failed, where an ext4 image cannot be mounted (no root, no loop
    device, no e2fsprogs)."""
    node_dir = root / "data" / f"content-node-{key}"
    node_dir.mkdir(parents=True)
    image = root / "disk.img"
    with open(image, "wb") as handle:
        handle.truncate(64 << 20)
    if os.geteuid() != 0:
        pytest.skip(f"mounting an ext4 image needs root (euid {os.geteuid()})")
    missing = [tool for tool in ("mkfs.ext4", "e2fsck", "mount", "umount") if not shutil.which(tool)]
    if missing:
        pytest.skip(f"mounting an ext4 image needs {', '.join(missing)} (not on PATH)")
    made = run("mkfs.ext4", "-q", "-F", str(image))
    if made.returncode != 0:
        pytest.skip(f"mkfs.ext4 failed: {made.stderr.strip() or made.returncode}")
    device, why = mount_image(image, node_dir)
    if not device:
        pytest.skip(why)
    try:
        yield root, node_dir, image, [device]
    finally:
        run("umount", "-l", str(node_dir))


@pytest.fixture(scope="module")
def disk(tmp_path_factory):
    with ext4_node_dir(tmp_path_factory.mktemp("read-only-disk"), 0) as mounted:
        yield mounted


@pytest.fixture(scope="module")
def cluster(disk):
    with one_node_on_disk(disk[0]) as running:
        yield running


def turn_read_only(device: str) -> None:
    Path(f"/sys/fs/ext4/{device}/trigger_fs_error").write_text("hostile test\n")  # ext4_error: remount-ro


def repair_and_restart(cluster, node_dir: Path, image: Path, device: list[str]) -> None:
    """Kill -9 the node, e2fsck its disk, mount it again and restart the node on it."""
    cluster.kill_node(0, signal.SIGKILL)
    assert run("umount", str(node_dir)).returncode == 0
    assert run("e2fsck", "-fy", str(image)).returncode in (0, 1), "the image could not be repaired"
    device[0], why = mount_image(image, node_dir)
    assert device[0], f"the repaired image did not mount: {why}"
    cluster.restart_node(0)


def refusals(feeder: MixedFeeder) -> int:
    return sum(n for status, n in feeder.statuses.items() if status != 200)


def test_a_disk_turning_read_only_mid_feed_refuses_writes_and_loses_no_acknowledged_one(cluster, disk):
    root, node_dir, image, device = disk
    with NodeReader(cluster.node(0).address) as reader:
        with MixedFeeder(cluster.url, "r") as feeder:
            feeder.settle(60)
            turn_read_only(device[0])
            wait_until(lambda: refusals(feeder) >= 20, 60)
            refused = dict(feeder.statuses)
        acked_while_read_only = feeder.statuses.get(200, 0) - refused.get(200, 0)
        assert acked_while_read_only == 0, f"{acked_while_read_only} writes acknowledged on a read-only disk"
        repair_and_restart(cluster, node_dir, image, device)
        assert_as_modelled([reader], feeder)
        with MixedFeeder(cluster.url, "s") as again:  # a writable disk again: so is the node
            again.settle(40)
        assert_as_modelled([reader], again)
        assert_as_modelled([reader], feeder)


def test_one_replica_turning_read_only_mid_feed_loses_no_acknowledged_write(tmp_path):
    """Two groups, node 0's disk aborts: what node 1 alone took is not lost or undone when node 0,
    repaired, returns (its catch-up), and the replicas converge.

    A second cluster in this module, on purpose: the test above needs a node with no replica (one
    would refill what the node's own files lost, hiding the loss it looks for), this one needs two
    groups, and a cluster keeps its group layout for life (a node holding data refuses another
    group: content_node/placement_record.py). It runs on its own disk image, started here only."""
    with ext4_node_dir(tmp_path, 0) as (root, node_dir, image, device), pytest.MonkeyPatch.context() as patch:
        patch.setenv("PHASEDSEARCH_SNAPSHOT_INTERVAL", "10")
        app = app_with_resource_limits(DEFAULT_APP, root / "app", disk=1.0)
        with LocalCluster(app, root / "data", nodes=2, groups=2) as cluster, \
                NodeReader(cluster.node(0).address) as first, NodeReader(cluster.node(1).address) as second:
            with MixedFeeder(cluster.url, "t") as feeder:
                feeder.settle(60)
                turn_read_only(device[0])
                wait_until(lambda: refusals(feeder) >= 20, 60)
                feeder.settle(0)
            repair_and_restart(cluster, node_dir, image, device)
            assert_as_modelled([first, second], feeder)
