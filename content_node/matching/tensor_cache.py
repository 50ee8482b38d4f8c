"""Parsed dense tensor attributes, kept per index and field so a query does not re-read every
candidate's JSON cells: a float32 matrix by local id plus the identity of the raw value each row was
parsed from (float32 cells unless the type's cells are double). A row is re-parsed only when its stored value object changed (a put or an update
replaces it); the raw objects are referenced here, so their ids stay unique while cached."""
from __future__ import annotations

import threading
import weakref
from typing import Callable

import numpy as np

from searchlib.tensor import TensorBatch, TensorType


class DenseTensorCache:
    def __init__(self, tensor_type: TensorType) -> None:
        self.type = tensor_type
        self.shape = tensor_type.dense_shape
        self.dtype = np.float64 if tensor_type.cell_type == "double" else np.float32
        self.matrix = np.zeros((0, *self.shape), dtype=self.dtype)
        self.ids = np.zeros(0, dtype=np.int64)  # id() of the raw value each row holds; 0 = none
        self.keep = np.empty(0, dtype=object)  # the raw values themselves (keeps their ids unique)
        self.lock = threading.Lock()

    def _grow(self, limit: int) -> None:
        if limit <= len(self.ids):
            return
        size = max(limit, 2 * len(self.ids), 1024)
        matrix = np.zeros((size, *self.shape), dtype=self.dtype)
        matrix[: len(self.matrix)] = self.matrix
        ids = np.zeros(size, dtype=np.int64)
        ids[: len(self.ids)] = self.ids
        keep = np.empty(size, dtype=object)
        keep[: len(self.keep)] = self.keep
        self.matrix, self.ids, self.keep = matrix, ids, keep

    def batch(self, local_ids: np.ndarray, raw_values: np.ndarray,
              parse_rows: Callable[[np.ndarray], np.ndarray]) -> TensorBatch:
        """Rows for `local_ids` (whose stored values are `raw_values`); `parse_rows(raws)` turns the
        changed ones into an array of shape (n, *dense_shape)."""
        ids = np.fromiter((id(v) if v is not None else 0 for v in raw_values), dtype=np.int64,
                          count=len(raw_values))
        with self.lock:
            self._grow(int(local_ids.max(initial=-1)) + 1)
            stale = self.ids[local_ids] != ids
            if stale.any():
                rows = local_ids[stale]
                self.matrix[rows] = parse_rows(raw_values[stale])
                self.ids[rows] = ids[stale]
                self.keep[rows] = raw_values[stale]
            values = self.matrix[local_ids].astype(np.float64)
        return TensorBatch.dense(self.type, values)


_CACHES: "weakref.WeakKeyDictionary[object, dict[str, DenseTensorCache]]" = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def dense_cache(owner: object, field: str, tensor_type: TensorType) -> DenseTensorCache | None:
    """The cache of `field` in index `owner` (None if the owner cannot be weakly referenced)."""
    with _CACHES_LOCK:
        try:
            per_field = _CACHES.setdefault(owner, {})
        except TypeError:
            return None
        cache = per_field.get(field)
        if cache is None or cache.type != tensor_type:
            cache = per_field[field] = DenseTensorCache(tensor_type)
        return cache
