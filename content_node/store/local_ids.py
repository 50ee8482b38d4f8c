"""Global id ⇄ local document id (dense int32 row numbers into every per-document array).

Local ids are never reused while the process runs: a removed or re-indexed document keeps its old
row marked dead in `alive`. Recovery rebuilds the space from the documents, which compacts it.
"""
from __future__ import annotations

import numpy as np

from content_node.store.arrays import ensure_capacity, read_only


class LocalIds:
    def __init__(self) -> None:
        self._local_by_global: dict[bytes, int] = {}
        self._global_ids: list[bytes] = []
        self._document_ids: list[str] = []
        self._alive = np.zeros(0, dtype=np.bool_)
        self.alive_count = 0

    @property
    def limit(self) -> int:
        """One past the highest local id handed out."""
        return len(self._global_ids)

    @property
    def alive(self) -> np.ndarray:
        return read_only(self._alive[: self.limit])

    @property
    def global_ids(self) -> list[bytes]:
        """Global id per local id (dead rows keep theirs), for hit-order tie-breaks."""
        return self._global_ids

    def allocate(self, document_id: str, global_id: bytes) -> int:
        """A fresh local id for the document, replacing (and killing) any previous one."""
        previous = self._local_by_global.get(global_id)
        if previous is not None:
            self.release(previous)
        local_id = self.limit
        self._alive = ensure_capacity(self._alive, local_id + 1, False)
        self._alive[local_id] = True
        self._global_ids.append(global_id)
        self._document_ids.append(document_id)
        self._local_by_global[global_id] = local_id
        self.alive_count += 1
        return local_id

    def release(self, local_id: int) -> None:
        if not self._alive[local_id]:
            return
        self._alive[local_id] = False
        self.alive_count -= 1
        if self._local_by_global.get(self._global_ids[local_id]) == local_id:
            del self._local_by_global[self._global_ids[local_id]]

    def lookup(self, global_id: bytes) -> int | None:
        return self._local_by_global.get(global_id)

    def document_id(self, local_id: int) -> str:
        return self._document_ids[local_id]

    def alive_local_ids(self) -> np.ndarray:
        return np.flatnonzero(self._alive[: self.limit]).astype(np.int32)
