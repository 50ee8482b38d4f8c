"""kill -9 of a content node while it writes incremental snapshots under feed (a snapshot every 15
operations, so the kills land in and between snapshot writes), one group: no replica can repair
anything, so every acknowledged document must come back from the node's own files. The exact
crash points (each file write, fsync, rename, the log trim) are covered one by one in
tests/content_node/test_incremental_snapshots.py; this is the real-process version."""
from __future__ import annotations

import signal

import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import DEFAULT_APP
from tests.integration.storage_faults import Feeder, NodeReader, assert_holds, snapshots


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PHASEDSEARCH_SNAPSHOT_INTERVAL", "15")  # inherited by the node processes
        with LocalCluster(DEFAULT_APP, tmp_path_factory.mktemp("snapshot-kill"), nodes=1) as running:
            yield running


def test_kill_9_mid_snapshot_under_feed_loses_no_acknowledged_write(cluster):
    node_dir = cluster.data_dir / "content-node-0"
    acked: dict[str, dict] = {}
    for round_ in range(2):
        with Feeder(cluster.url, f"r{round_}-", workers=4) as feeder:
            feeder.wait_for_acks(90)
            cluster.kill_node(0, signal.SIGKILL)
            assert snapshots(node_dir), "snapshots were being written when the node was killed"
            cluster.restart_node(0)  # the feed goes on: writes in flight are answered, not left hanging
        acked.update(feeder.acked)
        with NodeReader(cluster.node(0).address) as reader:
            assert_holds(reader, acked)
            assert set(reader.checksums()) <= set(acked) | set(feeder.attempted) | {
                d for d in reader.checksums() if not d.startswith(f"id:test:doc::r{round_}-")}
    segments = list((node_dir / "doc").glob("segment-*.seg"))
    assert 1 <= len(segments) <= 2 * 12 + 1, "incremental segments, merged to a bounded count"
