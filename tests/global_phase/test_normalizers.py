"""Cross-hit normalizers (vespa-reference §3.5)."""
import math

import numpy as np

from container.ranking.normalizers import normalize_linear, reciprocal_rank, reciprocal_rank_fusion


def test_normalize_linear_maps_min_to_zero_and_max_to_one():
    assert normalize_linear(np.array([2.0, 4.0, 3.0])).tolist() == [0.0, 1.0, 0.5]


def test_normalize_linear_equal_values_give_one_half():
    assert normalize_linear(np.array([7.0, 7.0])).tolist() == [0.5, 0.5]


def test_normalize_linear_ignores_infinities_for_the_range():
    out = normalize_linear(np.array([1.0, math.inf, 3.0, -math.inf]))
    assert out[0] == 0.0 and out[2] == 1.0
    assert out[1] == math.inf and out[3] == -math.inf


def test_normalize_linear_nan_stays_nan_and_does_not_widen_range():
    out = normalize_linear(np.array([1.0, math.nan, 2.0]))
    assert out[0] == 0.0 and out[2] == 1.0 and math.isnan(out[1])


def test_reciprocal_rank_default_k():
    out = reciprocal_rank(np.array([0.2, 0.9, 0.5]))
    assert np.allclose(out, [1 / 63, 1 / 61, 1 / 62])
    assert round(out[1], 6) == 0.016393


def test_reciprocal_rank_nan_is_last_and_ties_keep_hit_order():
    out = reciprocal_rank(np.array([math.nan, 1.0, 1.0, 2.0]), k=0.0)
    assert out.tolist() == [1 / 4, 1 / 2, 1 / 3, 1.0]


def test_reciprocal_rank_fusion_sums_ranks():
    a, b = np.array([3.0, 2.0, 1.0]), np.array([1.0, 2.0, 3.0])
    out = reciprocal_rank_fusion([a, b])
    assert np.allclose(out, [1 / 61 + 1 / 63, 2 / 62, 1 / 63 + 1 / 61])
