"""Per-node rerank and keep-rank counts from per-node or total (cluster-wide) settings.

Vespa's container transfers second-phase rerankCount/totalRerankCount (and first-phase
keepRankCount/totalKeepRankCount) from the query, or, when the query sets neither, from the rank
profile (ClusterSearcher.transferRerankCounts). A total count is spread over the content nodes
the query is sent to: each node takes ceil(total / nodes), so together they rerank at least the
total. A per-node count, where given, is used as it is."""
from __future__ import annotations

import math


def per_node_count(per_node: int | None, total: int | None, nodes: int) -> int | None:
    """The count each of `nodes` content nodes uses, None for the node's own default."""
    if per_node is not None:
        return per_node
    if total is None:
        return None
    return math.ceil(max(total, 0) / max(nodes, 1))


def node_count(query_per_node: int | None, query_total: int | None, profile_per_node: int | None,
               profile_total: int | None, nodes: int) -> int | None:
    """The query's counts when it gives either, else the profile's (as transferRerankCounts)."""
    if query_per_node is not None or query_total is not None:
        return per_node_count(query_per_node, query_total, nodes)
    return per_node_count(profile_per_node, profile_total, nodes)
