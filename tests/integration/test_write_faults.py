"""Write-path faults on real processes, two groups (node 1 is node 0's replica): a test-and-set
write that the newest replica refuses while a stale replica is stalled (SIGSTOP) mid-write.
The stalled replica tests the condition against the version it still holds and applies the write
when it resumes; answered 412, that write must not win over the newer acknowledged version."""
from __future__ import annotations

import signal
import threading
import time

import httpx
import pytest

from deploy import processes
from deploy.local_cluster import LocalCluster
from tests.integration.conftest import DEFAULT_APP
from tests.integration.storage_faults import NodeReader

V1 = {"title": "v1", "text": "first version"}
V2 = {"title": "v2", "text": "second version"}
V3 = {"title": "v3", "text": "third version"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with LocalCluster(DEFAULT_APP, tmp_path_factory.mktemp("write-faults"), nodes=2, groups=2) as running:
        yield running


@pytest.fixture(scope="module")
def http(cluster):
    with httpx.Client(base_url=cluster.url, timeout=60.0) as client:
        yield client


@pytest.fixture(scope="module")
def readers(cluster):
    with NodeReader(cluster.node(0).address) as first, NodeReader(cluster.node(1).address) as second:
        yield first, second


def node_up(http, key: int) -> bool:
    return next(node["up"] for node in http.get("/state/v1/nodes").json()["nodes"] if node["distribution_key"] == key)


def wait_until(predicate, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


def shown(reader: NodeReader, document_id: str) -> dict | None:
    stored = reader.get(document_id)
    return None if stored is None else {name: stored.get(name) for name in V1}


@pytest.mark.parametrize("write", ["put", "remove"])
def test_a_write_the_newest_replica_refuses_is_not_applied_by_a_stalled_stale_one(cluster, http, readers, write):
    user_id = f"tas-stalled-{write}"
    document_id = f"id:test:doc::{user_id}"
    assert http.post(f"/document/v1/test/doc/docid/{user_id}", json={"fields": V1}).status_code == 200
    readers[0].put(document_id, V2)  # node 1 missed v2 (as a container killed between its two writes leaves it)
    answer: list[httpx.Response] = []
    params = {"condition": 'doc.title=="v1"'}  # holds on node 1's stale v1, not on the newest v2
    send = (lambda: http.post(f"/document/v1/test/doc/docid/{user_id}", params=params, json={"fields": V3})) \
        if write == "put" else (lambda: http.delete(f"/document/v1/test/doc/docid/{user_id}", params=params))
    pid = cluster.node_pid(1)
    processes.send_signal(pid, signal.SIGSTOP)
    try:
        sender = threading.Thread(target=lambda: answer.append(send()))
        sender.start()
        wait_until(lambda: not node_up(http, 1))  # the container has given node 1 up for this write
        time.sleep(1.0)
    finally:
        processes.send_signal(pid, signal.SIGCONT)
    sender.join(60)
    assert answer and answer[0].status_code == 412, answer and answer[0].text
    wait_until(lambda: node_up(http, 1))
    readers[0].merge([cluster.node(1).address])  # what the merge scheduler does sooner or later
    assert shown(readers[0], document_id) == V2 and shown(readers[1], document_id) == V2
