"""Vespa's default nativeRank tables written out from their formulas (nativerank.html: expdecay(w,t)
= w*exp(-x/t), loggrowth(w,t,s) = w*log(1+x/s)+t, x = 0..255), for tests that work values out by
hand independently of content_node.matching.native_tables."""
from __future__ import annotations

import math


def first_occurrence(x: int) -> float:  # expdecay(8000,12.50)
    return 8000 * math.exp(-min(x, 255) / 12.5)


def occurrence_count(x: int) -> float:  # loggrowth(1500,4000,19)
    return 1500 * math.log(1 + min(x, 255) / 19) + 4000


def proximity(x: int) -> float:  # expdecay(500,3)
    return 500 * math.exp(-min(x, 255) / 3)


def reverse_proximity(x: int) -> float:  # expdecay(400,3)
    return 400 * math.exp(-min(x, 255) / 3)


# Linear tables, so every value can be checked by hand (test_native_rank, test_native_elements):
# firstOccurrenceTable linear(-1,10,11): 10 - x for x = 0..10; occurrenceCountTable linear(1,0,11): x;
# both maxima 10, so a field's normalizer is 0.5 * 10 + 0.5 * 10 = 10.
# proximityTable linear(-1,10,11): 10 - x; reverseProximityTable linear(-0.5,5,11): 5 - x/2;
# normalizer 0.5 * 10 + 0.5 * 5 = 7.5.
TABLES = """
            nativeFieldMatch.firstOccurrenceTable: "linear(-1,10,11)"
            nativeFieldMatch.occurrenceCountTable: "linear(1,0,11)"
            nativeProximity.proximityTable: "linear(-1,10,11)"
            nativeProximity.reverseProximityTable: "linear(-0.5,5,11)"
"""
FIELD_MATCH_MAX = 0.5 * 8000 + 0.5 * occurrence_count(255)  # the tables' maxima, firstOccurrenceImportance 0.5
PROXIMITY_MAX = 0.5 * 500 + 0.5 * 400
NOT_FOUND = 255  # a missing pair's distance 1000000 reads the tables' last entries


def boost(position: int, occurrences: int, length: int) -> float:
    """One term's normalized nativeFieldMatch boost in a field of `length` words (min 6)."""
    span = max(length, 6)
    return (0.5 * first_occurrence(position * 255 // (span - 1))
            + 0.5 * occurrence_count(occurrences * 255 // span)) / FIELD_MATCH_MAX


def pair(forward: int | None, reverse: int | None) -> float:
    """One term pair's normalized nativeProximity boost (None: that direction not found)."""
    f = NOT_FOUND if forward is None else max(forward - 1, 0)
    r = NOT_FOUND if reverse is None else max(reverse - 1, 0)
    return (0.5 * proximity(f) + 0.5 * reverse_proximity(r)) / PROXIMITY_MAX


def significance(df: int, n: int) -> float:
    """Vespa's util::getSignificance: 0.5 + 0.5 * ln(df / n) / ln(1e-6) (df / n at least 1e-6)."""
    return 0.5 + 0.5 * math.log(max(df / n, 1e-6)) / math.log(1e-6)
