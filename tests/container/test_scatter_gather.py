"""Scatter/gather with scripted content nodes: merge order, coverage, errors, deadlines."""
from __future__ import annotations

import asyncio
import time

import pytest

from container.dispatch.content_client import NodeAddress, NodeUnavailable
from container.dispatch.scatter_gather import scatter_gather
from searchlib.coverage import Coverage
from searchlib.errors import ErrorCode
from searchlib.hits import LeanHit
from searchlib.query.tree import TrueItem
from searchlib.wire.search_codec import SearchAnswer, SearchCall


class ScriptedNode:
    """Answers with fixed hits, after a delay, or fails."""

    def __init__(self, key: int, relevances=(), delay: float = 0.0, fail: Exception | None = None, docs: int = 10):
        self.node = NodeAddress(key, 0, f"scripted:{key}")
        self._hits = tuple(sorted((LeanHit(bytes([key]) * 12, r, key) for r in relevances),
                                  key=lambda h: -h.relevance))
        self._delay, self._fail, self._docs = delay, fail, docs

    async def search(self, call: SearchCall, timeout: float) -> SearchAnswer:
        await asyncio.sleep(self._delay)
        if self._fail:
            raise self._fail
        hits = tuple(LeanHit(bytes([self.node.distribution_key, i]) + bytes(10), h.relevance,
                             self.node.distribution_key) for i, h in enumerate(self._hits))[: call.hits]
        return SearchAnswer(self.node.distribution_key, hits, len(self._hits),
                            Coverage(self._docs, self._docs, self._docs, 0, 1))


def call(hits: int = 10) -> SearchCall:
    return SearchCall(schema="doc", rank_profile="default", query=TrueItem(), hits=hits, timeout_ms=1000)


def run(coro):
    return asyncio.run(coro)


def test_merges_in_one_total_order_and_sums_totals():
    nodes = [ScriptedNode(0, [3.0, 1.0]), ScriptedNode(1, [2.0, 0.5])]
    result = run(scatter_gather(nodes, call(3), time.monotonic() + 1))
    assert [h.relevance for h in result.hits] == [3.0, 2.0, 1.0]
    assert result.total_hits == 4 and result.coverage.full and result.coverage.documents == 20
    assert not result.errors


def test_slow_node_lowers_coverage_and_is_reported_within_the_deadline():
    nodes = [ScriptedNode(0, [1.0]), ScriptedNode(1, [5.0], delay=2.0)]
    started = time.monotonic()
    result = run(scatter_gather(nodes, call(), started + 0.3))
    assert time.monotonic() - started < 1.5
    assert [h.relevance for h in result.hits] == [1.0]
    assert result.coverage.coverage == 50 and result.coverage.degraded["timeout"]
    assert result.errors[0].code == ErrorCode.TIMEOUT and "1" in result.errors[0].message


def test_unavailable_node_is_an_error_entry_not_a_failure():
    nodes = [ScriptedNode(0, [1.0]), ScriptedNode(1, fail=NodeUnavailable("content node 1 is unavailable"))]
    result = run(scatter_gather(nodes, call(), time.monotonic() + 1))
    assert len(result.hits) == 1
    assert result.errors[0].code == ErrorCode.BACKEND_COMMUNICATION_ERROR
    assert not result.coverage.full and result.coverage.nodes == 1


@pytest.mark.parametrize("hits", [0, 1, 5])
def test_never_returns_more_than_asked(hits):
    nodes = [ScriptedNode(k, [float(i) for i in range(5)]) for k in range(3)]
    result = run(scatter_gather(nodes, call(hits), time.monotonic() + 1))
    assert len(result.hits) == hits
