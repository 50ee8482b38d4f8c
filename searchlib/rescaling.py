"""Rescaling of the hits a later phase did not rerank — the content node's second phase (Vespa's
first_phase_rescorer) and the container's global phase (RangeAdjuster, vespa-reference §8.2) —
one rule for both: the rest must not outrank a reranked hit, so their scores are mapped into the
reranked range when the reranked hits' new lowest score is below their old lowest score."""
from __future__ import annotations

import numpy as np


def rescale_rest(old_top: np.ndarray, new_top: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """New scores for the not-reranked hits, given the reranked hits' old and new scores."""
    rest = np.asarray(rest, dtype=np.float64)
    old_top, new_top = np.asarray(old_top, np.float64), np.asarray(new_top, np.float64)
    if len(rest) == 0 or np.isnan(old_top).all() or np.isnan(new_top).all():
        return rest
    # NaN never wins a `<` comparison in RangeAdjuster, so it does not widen the ranges
    init_lo, init_hi = float(np.nanmin(old_top)), float(np.nanmax(old_top))
    final_lo, final_hi = float(np.nanmin(new_top)), float(np.nanmax(new_top))
    if not init_lo > final_lo:
        return rest
    init_range = max(init_hi - init_lo, 1.0)
    final_range = max(final_hi - final_lo, 1.0)
    scale = final_range / init_range
    bias = final_lo - init_lo * scale
    return rest * scale + bias
