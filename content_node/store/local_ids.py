"""Global id ⇄ local document id (dense int32 row numbers into every per-document array).

Local ids are never reused while the process runs: a removed or re-indexed document keeps its old
row marked dead in `alive`. Recovery rebuilds the space from the documents, which compacts it, or
loads it as it was from an index image (store/index_image.py, which bounds the dead rows).
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

    # -- index image (store/index_image.py) -------------------------------------------------------

    def export_image(self) -> dict[str, np.ndarray]:
        """Copies of every row (dead ones too: other arrays are indexed by these local ids)."""
        document_ids = "".join(self._document_ids).encode("utf-8")
        return {"global_ids": np.frombuffer(b"".join(self._global_ids), dtype=np.uint8).copy(),
                "global_id_ends": np.cumsum([len(g) for g in self._global_ids], dtype=np.int64),
                "document_ids": np.frombuffer(document_ids, dtype=np.uint8).copy(),
                "document_id_ends": np.cumsum([len(d) for d in self._document_ids], dtype=np.int64),
                "alive": self._alive[: self.limit].copy()}

    @classmethod
    def from_image(cls, arrays: dict[str, np.ndarray]) -> "LocalIds":
        local_ids = cls()
        blob, ends = arrays["global_ids"].tobytes(), arrays["global_id_ends"].tolist()
        local_ids._global_ids = [blob[start:end] for start, end in zip([0, *ends], ends)]
        text, ends = arrays["document_ids"].tobytes().decode("utf-8"), arrays["document_id_ends"].tolist()
        local_ids._document_ids = [text[start:end] for start, end in zip([0, *ends], ends)]  # ends count characters
        alive = np.asarray(arrays["alive"], dtype=np.bool_)
        if not len(alive) == len(local_ids._global_ids) == len(local_ids._document_ids):
            raise ValueError("local id arrays disagree in length")
        local_ids._alive = alive.copy()
        live = np.flatnonzero(alive).tolist()
        local_ids._local_by_global = {local_ids._global_ids[i]: i for i in live}
        local_ids.alive_count = len(live)
        if len(local_ids._local_by_global) != len(live):
            raise ValueError("a global id is alive twice")
        return local_ids
