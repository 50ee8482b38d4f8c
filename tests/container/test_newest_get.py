"""/document/v1 GET by id with replicas, through the document handler to two real content nodes (one
per group) behind LocalContentNodeClient, every call through the wire codecs. Health is set as the
container's health checks and writes set it (no ping loop runs here):
- while no replica is in service (both flagged as having missed writes), the read goes to every
  reachable replica and the newest version wins, a newer remove too (404), as Vespa's distributor
  answers a get on an inconsistent bucket; a replica that is unreachable leaves the newest of the rest;
- `timeout=` bounds the read: a stalled replica is a 504 after it, a bad value a 400."""
from __future__ import annotations

import asyncio
import json
import time

import pytest

from container.dispatch.content_client import NodeAddress
from container.dispatch.local_client import LocalContentNodeClient
from container.dispatch.search_cluster import SearchCluster
from container.http.document_handler import DocumentHandler
from content_node.node import ContentNode
from content_node.service import ContentNodeService
from searchlib.schema.application import load_application
from tests.container.in_process import APPS

APP = APPS / "inprocess"
USER_ID = "newest"
DOCUMENT_ID = f"id:test:item::{USER_ID}"


@pytest.fixture
def replicas(tmp_path):
    nodes = [ContentNode(APP, tmp_path / f"node{key}", key, group_keys=[key], groups=2) for key in (0, 1)]
    clients = [LocalContentNodeClient(NodeAddress(key, key, f"in-process-{key}"), ContentNodeService(node))
               for key, node in enumerate(nodes)]
    cluster = SearchCluster(clients)
    try:
        yield DocumentHandler(load_application(APP), cluster), cluster, clients
    finally:
        for node in nodes:
            node.close()


def call(handler: DocumentHandler, method: str, user_id: str = USER_ID, fields: dict | None = None, **params):
    body = b"" if fields is None else json.dumps({"fields": fields}).encode()
    path = f"/document/v1/test/item/docid/{user_id}"
    path_params = {"namespace": "test", "doctype": "item", "docid": user_id}
    response = asyncio.run(handler.answer(method, path, path_params, params, body))
    return response.status_code, json.loads(response.body)


def write_missing(handler, clients, cluster, down: int, method: str, fields: dict | None = None) -> None:
    """A write while node `down` is unreachable: the other takes it, `down` is flagged."""
    clients[down].available = False
    assert call(handler, method, fields=fields)[0] == 200
    clients[down].available = True
    assert cluster.health[down].missed_writes


def title_of(client: LocalContentNodeClient) -> str | None:
    fields = asyncio.run(client.get(DOCUMENT_ID, 5.0))
    return None if fields is None else fields["title"]


def test_with_no_replica_in_service_the_newest_version_wins(replicas):
    handler, cluster, clients = replicas
    assert call(handler, "POST", fields={"title": "v1"})[0] == 200
    write_missing(handler, clients, cluster, 0, "POST", {"title": "v2"})  # node 0 keeps v1
    assert (title_of(clients[0]), title_of(clients[1])) == ("v1", "v2")
    assert call(handler, "GET")[1]["fields"]["title"] == "v2"  # fast path: node 1 is in service
    cluster.health[1].missed_writes = True  # it missed another write too: no replica in service
    before = [client.calls.count("Get") for client in clients]
    status, body = call(handler, "GET")
    assert status == 200 and body["fields"]["title"] == "v2", body  # newest of both, not node 0's v1
    assert [client.calls.count("Get") - n for client, n in zip(clients, before)] == [1, 1]  # both read
    clients[1].available = False  # the newest replica is unreachable: the newest of the rest
    status, body = call(handler, "GET")
    assert status == 200 and body["fields"]["title"] == "v1", body
    clients[0].available = False
    assert call(handler, "GET")[0] == 503


def test_a_replica_that_served_alone_is_not_read_alone_once_the_other_answers_again(replicas):
    """Node 0 came back alone and serves without node 1's write; node 1 answers again (restarted,
    awaiting sync). Until the ping round flags node 0, it is still up without missed writes: the
    read must not take its version alone (the health loop's own test for a catch-up applies)."""
    handler, cluster, clients = replicas
    assert call(handler, "POST", fields={"title": "v1"})[0] == 200
    write_missing(handler, clients, cluster, 0, "POST", {"title": "v2"})  # node 0 keeps v1
    health = cluster.health
    health[0].missed_writes, health[0].unsynced = False, frozenset({1})  # caught up while 1 was down
    health[1].up = False  # back, reachable, not yet in rotation
    assert not cluster.in_service(0) and not cluster.in_service(1)
    status, body = call(handler, "GET")
    assert status == 200 and body["fields"]["title"] == "v2", body


def test_a_newer_remove_on_one_replica_wins_over_a_put_on_the_other(replicas):
    handler, cluster, clients = replicas
    assert call(handler, "POST", fields={"title": "v1"})[0] == 200
    write_missing(handler, clients, cluster, 1, "DELETE")  # node 1 keeps v1
    assert (title_of(clients[0]), title_of(clients[1])) == (None, "v1")
    cluster.health[0].missed_writes = True
    status, body = call(handler, "GET")
    assert status == 404 and "fields" not in body, body
    # and the other way round: a put newer than the remove wins
    write_missing(handler, clients, cluster, 1, "POST", {"title": "v3"})
    cluster.health[0].missed_writes = True
    assert (title_of(clients[0]), title_of(clients[1])) == ("v3", "v1")
    status, body = call(handler, "GET")
    assert status == 200 and body["fields"]["title"] == "v3", body


@pytest.mark.parametrize("flagged", [False, True])
def test_a_get_honours_its_timeout(replicas, flagged):
    handler, cluster, clients = replicas
    assert call(handler, "POST", fields={"title": "v1"})[0] == 200
    for key in (0, 1):
        clients[key].delay = 5.0  # stalled
        cluster.health[key].missed_writes = flagged
    started = time.monotonic()
    status, body = call(handler, "GET", timeout="500ms")
    seconds = time.monotonic() - started
    assert status == 504 and "timeout of 0.5 s" in body["message"], body
    assert 0.45 < seconds < 1.5, seconds
    for bad in ("-1", "abc", "1000000s"):
        status, body = call(handler, "GET", timeout=bad)
        assert status == 400 and "timeout" in body["message"], body
