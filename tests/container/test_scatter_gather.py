"""Scatter/gather with scripted content nodes: merge order, coverage, errors, deadlines."""
from __future__ import annotations

import asyncio
import math
import time
from typing import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from container.dispatch.content_client import NodeAddress, NodeUnavailable
from container.dispatch.scatter_gather import scatter_gather
from searchlib.coverage import Coverage
from searchlib.errors import ErrorCode
from searchlib.hits import LeanHit, sort_hits
from searchlib.query.tree import SortKey, TrueItem
from searchlib.wire.packed_reply import decode_packed, encode_packed
from searchlib.wire.search_codec import DocsumValue, SearchAnswer, SearchCall


class ScriptedNode:
    """Answers with fixed hits in the query's order (as a content node does), after a delay, or fails."""

    def __init__(self, key: int, relevances=(), delay: float = 0.0, fail: Exception | None = None, docs: int = 10,
                 hits: Sequence[LeanHit] = ()):
        self.node = NodeAddress(key, 0, f"scripted:{key}")
        self._hits = tuple(hits) or tuple(LeanHit(bytes([key, i]) + bytes(10), r, key)
                                          for i, r in enumerate(sorted(relevances, reverse=True)))
        self._delay, self._fail, self._docs = delay, fail, docs

    async def search(self, call: SearchCall, timeout: float) -> SearchAnswer:
        await asyncio.sleep(self._delay)
        if self._fail:
            raise self._fail
        hits = tuple(sort_hits(self._hits, call.sorting)[: call.hits])
        return SearchAnswer(self.node.distribution_key, hits, len(self._hits),
                            Coverage(self._docs, self._docs, self._docs, 0, 1))


def call(hits: int = 10, sorting: tuple[SortKey, ...] = ()) -> SearchCall:
    return SearchCall(schema="doc", rank_profile="default", query=TrueItem(), hits=hits, timeout_ms=1000,
                      sorting=sorting)


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


@pytest.mark.parametrize("sorting", [(SortKey("[relevance]", True),), (SortKey("[rank]", True),)])
def test_relevance_ascending_merges_ascending(sorting):
    """ranking.sorting=+[relevance] / YQL `order by [relevance]`: each node answers ascending and
    the merge keeps that order (it once merged as descending: [2, 3, 4, 1])."""
    nodes = [ScriptedNode(0, [2.0, 3.0]), ScriptedNode(1, [1.0, 4.0])]
    result = run(scatter_gather(nodes, call(4, sorting), time.monotonic() + 1))
    assert [h.relevance for h in result.hits] == [1.0, 2.0, 3.0, 4.0]


_relevance = st.one_of(st.sampled_from([0.0, 1.0, 2.0, math.nan, -math.inf]), st.floats(-5, 5))
_sort_key = st.builds(SortKey, st.sampled_from(["[relevance]", "price", "name"]), st.booleans())


@given(rows=st.lists(st.tuples(_relevance, st.one_of(st.just(math.nan), st.integers(0, 3).map(float)),
                               st.one_of(st.none(), st.sampled_from(["a", "b", "c"]))), max_size=30),
       sorting=st.lists(_sort_key, max_size=3).map(tuple), nodes=st.integers(1, 4), hits=st.integers(0, 35))
@settings(max_examples=150, deadline=None)
def test_the_dispatcher_merge_equals_one_sort_of_everything(rows, sorting, nodes, hits):
    everything = []
    for i, (relevance, price, name) in enumerate(rows):
        values = {"[relevance]": relevance, "price": price, "name": name}
        everything.append(LeanHit(i.to_bytes(12, "big"), relevance, i % nodes,
                                  sort_data=tuple(values[k.field] for k in sorting)))
    scripted = [ScriptedNode(n, hits=[h for h in everything if h.distribution_key == n]) for n in range(nodes)]
    result = run(scatter_gather(scripted, call(hits, sorting), time.monotonic() + 5))
    expected = sort_hits(everything, sorting)[:hits]
    assert [h.global_id for h in result.hits] == [h.global_id for h in expected]


class FakeTransport:
    """The socket side of a WireConnection: records what the container writes."""

    def __init__(self) -> None:
        self.written = bytearray()

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        pass


def test_a_bug_during_the_scatter_cancels_the_lean_searches_already_written(monkeypatch):
    """Their pending entries and timers go and the node is told CANCEL, at once, not at the deadline."""
    from container.dispatch import scatter_gather as scatter
    from container.dispatch.content_client import GrpcContentNodeClient
    from container.dispatch.wire_client import WireConnection
    from searchlib.wire.frames import CANCEL, MAGIC, REQUEST, FrameReader

    real_start, calls = scatter.start_search, []

    def start_then_fail(client, search_call, timeout):
        calls.append(client)
        if len(calls) == 2:
            raise RuntimeError("a bug")
        return real_start(client, search_call, timeout)

    async def go():
        transport, connection = FakeTransport(), WireConnection()
        connection.connection_made(transport)
        clients = [GrpcContentNodeClient(NodeAddress(k, 0, f"127.0.0.1:{k + 1}")) for k in (0, 1)]
        clients[0]._search_port, clients[0]._wire = 1, connection  # the lean transport is up
        with pytest.raises(RuntimeError, match="a bug"):
            await scatter_gather(clients, call(), time.monotonic() + 30)
        return transport, connection

    monkeypatch.setattr(scatter, "start_search", start_then_fail)
    transport, connection = run(go())
    assert transport.written.startswith(MAGIC)
    frames = FrameReader().feed(bytes(transport.written[len(MAGIC):]))
    assert [frame.kind for frame in frames] == [REQUEST, CANCEL] and frames[0].call_id == frames[1].call_id
    assert connection._waiting == {}


class CorruptPackedNode(ScriptedNode):
    """Answers with a packed reply whose summary text is not UTF-8, as the lean client reads it."""

    async def search(self, call: SearchCall, timeout: float) -> SearchAnswer:
        answer = SearchAnswer(self.node.distribution_key, (LeanHit(b"g" * 12, 1.0, 1),), 1, Coverage(1, 1, 1, 0, 1),
                              docsums=(DocsumValue(b"g" * 12, "id:a:doc::1", {"t": "x"}, {}),))
        return decode_packed(encode_packed(answer)[:-3] + b'\xff"}')


def test_a_corrupt_packed_reply_is_that_nodes_error_not_the_querys():
    result = run(scatter_gather([ScriptedNode(0, [1.0]), CorruptPackedNode(1)], call(), time.monotonic() + 1))
    assert [h.distribution_key for h in result.hits] == [0] and not result.docsums
    assert len(result.errors) == 1 and "content node 1 failed" in result.errors[0].message
