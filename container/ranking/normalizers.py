"""Global-phase cross-hit normalizers (vespa-reference §3.5), over the reranked hits only.

Sources: LinearNormalizer, ReciprocalRankNormalizer. Values arrive as one float64 column in hit
order (best first), as the global phase computed the normalizer's input for each reranked hit.
"""
from __future__ import annotations

import numpy as np

FLOAT_MAX = float(np.finfo(np.float32).max)
DEFAULT_RECIPROCAL_RANK_K = 60.0
NORMALIZERS = frozenset({"normalize_linear", "reciprocal_rank", "reciprocal_rank_fusion"})


def normalize_linear(values: np.ndarray) -> np.ndarray:
    """(x - min) / (max - min), with min/max over the finite values within ±Float.MAX_VALUE
    (infinities and NaN are ignored for the range); all 0.5 when max == min."""
    values = np.asarray(values, dtype=np.float64)
    in_range = np.abs(values) <= FLOAT_MAX  # False for ±inf and NaN
    if not in_range.any():
        return np.full(values.shape, np.nan)
    low, high = float(values[in_range].min()), float(values[in_range].max())
    if high == low:
        return np.full(values.shape, 0.5)
    with np.errstate(invalid="ignore", over="ignore"):
        return 0.5 + (values - (low + high) / 2.0) / (high - low)


def reciprocal_rank(values: np.ndarray, k: float = DEFAULT_RECIPROCAL_RANK_K) -> np.ndarray:
    """1 / (k + rank), rank 1-based by value descending, NaN as -inf, ties in hit order."""
    values = np.asarray(values, dtype=np.float64)
    keys = np.where(np.isnan(values), -np.inf, values)
    order = np.argsort(-keys, kind="stable")
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.arange(1, len(values) + 1)
    return 1.0 / (k + ranks)


def reciprocal_rank_fusion(columns: list[np.ndarray]) -> np.ndarray:
    """reciprocal_rank(a) + reciprocal_rank(b) + ... (≥ 2 inputs), each with k = 60."""
    return sum(reciprocal_rank(c) for c in columns)
