"""Storage faults on real processes, one group (no replica): a corrupt WAL stops the node with one
clear line; a full disk and a read-only data directory refuse writes with 507 (never acked) while
queries are served, and writes work again once the disk does. The node's data directory is a
small tmpfs (16 MB: the log's segments, grown to 4 MB by the full-disk test, and the next one,
prepared ahead; mounting needs root; the injected-writer unit tests in tests/content_node cover
the same paths everywhere). What is tested is the node's own refusal, what a disk that fills between
two health checks meets: the cluster's feed block is off here (disk limit 1.0), as otherwise it
refuses the writes first (tests/integration/test_feed_block.py)."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys

import httpx
import pytest

from deploy import processes
from deploy.local_cluster import ClusterError, LocalCluster
from tests.integration.conftest import DEFAULT_APP
from tests.integration.storage_faults import (
    Feeder, NodeReader, assert_holds, flip_bit, fullest_segment, log_since, middle_record_byte, wait_until)


def mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def disk(tmp_path_factory):
    root = tmp_path_factory.mktemp("disk")
    node_dir = root / "content-node-0"
    node_dir.mkdir()
    mounted = os.geteuid() == 0 and mount("-t", "tmpfs", "-o", "size=16m", "tmpfs", str(node_dir))
    yield root, node_dir, mounted
    if mounted:
        subprocess.run(["umount", "-l", str(node_dir)], capture_output=True)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    app = tmp_path_factory.mktemp("no-feed-block") / "app"
    shutil.copytree(DEFAULT_APP, app, symlinks=True)
    services = (app / "services.xml").read_text()
    limits = "<tuning><resource-limits><disk>1.0</disk></resource-limits></tuning>"
    (app / "services.xml").write_text(services.replace("</nodes>\n  </content>", f"</nodes>\n    {limits}\n  </content>"))
    return app


@pytest.fixture(scope="module")
def cluster(disk, app):
    with LocalCluster(app, disk[0], nodes=1, groups=1) as running:
        yield running


@pytest.fixture(scope="module")
def http(cluster):
    with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
        yield client


@pytest.fixture
def tmpfs(disk):
    if not disk[2]:
        pytest.skip("mounting a tmpfs needs root (the injected-writer unit tests cover this path)")
    return disk[1]


def node_state(http) -> dict:
    return http.get("/state/v1/nodes").json()["nodes"][0]


def post(http, user_id: str):
    return http.post(f"/document/v1/test/doc/docid/{user_id}", json={"fields": {"title": user_id, "text": "disk"}})


def assert_queries_served(http) -> None:
    response = http.get("/search/", params={"yql": "select * from doc where true", "hits": 1})
    assert response.status_code == 200 and response.json()["root"]["fields"]["totalCount"] > 0


def test_bit_flip_mid_wal_without_a_replica_refuses_to_start_and_says_why(cluster, disk, app):
    node_dir = disk[1]
    with Feeder(cluster.url, "b") as feeder:
        feeder.wait_for_acks(60)
    cluster.kill_node(0, signal.SIGKILL)
    segment = fullest_segment(node_dir)
    flip_bit(segment, middle_record_byte(segment))
    damaged = segment.read_bytes()
    log_path = cluster.log_path("content-node-0")
    offset = log_path.stat().st_size
    with pytest.raises(ClusterError) as caught:
        cluster.restart_node(0)  # what `phasedsearch up` runs into: the reason is in its message
    fatal = rf"FATAL: write-ahead log {re.escape(str(segment))} is corrupt at byte \d+ \(record"
    assert re.search(fatal, str(caught.value))
    assert "Traceback" not in log_since(log_path, offset)
    run = subprocess.run([sys.executable, "-m", "content_node", "--app", str(app), "--data-dir",
                          str(node_dir), "--distribution-key", "0", "--port", str(processes.free_ports(1)[0]),
                          "--groups", "1"], capture_output=True, text=True, timeout=120, cwd=processes.REPO_ROOT)
    assert run.returncode == 3
    assert re.match(fatal, run.stderr.strip().splitlines()[-1]) and "Traceback" not in run.stderr
    assert segment.read_bytes() == damaged, "nothing was cut or moved"
    # the operator's call: move the damaged file aside, start without its records
    segment.rename(segment.with_name(segment.name + ".damaged"))
    cluster.restart_node(0)


def test_a_full_disk_refuses_writes_with_507_serves_queries_and_recovers(cluster, http, tmpfs):
    stats = os.statvfs(tmpfs)
    filler = tmpfs / "filler"
    filler.write_bytes(b"\0" * max(0, stats.f_bavail * stats.f_frsize - 300_000))
    with Feeder(cluster.url, "f", workers=2) as feeder:
        wait_until(lambda: len(feeder.refused) >= 5, 60)
        refusal = feeder.last_refusal["message"]
        assert "No space left on device" in refusal and "Traceback" not in refusal
        state = node_state(http)
        assert not state["accepting_writes"] and "No space left on device" in state["write_error"]
        assert state["up"]
        assert_queries_served(http)
        filler.unlink()  # space comes back: the next write is the probe
        acked = len(feeder.acked)
        feeder.wait_for_acks(acked + 30)
    wait_until(lambda: node_state(http)["accepting_writes"])
    refused = feeder.refused - set(feeder.acked)
    cluster.kill_node(0, signal.SIGKILL)
    cluster.restart_node(0)
    with NodeReader(cluster.node(0).address) as reader:
        assert_holds(reader, feeder.acked)
        assert not [d for d in refused if reader.get(d) is not None], "a refused write was stored"


def test_a_read_only_data_directory_refuses_writes_clearly(cluster, http, tmpfs):
    assert post(http, "before-ro").status_code == 200
    cluster.kill_node(0, signal.SIGKILL)
    assert mount("-o", "remount,ro", str(tmpfs))
    try:
        cluster.restart_node(0)  # starts and serves what it has
        refused = post(http, "while-ro")
        assert refused.status_code == 507 and "Read-only file system" in refused.json()["message"]
        assert "Read-only file system" in node_state(http)["write_error"]
        assert_queries_served(http)
        assert http.get("/document/v1/test/doc/docid/before-ro").status_code == 200
    finally:
        assert mount("-o", "remount,rw", str(tmpfs))
    assert post(http, "after-ro").status_code == 200  # the disk is writable again: so is the node
    cluster.kill_node(0, signal.SIGKILL)
    cluster.restart_node(0)
    assert http.get("/document/v1/test/doc/docid/after-ro").status_code == 200
    assert http.get("/document/v1/test/doc/docid/before-ro").status_code == 200
    assert http.get("/document/v1/test/doc/docid/while-ro").status_code == 404
