"""Storage faults on real processes, two groups (node 1 is node 0's replica): kill -9 of a node and
of the container mid-feed, a bit flip mid-WAL, a torn tail, truncated and damaged snapshots.
Afterwards every acknowledged document is on both nodes with the content that was sent."""
from __future__ import annotations

import re
import signal
import time

import httpx
import pytest

from deploy import processes
from deploy.local_cluster import LocalCluster
from tests.integration.conftest import DEFAULT_APP
from tests.integration.storage_faults import (
    Feeder, NodeReader, assert_holds, document_fields, flip_bit, fullest_segment, log_since, middle_record_byte,
    snapshots, wal_segments, written_bytes)

ACKED: dict[str, dict] = {}  # every document acknowledged in this module, across its tests


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with LocalCluster(DEFAULT_APP, tmp_path_factory.mktemp("replicated"), nodes=2, groups=2) as running:
        yield running


@pytest.fixture(scope="module")
def readers(cluster):
    with NodeReader(cluster.node(0).address) as first, NodeReader(cluster.node(1).address) as second:
        yield first, second


def node_dir(cluster, key: int):
    return cluster.data_dir / f"content-node-{key}"


def feed(cluster, prefix: str, count: int) -> dict[str, dict]:
    with Feeder(cluster.url, prefix) as feeder:
        feeder.wait_for_acks(count)
    ACKED.update(feeder.acked)
    return feeder.acked


def assert_replicas_identical(readers, attempted: dict[str, dict] | None = None) -> None:
    first, second = readers
    deadline = time.monotonic() + 30
    while first.checksums() != second.checksums():
        assert time.monotonic() < deadline, "the replicas did not converge"
        time.sleep(0.3)
    assert_holds(first, ACKED)
    assert_holds(second, ACKED)
    if attempted is not None:  # nothing appears that was never sent, nothing with other content
        present = set(first.checksums())
        assert present <= set(ACKED) | set(attempted), "a document that was never written appeared"
        assert_holds(first, {d: fields for d, fields in attempted.items() if d in present})


def restart_and_read_log(cluster, key: int) -> str:
    log_path = cluster.log_path(f"content-node-{key}")
    offset = log_path.stat().st_size
    cluster.restart_node(key)
    return log_since(log_path, offset)


def test_kill_9_of_a_node_mid_feed_loses_no_acknowledged_write(cluster, readers):
    with Feeder(cluster.url, "k") as feeder:
        feeder.wait_for_acks(60)
        cluster.kill_node(1, signal.SIGKILL)
        feeder.wait_for_acks(len(feeder.acked) + 40)
        cluster.restart_node(1)
        feeder.wait_for_acks(len(feeder.acked) + 40)
    ACKED.update(feeder.acked)
    assert_replicas_identical(readers, feeder.attempted)


def test_kill_9_of_the_container_mid_feed_loses_no_acknowledged_write(cluster, readers):
    """A kill between the writes to the two replicas leaves a document on one: made certain here
    (written to node 0 alone), so the replicas converge because the restarted container has them
    merged, not by luck."""
    half_written = {"id:test:doc::c-half": document_fields("c-half", 0)}
    with Feeder(cluster.url, "c") as feeder:
        feeder.wait_for_acks(60)
        readers[0].put(*next(iter(half_written.items())))
        processes.send_signal(cluster.container_pid, signal.SIGKILL)
        cluster.restart_container()
        feeder.wait_for_acks(len(feeder.acked) + 40)
    ACKED.update(feeder.acked)
    assert_replicas_identical(readers, {**feeder.attempted, **half_written})
    assert_holds(readers[1], half_written)


def test_bit_flip_mid_wal_is_rebuilt_from_the_replica(cluster, readers):
    feed(cluster, "w", 100)
    cluster.kill_node(1, signal.SIGKILL)
    segment = fullest_segment(node_dir(cluster, 1))
    flip_bit(segment, middle_record_byte(segment))
    log = restart_and_read_log(cluster, 1)
    assert re.search(rf"write-ahead log {re.escape(str(segment))} is corrupt at byte \d+", log)
    assert "rebuilding from a replica" in log and re.search(r"caught up from .*: [1-9]\d* documents fetched", log)
    assert list(segment.parent.glob(f"{segment.name}.corrupt-*")), "the damaged log is moved aside"
    assert not segment.exists()
    assert_replicas_identical(readers)
    with httpx.Client(base_url=cluster.url) as http:
        nodes = http.get("/state/v1/nodes").json()["nodes"]
    assert all(node["up"] and node["accepting_writes"] for node in nodes)


def test_a_torn_tail_is_reported_and_the_acknowledged_documents_kept(cluster, readers):
    feed(cluster, "t", 30)
    cluster.kill_node(1, signal.SIGKILL)
    segment = wal_segments(node_dir(cluster, 1))[-1]
    size, records = segment.stat().st_size, written_bytes(segment)
    segment.write_bytes(records[:len(records) - 100] + bytes(size - len(records) + 100))  # cut by a crash
    log = restart_and_read_log(cluster, 1)
    torn = re.search(rf"write-ahead log {re.escape(str(segment))} has a torn tail at byte (\d+): "
                     r"dropping (\d+) bytes", log)
    assert torn and int(torn.group(1)) + int(torn.group(2)) == len(records) - 100
    assert re.search(r"caught up from .*: 1 documents fetched", log), "only the cut record was missing"
    assert_replicas_identical(readers)


def test_truncated_and_damaged_snapshots_fall_back_to_the_previous_one(cluster, readers):
    directory = node_dir(cluster, 1)
    feed(cluster, "s0-", 10)
    cluster.restart_node(1)  # a graceful stop writes a snapshot
    for damage in ("truncate", "flip"):
        feed(cluster, f"s{damage}1-", 10)
        cluster.restart_node(1)
        feed(cluster, f"s{damage}2-", 10)
        cluster.kill_node(1, signal.SIGKILL)
        newest = snapshots(directory)[-1]
        assert len(snapshots(directory)) == 2, "the previous snapshot is kept as a fallback"
        if damage == "truncate":
            newest.write_bytes(newest.read_bytes()[:-100])
        else:
            flip_bit(newest, newest.stat().st_size // 2)
        log = restart_and_read_log(cluster, 1)
        assert re.search(rf"snapshot {re.escape(str(newest))} is corrupt at byte \d+ .*falling back", log)
        assert "Traceback" not in log and "rebuilding" not in log
        assert list(directory.glob(f"doc/{newest.name}.corrupt-*")), "the damaged snapshot is moved aside"
        # the previous snapshot and the log had everything: the replica supplied nothing
        assert re.search(r"caught up from .*: 0 documents fetched", log)
        assert_replicas_identical(readers)
