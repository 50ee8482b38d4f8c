"""Rescaling of the not-reranked hits (searchlib.rescaling), shared by the content node's second
phase and the container's global phase (vespa-reference §8.2)."""
import math

import numpy as np

from searchlib.rescaling import rescale_rest


def test_rescale_only_when_reranked_low_drops_below_old_low():
    assert rescale_rest(np.array([10.0, 8.0]), np.array([20.0, 15.0]), np.array([5.0])).tolist() == [5.0]


def test_rescale_maps_rest_below_reranked():
    old, new = np.array([10.0, 6.0]), np.array([0.9, 0.1])
    rest = rescale_rest(old, new, np.array([5.0, 1.0]))
    # scale = max(0.8, 1) / max(4, 1) = 0.25; bias = 0.1 - 6 * 0.25 = -1.4
    assert np.allclose(rest, [5 * 0.25 - 1.4, 1 * 0.25 - 1.4])
    assert rest.max() < new.min()


def test_rescale_ignores_nan_scores():
    rest = rescale_rest(np.array([10.0, math.nan, 6.0]), np.array([0.9, math.nan, 0.1]), np.array([5.0]))
    assert np.allclose(rest, [5 * 0.25 - 1.4])
