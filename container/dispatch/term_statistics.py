"""Cluster-wide term statistics (searchlib.corpus_statistics): one TermStatistics call to each node
the query goes to, concurrently, and the sum of what answers. Only queries whose rank profile (or
ranking.properties) turns `vespa.ranking.globalstatistics` on pay for this round trip.

A node that fails or is late here adds nothing to the sums; its failure shows again in the search
that follows (coverage and errors), which stays the one place a query reports node trouble."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

from container.dispatch.content_client import ContentNodeClient, RequestNotEncodable
from searchlib.corpus_statistics import CorpusStatistics, summed, wanted
from searchlib.query import tree as q
from searchlib.wire.search_codec import SearchCall
from searchlib.wire.statistics_codec import TermStatisticsCall


@dataclass(frozen=True, slots=True)
class GatheredStatistics:
    statistics: CorpusStatistics
    missing: tuple[int, ...]  # distribution keys whose counts are not in the sums


async def gather_statistics(clients: Sequence[ContentNodeClient], schema: str, query: q.QueryNode,
                            app_generation: str, deadline: float) -> GatheredStatistics:
    call = TermStatisticsCall(schema, query, app_generation)
    results = await asyncio.gather(*(client.term_statistics(call, deadline - time.monotonic())
                                     for client in clients), return_exceptions=True)
    parts, missing = [], []
    for client, result in zip(clients, results):
        if isinstance(result, RequestNotEncodable):
            raise result  # the request's own fault, the same for every node
        statistics = None if isinstance(result, BaseException) else result[0]
        if statistics is None:
            missing.append(client.node.distribution_key)
        else:
            parts.append(statistics)
    return GatheredStatistics(summed(parts), tuple(sorted(missing)))


async def with_statistics(call: SearchCall, clients: Sequence[ContentNodeClient],
                          profile_properties: Mapping[str, str], deadline: float) -> tuple[SearchCall, list[str]]:
    """The call with the cluster's sums when the profile or query asks for them (else as it is), and
    (with tracing on) a trace line when some node's counts are missing from them."""
    if not wanted(profile_properties, call.rank_properties) or len(clients) < 2:
        return call, []  # one node's own statistics are already the searched corpus's
    gathered = await gather_statistics(clients, call.schema, call.query, call.app_generation, deadline)
    trace = [] if not (gathered.missing and call.trace_level) else [
        "cluster-wide term statistics without content nodes " + ", ".join(map(str, gathered.missing))]
    return replace(call, corpus_statistics=gathered.statistics), trace
