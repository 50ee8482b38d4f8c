"""Remove and update by selection (/document/v1 visiting, DELETE and PUT with `selection`) while a
replica is killed -9 and restarted under them, two groups, real processes: a client repeats the
request until it answers 200, as Vespa's clients do. Every document the selection matched ends
removed (or updated) on both replicas, none it did not match is touched, and the restarted replica
never brings back a document it held before the remove it missed. No periodic merges run here:
the restarted replica's catch-up alone must bring it what it missed."""
from __future__ import annotations

import signal
import threading
import time

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import DEFAULT_APP, feed_all
from tests.integration.storage_faults import NodeReader, wait_until

COUNT = 300
VISIT = "/document/v1/test/doc/docid"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PHASEDSEARCH_MERGE_INTERVAL", "0")  # no merges: catch-up alone repairs
        with LocalCluster(DEFAULT_APP, tmp_path_factory.mktemp("selection"), nodes=2, groups=2) as running:
            yield running


@pytest.fixture(scope="module")
def readers(cluster):
    with NodeReader(cluster.node(0).address) as first, NodeReader(cluster.node(1).address) as second:
        yield first, second


def until_done(http: httpx.Client, method: str, params: dict, body: dict | None = None) -> list[int]:
    """Repeat the request until it answers 200 (at most a minute); the statuses seen."""
    statuses, deadline = [], time.monotonic() + 60
    while True:
        try:
            status = http.request(method, VISIT, params=params, json=body).status_code
        except httpx.HTTPError:
            status = 0
        statuses.append(status)
        if status == 200:
            return statuses
        assert time.monotonic() < deadline, f"never done: {statuses}"
        time.sleep(0.2)


def killed_and_restarted_meanwhile(cluster, work) -> list[int]:
    """Run `work` while node 1 is killed -9 and restarted: what it returned. Fails if the work was
    done before the kill (the test would then have tested no restart at all)."""
    result: list = []
    thread = threading.Thread(target=lambda: result.append(work()))
    thread.start()
    time.sleep(0.3)
    running_at_kill = thread.is_alive()
    cluster.kill_node(1, signal.SIGKILL)
    time.sleep(0.5)
    cluster.restart_node(1, wait_healthy=False)
    thread.join(120)
    cluster.wait_until_healthy()
    assert running_at_kill, "the request was answered before node 1 was killed: nothing ran through the restart"
    return result[0]


def titles(reader: NodeReader, prefix: str) -> dict[str, str | None]:
    return {f"id:test:doc::{prefix}{n}": (reader.get(f"id:test:doc::{prefix}{n}") or {}).get("title")
            for n in range(COUNT)}


def test_remove_by_selection_through_a_replica_restart(cluster, readers):
    with httpx.Client(base_url=cluster.url, timeout=60) as http:
        feed_all(http, {f"drop{n}": {"title": f"dropme {n}", "text": "selection"} for n in range(COUNT)})
        feed_all(http, {f"keep{n}": {"title": f"keepme {n}", "text": "selection"} for n in range(COUNT)})
        params = {"selection": 'doc.title="dropme*"', "cluster": "content"}
        statuses = killed_and_restarted_meanwhile(cluster, lambda: until_done(http, "DELETE", params))
    for reader in readers:
        wait_until(lambda: not any(titles(reader, "drop").values()), 40)
        assert titles(reader, "keep") == {f"id:test:doc::keep{n}": f"keepme {n}" for n in range(COUNT)}, statuses
    wait_until(lambda: readers[0].checksums() == readers[1].checksums(), 40)


def test_update_by_selection_through_a_replica_restart(cluster, readers):
    with httpx.Client(base_url=cluster.url, timeout=60) as http:
        params = {"selection": 'doc.title="keepme*"', "cluster": "content"}
        body = {"fields": {"text": {"assign": "updated by selection"}}}
        statuses = killed_and_restarted_meanwhile(cluster, lambda: until_done(http, "PUT", params, body))
    wait_until(lambda: readers[0].checksums() == readers[1].checksums(), 40)
    for reader in readers:
        stale = [n for n in range(COUNT) if (reader.get(f"id:test:doc::keep{n}") or {}).get("text") != "updated by selection"]
        assert not stale, (len(stale), statuses)
        assert not any(titles(reader, "drop").values())
