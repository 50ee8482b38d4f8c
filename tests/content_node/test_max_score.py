"""MaxScore's one pruning rule (content_node/matching/max_score.py), used by weakAnd and the OR's
bm25 top k: a document that could tie with θ or beat it is never dropped, whatever order its
parts and θ's were summed in; one surely below θ is."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from content_node.matching.max_score import raised_threshold, skippable, surely_below, survivors


def test_a_tie_summed_in_another_order_is_not_below():
    low, high = 0.1 + (0.2 + 0.3), (0.1 + 0.2) + 0.3  # one exact sum, two floats an ulp apart
    assert low < high
    assert not surely_below(low, high) and not surely_below(high, low)
    assert not surely_below(np.array([low]), high)[0]


def test_clearly_lower_bounds_are_below_and_minus_infinity_keeps_everything():
    assert surely_below(0.5, 0.6) and surely_below(np.array([0.5, 0.7]), 0.6).tolist() == [True, False]
    assert not surely_below(0.0, -np.inf) and not surely_below(np.array([-1e300]), -np.inf)[0]
    assert surely_below(-2.0, -1.0) and not surely_below(-1.0 - 1e-12, -1.0)  # negative θ: relative too


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 400), scale=st.sampled_from([1e-12, 1e-3, 1.0, 1e6]))
def test_a_score_is_never_below_itself_summed_in_any_order(seed, n, scale):
    rng = np.random.default_rng(seed)
    parts = rng.random(n) * scale + scale * 1e-3
    orders = [parts, parts[::-1], rng.permutation(parts), np.sort(parts)]
    sums = [sum(order.tolist()) for order in orders] + [float(np.bincount(np.zeros(n, dtype=np.int64), parts)[0]),
                                                         float(np.sum(parts))]
    assert not any(surely_below(a, b) for a in sums for b in sums)


def test_skippable_counts_the_lowest_bounds_that_stay_below_together():
    assert skippable([1.0, 2.0, 3.0], 3.5) == 2  # 1 + 2 < 3.5
    assert skippable([1.0, 2.0, 3.0], 3.0) == 1  # 1 + 2 ties θ: a document of both could tie
    assert skippable([0.3], 0.1 + 0.2) == 0  # an ulp below θ: within the summation error, kept
    assert skippable([1.0], -np.inf) == 0 and skippable([], 5.0) == 0


def test_raised_threshold_is_the_kth_best_partial_when_higher():
    partial = np.array([5.0, 1.0, 3.0, 4.0])
    assert raised_threshold(2.0, partial, 2) == 4.0
    assert raised_threshold(4.5, partial, 2) == 4.5
    assert raised_threshold(2.0, partial, 5) == 2.0  # fewer than k partials: nothing known
    assert raised_threshold(-np.inf, partial, 4) == 1.0


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 8))
def test_survivors_keep_every_document_of_the_best_k_and_every_tie(seed, k):
    """Random positive parts (many tied: few distinct values), a document's score summed in query
    order, its partial over the first terms in another order: every document scoring at least the
    k-th best survives, whatever θ below the k-th best the caller started from."""
    rng = np.random.default_rng(seed)
    docs, terms = 60, 5
    values = rng.choice([0.1, 0.2, 0.3, 0.7], size=(docs, terms)) * (rng.random((docs, terms)) < 0.6)
    scores = np.array([sum(row.tolist()) for row in values])  # query order
    kth = np.sort(scores)[::-1][k - 1]
    essential = 2
    partial = np.array([sum(row[:essential][::-1].tolist()) for row in values])  # another order
    rest = [(float(values[:, t].max()), [lambda rows, t=t: values[rows, t]]) for t in range(essential, terms)]
    candidates = np.arange(docs)
    theta = float(rng.uniform(0.0, kth)) if kth > 0 else -np.inf
    kept = survivors(candidates, partial, rest, theta, k)
    assert set(np.flatnonzero(scores >= kth)) <= set(kept.tolist())
    assert len(kept) <= docs
