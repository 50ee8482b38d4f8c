"""Integer attribute values, exact: int, long and byte attributes are int64 columns (as Vespa
stores them), so values beyond 2^53 (nanosecond timestamps, 64-bit ids) compare, sort and group
exactly. An unset value is INT64_MIN (Vespa's undefined long); float columns use NaN.
Rank features stay doubles (`as_floats`), as they are in Vespa.
"""
from __future__ import annotations

import numpy as np

UNSET_INTEGER = int(np.iinfo(np.int64).min)
INT64_MAX = int(np.iinfo(np.int64).max)


def present(values: np.ndarray) -> np.ndarray:
    """Which rows of a numeric column (int64 or float64) hold a value."""
    return values != UNSET_INTEGER if values.dtype.kind == "i" else ~np.isnan(values)


def as_floats(values: np.ndarray) -> np.ndarray:
    """A numeric column as float64, NaN when unset (float columns are returned as they are)."""
    if values.dtype.kind != "i":
        return values
    return np.where(values == UNSET_INTEGER, np.nan, values.astype(np.float64))


def number_value(value: object) -> int | float | None:
    """One stored number as JSON wants it: an exact int from an integer column, a float from a
    float column, None when unset."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return None if value == UNSET_INTEGER else int(value)
    return None if value is None or value != value else float(value)  # NaN: unset
