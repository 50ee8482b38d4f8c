"""Write-path faults on real processes, two groups (node 1 is node 0's replica):
- a test-and-set write that the newest replica refuses while a stale replica is stalled (SIGSTOP)
  mid-write: the stalled one tests the condition against the version it still holds and applies the
  write when it resumes; answered 412, that write must not win over the newer acknowledged version;
- a replica restarted onto a full disk cannot store the writes it missed: it must stay out of
  service (queries complete) until space is back and it has caught up;
- a get of stalled replicas answers 504 once its `timeout=` is up; one of a stalled replica is answered
  by the other once health checks see the stalled one go down.
Node 1's data directory is a small tmpfs (mounting needs root)."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

import httpx
import pytest

from content_node.store.wal_files import PREPARED_NAME
from deploy import processes
from deploy.local_cluster import LocalCluster
from tests.integration.conftest import DEFAULT_APP
from tests.integration.storage_faults import Feeder, NodeReader, assert_holds, wait_until

V1 = {"title": "v1", "text": "first version"}
V2 = {"title": "v2", "text": "second version"}
V3 = {"title": "v3", "text": "third version"}


@pytest.fixture(scope="module")
def disk(tmp_path_factory):
    root = tmp_path_factory.mktemp("write-faults")
    node_dir = root / "content-node-1"
    node_dir.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(node_dir)], capture_output=True).returncode == 0
    yield root, node_dir, mounted
    if mounted:
        subprocess.run(["umount", "-l", str(node_dir)], capture_output=True)


@pytest.fixture(scope="module")
def cluster(disk):
    with LocalCluster(DEFAULT_APP, disk[0], nodes=2, groups=2) as running:
        yield running


@pytest.fixture(scope="module")
def http(cluster):
    with httpx.Client(base_url=cluster.url, timeout=60.0) as client:
        yield client


@pytest.fixture(scope="module")
def readers(cluster):
    with NodeReader(cluster.node(0).address) as first, NodeReader(cluster.node(1).address) as second:
        yield first, second


def node_state(http, key: int) -> dict:
    return next(node for node in http.get("/state/v1/nodes").json()["nodes"] if node["distribution_key"] == key)


def node_up(http, key: int) -> bool:
    return node_state(http, key)["up"]


def shown(reader: NodeReader, document_id: str) -> dict | None:
    stored = reader.get(document_id)
    return None if stored is None else {name: stored.get(name) for name in V1}


@pytest.mark.parametrize("write, newest, stalled", [
    ("put", "v2", "stale"), ("remove", "v2", "stale"), ("put", "removed", "stale"), ("put", "v2", "newest")])
def test_a_write_the_newest_replica_refuses_is_not_applied_by_a_stalled_stale_one(
        cluster, http, readers, write, newest, stalled):
    """Node 1 is stalled: the stale replica (it missed the newest write) or the newest one."""
    user_id = f"tas-stalled-{write}-{newest}-{stalled}"
    document_id = f"id:test:doc::{user_id}"
    assert http.post(f"/document/v1/test/doc/docid/{user_id}", json={"fields": V1}).status_code == 200
    # the newest write reached one node (as a container killed between its two writes leaves it)
    holder = readers[0] if stalled == "stale" else readers[1]
    holder.put(document_id, V2) if newest == "v2" else holder.remove(document_id)
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
        time.sleep(0.5)  # the write has given node 1 up too (it polls health every 0.25 s)
    finally:
        processes.send_signal(pid, signal.SIGCONT)
    sender.join(60)
    assert answer and answer[0].status_code == 412, answer and answer[0].text
    wait_until(lambda: node_up(http, 1))
    readers[0].merge([cluster.node(1).address])  # what the merge scheduler does sooner or later
    expected = V2 if newest == "v2" else None  # a removed document stays removed
    assert shown(readers[0], document_id) == expected and shown(readers[1], document_id) == expected


def test_a_replica_restarted_onto_a_full_disk_serves_only_once_it_holds_what_it_missed(cluster, http, readers, disk):
    if not disk[2]:
        pytest.skip("mounting a tmpfs needs root (tests/content_node/test_catch_up.py covers the rule)")
    with Feeder(cluster.url, "full-before-") as before:
        before.wait_for_acks(20)
    cluster.kill_node(1, signal.SIGKILL)
    with Feeder(cluster.url, "full-missed-") as missed:
        missed.wait_for_acks(30)
    acked = {**before.acked, **missed.acked}
    for prepared in disk[1].glob(f"*/{PREPARED_NAME}"):  # removed by the start anyway: its space is free
        prepared.unlink()
    stats = os.statvfs(disk[1])
    filler = disk[1] / "filler"
    filler.write_bytes(b"\0" * max(0, stats.f_bavail * stats.f_frsize - 20_000))
    try:
        cluster.restart_node(1, wait_healthy=False)
        wait_until(lambda: "No space left on device" in node_state(http, 1)["write_error"])
        wait_until(lambda: node_state(http, 1)["state"] == "awaiting-sync")  # tried, could not store: not ready
        assert not node_up(http, 1)
        yql = 'select * from doc where title contains "document"'
        for _ in range(4):  # every query is answered by the group that holds everything
            answer = http.get("/search/", params={"yql": yql, "hits": 0}).json()
            assert answer["root"]["fields"]["totalCount"] == len(acked)
    finally:
        filler.unlink()
    wait_until(lambda: node_up(http, 1))  # the next Sync catches up, then it serves
    assert_holds(readers[1], acked)


@pytest.mark.parametrize("method", ["DELETE", "PUT"])
def test_a_write_by_selection_never_applies_to_a_version_only_a_stale_replica_matches(cluster, http, readers, method):
    """Each page comes from one group; a replica that missed v2 still matches `title == "v1"`. The
    write must not replace the newest acknowledged version (v2, which does not match) everywhere.
    One document is stale on each node, so whichever group is visited holds a stale one."""
    stale_on = {f"id:test:doc::sel-{method}-{key}": key for key in (0, 1)}
    for document_id, key in stale_on.items():
        assert http.post(f"/document/v1/test/doc/docid/{document_id.rsplit(':', 1)[1]}",
                         json={"fields": V1}).status_code == 200
        readers[1 - key].put(document_id, V2)  # the other node missed v2
    params = {"selection": 'doc.title=="v1"', "cluster": "content"}  # no other document has v1 now
    if method == "DELETE":
        answer = http.delete("/document/v1/test/doc/docid", params=params)
    else:
        answer = http.put("/document/v1/test/doc/docid", params=params,
                          json={"fields": {"text": {"assign": "updated by selection"}}})
    assert answer.status_code == 200, answer.text
    readers[0].merge([cluster.node(1).address])
    for document_id in stale_on:
        assert shown(readers[0], document_id) == V2 and shown(readers[1], document_id) == V2, document_id


@pytest.mark.parametrize("write", ["put", "remove"])
def test_a_stale_replica_stalled_past_the_timeout_never_applies_a_write_the_newest_refused(
        cluster, http, readers, write):
    """Node 1 (stale: it missed v2) is stalled until after the container answered: when it resumes
    it must not apply, on its old v1, the conditional write that v2 refuses; the merge would then
    spread it over the acknowledged v2 on every replica."""
    user_id = f"tas-late-{write}"
    document_id = f"id:test:doc::{user_id}"
    assert http.post(f"/document/v1/test/doc/docid/{user_id}", json={"fields": V1}).status_code == 200
    readers[0].put(document_id, V2)  # node 1 missed v2
    params = {"condition": 'doc.title=="v1"', "timeout": "1.5s"}
    pid = cluster.node_pid(1)
    processes.send_signal(pid, signal.SIGSTOP)
    try:
        if write == "put":
            answer = http.post(f"/document/v1/test/doc/docid/{user_id}", params=params, json={"fields": V3})
        else:
            answer = http.delete(f"/document/v1/test/doc/docid/{user_id}", params=params)
    finally:
        processes.send_signal(pid, signal.SIGCONT)
    assert answer.status_code in (412, 504), answer.text  # not written: v2 refuses it
    wait_until(lambda: node_up(http, 1))
    time.sleep(1.0)  # whatever node 1 still had queued from before its stall has run by now
    readers[0].merge([cluster.node(1).address])
    assert shown(readers[0], document_id) == V2 and shown(readers[1], document_id) == V2


def test_a_conditional_write_does_not_wait_for_a_replica_already_seen_down(cluster, http, readers):
    """Node 1 stalled before the write and health checks took it out: the probe's late answer and the
    write it gets when it resumes are harmless, and it has been missing writes, so it is not waited
    for (as a dead node); it holds the write once it is back."""
    user_id = "tas-down-before"
    document_id = f"id:test:doc::{user_id}"
    assert http.post(f"/document/v1/test/doc/docid/{user_id}", json={"fields": V1}).status_code == 200
    pid = cluster.node_pid(1)
    processes.send_signal(pid, signal.SIGSTOP)
    try:
        wait_until(lambda: not node_state(http, 1)["reachable"])
        started = time.monotonic()
        answer = http.post(f"/document/v1/test/doc/docid/{user_id}", params={"condition": 'doc.title=="v1"',
                                                                             "timeout": "5s"}, json={"fields": V3})
        assert answer.status_code == 200 and time.monotonic() - started < 3, answer.text
    finally:
        processes.send_signal(pid, signal.SIGCONT)
    wait_until(lambda: node_up(http, 1))
    readers[0].merge([cluster.node(1).address])
    assert shown(readers[0], document_id) == V3 and shown(readers[1], document_id) == V3


def test_the_node_back_first_after_both_died_syncs_with_the_other_before_serving_again(cluster, http, readers):
    """Node 1 dies, node 0 takes writes alone, then dies too; node 1 comes back first and serves what
    it holds (nobody to catch up from) and takes writes alone. Once node 0 answers again, node 1 must
    not serve until it synced with node 0: every read and search the cluster answers on either group,
    from the moment both are in rotation again, sees every acknowledged write (the periodic merge
    would repair node 1 only later)."""
    expected = {"resync-both": {"title": "v2", "text": "resynced"}, "resync-only0": {"title": "v1", "text": "resynced"},
                "resync-only1": {"title": "v3", "text": "resynced"}}

    def put(user_id: str, fields: dict) -> None:
        answer = http.post(f"/document/v1/test/doc/docid/{user_id}", json={"fields": fields})
        assert answer.status_code == 200, answer.text

    put("resync-both", {"title": "v1", "text": "resynced"})
    cluster.kill_node(1, signal.SIGKILL)
    wait_until(lambda: not node_state(http, 1)["reachable"])
    put("resync-both", expected["resync-both"])
    put("resync-only0", expected["resync-only0"])
    cluster.kill_node(0, signal.SIGKILL)
    cluster.restart_node(1, wait_healthy=False)
    wait_until(lambda: node_up(http, 1))
    put("resync-only1", expected["resync-only1"])
    assert readers[1].get("id:test:doc::resync-only0") is None  # node 1 serves alone, without node 0's writes
    cluster.restart_node(0, wait_healthy=False)
    wait_until(lambda: node_up(http, 0) and node_up(http, 1))
    for user_id, fields in expected.items():
        answer = http.get(f"/document/v1/test/doc/docid/{user_id}")
        assert answer.status_code == 200 and answer.json()["fields"] == fields, (user_id, answer.text)
    for group in (0, 1):
        answer = http.get("/search/", params={"yql": 'select * from doc where text contains "resynced"',
                                              "model.searchPath": f"/{group}", "hits": 10})
        assert answer.status_code == 200, answer.text
        hits = {hit["id"].rsplit(":", 1)[1]: hit["fields"]["title"] for hit in answer.json()["root"].get("children", [])}
        assert hits == {user_id: fields["title"] for user_id, fields in expected.items()}, (group, hits)
    for reader in readers:
        assert {user_id: shown(reader, f"id:test:doc::{user_id}") for user_id in expected} == expected


def test_a_get_of_stalled_replicas_answers_504_within_its_timeout(cluster, http):
    """Both replicas stalled (SIGSTOP) before health checks notice: the read waits `timeout`, not
    the 180 s default, and answers 504 as Vespa does for a timed-out operation."""
    path = "/document/v1/test/doc/docid/get-timeout"
    assert http.post(path, json={"fields": V1}).status_code == 200
    bad = http.get(path, params={"timeout": "soon"})
    assert bad.status_code == 400 and "timeout" in bad.json()["message"] and bad.json()["pathId"] == path, bad.text
    pids = [cluster.node_pid(key) for key in (0, 1)]
    for pid in pids:
        processes.send_signal(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        answer = http.get(path, params={"timeout": "1s"})
        seconds = time.monotonic() - started
    finally:
        for pid in pids:
            processes.send_signal(pid, signal.SIGCONT)
    assert answer.status_code == 504 and "timeout of 1 s" in answer.json()["message"], answer.text
    assert 0.9 < seconds < 2.0, seconds
    wait_until(lambda: node_up(http, 0) and node_up(http, 1))
    answer = http.get(path, params={"timeout": "5s"})
    assert answer.status_code == 200 and answer.json()["fields"]["title"] == "v1", answer.text


def test_a_get_whose_first_replica_stalls_is_answered_by_the_other(cluster, http):
    """Node 0 (read first while both are in service) stalls just before the read: the read is given
    up once health checks see node 0 go down and node 1 answers, well before `timeout`."""
    path = "/document/v1/test/doc/docid/get-stalled-first"
    assert http.post(path, json={"fields": V2}).status_code == 200
    wait_until(lambda: node_up(http, 0) and node_up(http, 1))
    pid = cluster.node_pid(0)
    processes.send_signal(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        answer = http.get(path, params={"timeout": "5s"})
        seconds = time.monotonic() - started
    finally:
        processes.send_signal(pid, signal.SIGCONT)
    assert answer.status_code == 200 and answer.json()["fields"]["title"] == "v2", answer.text
    assert seconds < 3.5, seconds
    wait_until(lambda: node_up(http, 0))
