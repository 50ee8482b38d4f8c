"""Bucket → content node placement: a seeded weighted election (rendezvous hashing), like Vespa's
ideal-state algorithm. Adding a node moves only about 1/n of the buckets."""
from __future__ import annotations

import functools
import hashlib
from typing import Sequence

from searchlib.docid import bucket_of
from searchlib.schema.model import ContentCluster


def _draw(bucket: int, distribution_key: int) -> int:
    digest = hashlib.blake2b(f"{bucket}:{distribution_key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def ideal_nodes(bucket: int, distribution_keys: Sequence[int]) -> list[int]:
    """Distribution keys in preference order for a bucket."""
    return sorted(distribution_keys, key=lambda key: (-_draw(bucket, key), key))


def node_in_group(gid: bytes, group_keys: Sequence[int]) -> int:
    """The node of one group that holds a document, placed by the node's index within its group
    (not by its distribution key), so node i of every equally sized group holds the same buckets:
    a restarted node catches up from exactly one replica per other group."""
    if not group_keys:
        raise ValueError("no content nodes to place documents on")
    ordered = sorted(group_keys)
    return ordered[_first_in_group(bucket_of(gid), len(ordered))]


@functools.lru_cache(maxsize=1 << 17)  # every bucket of two group sizes: a write no longer hashes per node
def _first_in_group(bucket: int, size: int) -> int:
    return ideal_nodes(bucket, range(size))[0]


def group_keys_of(cluster: ContentCluster, distribution_key: int) -> tuple[int, ...] | None:
    """The distribution keys of the group `distribution_key` belongs to in services.xml (None
    when the topology does not list it)."""
    group = next((node.group for node in cluster.nodes if node.distribution_key == distribution_key), None)
    if group is None:
        return None
    return tuple(sorted(node.distribution_key for node in cluster.nodes if node.group == group))
