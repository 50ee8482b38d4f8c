"""Group dispatch with scripted nodes: complete groups only, one retry on another group for an
unreachable node, never for a timeout, a degraded partial group only when no group is complete,
and the health loop's rotation and catch-up orders."""
from __future__ import annotations

import asyncio
import time

from container.dispatch.content_client import NodeAddress, NodeTimeout, NodeUnavailable
from container.dispatch.retry import dispatch_with_failover
from container.dispatch.scatter_gather import scatter_gather
from container.dispatch.search_cluster import SearchCluster
from searchlib.coverage import Coverage
from searchlib.distribution import node_in_group
from searchlib.docid import global_id
from searchlib.hits import LeanHit
from searchlib.query.tree import TrueItem
from searchlib.wire.feed_codec import MergeOutcome, NodeStatus
from searchlib.wire.search_codec import SearchAnswer, SearchCall

DOCS = 10


class Node:
    def __init__(self, key: int, group: int, fail: Exception | None = None, state: str = "ready") -> None:
        self.node = NodeAddress(key, group, f"host:{key}")
        self.fail, self.state = fail, state
        self.searched = 0
        self.synced_with: list[str] | None = None
        self.sync_fails = False  # its catch-up ends without finishing from any peer (e.g. the peer died)
        self.catching_from = ""  # the peers of its last Sync, reported once it is ready
        self.unsynced_from = ""  # the peers of its last Sync it did not finish from
        self.synced_at = 0  # its clock at its last completed catch-up or clearing merge

    async def search(self, call: SearchCall, timeout: float) -> SearchAnswer:
        self.searched += 1
        if self.fail:
            raise self.fail
        hit = LeanHit(bytes([self.node.distribution_key]) * 12, 1.0, self.node.distribution_key)
        return SearchAnswer(self.node.distribution_key, (hit,), 1, Coverage(DOCS, DOCS, DOCS, 0, 1))

    async def ping(self, timeout: float) -> NodeStatus:
        if isinstance(self.fail, NodeUnavailable):
            raise self.fail
        finished = self.state == "ready" and not self.sync_fails
        return NodeStatus(self.node.distribution_key, DOCS, "", self.state == "ready", 0, self.state,
                          synced_from=self.catching_from if finished else "", unsynced_from=self.unsynced_from,
                          synced_at=self.synced_at)

    async def sync(self, peers, timeout: float, resync: bool = False, unreachable=(), sole_copy: bool = False) -> bool:
        self.synced_with, self.resynced = list(peers), resync
        self.catching_from = ",".join(peers)
        if peers:
            self.state = "catching-up"
        return True

    async def merge(self, peers, timeout: float) -> MergeOutcome:
        return MergeOutcome()

    async def close(self) -> None:
        pass


def call() -> SearchCall:
    return SearchCall(schema="doc", rank_profile="default", query=TrueItem(), hits=10, timeout_ms=1000)


def run_query(cluster: SearchCluster, deadline: float):
    async def on_group(group: int):
        serving, absent = cluster.searchable_nodes(group)
        return [await scatter_gather(serving, call(), deadline, 1, absent, cluster.known_active_docs())]

    return asyncio.run(dispatch_with_failover(cluster, on_group, lambda r: r, deadline))


