"""The arithmetic of Vespa's text rank features, written once: bm25's idf and per-term score
(bm25_feature.cpp; weakAnd's term score and elementwise bm25 use the same), and the proximity
score of one step between matched terms (text_similarity_feature.cpp, element_similarity_feature.cpp).

Each takes Python numbers or numpy arrays alike, and gives the same bits either way (the same IEEE
operations in the same order), so scores computed per term, per posting list or per element agree.
"""
from __future__ import annotations

import math

import numpy as np

BM25_K1 = 1.2  # bm25's defaults (rank properties bm25(f).k1 and bm25(f).b override them)
BM25_B = 0.75
MAX_PROXIMITY_STEP = 8  # a step further than this scores 0


def bm25_idf(document_frequency, doc_count):
    """log(1 + (N - n + 0.5) / (n + 0.5)) for n documents of N holding the term (Vespa's
    Bm25Executor): a float for a number, an array for an array of document frequencies.

    The log is libm's (math.log, as Vespa's std::log): numpy's SIMD log differs from it in the
    last bit for about 1 input in 3,000 on AVX-512 machines, which would move scores by an ulp
    against Vespa's and break hit-order ties. It runs once per query term, not per document."""
    ratio = 1.0 + (doc_count - document_frequency + 0.5) / (document_frequency + 0.5)
    if np.ndim(ratio) == 0:
        return math.log(ratio)
    return np.array([math.log(value) for value in np.ravel(ratio).tolist()], dtype=np.float64).reshape(np.shape(ratio))


def document_frequency_idf(frequency: int, count: int) -> float:
    """bm25's idf of a (frequency, count) pair as Vespa's Bm25Utils.calculate_inverse_document_frequency
    reads it: the count at least 1 and the frequency within [1, count] (a significance model's word in
    no document; streaming search's 0 documents of 1 gives log(4/3))."""
    count = max(1, count)
    return bm25_idf(min(max(1, frequency), count), count)


def bm25_score(idf, tf, length, k1: float, b: float, average_length: float):
    """One term's bm25 part: idf · tf · (k1 + 1) / (tf + k1 · (1 - b + b · length / average length)),
    for a term frequency and field (or element) length, numbers or arrays."""
    return idf * tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * length / average_length))


def proximity_step_scores(distance) -> np.ndarray:
    """The score of a step of `distance` positions to the next matched term: 1 - ((d - 1) / 8)^2 for
    1 <= d <= 8 (1 for adjacent terms), 0 past 8. Vespa's State::proximity_score computes on a
    uint32 distance, where d = 0 would wrap (d - 1) to 2^32 - 1 (about -2.9e17) and never happens:
    a step goes to a later position, and an element with a match has a length of at least 1.
    Below 1 this gives 0 (no step, no proximity) rather than a wrapped value."""
    d = np.asarray(distance, dtype=np.float64)
    return np.where((d < 1) | (d > MAX_PROXIMITY_STEP), 0.0, 1.0 - ((d - 1.0) / 8.0) ** 2)


def proximity_step_score(distance: float) -> float:
    """proximity_step_scores of one distance, as a float."""
    return float(proximity_step_scores(distance))
