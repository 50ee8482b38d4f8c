"""Sort keys for `order by` / `sorting=` on a content node, consistent with the container's merge
(searchlib.hits.sort_order_key): numbers and strings (code-point order) in the asked direction,
missing values (NaN, unset strings) last in either direction, ties by global id."""
from __future__ import annotations

import math

import numpy as np


def sort_key_column(column: np.ndarray, ascending: bool) -> np.ndarray:
    """A float64 key per row for np.lexsort: smaller sorts first, NaN (missing) sorts last."""
    if column.dtype.kind in "fiub":
        values = column.astype(np.float64)
        return values if ascending else -values
    present = np.array([isinstance(v, str) for v in column], dtype=bool)
    keys = np.full(len(column), np.nan)
    if present.any():
        ranks = np.unique(column[present].astype(str), return_inverse=True)[1].astype(np.float64)
        keys[present] = ranks if ascending else -ranks
    return keys


def sort_value(value: object) -> float | str | None:
    """The value sent with a hit for the container's merge: str, float (NaN when missing), None."""
    if isinstance(value, str) or value is None:
        return value
    number = float(value)
    return number if not math.isnan(number) else math.nan