def two_groups(**failures) -> tuple[SearchCluster, list[Node]]:
    nodes = [Node(k, k // 2, failures.get(f"n{k}")) for k in range(4)]
    cluster = SearchCluster(nodes)
    for key in cluster.health:
        cluster.health[key].active_docs = DOCS
    return cluster, nodes


def test_round_robin_over_complete_groups():
    cluster, _ = two_groups()
    assert [cluster.pick_group() for _ in range(4)] == [0, 1, 0, 1]
    cluster.take_out_of_rotation(1, "test")
    assert [cluster.pick_group() for _ in range(3)] == [1, 1, 1]


def test_unreachable_node_is_retried_once_on_another_group_at_full_coverage():
    cluster, nodes = two_groups(n1=NodeUnavailable("content node 1 is unavailable"))
    dispatched = run_query(cluster, time.monotonic() + 1)
    result = dispatched.results[0]
    assert dispatched.group == 1 and result.coverage.full and not result.errors
    assert nodes[1].searched == 1 and nodes[2].searched == 1
    assert cluster.health[1].up is False  # out of rotation until a ping brings it back


def test_a_timeout_is_never_retried():
    cluster, nodes = two_groups(n0=NodeTimeout("content node 0 timed out"))
    dispatched = run_query(cluster, time.monotonic() + 1)
    assert dispatched.group == 0 and nodes[2].searched == 0
    assert dispatched.results[0].coverage.degraded["timeout"] is True


def test_no_complete_group_gives_degraded_coverage_from_the_best_partial_group():
    cluster, nodes = two_groups()
    cluster.take_out_of_rotation(1, "down")
    cluster.take_out_of_rotation(2, "down")
    cluster.take_out_of_rotation(3, "down")
    dispatched = run_query(cluster, time.monotonic() + 1)
    result = dispatched.results[0]
    assert dispatched.group == 0 and nodes[1].searched == 0
    assert result.coverage.coverage == 50 and result.coverage.documents == DOCS and not result.coverage.full
    assert result.coverage.degraded["non-ideal-state"] is True
    assert "content node 1 is out of service" in result.errors[0].message


def test_health_loop_takes_dead_nodes_out_and_orders_catch_up_from_the_same_index_replica():
    nodes = [Node(0, 0, state="awaiting-sync"), Node(1, 0), Node(2, 1), Node(3, 1, NodeUnavailable("dead"))]
    cluster = SearchCluster(nodes)
    asyncio.run(cluster.ping_all())
    assert nodes[0].synced_with == ["host:2"]  # node 0 of group 0 ← node 0 of group 1
    assert cluster.health[3].up is False and cluster.health[3].reachable is False
    assert cluster.health[0].up is False and cluster.health[0].reachable is True
    assert cluster.pick_group() is None and cluster.best_partial_group() in (0, 1)


def test_placement_is_by_index_within_the_group():
    for n in range(200):
        gid = global_id(f"id:test:doc::{n}")
        first, second = node_in_group(gid, [0, 1, 2]), node_in_group(gid, [3, 4, 5])
        assert second - first == 3


def test_every_node_out_of_rotation_is_an_error_result_not_an_exception():
    cluster, nodes = two_groups()
    for key in range(4):
        cluster.take_out_of_rotation(key, "down")
    result = run_query(cluster, time.monotonic() + 1).results[0]
    assert not any(node.searched for node in nodes)
    assert result.hits == [] and result.coverage.coverage == 0 and result.coverage.nodes == 0
    assert {error.code for error in result.errors} == {10}


def test_a_ready_node_that_missed_writes_catches_up_again_before_serving():
    nodes = [Node(0, 0), Node(1, 0), Node(2, 1), Node(3, 1)]
    cluster = SearchCluster(nodes)
    asyncio.run(cluster.ping_all())
    assert cluster.is_complete(0) and cluster.is_complete(1)
    cluster.note_missed_write(1)  # e.g. stalled while a write was acknowledged without it
    asyncio.run(cluster.ping_all())
    assert nodes[1].synced_with == ["host:3"] and nodes[1].resynced is True
    asyncio.run(cluster.ping_all())  # it reports catching-up now: still out of rotation
    assert not cluster.health[1].up and cluster.pick_group() == 1
    nodes[1].state = "ready"
    asyncio.run(cluster.ping_all())
    assert cluster.health[1].up and cluster.is_complete(0)


def test_a_node_that_caught_up_alone_syncs_with_its_replica_before_serving_once_that_is_back():
    """Both replicas were down; node 0 came back first and serves alone. Node 1 may hold writes node 0
    never saw: when it answers again, node 0 leaves rotation and both catch up from each other."""
    nodes = [Node(0, 0, state="awaiting-sync"), Node(1, 1, NodeUnavailable("dead"))]
    cluster = SearchCluster(nodes)
    asyncio.run(cluster.ping_all())
    assert nodes[0].synced_with == []  # nobody to catch up from: serves what it holds
    nodes[0].state = "ready"
    asyncio.run(cluster.ping_all())
    assert cluster.health[0].up and nodes[0].synced_with == []
    assert cluster.unsynced_replicas(0) == {1}  # serves as is: no update or condition on it (document_handler)
    nodes[1].fail, nodes[1].state = None, "awaiting-sync"
    asyncio.run(cluster.ping_all())
    assert not cluster.health[0].up and nodes[0].synced_with == ["host:1"] and nodes[0].resynced is True
    assert nodes[1].synced_with == ["host:0"]  # from the replica that served alone, though not in rotation
    nodes[0].state = nodes[1].state = "ready"
    nodes[0].synced_with = nodes[1].synced_with = None
    asyncio.run(cluster.ping_all())
    assert cluster.health[0].up and cluster.health[1].up
    assert nodes[0].synced_with is None and nodes[1].synced_with is None  # synced once: no more
    assert cluster.unsynced_replicas(0) == cluster.unsynced_replicas(1) == frozenset()


def test_a_node_seen_stale_with_no_replica_reachable_takes_no_update_even_before_its_catch_up_order():
    """Between the ping that sees a restarted node and its catch-up order (no one to sync from),
    it already may lack newer versions; a node with no replicas (one group) never does."""
    cluster = SearchCluster([Node(0, 0), Node(1, 1)])
    cluster.health[0].state, cluster.health[1].reachable = "awaiting-sync", False
    assert cluster.unsynced_replicas(0) == {1} and cluster.stale_base_refusal([0]) is not None
    cluster.health[1].reachable = True  # catches up from it first: the update goes to both (update_repair)
    assert cluster.unsynced_replicas(0) == frozenset() and cluster.stale_base_refusal([0, 1]) is None
    alone = SearchCluster([Node(0, 0)])
    alone.health[0].state = "awaiting-sync"
    assert alone.unsynced_replicas(0) == frozenset()


def test_a_node_syncs_only_from_replicas_on_its_application_package():
    nodes = [Node(0, 0, state="awaiting-sync"), Node(1, 1)]
    cluster = SearchCluster(nodes, generation="gen-a")
    asyncio.run(cluster.ping_all())  # the scripted nodes report no generation: accepted
    assert nodes[0].synced_with == ["host:1"]
    cluster.health[1].app_generation = "gen-b"
    assert not cluster._can_sync_from(1) and cluster._can_sync_from(0)


def test_a_resync_that_fails_keeps_the_node_out_of_rotation_and_is_retried_until_one_finishes():
    """The replica node 0 missed while it was down is back; node 0's re-sync from it fails mid-way
    (the node then reports ready, synced from nobody): it must not serve its stale data."""
    nodes = [Node(0, 0, state="awaiting-sync"), Node(1, 1, NodeUnavailable("dead"))]
    cluster = SearchCluster(nodes)
    asyncio.run(cluster.ping_all())
    nodes[0].state = "ready"
    asyncio.run(cluster.ping_all())
    assert cluster.health[0].up and cluster.health[0].unsynced == {1}
    nodes[1].fail = None
    asyncio.run(cluster.ping_all())
    assert not cluster.health[0].up and nodes[0].synced_with == ["host:1"] and nodes[0].resynced is True
    nodes[0].state, nodes[0].sync_fails, nodes[0].synced_with = "ready", True, None  # the re-sync failed
    asyncio.run(cluster.ping_all())
    assert not cluster.health[0].up and cluster.health[0].missed_writes
    assert nodes[0].synced_with is None, "a failed catch-up is retried after a backoff, not every ping"
    cluster.health[0].retry_at = 0.0  # the backoff is over
    asyncio.run(cluster.ping_all())
    assert nodes[0].synced_with == ["host:1"] and nodes[0].state == "catching-up"
    nodes[0].state, nodes[0].sync_fails = "ready", False  # this one finishes
    asyncio.run(cluster.ping_all())
    assert cluster.health[0].up and not cluster.health[0].missed_writes and cluster.health[0].unsynced == set()


def test_a_write_missed_during_a_catch_up_starts_another_once_it_ends():
    """Node 1 is catching up after a missed write when it misses another: the running catch-up may
    have fetched that document before the write reached its peer, so its end must not put node 1
    back in service; a new catch-up is started and only its end does."""
    nodes = [Node(0, 0), Node(1, 1)]
    cluster = SearchCluster(nodes)
    asyncio.run(cluster.ping_all())
    cluster.note_missed_write(1)
    asyncio.run(cluster.ping_all())
    assert nodes[1].state == "catching-up" and cluster.health[1].pending_sync is not None
    cluster.note_missed_write(1)  # during that catch-up
    nodes[1].state, nodes[1].synced_with = "ready", None  # the first catch-up ends
    asyncio.run(cluster.ping_all())
    assert not cluster.in_service(1) and cluster.health[1].missed_writes
    assert nodes[1].synced_with == ["host:0"] and nodes[1].state == "catching-up"  # started again
    nodes[1].state = "ready"
    asyncio.run(cluster.ping_all())
    assert cluster.in_service(1) and not cluster.health[1].missed_writes


def test_a_write_missed_while_a_catch_up_is_being_ordered_starts_another():
    """The miss lands while the Sync call is in flight: that catch-up may miss it too."""
    nodes = [Node(0, 0), Node(1, 1)]
    cluster = SearchCluster(nodes)
    asyncio.run(cluster.ping_all())
    cluster.note_missed_write(1)
    ordered = nodes[1].sync

    async def sync_missing_a_write(peers, timeout, resync=False, unreachable=()):
        cluster.note_missed_write(1)
        return await ordered(peers, timeout, resync)

    nodes[1].sync = sync_missing_a_write
    asyncio.run(cluster.ping_all())
    nodes[1].sync = ordered
    nodes[1].state, nodes[1].synced_with = "ready", None
    asyncio.run(cluster.ping_all())
    assert not cluster.in_service(1) and nodes[1].synced_with == ["host:0"]
    nodes[1].state = "ready"
    asyncio.run(cluster.ping_all())
    assert cluster.in_service(1)


class FailsFrom(Node):
    """Its catch-ups never finish from `failing` (a peer whose listing keeps timing out)."""

    def __init__(self, *args, failing: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.failing, self.syncs = failing, 0

    async def sync(self, peers, timeout: float, resync: bool = False, unreachable=(), sole_copy: bool = False) -> bool:
        self.syncs += 1
        await super().sync(peers, timeout, resync)
        self.catching_from = ",".join(peer for peer in peers if peer != self.failing)
        self.unsynced_from = self.failing if self.failing in peers else ""
        return True


def test_a_restarted_node_serves_once_synced_from_every_peer_it_could_and_retries_a_failing_one_later():
    """Three groups; node 0's catch-ups never finish from node 2. Once finished from node 1 it is in
    rotation with node 2 recorded as unsynced (a GET does not take its answer alone: a write only node
    2 acknowledged is recovered by the re-sync), and node 2 is retried after a backoff, not each ping."""
    nodes = [FailsFrom(0, 0, state="awaiting-sync", failing="host:2"), Node(1, 1), Node(2, 2)]
    cluster = SearchCluster(nodes)
    cluster.merges.interval = 0.0  # no replica merge (it would end the record too: see below)
    asyncio.run(cluster.ping_all())
    assert nodes[0].synced_with == ["host:1", "host:2"] and nodes[0].syncs == 1
    nodes[0].state = "ready"  # the catch-up ends: finished from node 1 only
    for _ in range(3):
        asyncio.run(cluster.ping_all())
    health = cluster.health[0]
    assert health.up and not health.missed_writes and health.unsynced == {2}
    assert not cluster.in_service(0), "it may lack writes only node 2 took"
    assert nodes[0].syncs == 1, "the failing peer is not retried every ping"
    health.retry_at = 0.0  # the backoff is over: it syncs again, from every replica
    asyncio.run(cluster.ping_all())
    assert not health.up and nodes[0].syncs == 2 and nodes[0].synced_with == ["host:1", "host:2"]
    nodes[0].failing, nodes[0].catching_from, nodes[0].state = "", "host:1,host:2", "ready"  # node 2 answers now
    asyncio.run(cluster.ping_all())
    assert cluster.in_service(0) and health.unsynced == set() and health.sync_failures == 0


def test_a_catch_up_a_restarted_container_did_not_order_must_finish_before_the_node_serves():
    """The container restarts while node 0 catches up; that catch-up then fails: node 0 must not
    go into rotation on its word 'ready' alone, but catch up again on this container's order."""
    nodes = [Node(0, 0, state="catching-up"), Node(1, 1)]
    cluster = SearchCluster(nodes)
    asyncio.run(cluster.ping_all())
    nodes[0].state, nodes[0].sync_fails = "ready", True  # it ended without finishing
    asyncio.run(cluster.ping_all())
    assert not cluster.health[0].up and nodes[0].synced_with == ["host:1"]
    nodes[0].state, nodes[0].sync_fails = "ready", False
    asyncio.run(cluster.ping_all())
    assert cluster.in_service(0)


def pings(cluster: SearchCluster, rounds: int = 1) -> None:
    for _ in range(rounds):
        asyncio.run(cluster.ping_all())


def partially_synced(merges: bool = True) -> tuple[list, SearchCluster]:
    """Three groups; node 0 restarted and finished its catch-up from node 1 only (node 2 fails it):
    in rotation with node 2 recorded as unsynced."""
    nodes = [FailsFrom(0, 0, state="awaiting-sync", failing="host:2"), Node(1, 1), Node(2, 2)]
    cluster = SearchCluster(nodes)
    if not merges:
        cluster.merges.interval = 0.0
    pings(cluster)
    nodes[0].state = "ready"
    pings(cluster, 2)
    return nodes, cluster


def test_no_backoff_holds_a_node_out_when_every_replica_is_down():
    """Node 0's catch-ups from node 1 failed (a long backoff), then node 1 died: nothing to wait
    for, node 0 serves what it holds at once, recording node 1 as unsynced."""
    nodes = [Node(0, 0, state="awaiting-sync"), Node(1, 1)]
    cluster = SearchCluster(nodes)
    pings(cluster)
    nodes[0].state, nodes[0].sync_fails = "ready", True
    pings(cluster)
    health = cluster.health[0]
    health.retry_at = time.monotonic() + 60  # as after several failures
    assert not health.up
    nodes[1].fail = NodeUnavailable("dead")
    pings(cluster, 2)
    assert health.up and health.unsynced == {1} and cluster.unsynced_replicas(0) == {1}


def test_a_write_missed_during_the_backoff_is_caught_up_at_once_from_the_replicas_that_took_it():
    """Node 0 serves, unsynced from node 2 (its catch-ups from it fail, backoff running); it misses a
    write: it catches up again at once (nodes 1 and 2 took the write), not after the backoff."""
    nodes, cluster = partially_synced()
    cluster.health[0].retry_at = time.monotonic() + 60
    assert cluster.health[0].up
    cluster.note_missed_write(0)
    pings(cluster)
    assert nodes[0].syncs == 2 and nodes[0].synced_with == ["host:1", "host:2"]
    nodes[0].state = "ready"
    pings(cluster, 2)
    assert cluster.health[0].up and not cluster.health[0].missed_writes


def test_a_replica_merge_with_the_peer_a_node_is_unsynced_from_ends_the_record():
    """Node 0's catch-ups never finish from node 2 (in rotation, unsynced from it: updates refused).
    A replica merge of node 0 with nodes 1 and 2 that finishes copies it everything node 2 holds: the
    record ends, and with it the refusal and the re-syncs. Not when node 0 missed a write meanwhile."""
    nodes = [FailsFrom(0, 0, state="awaiting-sync", failing="host:2"), Node(1, 1), Node(2, 2)]

    async def scenario() -> SearchCluster:
        cluster = SearchCluster(nodes)
        await cluster.ping_all()
        nodes[0].state = "ready"
        await cluster.ping_all()
        health = cluster.health[0]
        assert health.up and health.unsynced == {2} and cluster.stale_base_refusal([0, 1, 2]) is not None
        cluster.note_merged(0, [1, 2], {0: health.misses - 1, 1: 0, 2: 0})  # a write missed during it
        assert health.unsynced == {2}
        for _ in range(20):
            await asyncio.sleep(0.01)  # the merge the ping started (every replica in rotation)
            if cluster.merges.completed:
                break
        assert cluster.merges.completed == 1
        return cluster

    cluster = asyncio.run(scenario())
    assert cluster.health[0].unsynced == set() and cluster.stale_base_refusal([0, 1, 2]) is None
    assert cluster.in_service(0) and cluster.health[0].sync_failures == 0
    cluster.health[0].retry_at = 0.0
    pings(cluster, 3)
    assert nodes[0].syncs == 1 and cluster.health[0].up, "no re-sync from node 2 any more"


def test_the_refusal_says_which_unsynced_replicas_are_down_and_which_are_not_yet_synced_from():
    nodes, cluster = partially_synced(merges=False)
    refusal = cluster.stale_base_refusal([0, 1, 2])
    assert "not yet synced from (content nodes [2])" in refusal and "unavailable" not in refusal
    cluster.health[0].unsynced = frozenset({1, 2})
    nodes[1].fail = NodeUnavailable("dead")
    pings(cluster)
    refusal = cluster.stale_base_refusal([0, 2])
    assert "unavailable (content nodes [1]) and not yet synced from (content nodes [2])" in refusal


def test_a_restarted_container_rebuilds_the_unsynced_record_from_the_node():
    """Node 0 finished its catch-up from node 1 only (node 2 kept failing); then node 2 died and the
    container restarted: the new one must not trust node 0 fully (it may lack what only node 2 has)."""
    nodes, cluster = partially_synced(merges=False)
    assert cluster.health[0].unsynced == {2}
    nodes[2].fail = NodeUnavailable("dead")
    fresh = SearchCluster(nodes)
    fresh.merges.interval = 0.0
    pings(fresh, 3)
    assert fresh.health[0].up and fresh.health[0].unsynced == {2}
    assert "content nodes [2]" in fresh.stale_base_refusal([0, 1])
    nodes[2].fail = None
    pings(fresh)
    assert not fresh.health[0].up and nodes[0].synced_with == ["host:1", "host:2"], "re-synced from node 2"


def test_the_node_ends_the_unsynced_record_by_reporting_none_after_a_catch_up_or_merge_newer_than_it():
    """The node is the authority where it can be: a catch-up or merge it completed after this
    container's record (one another container ordered or drove) that left it unsynced from none ends
    the record. Not an empty report no newer than the record (the record may be newer than the node's
    last catch-up), nor a newer one that still lists a replica."""
    nodes, cluster = partially_synced(merges=False)
    health = cluster.health[0]
    assert health.unsynced == {2}
    nodes[0].unsynced_from = ""  # no newer catch-up or merge than the record
    pings(cluster, 2)
    assert health.unsynced == {2} and cluster.stale_base_refusal([0, 1, 2]) is not None
    nodes[0].unsynced_from, nodes[0].synced_at = "host:2", 20  # a newer catch-up, still unsynced from node 2
    pings(cluster)
    assert health.unsynced == {2}
    nodes[0].unsynced_from, nodes[0].synced_at = "", 30  # a merge with node 2 another container drove
    pings(cluster)
    assert health.unsynced == set() and cluster.stale_base_refusal([0, 1, 2]) is None
    assert cluster.in_service(0) and health.sync_failures == 0
    health.retry_at = 0.0
    pings(cluster, 2)
    assert nodes[0].syncs == 1, "no re-sync from node 2 any more"
    # a record this container makes after the node's last catch-up (its replicas die, it missed a
    # write: it serves as is) stays while the node reports nothing newer
    nodes[1].fail = nodes[2].fail = NodeUnavailable("dead")
    cluster.note_missed_write(0)
    pings(cluster, 2)
    assert health.unsynced == {1, 2} and nodes[0].unsynced_from == "" and nodes[0].synced_at == 30
