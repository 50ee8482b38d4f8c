"""MaxScore's pruning rule, one for weakAnd (weak_and.py) and the OR's bm25 top k (bm25_top_k.py):
θ is a lower bound of the k-th best score, and a document whose upper bound is surely below θ
cannot be among the best k, nor tie with the k-th (a tie may still win on its id).

Scores, partial scores, bounds and θ are float sums of positive parts (a part is computed by the
same arithmetic wherever it is summed), in different orders. A float sum of n positive parts is
within (n - 1)·2⁻⁵³ of the exact sum, relative to it, in any order; so "surely below" asks for a
gap of TIE_SLACK·|θ|, more than the error of both sides for any query below a million parts: a
document whose exact score could equal or beat θ's is never dropped, whatever the orders.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

TIE_SLACK = 1e-9  # relative: far above 2·n·2⁻⁵³ for every realistic number n of summed parts


def surely_below(bound, theta: float):
    """Whether a score of at most `bound` (a number or an array) stays below θ by more than the
    summation error: the documents it bounds may be dropped. θ = -inf keeps every one."""
    return bound < theta - TIE_SLACK * abs(theta)


def skippable(ascending_bounds: Sequence[float], theta: float) -> int:
    """How many of the lowest bounds (ascending) stay surely below θ together: a document only their
    lists hold cannot reach the best k, so it is never scored."""
    total, count = 0.0, 0
    for bound in ascending_bounds:
        if not surely_below(total + bound, theta):
            break
        total += bound
        count += 1
    return count


def raised_threshold(theta: float, partial: np.ndarray, k: int) -> float:
    """θ, raised to the k-th best partial score when there are k: a partial score (over some of a
    document's parts) is a lower bound of its score up to the summation order, which surely_below
    allows for, so k documents score at least that much."""
    if k <= 0 or len(partial) < k:
        return theta
    return max(theta, float(np.partition(partial, len(partial) - k)[len(partial) - k]))


def survivors(candidates: np.ndarray, partial: np.ndarray,
              rest: Sequence[tuple[float, Sequence[Callable[[np.ndarray], np.ndarray]]]], theta: float,
              k: int) -> np.ndarray:
    """The candidates that may still reach the best k, given their partial scores and the parts not
    read yet (`rest`: (the most the parts can add to a document, the parts of the candidates'
    scores), in the order to read them, highest bound first): after raising θ and dropping the
    candidates surely below it, the next parts are read for the survivors only, and so on."""
    unread = [0.0] * (len(rest) + 1)  # what the parts from the i-th on can still add, summed lowest first
    for i in range(len(rest) - 1, -1, -1):
        unread[i] = rest[i][0] + unread[i + 1]
    for i in range(len(rest) + 1):
        theta = raised_threshold(theta, partial, k)
        keep = ~surely_below(partial + unread[i], theta)
        candidates, partial = candidates[keep], partial[keep]
        if i == len(rest) or not len(candidates):
            break
        for part in rest[i][1]:
            partial = partial + part(candidates)
    return candidates
