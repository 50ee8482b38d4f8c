"""Bootstrap intervals and the paired randomization test against values computed by hand."""
import numpy as np
import pytest

from searchlib import evaluation_stats
from searchlib.evaluation_stats import bootstrap_interval, paired_randomization_test, percentile


def test_exact_bootstrap_of_four_queries_matches_the_binomial_by_hand():
    # one relevant-at-1 query of four: a resample's mean is k/4 with k ~ Binomial(4, 1/4):
    # P(k=0) = 81/256 (cumulative .316), P(1) = 108/256 (.738), P(2) = 54/256 (.949),
    # P(3) = 12/256 (.996), P(4) = 1/256. 2.5% quantile: 0; 97.5%: the first k with
    # cumulative >= .975 is 3, so 0.75. At 50%: 25% -> 0, 75% -> 0.5 (.738 < .75 <= .949).
    interval = bootstrap_interval([0.0, 0.0, 1.0, 0.0])
    assert (interval.mean, interval.low, interval.high, interval.resamples) == (0.25, 0.0, 0.75, 0)
    half = bootstrap_interval([0.0, 0.0, 1.0, 0.0], confidence=0.5)
    assert (half.low, half.high) == (0.0, 0.5)


def test_exact_bootstrap_of_five_queries_by_hand():
    # k ~ Binomial(5, 1/5): cumulative .32768, .73728, .94208, .99328: 95% interval [0, 3/5]
    interval = bootstrap_interval([0.0, 1.0, 0.0, 0.0, 0.0])
    assert (interval.mean, interval.low, interval.high) == (0.2, 0.0, pytest.approx(0.6))
    # two values: means 1 (1/4), 2 (1/2), 3 (1/4); 95%: [1, 3]; 40%: 30% -> 2, 70% -> 2
    assert bootstrap_interval([1.0, 3.0]).as_dict() == {"mean": 2.0, "low": 1.0, "high": 3.0}
    narrow = bootstrap_interval([1.0, 3.0], confidence=0.4)
    assert (narrow.low, narrow.high) == (2.0, 2.0)
    assert bootstrap_interval([]).as_dict() == {"mean": 0.0, "low": 0.0, "high": 0.0}


def test_sampled_bootstrap_is_seeded_and_agrees_with_the_exact_one(monkeypatch):
    values = [0.0, 1.0, 0.5, 0.25, 0.0, 1.0, 0.0, 0.75]
    exact = bootstrap_interval(values)
    monkeypatch.setattr(evaluation_stats, "EXACT_BOOTSTRAP_MAX", 0)
    sampled = bootstrap_interval(values, resamples=20_000, seed=7)
    assert sampled == bootstrap_interval(values, resamples=20_000, seed=7)  # same seed, same interval
    assert sampled.resamples == 20_000 and sampled.mean == exact.mean
    assert abs(sampled.low - exact.low) <= 1 / 32 and abs(sampled.high - exact.high) <= 1 / 32
    # large inputs: about mean ± 1.96 standard errors
    rng = np.random.default_rng(1)
    many = rng.random(400)
    wide = bootstrap_interval(many, resamples=5_000, seed=3)
    half_width = 1.96 * many.std() / np.sqrt(len(many))
    assert wide.low < many.mean() < wide.high
    assert (wide.high - wide.low) / 2 == pytest.approx(half_width, rel=0.1)


def test_paired_test_enumerates_all_sign_flips_exactly():
    # deltas 1, 2, 3, -1 (|sum| 5): of the 16 sign assignments of magnitudes 1, 2, 3, 1 the sums
    # ±7 (2), ±5 (4 more: flip either 1, or flip 1, 2 and 3 together) reach |5|: p = 6/16
    test = paired_randomization_test([0.0, 0.0, 0.0, 1.0], [1.0, 2.0, 3.0, 0.0])
    assert (test.mean_delta, test.p_value, test.assignments, test.exact) == (1.25, 0.375, 16, True)
    assert (test.wins, test.losses, test.ties) == (3, 1, 0)
    # five equal wins: only all-plus and all-minus reach the observed sum: 2/32
    assert paired_randomization_test([0.0] * 5, [0.5] * 5).p_value == 0.0625
    # a tie flips to itself: deltas 1, 0, 1 -> |sums| 2, 0, 0, 2 twice over: 4/8
    tied = paired_randomization_test([0.2, 0.3, 0.1], [1.2, 0.3, 1.1])
    assert (tied.p_value, tied.ties) == (0.5, 1)
    # no difference at all is no evidence
    assert paired_randomization_test([0.3, 0.4], [0.3, 0.4]).p_value == 1.0
    with pytest.raises(ValueError):
        paired_randomization_test([1.0], [1.0, 2.0])


def test_sampled_paired_test_is_seeded_never_zero_and_near_the_exact_one():
    rng = np.random.default_rng(5)
    baseline, candidate = rng.random(13), rng.random(13) + 0.2
    exact = paired_randomization_test(baseline, candidate, permutations=2 ** 13)
    sampled = paired_randomization_test(baseline, candidate, permutations=4_000, seed=11)
    assert exact.exact and not sampled.exact and sampled.assignments == 4_000
    assert sampled == paired_randomization_test(baseline, candidate, permutations=4_000, seed=11)
    assert sampled.p_value == pytest.approx(exact.p_value, abs=0.02)
    always_better = paired_randomization_test([0.0] * 40, [1.0] * 40, permutations=1_000)
    assert always_better.p_value == 1 / 1001


def test_percentile_is_the_inverse_cdf_one():
    latencies = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert percentile(latencies, 0.5) == 3.0  # cumulative .6 at 3 is the first >= .5
    assert percentile(latencies, 0.99) == 5.0
    assert percentile(latencies, 0.2) == 1.0  # exactly .2: that value, not the next
    assert percentile([], 0.5) == 0.0
