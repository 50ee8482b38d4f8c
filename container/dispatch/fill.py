"""The fill phase: fetch summaries for the final window only, one call per node that owns hits."""
from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import replace
from typing import Callable, Mapping, Sequence

from container.dispatch.content_client import ContentNodeClient, NodeUnavailable
from searchlib.errors import ErrorCode
from searchlib.hits import LeanHit
from searchlib.wire.search_codec import DocsumCall, DocsumValue, NodeError


async def fill_summaries(clients: Mapping[int, ContentNodeClient], hits: Sequence[LeanHit],
                         call: DocsumCall, deadline: float,
                         replicas: Callable[[int], Sequence[ContentNodeClient]] | None = None,
                         generations: Mapping[int, int] | None = None,
                         ) -> tuple[dict[bytes, DocsumValue], list[NodeError]]:
    """`replicas(key)`: nodes holding the same documents as `key` in other groups, asked in turn
    when `key` is unreachable (it died between the search and the fill). `generations`: each
    node's read view from the search; a node fills as of it (a replica has its own sequence
    numbers, so it fills with its current documents)."""
    by_node: dict[int, list[bytes]] = defaultdict(list)
    for hit in hits:
        by_node[hit.distribution_key].append(hit.global_id)

    async def fetch(key: int, gids: list[bytes]):
        node_call = replace(call, global_ids=tuple(gids), as_of=(generations or {}).get(key, 0))
        try:
            return await clients[key].docsums(node_call, deadline - time.monotonic())
        except NodeUnavailable:
            for replica in (replicas(key) if replicas else ()):
                try:
                    return await replica.docsums(replace(node_call, as_of=0), deadline - time.monotonic())
                except NodeUnavailable:
                    continue
            raise

    keys = list(by_node)
    outcomes = await asyncio.gather(*(fetch(k, by_node[k]) for k in keys), return_exceptions=True)
    summaries: dict[bytes, DocsumValue] = {}
    errors: list[NodeError] = []
    for key, outcome in zip(keys, outcomes):
        if isinstance(outcome, BaseException):
            errors.append(NodeError(int(ErrorCode.BACKEND_COMMUNICATION_ERROR),
                                    f"summary fetch from content node {key} failed: {outcome}",
                                    f"content node {key}"))
            continue
        values, node_errors = outcome
        errors.extend(node_errors)
        for value in values:
            summaries[value.global_id] = value
    return summaries, errors
