"""How sure a relevance number is: bootstrap intervals and a paired significance test over
per-query metric values (pure functions, seeded, no I/O).

- `bootstrap_interval`: percentile bootstrap of the mean over queries. With few values (at most
  EXACT_BOOTSTRAP_MAX) the bootstrap distribution is enumerated exactly (every multiset of n draws
  with its multinomial probability), so the interval is a fixed number a hand can check; else
  `resamples` (default 10,000) resamples drawn by numpy's PCG64 seeded with `seed`.
- `paired_randomization_test`: two-sided paired randomization (sign-flip) test of the mean
  per-query difference. Under the null hypothesis the two rankings are exchangeable on every query,
  so each difference's sign is a fair coin; p is the share of sign assignments whose |mean| is at
  least the observed |mean|. Exact over all 2^n assignments when 2^n <= `permutations` (default
  10,000), else `permutations` random assignments seeded with `seed`, with p = (1 + hits) /
  (1 + permutations) so a sampled p is never 0.
- Quantiles everywhere are inverse-CDF ones (the smallest value whose cumulative share is >= q;
  numpy's "inverted_cdf"), so a quantile is always one of the values, on every path.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from itertools import combinations_with_replacement
from typing import Sequence

import numpy as np

DEFAULT_RESAMPLES = 10_000
DEFAULT_PERMUTATIONS = 10_000
DEFAULT_SEED = 0
DEFAULT_CONFIDENCE = 0.95
EXACT_BOOTSTRAP_MAX = 8  # 6,435 multisets of 8 draws; 9 would be 24,310
_BATCH_CELLS = 2_000_000  # resample rows are drawn in batches of about this many cells (memory bound)


@dataclass(frozen=True, slots=True)
class Interval:
    mean: float
    low: float
    high: float
    confidence: float
    resamples: int  # 0 when the bootstrap distribution was enumerated exactly

    def as_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "low": self.low, "high": self.high}


@dataclass(frozen=True, slots=True)
class PairedTest:
    mean_delta: float  # mean of (candidate - baseline) over the queries
    p_value: float
    assignments: int  # sign assignments evaluated (2^n when exact)
    exact: bool
    wins: int  # queries where the candidate is better
    losses: int
    ties: int


def inverse_cdf_quantile(sorted_values: Sequence[float], cumulative: Sequence[float], q: float) -> float:
    """The smallest value whose cumulative share (`cumulative`, ascending, ending at 1) is >= q."""
    index = int(np.searchsorted(np.asarray(cumulative), q - 1e-12, side="left"))
    return float(sorted_values[min(index, len(sorted_values) - 1)])


def percentile(values: Sequence[float], q: float) -> float:
    """The inverse-CDF q-quantile (q in [0, 1]) of equally weighted values; 0.0 for none."""
    if not len(values):
        return 0.0
    ordered = np.sort(np.asarray(values, dtype=float))
    return inverse_cdf_quantile(ordered, np.arange(1, len(ordered) + 1) / len(ordered), q)


def _exact_bootstrap_means(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every possible resample mean with its probability, ascending."""
    n = len(values)
    means, weights = [], []
    for draw in combinations_with_replacement(range(n), n):
        ways = math.factorial(n)
        for count in Counter(draw).values():
            ways //= math.factorial(count)
        means.append(float(values[list(draw)].sum()) / n)
        weights.append(ways)
    order = np.argsort(means, kind="stable")
    return np.asarray(means)[order], np.asarray(weights, dtype=float)[order] / n ** n


def bootstrap_interval(values: Sequence[float], *, confidence: float = DEFAULT_CONFIDENCE,
                       resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> Interval:
    """The mean of `values` with its percentile-bootstrap interval at `confidence`."""
    data = np.asarray(values, dtype=float)
    n = len(data)
    if n == 0:
        return Interval(0.0, 0.0, 0.0, confidence, 0)
    mean = float(data.mean())
    tail = (1.0 - confidence) / 2
    if n <= EXACT_BOOTSTRAP_MAX:
        means, probabilities = _exact_bootstrap_means(data)
        cumulative = np.cumsum(probabilities)
        return Interval(mean, inverse_cdf_quantile(means, cumulative, tail),
                        inverse_cdf_quantile(means, cumulative, 1.0 - tail), confidence, 0)
    rng = np.random.default_rng(seed)
    batch = max(1, _BATCH_CELLS // n)
    sampled = np.concatenate([data[rng.integers(0, n, size=(min(batch, resamples - start), n))].mean(axis=1)
                              for start in range(0, resamples, batch)])
    low, high = np.quantile(sampled, [tail, 1.0 - tail], method="inverted_cdf")
    return Interval(mean, float(low), float(high), confidence, resamples)


def paired_randomization_test(baseline: Sequence[float], candidate: Sequence[float], *,
                              permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED) -> PairedTest:
    """Two-sided sign-flip test of mean(candidate - baseline) = 0 over paired per-query values."""
    if len(baseline) != len(candidate):
        raise ValueError(f"paired values differ in length: {len(baseline)} and {len(candidate)}")
    deltas = np.asarray(candidate, dtype=float) - np.asarray(baseline, dtype=float)
    n = len(deltas)
    wins, losses = int((deltas > 0).sum()), int((deltas < 0).sum())
    if n == 0:
        return PairedTest(0.0, 1.0, 0, True, 0, 0, 0)
    observed = abs(float(deltas.sum()))  # |sum| orders assignments as |mean| does
    tolerance = 1e-9 * max(1.0, float(np.abs(deltas).sum()))  # equal sums added in another order
    if 2 ** n <= permutations:
        bits = (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1
        sums = np.abs(((1 - 2 * bits) * deltas).sum(axis=1))
        hits = int((sums >= observed - tolerance).sum())
        return PairedTest(float(deltas.mean()), hits / 2 ** n, 2 ** n, True, wins, losses, n - wins - losses)
    rng = np.random.default_rng(seed)
    batch = max(1, _BATCH_CELLS // n)
    hits = 0
    for start in range(0, permutations, batch):
        signs = rng.choice(np.array([-1.0, 1.0]), size=(min(batch, permutations - start), n))
        hits += int((np.abs((signs * deltas).sum(axis=1)) >= observed - tolerance).sum())
    return PairedTest(float(deltas.mean()), (1 + hits) / (1 + permutations), permutations, False,
                      wins, losses, n - wins - losses)
