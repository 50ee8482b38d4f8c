"""The container has replicas merged when it starts (once every replica of a node is in rotation),
then every interval; never while one is catching up; and logs what a merge repaired."""
from __future__ import annotations

import asyncio
import logging

from container.dispatch.content_client import NodeAddress
from container.dispatch.search_cluster import SearchCluster
from searchlib.wire.feed_codec import MergeOutcome, NodeStatus


class Node:
    def __init__(self, key: int, group: int) -> None:
        self.node = NodeAddress(key, group, f"127.0.0.1:{19100 + key}")
        self.state = "ready"
        self.merges: list[list[str]] = []
        self.outcome = MergeOutcome(buckets_differing=1, documents_compared=3, pulled=1, pushed=1)
        self.synced_from = ""

    async def ping(self, timeout: float) -> NodeStatus:
        return NodeStatus(self.node.distribution_key, 0, "", self.state == "ready", 0, self.state,
                          synced_from=self.synced_from)

    async def sync(self, peers, timeout: float, resync: bool = False, unreachable=(), sole_copy: bool = False) -> bool:
        # a catch-up this container did not order (node 3's) is done again on its order: finished at once
        self.synced_from = ",".join(peers)
        return True

    async def merge(self, peers, timeout: float) -> MergeOutcome:
        self.merges.append(list(peers))
        return self.outcome

    async def close(self) -> None:
        pass


def test_merges_at_start_then_every_interval_and_never_while_catching_up(caplog):
    nodes = [Node(0, 0), Node(1, 0), Node(2, 1), Node(3, 1)]  # 0 and 2, 1 and 3 are replicas
    nodes[3].state = "catching-up"
    clock = [1000.0]

    async def scenario():
        cluster = SearchCluster(nodes)
        cluster.merges.interval, cluster.merges.clock = 60.0, lambda: clock[0]
        caplog.set_level(logging.INFO, logger="container.dispatch.merge")
        await cluster.ping_all()
        await asyncio.sleep(0.01)
        assert nodes[0].merges == [["127.0.0.1:19102"]], "merged at start"
        assert nodes[1].merges == [], "not while its replica catches up"
        assert "repaired 2 documents (1 copied to it, 1 from it" in caplog.text
        nodes[3].state = "ready"
        nodes[0].outcome = MergeOutcome()  # nothing differs any more
        clock[0] += 1
        await cluster.ping_all()  # node 3 is ordered to catch up again, then back in rotation
        await cluster.ping_all()
        await asyncio.sleep(0.01)
        assert len(nodes[1].merges) == 1 and len(nodes[0].merges) == 1  # node 0's retry is not due yet
        clock[0] += 5  # a merge that repaired something is checked again soon
        await cluster.ping_all()
        await asyncio.sleep(0.01)
        assert len(nodes[0].merges) == 2
        clock[0] += 30
        await cluster.ping_all()
        await asyncio.sleep(0.01)
        assert len(nodes[0].merges) == 2, "nothing differed: the next one after the interval"
        clock[0] += 31
        await cluster.ping_all()
        await asyncio.sleep(0.01)
        assert len(nodes[0].merges) == 3
        await cluster.close()

    asyncio.run(scenario())


def test_an_interval_of_zero_turns_merges_off(monkeypatch):
    monkeypatch.setenv("PHASEDSEARCH_MERGE_INTERVAL", "0")
    nodes = [Node(0, 0), Node(1, 1)]

    async def scenario():
        cluster = SearchCluster(nodes)
        await cluster.ping_all()
        await asyncio.sleep(0.01)
        await cluster.close()

    asyncio.run(scenario())
    assert nodes[0].merges == []
