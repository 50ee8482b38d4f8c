"""Replica merge on real processes, two groups (node 1 is node 0's replica): writes that reached one
replica only (what a container killed between its writes to the two leaves behind: written here
straight to one node over gRPC, with a timestamp as the container gives) are repaired by the
merge a new container runs when it starts, newest version winning on both sides; and a write only
one node holds survives that node's restart catch-up from a replica that lacks it."""
from __future__ import annotations

import re
import signal
import time

import httpx
import pytest

from deploy import processes
from deploy.local_cluster import LocalCluster
from tests.integration.conftest import DEFAULT_APP, feed_all
from tests.integration.storage_faults import NodeReader, log_since

MERGE_INTERVAL = "2"  # seconds: periodic merges in this module come quickly
BOUND = 20.0  # seconds within which the replicas must agree


def fields(text: str) -> dict:
    return {"title": text, "text": f"replica merge {text}"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:  # the cluster's processes inherit it
        patch.setenv("PHASEDSEARCH_MERGE_INTERVAL", MERGE_INTERVAL)
        with LocalCluster(DEFAULT_APP, tmp_path_factory.mktemp("merge"), nodes=2, groups=2) as running:
            yield running


@pytest.fixture(scope="module")
def readers(cluster):
    with NodeReader(cluster.node(0).address) as first, NodeReader(cluster.node(1).address) as second:
        yield first, second


def fed_fields(reader: NodeReader, document_id: str) -> dict | None:
    """The fields the test wrote (a fed document also has the synthetic ones indexing adds)."""
    stored = reader.get(document_id)
    return None if stored is None else {name: stored[name] for name in ("title", "text") if name in stored}


def wait_until_identical(readers) -> float:
    first, second = readers
    started = time.monotonic()
    while first.checksums() != second.checksums():
        assert time.monotonic() - started < BOUND, "the replicas did not converge"
        time.sleep(0.2)
    return time.monotonic() - started


def test_a_new_container_merges_what_the_killed_one_left_half_written(cluster, readers):
    first, second = readers
    with httpx.Client(base_url=cluster.url, timeout=30) as http:
        feed_all(http, {f"base{n}": fields(f"base {n}") for n in range(6)})
    log_path = cluster.log_path("container")
    processes.send_signal(cluster.container_pid, signal.SIGKILL)  # nothing repairs the replicas meanwhile
    first.put("id:test:doc::only-on-0", fields("put that reached node 0 only"))
    second.remove("id:test:doc::base1")  # a remove that reached node 1 only
    first.put("id:test:doc::base2", fields("newer put on node 0 only"))
    second.put("id:test:doc::base3", fields("older put on node 1 only"), timestamp=1)  # older: ignored
    assert first.checksums() != second.checksums()
    offset = log_path.stat().st_size
    cluster.restart_container()
    wait_until_identical(readers)
    for reader in readers:
        assert fed_fields(reader, "id:test:doc::only-on-0") == fields("put that reached node 0 only")
        assert fed_fields(reader, "id:test:doc::base1") is None
        assert fed_fields(reader, "id:test:doc::base2") == fields("newer put on node 0 only")
        assert fed_fields(reader, "id:test:doc::base3") == fields("base 3")
    log = log_since(log_path, offset)
    assert re.search(r"replica merge of content node 0 with nodes \[1\] repaired 3 documents", log), log[-2000:]


def test_a_write_only_one_node_holds_survives_its_restart_and_reaches_the_replica(cluster, readers):
    first, second = readers
    second.put("id:test:doc::only-on-1", fields("acknowledged by node 1 alone"))
    cluster.kill_node(1, signal.SIGKILL)
    node_log = cluster.log_path("content-node-1")
    offset = node_log.stat().st_size
    cluster.restart_node(1)  # catches up from node 0, which never had the document
    assert re.search(r"caught up from .*: 0 documents fetched", log_since(node_log, offset))
    assert fed_fields(second, "id:test:doc::only-on-1") == fields("acknowledged by node 1 alone")
    wait_until_identical(readers)  # the periodic merge copies it to node 0
    assert fed_fields(first, "id:test:doc::only-on-1") == fields("acknowledged by node 1 alone")


def test_merges_of_identical_replicas_change_nothing(cluster, readers):
    first, second = readers
    before = first.checksums()
    time.sleep(float(MERGE_INTERVAL) * 2)
    assert first.checksums() == second.checksums() == before
