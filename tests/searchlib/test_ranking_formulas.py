"""The one definition of bm25's idf and term score and of the proximity step score
(searchlib/ranking/formulas.py), against values worked out by hand; numbers and arrays give the
same bits."""
from __future__ import annotations

import math

import numpy as np
import pytest

from searchlib.ranking.formulas import (
    BM25_B, BM25_K1, bm25_idf, bm25_score, document_frequency_idf, proximity_step_score, proximity_step_scores)


@pytest.mark.parametrize("df, n, expected", [
    (1, 10, 1.9924301646902063),  # log(1 + 9.5 / 1.5) = log(22 / 3)
    (5, 10, 0.6931471805599453),  # log(1 + 5.5 / 5.5) = log 2
    (1, 1, 0.28768207245178085),  # log(1 + 0.5 / 1.5) = log(4 / 3): a term in every document
    (0, 4, 2.302585092994046),  # log(1 + 4.5 / 0.5) = log 10
])
def test_idf_by_hand(df, n, expected):
    assert bm25_idf(df, n) == pytest.approx(expected, rel=1e-15)
    assert isinstance(bm25_idf(df, n), float)


@pytest.mark.parametrize("frequency, count, expected", [
    (0, 1, math.log(4 / 3)),  # streaming's 0 of 1: held at 1 of 1
    (0, 1000, math.log(1 + 999.5 / 1.5)),  # a model's word in no document: frequency 1
    (5, 0, math.log(4 / 3)),  # no corpus: count 1, frequency 1
    (9, 4, math.log(1 + 0.5 / 4.5)),  # frequency held at the count: 4 of 4
    (13, 101, math.log(1 + 88.5 / 13.5)),  # within bounds: bm25_idf itself
])
def test_a_document_frequency_pairs_idf_is_held_as_vespas_bm25utils(frequency, count, expected):
    assert document_frequency_idf(frequency, count) == pytest.approx(expected, rel=1e-15)


def test_idf_of_an_array_is_the_idf_of_each_to_the_bit():
    frequencies = np.arange(0, 20_000, dtype=np.int64)
    by_array = bm25_idf(frequencies, 1_000_003)
    one_by_one = [bm25_idf(int(df), 1_000_003) for df in frequencies]
    libm = [math.log(1.0 + (1_000_003 - int(df) + 0.5) / (int(df) + 0.5)) for df in frequencies]  # Vespa's std::log
    assert by_array.dtype == np.float64 and by_array.tolist() == one_by_one == libm
    assert bm25_idf(np.int64(3), 100) == bm25_idf(3, 100)
    assert bm25_idf(np.array([[1, 2], [3, 4]]), 10).shape == (2, 2)


def test_idf_falls_with_the_document_frequency_and_stays_positive():
    values = bm25_idf(np.arange(1, 101), 100)
    assert np.all(np.diff(values) < 0) and values[-1] > 0


def test_bm25_score_by_hand():
    assert (BM25_K1, BM25_B) == (1.2, 0.75)
    # tf 1 at the average length: idf · 2.2 / (1 + 1.2)
    assert bm25_score(2.0, 1, 10, BM25_K1, BM25_B, 10.0) == pytest.approx(2.0, rel=1e-15)
    # tf 2 at twice the average: 2 · 2 · 2.2 / (2 + 1.2 · (0.25 + 1.5)) = 8.8 / 4.1
    assert bm25_score(2.0, 2, 20, BM25_K1, BM25_B, 10.0) == pytest.approx(8.8 / 4.1, rel=1e-15)
    # b = 0: the length does not count
    assert bm25_score(1.0, 3, 1000, 1.2, 0.0, 5.0) == pytest.approx(3 * 2.2 / 4.2, rel=1e-15)


def test_bm25_score_of_arrays_is_the_score_of_each_to_the_bit():
    tf = np.array([1.0, 2.0, 7.0, 1.0])
    lengths = np.array([3, 9, 40, 1])
    by_array = bm25_score(1.7, tf, lengths, 1.2, 0.75, 7.3)
    assert by_array.tolist() == [bm25_score(1.7, int(t), int(n), 1.2, 0.75, 7.3) for t, n in zip(tf, lengths)]


@pytest.mark.parametrize("distance, expected", [
    (-3, 0.0), (0, 0.0),  # no step (Vespa's uint32 never sees these)
    (1, 1.0), (2, 1.0 - 1 / 64), (3, 1.0 - 4 / 64), (5, 1.0 - 16 / 64), (8, 1.0 - 49 / 64),
    (9, 0.0), (1000, 0.0),
])
def test_proximity_step_score_by_hand(distance, expected):
    assert proximity_step_score(distance) == expected
    assert isinstance(proximity_step_score(distance), float)


def test_proximity_step_scores_of_an_array_are_the_scores_of_each():
    distances = np.arange(-2, 12)
    assert proximity_step_scores(distances).tolist() == [proximity_step_score(int(d)) for d in distances]
    assert proximity_step_scores(distances.astype(np.float64)).tolist() == proximity_step_scores(distances).tolist()
