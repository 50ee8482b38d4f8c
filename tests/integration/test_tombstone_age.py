"""Tombstones and their age on real processes, two groups, the content nodes started with a short
`--tombstone-max-age` (Vespa prunes removes after two weeks, our default too; a replica away longer
may bring a removed document back, never one away for less). Node 1 is down for less than the age
while node 0 alone takes removes, and snapshots every few operations prune the tombstones older than
the age and compact the log: when node 1 returns, nothing removed comes back, on either replica —
not through its catch-up nor through the merges that follow."""
from __future__ import annotations

import signal
import sys
import time

import httpx
import pytest

from deploy.local_cluster import ClusterCommands, LocalCluster
from tests.integration.conftest import DEFAULT_APP, feed_all
from tests.integration.storage_faults import NodeReader, wait_until

# seconds: far below two weeks, above the time from node 1's kill to node 0's last prune (~3 s; a
# restart's duration does not count: node 0 takes no writes, so prunes nothing, after the fillers)
MAX_AGE = 7.0
MERGE_INTERVAL = 1  # seconds
COMMANDS = ClusterCommands(content_node=(sys.executable, "-m", "content_node", "--tombstone-max-age", str(MAX_AGE)))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PHASEDSEARCH_SNAPSHOT_INTERVAL", "10")  # prunes and log compaction all along
        patch.setenv("PHASEDSEARCH_MERGE_INTERVAL", str(MERGE_INTERVAL))
        with LocalCluster(DEFAULT_APP, tmp_path_factory.mktemp("tombstones"), nodes=2, groups=2,
                          commands=COMMANDS) as running:
            yield running


def fields(n: int, text: str = "tombstone age") -> dict:
    return {"title": f"aged {n}", "text": text}


def held(reader: NodeReader, names) -> set[str]:
    return {name for name in names if reader.get(f"id:test:doc::{name}") is not None}


def test_a_replica_away_for_less_than_the_tombstone_age_brings_nothing_back(cluster):
    early, late, kept = ([f"{kind}{n}" for n in range(20)] for kind in ("early", "late", "kept"))
    with httpx.Client(base_url=cluster.url, timeout=30) as http, \
            NodeReader(cluster.node(0).address) as first, NodeReader(cluster.node(1).address) as second:
        feed_all(http, {name: fields(n) for n, name in enumerate(early + late + kept)})
        for name in early:  # on both replicas: their tombstones expire while node 1 is away
            assert http.delete(f"/document/v1/test/doc/docid/{name}").status_code == 200
        removed_early = time.monotonic()
        time.sleep(MAX_AGE - 1.5)
        cluster.kill_node(1, signal.SIGKILL)
        away = time.monotonic()
        for name in late:  # node 0 alone
            assert http.delete(f"/document/v1/test/doc/docid/{name}").status_code == 200
        time.sleep(max(0.0, MAX_AGE + 0.5 - (time.monotonic() - removed_early)))  # early ones expired
        feed_all(http, {f"filler{n}": fields(n, "snapshots") for n in range(40)})  # snapshots: prune, compact
        # the late tombstones were younger than the age at node 0's last prune: what "away for less
        # than the age" means for this test (node 1's start-up, however slow under load, is not in it)
        assert time.monotonic() - away < MAX_AGE, "node 0 pruned after the late removes were older than the age"
        cluster.restart_node(1)
        time.sleep(2 * MERGE_INTERVAL)  # merges run meanwhile
        wait_until(lambda: first.checksums() == second.checksums(), 30)
        for reader in (first, second):
            assert not held(reader, early + late), "a removed document came back"
            assert held(reader, kept) == set(kept)
