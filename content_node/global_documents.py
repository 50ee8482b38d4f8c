"""Global document types (services.xml `global="true"`, the parents of reference fields): every
node of every group holds every document of the type, so children resolve their references locally
(content_node/imported_fields.py). Writes come to every node; a search of the global type itself
matches only the documents of the buckets this node owns in its group (as Vespa's active replicas),
so a group answers each document once."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from searchlib.distribution import node_in_group
from searchlib.docid import bucket_of


class OwnedDocuments:
    """Which local ids of a global type's database this node owns (by bucket, as any other type)."""

    def __init__(self, distribution_key: int, group_keys: Sequence[int]) -> None:
        self._key = distribution_key
        self._group_keys = tuple(sorted(group_keys))
        self._owner_by_bucket: dict[int, int] = {}
        self._cached: tuple[tuple, np.ndarray] | None = None

    def mask(self, index) -> np.ndarray:
        """`index.alive` less the documents another node of the group owns (inside a read view)."""
        valid_for = (id(index), index.last_sequence, index.local_id_limit)
        cached = self._cached
        if cached is not None and cached[0] == valid_for:
            return cached[1]
        alive = np.asarray(index.alive, dtype=bool).copy()
        global_ids = index.global_ids
        for local_id in np.flatnonzero(alive).tolist():
            if self._owner(global_ids[local_id]) != self._key:
                alive[local_id] = False
        self._cached = (valid_for, alive)
        return alive

    def _owner(self, gid: bytes) -> int:
        bucket = bucket_of(gid)
        owner = self._owner_by_bucket.get(bucket)
        if owner is None:
            owner = self._owner_by_bucket[bucket] = node_in_group(gid, self._group_keys)
        return owner


class OwnedView:
    """A global type's database as a search or a visit on this node reads it: `alive` is the owned
    documents (read when asked: `database` is the DocumentDB, `index` what the reader reads through,
    the same or a cache over it); everything else passes through."""

    def __init__(self, index, owned: OwnedDocuments, database=None) -> None:
        self._index = index
        self._owned = owned
        self._database = database if database is not None else index

    @property
    def alive(self) -> np.ndarray:
        return self._owned.mask(self._database)

    def __getattr__(self, name: str):
        return getattr(self._index, name)
