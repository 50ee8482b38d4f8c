"""Updates never applied on a stale copy, on real processes (two groups: nodes 0 and 1 replicas of
each other, merges off): the two ways the container alone could not see it, closed by the content
node refusing reads for write until it caught up from every replica since it started.

(a) Node 0 restarts after missing an acknowledged put; its replica dies (SIGSTOP, then kill -9)
    while it catches up, before the container's pings notice: an update sent then reached only the
    stale node 0 and was acknowledged, and newest wins then replaced the acknowledged put with it.
(b) Node 0 restarts while node 1, which alone holds an acknowledged put, is down: it caught up from
    nobody; a container started since could not know, and took an update on that copy.
Either update is now a 503 with nothing written; once the replicas have synced it succeeds on the
acknowledged version."""
from __future__ import annotations

import signal

import grpc
import httpx
import pytest

from deploy import processes
from deploy.local_cluster import LocalCluster
from tests.integration.conftest import DEFAULT_APP
from tests.integration.storage_faults import NodeReader, wait_until

URL = "/document/v1/test/doc/docid/"
UPDATE = {"fields": {"text": {"assign": "updated"}}}


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:  # inherited by the cluster's processes
        patch.setenv("PHASEDSEARCH_MERGE_INTERVAL", "0")  # no merge may hide (or repair) a lost write
        with LocalCluster(DEFAULT_APP, tmp_path_factory.mktemp("stale-base"), nodes=2, groups=2) as running:
            yield running


def node_up(http: httpx.Client, key: int) -> bool:
    nodes = http.get("/state/v1/nodes").json()["nodes"]
    return next(n for n in nodes if n["distribution_key"] == key)["up"]


def answers(http: httpx.Client) -> bool:
    try:
        return http.get("/state/v1/nodes").status_code == 200
    except httpx.HTTPError:
        return False


def state_of(address: str) -> str:
    """The node's catch-up state, on a new channel (one that failed while the node was down waits
    out gRPC's reconnect backoff)."""
    with NodeReader(address) as reader:
        try:
            return reader.ping().state
        except grpc.RpcError:
            return ""  # not listening yet


def stored(reader: NodeReader, name: str) -> dict | None:
    """The fed fields as the node stores them (synthetic ones left out)."""
    fields = reader.get(f"id:test:doc::{name}")
    return None if fields is None else {key: fields.get(key) for key in ("title", "text")}


def acknowledged_put_on_node_1_alone(pair: LocalCluster, http: httpx.Client, name: str) -> None:
    assert http.post(URL + name, json={"fields": {"title": "v1", "text": "v1"}}).status_code == 200
    pair.kill_node(0, signal.SIGKILL)
    wait_until(lambda: not node_up(http, 0), 30)
    assert http.post(URL + name, json={"fields": {"title": "v2 acknowledged", "text": "v2"}}).status_code == 200


def assert_updated_on_the_acknowledged_version(pair: LocalCluster, http: httpx.Client, name: str) -> None:
    """Once both replicas are back and synced, the update is taken and applies to the acknowledged put."""
    pair.wait_until_healthy()
    wait_until(lambda: node_up(http, 0) and node_up(http, 1), 60)
    wait_until(lambda: http.put(URL + name, json=UPDATE).status_code == 200, 60, interval=0.25)
    for key in (0, 1):
        with NodeReader(pair.node(key).address) as reader:
            assert stored(reader, name) == {"title": "v2 acknowledged", "text": "updated"}, key
    fields = http.get(URL + name).json()["fields"]
    assert (fields["title"], fields["text"]) == ("v2 acknowledged", "updated")


def test_an_update_after_the_replica_died_within_a_ping_interval_is_refused_not_applied(pair):
    name = "ping-interval"
    with httpx.Client(base_url=pair.url, timeout=60.0) as http:
        acknowledged_put_on_node_1_alone(pair, http, name)
        pair.restart_node(0, wait_healthy=False)
        wait_until(lambda: state_of(pair.node(0).address) == "catching-up", 60, interval=0.01)  # the container's order came
        processes.send_signal(pair.node_pid(1), signal.SIGSTOP)  # dies: pings see it only ~1.5 s later
        try:
            answer = http.put(URL + name, json=UPDATE)
        finally:
            pair.kill_node(1, signal.SIGKILL)
        with NodeReader(pair.node(0).address) as node0:
            if answer.status_code == 200:  # node 0 had finished its catch-up before the SIGSTOP (a slow
                # machine): the update was rightly taken, on the acknowledged version it fetched
                assert stored(node0, name) == {"title": "v2 acknowledged", "text": "updated"}
            else:
                assert answer.status_code == 503, answer.text
                assert stored(node0, name) == {"title": "v1", "text": "v1"}  # nothing applied on it
        pair.restart_node(1)
        assert_updated_on_the_acknowledged_version(pair, http, name)


def test_a_node_that_caught_up_from_nobody_refuses_updates_under_a_new_container(pair):
    name = "from-nobody"
    with httpx.Client(base_url=pair.url, timeout=60.0) as http:
        acknowledged_put_on_node_1_alone(pair, http, name)
        pair.kill_node(1, signal.SIGKILL)
        pair.restart_node(0, wait_healthy=False)
        wait_until(lambda: node_up(http, 0), 60)  # serves what it holds: no replica answers
        processes.send_signal(pair.container_pid, signal.SIGKILL)
        pair.restart_container(wait_healthy=False)  # it never saw node 0 catch up from nobody
        wait_until(lambda: answers(http) and node_up(http, 0), 60)
        answer = http.put(URL + name, json=UPDATE)
        assert answer.status_code == 503, answer.text
        with NodeReader(pair.node(0).address) as node0:
            assert stored(node0, name) == {"title": "v1", "text": "v1"}
        pair.restart_node(1, wait_healthy=False)
        assert_updated_on_the_acknowledged_version(pair, http, name)
