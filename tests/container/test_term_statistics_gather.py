"""The container's side of cluster-wide term statistics (container/dispatch/term_statistics.py) with
scripted nodes: concurrent calls, sums, nodes that fail left out and named, no call when off."""
from __future__ import annotations

import asyncio
import time

from container.dispatch.content_client import NodeAddress, NodeUnavailable
from container.dispatch.term_statistics import with_statistics
from searchlib.corpus_statistics import CorpusStatistics, FieldCounts
from searchlib.query import tree as q
from searchlib.wire.search_codec import NodeError, SearchCall

OPTION = {"vespa.ranking.globalstatistics": "true"}


class Node:
    def __init__(self, key: int, documents: int | None, delay: float = 0.0) -> None:
        self.node = NodeAddress(key, 0, f"node-{key}")
        self.documents, self.delay, self.calls = documents, delay, 0

    async def term_statistics(self, call, timeout: float):
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.documents is None:
            raise NodeUnavailable("down")
        if self.documents < 0:
            return None, [NodeError(1, "generation mismatch")]
        return CorpusStatistics(self.documents, {"text": FieldCounts(self.documents, 10 * self.documents)},
                                {("text", "a"): 1}), []


def call(properties=None, trace_level: int = 0) -> SearchCall:
    return SearchCall("doc", "p", q.Term("text", "a"), 10, 1000, rank_properties=properties or {},
                      trace_level=trace_level)


def run(nodes, profile_properties, query_properties=None, trace_level: int = 0):
    return asyncio.run(with_statistics(call(query_properties, trace_level), nodes, profile_properties,
                                       time.monotonic() + 5))


def test_sums_over_the_nodes_concurrently() -> None:
    nodes = [Node(0, 3, 0.2), Node(1, 5, 0.2), Node(2, 7, 0.2)]
    started = time.monotonic()
    sent, trace = run(nodes, OPTION)
    assert time.monotonic() - started < 0.5  # concurrent: about one delay, not three
    statistics = sent.corpus_statistics
    assert statistics.documents == 15 and statistics.fields["text"] == FieldCounts(15, 150)
    assert statistics.terms[("text", "a")] == 3 and trace == []


def test_failed_nodes_are_left_out_and_named() -> None:
    sent, trace = run([Node(0, 3), Node(1, None), Node(2, -1)], OPTION, trace_level=1)
    assert sent.corpus_statistics.documents == 3
    assert trace == ["cluster-wide term statistics without content nodes 1, 2"]
    assert run([Node(0, 3), Node(1, None)], OPTION)[1] == []  # traced only when asked


def test_no_round_trip_when_off_or_for_one_node() -> None:
    nodes = [Node(0, 3), Node(1, 5)]
    for profile, query in (({}, {}), (OPTION, {"vespa.ranking.globalstatistics": "false"})):
        sent, _ = run(nodes, profile, query)
        assert sent.corpus_statistics is None
    single = [Node(0, 3)]
    assert run(single, OPTION)[0].corpus_statistics is None and single[0].calls == 0
    assert nodes[0].calls == 0
    assert run(nodes, {}, OPTION)[0].corpus_statistics.documents == 8  # the query turns it on
