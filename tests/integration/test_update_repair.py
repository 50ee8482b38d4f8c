"""Two-phase update repair on real processes, two groups (node 1 is node 0's replica), with the
periodic merge turned off so only the update path can make the replicas agree: an update through
/document/v1 that reaches a replica holding an older version (a put written to node 0 alone, as a
container killed between its two writes leaves it) or no document at all ends with the same
document, the newest version plus the update, on both replicas, and equal bucket checksums. And
one that no repair reached (the container killed before it) differs in the checksums, so a merge
converges it. And a put another container acknowledged between the repair's read and its write is
never overwritten (the repair's writes are compare-and-sets: update_repair.py)."""
from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from container.dispatch.content_client import GrpcContentNodeClient, NodeAddress
from container.http.update_repair import held_after, repair
from content_node.catch_up import GrpcPeer
from deploy.local_cluster import LocalCluster
from tests.integration.conftest import DEFAULT_APP, feed_all
from searchlib.timestamps import CLOCK
from tests.integration.storage_faults import NodeReader, log_since

UPDATE = {"fields": {"text": {"assign": "updated"}}}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:  # the cluster's processes inherit it
        patch.setenv("PHASEDSEARCH_MERGE_INTERVAL", "0")  # no merge: what agrees, the update path made agree
        with LocalCluster(DEFAULT_APP, tmp_path_factory.mktemp("repair"), nodes=2, groups=2) as running:
            yield running


@pytest.fixture(scope="module")
def nodes(cluster):
    with NodeReader(cluster.node(0).address) as first, NodeReader(cluster.node(1).address) as second:
        peers = GrpcPeer(cluster.node(0).address), GrpcPeer(cluster.node(1).address)
        yield (first, peers[0]), (second, peers[1])
        for peer in peers:
            peer.close()


def assert_replicas_identical(nodes, document_id: str, expected: dict) -> None:
    (first, first_peer), (second, second_peer) = nodes
    stored = first.get(document_id)
    assert stored == second.get(document_id)
    assert {name: stored[name] for name in expected} == expected
    assert first_peer.fetch([document_id]) == second_peer.fetch([document_id])  # fields and timestamp
    assert first_peer.bucket_checksums() == second_peer.bucket_checksums()


def test_an_update_on_a_replica_holding_an_older_version_leaves_both_equal(cluster, nodes):
    (first, _), (second, _) = nodes
    with httpx.Client(base_url=cluster.url, timeout=30) as http:
        feed_all(http, {"x": {"title": "v1", "text": "body 1"}})
        first.put("id:test:doc::x", {"title": "v2", "text": "body 2"})  # never reached node 1
        assert second.get("id:test:doc::x")["title"] == "v1"
        offset = cluster.log_path("container").stat().st_size
        response = http.put("/document/v1/test/doc/docid/x", json=UPDATE)
        assert response.status_code == 200, response.text
    assert_replicas_identical(nodes, "id:test:doc::x", {"title": "v2", "text": "updated"})
    log = log_since(cluster.log_path("container"), offset)
    assert re.search(r"update of id:test:doc::x applied to different versions .* to 2 of 2 replicas", log), log


@pytest.mark.parametrize("create", ["false", "true"])
def test_an_update_on_a_replica_lacking_the_document_leaves_both_equal(cluster, nodes, create):
    (first, _), (second, _) = nodes
    document_id = f"id:test:doc::only-on-0-{create}"
    first.put(document_id, {"title": "only on node 0", "text": "body"})
    with httpx.Client(base_url=cluster.url, timeout=30) as http:
        response = http.put(f"/document/v1/test/doc/docid/only-on-0-{create}", params={"create": create},
                            json=UPDATE)
        assert response.status_code == 200, response.text
    assert second.get(document_id) is not None
    assert_replicas_identical(nodes, document_id, {"title": "only on node 0", "text": "updated"})


def test_an_update_on_replicas_that_agree_is_applied_once_without_repair(cluster, nodes):
    with httpx.Client(base_url=cluster.url, timeout=30) as http:
        feed_all(http, {"agreed": {"title": "same", "text": "body"}})
        offset = cluster.log_path("container").stat().st_size
        response = http.put("/document/v1/test/doc/docid/agreed", json=UPDATE)
        assert response.status_code == 200, response.text
    assert_replicas_identical(nodes, "id:test:doc::agreed", {"title": "same", "text": "updated"})
    assert "applied to different versions" not in log_since(cluster.log_path("container"), offset)


def test_an_update_no_repair_reached_is_seen_by_the_checksums_and_converged_by_a_merge(cluster, nodes):
    (first, first_peer), (second, second_peer) = nodes
    document_id, first_put = "id:test:doc::unrepaired", CLOCK.next()
    for reader in (first, second):
        reader.put(document_id, {"title": "v1", "text": "body"}, first_put)
    first.put(document_id, {"title": "v2", "text": "body"})  # never reached node 1
    timestamp = CLOCK.next()
    for reader in (first, second):  # the update reached both; the container died before repairing
        reader.update(document_id, UPDATE["fields"], timestamp)
    assert first.get(document_id) != second.get(document_id)
    assert first_peer.bucket_checksums() != second_peer.bucket_checksums()
    reply = second.merge([cluster.node(0).address])  # the stale replica drives: it pulls
    assert not reply.error and reply.pulled == 1, reply
    assert_replicas_identical(nodes, document_id, {"title": "v2", "text": "updated"})


class RacedClient(GrpcContentNodeClient):
    """The container's client of a real node; right after it reads the document, `race` (once) runs."""

    race = None

    async def get_version(self, document_id: str, timeout: float):
        version = await super().get_version(document_id, timeout)
        race, self.race = self.race, None
        if race is not None:
            race()
        return version


def test_a_put_acknowledged_between_the_repairs_read_and_its_write_stands(cluster, nodes):
    """The update reaches node 0 (holding v2) and node 1 (v1): the repair reads node 0's result, then
    another container's put lands on both (acknowledged), stamped before the repair's write. The
    repair's write of the older result is refused by both nodes, and the put's version is written."""
    (first, _), (second, _) = nodes
    document_id, first_put = "id:test:doc::raced", CLOCK.next()
    for reader in (first, second):
        reader.put(document_id, {"title": "v1", "text": "body"}, first_put)
    first.put(document_id, {"title": "v2", "text": "body"})  # never reached node 1
    acknowledged = {"title": "v4", "text": "another container's put"}

    async def update_and_repair():
        clients = [RacedClient(NodeAddress(key, key, cluster.node(key).address)) for key in (0, 1)]
        try:
            timestamp = CLOCK.next()
            outcomes = dict(zip(clients, await asyncio.gather(*(
                client.update(document_id, UPDATE["fields"], False, 30.0, timestamp=timestamp) for client in clients))))
            assert outcomes[clients[0]].base > outcomes[clients[1]].base  # different versions: a repair
            clients[0].race = lambda: [reader.put(document_id, acknowledged) for reader in (first, second)]
            return await repair(document_id, outcomes, lambda: 30.0, held_after(outcomes, timestamp))
        finally:
            for client in clients:
                await client.close()
    assert asyncio.run(update_and_repair()) is None
    assert_replicas_identical(nodes, document_id, acknowledged)
