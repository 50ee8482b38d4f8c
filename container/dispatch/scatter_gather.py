"""Scatter one query to the content nodes of a group under one deadline, gather what answers in
time, merge with the one hit order, and aggregate coverage. A node that fails or is late lowers
coverage and adds an error entry; it never fails the query. Only a transport failure (the node is
unreachable) marks the node failed, so dispatch may take it out of rotation and retry elsewhere; a
request the container cannot encode is the request's own error and is raised."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from container.dispatch.content_client import (ContentNodeClient, NodeTimeout, NodeUnavailable, RequestNotEncodable,
                                              start_search)
from container.dispatch.wire_client import Started, abandon
from searchlib.coverage import CoverageReport, aggregate
from searchlib.errors import ErrorCode
from searchlib.explain import NodePhases
from searchlib.hits import LeanHit
from searchlib.wire.hits_codec import merge_reply_hits
from searchlib.wire.packed_reply import PackedDocsum
from searchlib.wire.search_codec import DocsumValue, EncodedDocsum, NodeError, SearchAnswer, SearchCall


@dataclass(frozen=True, slots=True)
class GatherResult:
    hits: list[LeanHit]
    total_hits: int
    coverage: CoverageReport
    errors: list[NodeError] = field(default_factory=list)
    trace: list[str] = field(default_factory=list)
    failed_keys: tuple[int, ...] = ()  # unreachable nodes: the query may be retried elsewhere
    groupings: tuple = ()  # partial group trees (searchlib.grouping.result.Group) of the nodes that answered
    generations: Mapping[int, int] = field(default_factory=dict)  # node key -> its read view, for the fill
    phases: tuple[NodePhases, ...] = ()  # the nodes' phase traces, when the call explains
    docsums: Mapping[bytes, DocsumValue | EncodedDocsum | PackedDocsum] = field(default_factory=dict)  # with_summaries


async def scatter_gather(clients: Sequence[ContentNodeClient], call: SearchCall, deadline: float,
                         redundancy: int = 1, out_of_service: Sequence[tuple[int, int]] = (),
                         known_active: Mapping[int, int] | None = None) -> GatherResult:
    """`deadline` is a time.monotonic() value; `call.hits` is how many hits to keep after merge.
    `out_of_service`: (key, last known documents) of the group's nodes not asked because they are
    out of rotation; they count as not answered. `known_active`: documents per node from health
    pings, so coverage of nodes that do not answer is known rather than estimated."""
    started = []  # every node's request is written before any answer is awaited
    try:
        for client in clients:
            started.append(start_search(client, call, deadline - time.monotonic()))
    except BaseException:  # RequestNotEncodable (the same for every node: none was sent), or a bug
        for search in started:
            abandon(search)
        raise
    tasks = {asyncio.ensure_future(search.reply if isinstance(search, Started) else search): client
             for search, client in zip(started, clients)}
    pending: set = set()
    if tasks:  # none when every node of the group is out of rotation
        _, pending = await asyncio.wait(tasks, timeout=max(deadline - time.monotonic(), 0.0))
    for task in pending:
        task.cancel()
    for task in tasks:
        if task not in pending and isinstance(task.exception(), RequestNotEncodable):
            raise task.exception()  # the request's fault: the same for every node, and no node's
    answers: list[SearchAnswer] = []
    errors: list[NodeError] = []
    timed_out_keys: list[int] = []
    failed_keys: list[int] = []
    for key, _ in out_of_service:
        errors.append(NodeError(int(ErrorCode.BACKEND_COMMUNICATION_ERROR),
                                f"content node {key} is out of service", f"content node {key}"))
    for task, client in tasks.items():
        key = client.node.distribution_key
        if task in pending:
            timed_out_keys.append(key)
            continue
        error = task.exception()
        if error is None:
            answer = task.result()
            answers.append(answer)
            errors.extend(answer.errors)
        elif isinstance(error, NodeTimeout):
            timed_out_keys.append(key)
        elif isinstance(error, NodeUnavailable):
            failed_keys.append(key)
            errors.append(NodeError(int(ErrorCode.BACKEND_COMMUNICATION_ERROR), str(error),
                                    f"content node {key}"))
        else:  # the node answered with an error for this query: no sign the node is unwell
            errors.append(NodeError(int(ErrorCode.BACKEND_COMMUNICATION_ERROR),
                                    f"content node {key} failed: {error}", f"content node {key}"))
    if timed_out_keys:
        errors.append(NodeError(int(ErrorCode.TIMEOUT),
                                "Backend communication timeout on nodes with distribution-keys: "
                                + ", ".join(map(str, sorted(timed_out_keys))), "dispatch"))
    # a node that answered with an error searched nothing: it counts as not answered
    good = [a for a in answers if not a.errors]
    hit_lists = [a.hits for a in good]
    hits = merge_reply_hits(hit_lists, call.sorting, call.hits)
    known_missing = None
    if known_active is not None or out_of_service:
        answered_keys = {a.distribution_key for a in good}
        known = {**(known_active or {}), **dict(out_of_service)}
        known_missing = sum(known.get(c.node.distribution_key, 0) for c in clients
                            if c.node.distribution_key not in answered_keys)
        known_missing += sum(docs for _, docs in out_of_service)
    coverage = aggregate([a.coverage for a in good], len(clients) + len(out_of_service), bool(timed_out_keys),
                         redundancy, known_missing_active=known_missing)
    trace = [line for a in answers for line in a.trace]
    return GatherResult(hits, sum(a.total_hits for a in good), coverage, errors, trace, tuple(failed_keys),
                        tuple(a.grouping for a in good if a.grouping is not None),
                        {a.distribution_key: a.generation for a in good},
                        tuple(a.phases for a in good if a.phases is not None),
                        {d.global_id: d for a in good for d in a.docsums})


