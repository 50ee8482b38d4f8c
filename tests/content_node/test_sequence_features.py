"""randomNormal, randomNormalStable and globalSequence (content_node/matching/sequence_features.py)
against values worked out by hand from Vespa's definitions and against a scalar reference that draws
from the C library's own srand48/lrand48 (the generator Vespa's Rand48 reimplements)."""
from __future__ import annotations

import ctypes
import ctypes.util
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pytest

from content_node.matching.feature_api import FeatureName
from content_node.matching.sequence_features import (global_sequence, random_normal, random_normal_stable,
                                                     sequential_normals, stable_normals, stream)
from searchlib.errors import InvalidParameterError

_LIBC = ctypes.CDLL(ctypes.util.find_library("c"))
_LIBC.lrand48.restype = ctypes.c_long


@dataclass
class _Calc:
    rank_properties: dict = field(default_factory=dict)
    now: float = 1_700_000_000.25
    distribution_key: int = 0


def _libc_uniform() -> float:
    return _LIBC.lrand48() / float(0x80000000) * 2.0 - 1.0


def _libc_polar() -> tuple[float, float]:
    while True:
        u, v = _libc_uniform(), _libc_uniform()
        s = u * u + v * v
        if 0.0 < s < 1.0:
            factor = math.sqrt(-2.0 * math.log(s) / s)
            return u * factor, v * factor


def _reference_stable(seed: int, lid: int) -> float:
    _LIBC.srand48(ctypes.c_long(seed + lid))
    return _libc_polar()[0]


def _reference_sequence(seed: int, count: int) -> list[float]:
    _LIBC.srand48(ctypes.c_long(seed))
    out: list[float] = []
    while len(out) < count:
        out.extend(_libc_polar())  # u·s now, v·s the spare for the next document
    return out[:count]


def test_stable_normal_by_hand_for_seed_1024_lid_0():
    # srand48(1024): state 1024 << 16 | 0x330E = 67121934; one step (·0x5DEECE66D + 0xB mod 2^48)
    # gives 245556548751617, lrand48 = that >> 17 = 1873447790; the next 538024896.
    # u = 2·1873447790/2^31 − 1 = 0.744784219..., v = 2·538024896/2^31 − 1 = −0.498925268...,
    # s = u² + v² = 0.80362995... < 1: accepted; u·sqrt(−2 ln s / s) = 0.54936216...
    assert stable_normals(1024, np.array([0]))[0] == pytest.approx(0.5493621612542512, abs=1e-15)
    states = stream(67121934, 2)
    assert (states >> np.uint64(17)).tolist() == [1873447790, 538024896]


def test_stable_normals_equal_the_libc_reference_and_do_not_depend_on_the_others():
    lids = np.array([0, 1, 2, 5, 17, 400, 99_999, 3])
    expected = [_reference_stable(77, int(lid)) for lid in lids]
    assert stable_normals(77, lids).tolist() == pytest.approx(expected, abs=1e-15)
    assert stable_normals(77, lids[::-1]).tolist() == pytest.approx(expected[::-1], abs=1e-15)
    assert stable_normals(78, lids).tolist() != pytest.approx(expected, abs=1e-6)


def test_sequential_normals_equal_the_libc_stream_spares_included():
    for count in (1, 2, 7, 1000):
        assert sequential_normals(12345, count).tolist() == pytest.approx(_reference_sequence(12345, count),
                                                                           abs=1e-15)


def test_stream_by_doubling_equals_stepping():
    state, expected = 987654321, []
    for _ in range(37):
        state = (0x5DEECE66D * state + 0xB) & ((1 << 48) - 1)
        expected.append(state)
    assert stream(987654321, 37).tolist() == expected


def test_random_normal_stable_feature_reads_mean_stddev_and_seed():
    lids = np.array([4, 0, 9])
    default = random_normal_stable(_Calc(), FeatureName.parse("randomNormalStable"), lids)
    assert default.tolist() == pytest.approx([_reference_stable(1024, int(i)) for i in lids], abs=1e-15)
    scaled = random_normal_stable(_Calc({"randomNormalStable.seed": "5"}),
                                  FeatureName.parse("randomNormalStable(10,0.5)"), lids)
    assert scaled.tolist() == pytest.approx([10 + 0.5 * _reference_stable(5, int(i)) for i in lids], abs=1e-12)


def test_random_normal_draws_in_local_id_order_from_its_seed():
    lids = np.array([8, 2, 5])
    values = random_normal(_Calc({"randomNormal.seed": "31"}), FeatureName.parse("randomNormal(1,2)"), lids)
    first, second, third = (1 + 2 * x for x in _reference_sequence(31, 3))
    assert values.tolist() == pytest.approx([third, first, second], abs=1e-12)


def test_random_normal_without_seed_is_seeded_by_the_query_time():
    lids = np.arange(4)
    calc = _Calc(now=1234.5)
    values = random_normal(calc, FeatureName.parse("randomNormal"), lids)
    assert values.tolist() == pytest.approx(_reference_sequence(1_234_500_000, 4), abs=1e-15)
    other_node = random_normal(_Calc(now=1234.5, distribution_key=1), FeatureName.parse("randomNormal"), lids)
    assert other_node.tolist() == pytest.approx(_reference_sequence(1_234_500_000 ^ 0x9E3779B9, 4), abs=1e-15)


def test_random_normal_over_many_candidates_has_the_asked_distribution():
    values = random_normal(_Calc({"randomNormal.seed": "9"}), FeatureName.parse("randomNormal(3,2)"),
                           np.arange(200_000))
    assert abs(values.mean() - 3.0) < 0.02 and abs(values.std() - 2.0) < 0.02


def test_global_sequence_by_hand():
    # (1 << 48) − ((lid << 16) | key): lid 3 on node 1 → 281474976710656 − 196609
    values = global_sequence(_Calc(distribution_key=1), FeatureName.parse("globalSequence"), np.array([3, 0]))
    assert values.tolist() == [281474976514047.0, 281474976710655.0]
    other = global_sequence(_Calc(distribution_key=2), FeatureName.parse("globalSequence"), np.array([3]))
    assert other.tolist() == [281474976514046.0]


@pytest.mark.parametrize("feature, message", [
    ("randomNormal(1)", "takes no arguments, or (mean, stddev[, name])"),
    ("randomNormalStable(a,b)", "mean and stddev must be numbers"),
    ("globalSequence(x)", "globalSequence takes no arguments"),
])
def test_bad_arguments_are_errors(feature, message):
    function = {"randomNormal": random_normal, "randomNormalStable": random_normal_stable,
                "globalSequence": global_sequence}[FeatureName.parse(feature).base]
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        function(_Calc(), FeatureName.parse(feature), np.array([1]))
