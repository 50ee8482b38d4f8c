"""nativeRank, nativeFieldMatch and nativeProximity as Vespa computes them (nativerank.html and
searchlib's native*feature.cpp), with small linear tables set as rank-properties so every value can
be worked out by hand (the arithmetic is in the comments), and the default tables once."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest

from native_by_hand import TABLES, boost, pair
from ranking_support import RankingBed
from content_node.matching.native_tables import lookup
from searchlib.errors import InvalidParameterError, SchemaError
from searchlib.query import tree as q
from searchlib.rank_tables import function_table
from searchlib.schema.application import application_from_text

SD = f"""schema doc {{
    document doc {{
        field title type string {{ indexing: index }}
        field body type string {{
            indexing: index
            weight: 300
        }}
        field plain type string {{ indexing: index }}
        field shy type string {{
            indexing: index
            rank-type: empty
        }}
        field n type int {{ indexing: attribute }}
        field parts type array<string> {{ indexing: index }}
    }}
    fieldset tb {{ fields: title, body }}
    rank-profile fm {{
        rank-properties {{ {TABLES} }}
        first-phase {{ expression: nativeFieldMatch }}
    }}
    rank-profile fm_average inherits fm {{
        rank-properties {{
            {TABLES}
            nativeFieldMatch.averageFieldLength.title: 100
        }}
    }}
    rank-profile fm_first inherits fm {{
        rank-properties {{
            {TABLES}
            nativeFieldMatch.firstOccurrenceImportance.title: 1.0
        }}
    }}
    rank-profile fm_filter inherits fm {{
        rank body: filter
    }}
    rank-profile prox {{
        rank-properties {{ {TABLES} }}
        first-phase {{ expression: nativeProximity }}
    }}
    rank-profile prox_window {{
        rank-properties {{
            {TABLES}
            nativeProximity.slidingWindowSize: 2
        }}
        first-phase {{ expression: nativeProximity }}
    }}
    rank-profile weights {{
        rank-properties {{
            {TABLES}
            nativeRank.fieldMatchWeight: 300
            nativeRank.proximityWeight: 100
            nativeRank.attributeMatchWeight: 0
        }}
        first-phase {{ expression: nativeRank(title) }}
    }}
    rank-profile raw {{
        rank-properties {{
            {TABLES}
            nativeRank.useTableNormalization: false
        }}
        first-phase {{ expression: nativeRank(title) }}
    }}
    rank-profile prox_parts {{
        rank-properties {{
            nativeProximity.proximityTable.parts: "linear(-1,100,101)"
            nativeProximity.reverseProximityTable.parts: "linear(0,0,101)"
        }}
        first-phase {{ expression: nativeProximity(parts) }}
    }}
    rank-profile defaults {{ first-phase {{ expression: nativeRank }} }}
    rank-profile identity {{
        rank-type plain: identity
        first-phase {{ expression: nativeFieldMatch(plain) }}
    }}
    rank-profile shy {{ first-phase {{ expression: nativeFieldMatch(shy) }} }}
}}
"""
DOCS = [
    {"title": "a b c d e f g h i j", "body": "k", "plain": "a b c", "shy": "a", "n": 1,
     "parts": ["a " + "x " * 19 + "b", "y"]},
    {"title": "c b a", "body": "a", "plain": "x", "shy": "x", "n": 2, "parts": ["a", "b"]},
]


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    bed = RankingBed(SD, DOCS, tmp_path_factory.mktemp("native_rank"))
    yield bed
    bed.close()


def score(bed, profile, query) -> dict[str, float]:
    return dict(bed.ranked(profile, query=query))


def score_with(bed, profile, query, properties) -> dict[str, float]:
    return dict(bed.ranked(profile, query=query, rank_properties=properties))


def test_function_tables_are_vespas() -> None:
    decay = function_table("expdecay(8000,12.50)")
    assert len(decay) == 256 and decay[0] == 8000 and decay[25] == pytest.approx(8000 * math.exp(-2))
    assert function_table("loggrowth(1500,4000,19)")[19] == pytest.approx(1500 * math.log(2) + 4000)
    assert list(function_table("linear(2,1,3)")) == [1.0, 3.0, 5.0]
    assert list(lookup(function_table("linear(1,0,3)"), np.array([0, 2, 7, 1000000]))) == [0, 2, 2, 2]
    for bad in ("tanh(1,2)", "linear(1)", "expdecay(1,2,0)", "mytable", "linear(a,b)"):
        with pytest.raises(InvalidParameterError):
            function_table(bad)
    # a 0 divisor (NaN at x=0, inf after), a negative one (log of a negative) or an overflow
    for bad in ("expdecay(8000,0)", "loggrowth(1500,4000,0)", "loggrowth(1,2,-3)", "linear(1e308,1e308)"):
        with pytest.raises(InvalidParameterError, match="not finite"):
            function_table(bad)


def test_a_length_or_window_out_of_uint32_is_refused_from_a_query(bed) -> None:
    """Vespa reads them as uint32: 1e30 would overflow int() or np.full (a 500 before)."""
    for key in ("nativeFieldMatch.minFieldLength", "nativeFieldMatch.averageFieldLength.title",
                "nativeFieldMatch(title).averageFieldLength", "nativeProximity.slidingWindowSize"):
        for value in ("1e30", "-1", "4294967296"):
            with pytest.raises(InvalidParameterError, match=re.escape(f"{key} must be from 0 to 4294967295")):
                bed.ranked("defaults", query=q.And((q.Term("title", "a"), q.Term("title", "b"))),
                           rank_properties={key: value})
    # the largest uint32 ranks: every document is shorter, so "a"@0 reads index 0 of both tables
    # (0.5 * 10 + 0.5 * 0) / 10 in doc 0
    big = {"nativeFieldMatch.minFieldLength": "4294967295"}
    assert score_with(bed, "fm", q.Term("title", "a"), big)["0"] == pytest.approx(0.5)


def test_field_match_first_occurrence_and_count_boosts(bed) -> None:
    # doc 0's title has 10 words: first index p * 10 // 9, count index n * 10 // 10. One term
    # normalizes to its own boost: "a"@0 once: (0.5 * (10 - 0) + 0.5 * 1) / 10 = 0.55
    assert score(bed, "fm", q.Term("title", "a"))["0"] == pytest.approx(0.55)
    # "j"@9: index 9 * 10 // 9 = 10 → 10 - 10 = 0; (0 + 0.5 * 1) / 10 = 0.05
    assert score(bed, "fm", q.Term("title", "j")) == {"0": pytest.approx(0.05)}
    # doc 1 "c b a" is 3 words: min field length 6, so "a"@2: index 2 * 10 // 5 = 4 → 6, count
    # 1 * 10 // 6 = 1: (0.5 * 6 + 0.5 * 1) / 10 = 0.35
    assert score(bed, "fm", q.Term("title", "a"))["1"] == pytest.approx(0.35)


def test_field_match_properties(bed) -> None:
    # averageFieldLength 100 replaces the 10: "j"@9 → 9 * 10 // 99 = 0 → 10; count 1 * 10 // 100 = 0
    # → 0: (0.5 * 10 + 0) / 10
    assert score(bed, "fm_average", q.Term("title", "j")) == {"0": pytest.approx(0.5)}
    # firstOccurrenceImportance 1: only the first occurrence, normalized by 1 * 10: "a"@0 → 10 / 10
    assert score(bed, "fm_first", q.Term("title", "a"))["0"] == pytest.approx(1.0)


def test_field_match_weighs_fields_terms_and_significance(bed) -> None:
    # "a" on the fieldset searches title (weight 100) and body (weight 300): the divisor is
    # s * 100 * (100 + 300). Doc 0: title only, boost 0.55: 0.55 * 100 / 400. Doc 1: title
    # "c b a" 0.35 * 100 plus body "a" (1 word, span 6) (0.5 * 10 + 0.5 * 1) / 10 = 0.55 * 300
    assert score(bed, "fm", q.Term("tb", "a")) == {"0": pytest.approx(0.55 / 4),
                                                   "1": pytest.approx((35 + 0.55 * 300) / 400)}
    # two title terms of weights 100 and 300 and significances s_a (a in 2 of 2 documents: 0.5)
    # and s_j = 0.5 + 0.5 * ln(1/2) / ln(1e-6) (j in 1 of 2); doc 0:
    # (s_a * 100 * 0.55 + s_j * 300 * 0.05) / (s_a * 100 + s_j * 300)
    s_j = 0.5 + 0.5 * math.log(0.5) / math.log(1e-6)
    query = q.Or((q.Term("title", "a"), q.Term("title", "j", weight=300)))
    assert score(bed, "fm", query)["0"] == pytest.approx((50 * 0.55 + s_j * 300 * 0.05) / (50 + s_j * 300))
    # {significance: 0.8} replaces s_j
    query = q.Or((q.Term("title", "a"), q.Term("title", "j", weight=300, significance=0.8)))
    assert score(bed, "fm", query)["0"] == pytest.approx((50 * 0.55 + 240 * 0.05) / (50 + 240))


def test_proximity_forward_reverse_and_the_sliding_window(bed) -> None:
    # doc 0 "a b c ...": (a, b) forward 1 → table[0] = 10, reverse not found → the last entry 0:
    # 0.5 * 10 / 7.5 = 2/3. Doc 1 "c b a": reverse 1 → 5: 0.5 * 5 / 7.5 = 1/3
    query = q.And((q.Term("title", "a"), q.Term("title", "b")))
    assert score(bed, "prox", query) == {"0": pytest.approx(2 / 3), "1": pytest.approx(1 / 3)}
    # three terms (a, b, c), all with significance 0.5 and weight 100, so a pair's weight is its
    # connectedness (0.1 for neighbors, min(0.1, 0.1) / 2 = 0.05 for (a, c)) times 100.
    # Doc 0: (a, b) 2/3, (b, c) 2/3, (a, c) forward 2 → 9: 0.6;
    # (0.1 * 2/3 + 0.1 * 2/3 + 0.05 * 0.6) / 0.25
    terms = q.And((q.Term("title", "a"), q.Term("title", "b"), q.Term("title", "c")))
    assert score(bed, "prox", terms)["0"] == pytest.approx((0.2 * 2 / 3 + 0.03) / 0.25)
    # slidingWindowSize 2: only (a, b) and (b, c)
    assert score(bed, "prox_window", terms)["0"] == pytest.approx(2 / 3)


def test_proximity_connectedness(bed) -> None:
    # b connects to a with 0.9: (a, b) 0.9, (b, c) 0.1, (a, c) min(0.9, 0.1) / 2 = 0.05;
    # doc 0: (0.9 * 2/3 + 0.1 * 2/3 + 0.05 * 0.6) / 1.05
    terms = q.And((q.Term("title", "a", item_id=1), q.Term("title", "b", connectivity=(1, 0.9)),
                   q.Term("title", "c")))
    assert score(bed, "prox", terms)["0"] == pytest.approx((2 / 3 + 0.03) / 1.05)


def test_native_rank_weights_and_normalization(bed) -> None:
    # fieldMatchWeight 300, proximityWeight 100, attributeMatchWeight 0: (300 * fm + 100 * prox) / 400;
    # doc 0 for (a, b): fm = (0.55 + (0.5 * (10 - 1) + 0.5 * 1) / 10) / 2 = 0.525, prox 2/3
    query = q.And((q.Term("title", "a"), q.Term("title", "b")))
    assert score(bed, "weights", query)["0"] == pytest.approx((300 * 0.525 + 100 * 2 / 3) / 400)
    # useTableNormalization false: divided by 1, not 10 / 7.5, and proximityWeight becomes 100:
    # (100 * 5.25 + 100 * 5 + 100 * 0) / 300
    assert score(bed, "raw", query)["0"] == pytest.approx((525 + 500) / 300)


def test_native_rank_with_the_default_tables(bed) -> None:
    # title "c b a" of doc 1 (3 words, span 6), body "a" (span 6), fields title 100, body 300,
    # plain "x" and shy "x" hold neither word. a: title@2 once, body@0 once; b: title@1 once.
    # Significances: a and b are in both documents: 0.5 each, weights 100.
    a = (boost(2, 1, 3) * 100 + boost(0, 1, 1) * 300) * 50
    b = boost(1, 1, 3) * 100 * 50
    # a searches title and body (400), b title (100): divisor 0.5 * 100 * (400 + 100)
    field_match = (a + b) / (50 * 500)
    # title has the pair (a, b): b@1 before a@2, reverse 1; body has a alone: no pair. Only title's
    # weight counts: prox = pair score (as its weight divides out)
    proximity = pair(None, 1)
    query = q.And((q.Term("tb", "a"), q.Term("title", "b")))
    assert score(bed, "defaults", query)["1"] == pytest.approx((100 * field_match + 25 * proximity) / 225)


def test_rank_types(bed) -> None:
    # `rank-type plain: identity`: firstOccurrenceTable expdecay(100,12.50), the count table as about's;
    # "a"@0 of 3 words: (0.5 * 100 + 0.5 * count[1 * 255 // 6]) / (0.5 * 100 + 0.5 * count[255])
    count = lambda x: 1500 * math.log(1 + x / 19) + 4000  # noqa: E731
    assert score(bed, "identity", q.Term("plain", "a"))["0"] == pytest.approx(
        (50 + 0.5 * count(42)) / (50 + 0.5 * count(255)))
    # `rank-type: empty`: every table linear(0,0), so nothing scores
    assert score(bed, "shy", q.Term("shy", "a")) == {"0": 0.0}


def test_a_bad_table_or_number_in_rank_properties_is_refused_at_deploy() -> None:
    for line, message in (('nativeFieldMatch.firstOccurrenceTable.title: "tanh(1,2)"', "rank table 'tanh"),
                          ("nativeProximity.reverseProximityTable: linear(1)", "takes 2 numbers"),
                          ("nativeRank.proximityWeight: heavy", "must be a number"),
                          ("nativeFieldMatch(title).averageFieldLength: long", "must be a number"),
                          ("nativeFieldMatch.minFieldLength: 1e30", "must be from 0 to 4294967295"),
                          ("nativeFieldMatch.averageFieldLength.title: 1e30", "must be from 0 to 4294967295"),
                          ("nativeProximity.slidingWindowSize: -2", "must be from 0 to 4294967295"),
                          ('nativeFieldMatch.firstOccurrenceTable: "expdecay(8000,0)"', "not finite"),
                          ('nativeFieldMatch.occurrenceCountTable.title: "loggrowth(1,2,0)"', "not finite")):
        with pytest.raises(SchemaError, match=re.escape(message)):
            application_from_text(SD.replace(TABLES, TABLES + line + "\n", 1), name="doc.sd")


@pytest.mark.parametrize("gap", [None, 0, 3])
def test_least_gaps_match_a_brute_force_over_every_position_pair(gap) -> None:
    """The vectorized pair distance against TermDistanceCalculator::findBest's rule over every (a, b)
    pair, per row of up to three elements: b after a's last word (a phrase's: add) in a's element,
    or with an element gap anywhere in the next element, the element's length plus the gap on top;
    rows holding one term or none."""
    from content_node.matching.native_features import UNDEFINED_DISTANCE, _least_gaps
    rng = np.random.default_rng(7)
    for add in (0, 1, 2):
        lengths = {row: rng.integers(3, 30, 3).tolist() for row in range(40)}
        a_at, b_at = {}, {}  # row -> sorted (element, position in it); a phrase ends in its element
        for row in range(40):
            for at, words in ((a_at, add + 1), (b_at, 1)):
                element = rng.integers(0, 3, rng.integers(0, 6)).tolist()
                at[row] = sorted({(e, int(rng.integers(0, lengths[row][e] - words + 1))) for e in element})

        def flat(at):  # as native_features._pair_positions gives them
            found = []
            for r in range(40):
                for e, p in at[r]:
                    moved = p + sum(lengths[r][:e]) + e * gap if gap is not None else p
                    found.append((r, r if gap is not None else r * 3 + e, moved, e))
            return tuple(np.array([f[k] for f in found], dtype=np.int64) for k in range(4))

        found = _least_gaps(flat(a_at), flat(b_at), add, 40)
        for row in range(40):
            pairs = [p - (o + add) for e, o in a_at[row] for f, p in b_at[row] if f == e and o + add < p]
            if gap is not None:
                pairs += [p + lengths[row][e] + gap - (o + add) for e, o in a_at[row] for f, p in b_at[row]
                          if f == e + 1]
            assert found[row] == min(pairs, default=UNDEFINED_DISTANCE), (add, row)


def test_proximity_never_pairs_two_array_elements(bed) -> None:
    # parts' proximityTable 100 - x (x = 0..100), reverse table 0: normalizer 0.5 * 100 = 50.
    # Doc 0: a@0 and b@20 in one element: forward 20 → 100 - 19 = 81: 0.5 * 81 / 50 (stored 20
    # apart too). Doc 1: a and b in two elements (stored 17 apart, the index's gap): Vespa pairs no
    # positions of two elements, so not found → the last entry 0
    query = q.And((q.Term("parts", "a"), q.Term("parts", "b")))
    assert score(bed, "prox_parts", query) == {"0": pytest.approx(0.81), "1": 0.0}


def test_a_filter_field_is_left_out(bed) -> None:
    # `rank body: filter` in the profile: "a" on the fieldset counts title alone (divisor s * 100 * 100):
    # doc 0 0.55, doc 1 "c b a" 0.35 (its body "a" no longer counts)
    assert score(bed, "fm_filter", q.Term("tb", "a")) == {"0": pytest.approx(0.55), "1": pytest.approx(0.35)}
