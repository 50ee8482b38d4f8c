"""Which content nodes hold a document: the bucket's owner in every group, or, for a global
document type (the parents of reference fields), every node of every group."""
from __future__ import annotations

from collections.abc import Collection

from container.dispatch.search_cluster import SearchCluster
from searchlib.distribution import node_in_group
from searchlib.docid import DocumentId


def holders(cluster: SearchCluster, global_types: Collection[str], document_id: str, gid: bytes) -> list:
    """The clients of the nodes a write of `document_id` goes to (one per group, or all)."""
    if global_types and DocumentId.parse(document_id).doctype in global_types:  # most packages have none
        return [cluster.clients[key] for keys in cluster.groups.values() for key in keys]
    return [cluster.clients[node_in_group(gid, keys)] for keys in cluster.groups.values()]
