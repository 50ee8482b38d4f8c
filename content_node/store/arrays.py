"""Growable numpy columns indexed by local document id."""
from __future__ import annotations

import numpy as np


def ensure_capacity(array: np.ndarray, size: int, fill: object = 0) -> np.ndarray:
    """`array` if it holds `size` rows, else a copy grown by doubling (amortized O(1) appends)."""
    if size <= len(array):
        return array
    capacity = max(size, 2 * len(array), 16)
    grown = np.empty((capacity,) + array.shape[1:], dtype=array.dtype)
    grown[: len(array)] = array
    grown[len(array):] = fill
    return grown


def read_only(array: np.ndarray) -> np.ndarray:
    """A view readers cannot write through by accident."""
    view = array.view()
    view.flags.writeable = False
    return view
