"""`phasedsearch down` (LocalCluster.stop) on a content node whose close writes its index image,
with a grace period shorter than that: the node reports progress while it writes
(searchlib/stop_progress.py), so it is waited for instead of SIGKILLed mid-image, and the restart
loads the image with every document."""
from __future__ import annotations

import httpx
import pytest

from benchmarks.bm25_scale import APP
from benchmarks.restart import load_corpus
from deploy.local_cluster import LocalCluster
from deploy.processes import RUN_MARKER

DOCS = 12_000


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("stop-progress")
    load_corpus(data_dir / "content-node-0" / "doc", DOCS, 0)  # a snapshot without an image: re-indexed at start
    with LocalCluster(APP, data_dir, nodes=1, stop_grace=1.0) as running:
        yield running


def last_run(cluster: LocalCluster) -> str:
    return cluster.log_path("content-node-0").read_text().rsplit("\n" + RUN_MARKER, 1)[-1]


def documents(cluster: LocalCluster) -> int:
    return httpx.get(cluster.url + "/state/v1/nodes").json()["nodes"][0]["documents"]


def test_down_waits_for_a_node_writing_its_image_and_the_restart_loads_it(cluster):
    node_dir = cluster.data_dir / "content-node-0"
    assert documents(cluster) == DOCS and not list(node_dir.rglob("index-*.img"))
    cluster.stop()  # the close writes a segment of every document and the first image: longer than 1 s here
    assert "content node 0 stopped" in last_run(cluster), "SIGKILLed during its close"
    assert len(list(node_dir.rglob("index-*.img"))) == 1 and not (node_dir / "stopping.json").exists()
    cluster.start()
    assert ".img loaded" in last_run(cluster) and documents(cluster) == DOCS
