"""nativeRank over an attribute field without an index is its nativeAttributeMatch share (the
workshop sample app ranks `nativeRank(name_attribute)` this way): 100 * nativeAttributeMatch / 225.
nativeAttributeMatch is Vespa's: per (term, attribute) pair weightTable(element weight) * field
weight * term weight / max(weightTable), over the sum of field weight * term weight. Values worked
out by hand."""
from __future__ import annotations

import math

import pytest

from native_by_hand import boost
from ranking_support import RankingBed
from searchlib.query import tree as q

SD = """schema doc {
    document doc {
        field a type string { indexing: index }
        field tag type string {
            indexing: attribute
            match: word
        }
        field kinds type weightedset<string> { indexing: attribute }
        field year type int { indexing: attribute }
    }
    rank-profile on_tag { first-phase { expression: nativeRank(tag) } }
    rank-profile both { first-phase { expression: nativeRank(a, tag) } }
    rank-profile nam { first-phase { expression: nativeAttributeMatch } }
    rank-profile nam_kinds { first-phase { expression: nativeAttributeMatch(kinds) } }
    rank-profile nam_raw {
        rank-properties { nativeRank.useTableNormalization: false }
        first-phase { expression: nativeAttributeMatch }
    }
    rank-profile nam_table {
        rank-properties { nativeAttributeMatch.weightTable.kinds: "linear(2,0)" }
        first-phase { expression: nativeAttributeMatch }
    }
    rank-profile nam_tags {
        rank-type kinds: tags
        first-phase { expression: nativeAttributeMatch }
    }
    rank-profile nam_weighted {
        weight year: 300
        first-phase { expression: nativeAttributeMatch }
    }
}
"""


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    bed = RankingBed(SD, [{"a": "x", "tag": "Oat drink", "kinds": {"oat": 20, "drink": 400}, "year": 2020},
                          {"a": "y", "tag": "milk", "kinds": {"milk": -3}, "year": 1999}],
                     tmp_path_factory.mktemp("native_attribute"))
    yield bed
    bed.close()


def test_a_matching_attribute_value_is_the_attribute_share_of_native_rank(bed):
    # the whole value is one word-match term of element weight 1: nativeAttributeMatch
    # table[1] / table's max = 1 / 255; nativeRank(tag) = (100 * 0 + 25 * 0 + 100 / 255) / 225
    assert bed.ranked("on_tag", query=q.Term("tag", "Oat drink")) == [("0", round(100 / 255 / 225, 9))]


def test_native_rank_over_text_and_attribute_fields(bed):
    # nativeRank(a, tag): nativeFieldMatch(a) and nativeProximity(a), nativeAttributeMatch(tag).
    # Doc 0: "x" is a's only word (span 6): (0.5 * first[0] + 0.5 * count[1 * 255 // 6]) over the
    # tables' weighted maxima; one term normalizes to that. Doc 1: milk on tag, 1 / 255.
    field_match = boost(0, 1, 1)
    query = q.Or((q.Term("a", "x"), q.Term("tag", "milk")))
    assert bed.ranked("both", query=query) == [("0", round(100 * field_match / 225, 9)),
                                               ("1", round(100 / 255 / 225, 9))]


def test_native_attribute_match_is_the_weight_table_share_of_the_attribute_terms(bed):
    # one term, one attribute: doc 0's element weight 20 → 20 * 100 * 100 / 255 / (100 * 100)
    assert bed.ranked("nam", query=q.Term("kinds", "oat")) == [("0", round(20 / 255, 9))]
    # 400 is clamped to the table's last entry, 255; -3 is symmetric: -table(3)
    assert bed.ranked("nam", query=q.Term("kinds", "drink")) == [("0", 1.0)]
    assert bed.ranked("nam", query=q.Term("kinds", "milk")) == [("1", round(-3 / 255, 9))]


def test_native_attribute_match_divides_by_every_pair_and_skips_index_fields(bed):
    # pairs: (oat, kinds) term weight 200, (2020, year) 100; (x, a) is on an index field: left out.
    # doc 0: (20 * 100 * 200 + 1 * 100 * 100) / 255 / (100 * 200 + 100 * 100)
    query = q.Or((q.Term("kinds", "oat", weight=200), q.Range("year", 2020, 2020), q.Term("a", "x")))
    assert bed.ranked("nam", query=query) == [("0", round(410000 / 255 / 30000, 9))]
    query = q.Or((q.Term("kinds", "milk"), q.Range("year", 2020, 2020)))
    assert dict(bed.ranked("nam", query=query)) == {
        "0": round(100 * 100 / 255 / 20000, 9), "1": round(-3 * 100 * 100 / 255 / 20000, 9)}
    # restricted to kinds: the year pair is left out of both sums
    assert dict(bed.ranked("nam_kinds", query=query)) == {"0": 0.0, "1": round(-3 / 255, 9)}


def test_native_attribute_match_uses_the_field_weight_and_sees_fuzzy_and_regex_terms(bed):
    # year's weight is 300, tag's 100: a year match adds 300 * 100 / 255, a tag match 100 * 100 / 255,
    # over 300 * 100 + 100 * 100; fuzzy "milx" is one edit from "milk", the regex finds "Oat drink"
    query = q.Or((q.Range("year", 2020, 2020), q.Fuzzy("tag", "milx")))
    assert dict(bed.ranked("nam_weighted", query=query)) == {
        "0": round(30000 / 255 / 40000, 9), "1": round(10000 / 255 / 40000, 9)}
    query = q.Or((q.Range("year", 1999, 1999), q.Regex("tag", "^oat")))
    assert dict(bed.ranked("nam_weighted", query=query)) == {
        "0": round(10000 / 255 / 40000, 9), "1": round(30000 / 255 / 40000, 9)}


def test_native_attribute_match_without_table_normalization_and_other_tables(bed):
    # useTableNormalization false: divided by 1, not 255: doc 0's oat weight 20 → 20
    assert bed.ranked("nam_raw", query=q.Term("kinds", "oat")) == [("0", 20.0)]
    # weightTable.kinds linear(2,0): 2 * 20 over its max 2 * 255; symmetric: -3 → -(2 * 3)
    assert bed.ranked("nam_table", query=q.Term("kinds", "oat")) == [("0", round(40 / 510, 9))]
    assert bed.ranked("nam_table", query=q.Term("kinds", "milk")) == [("1", round(-6 / 510, 9))]
    # `rank-type: tags` (loggrowth(38,50,1)): 38 * ln(1 + 20) + 50 over 38 * ln(256) + 50
    assert bed.ranked("nam_tags", query=q.Term("kinds", "oat")) == [
        ("0", round((38 * math.log(21) + 50) / (38 * math.log(256) + 50), 9))]
    # a query's table is not read (Vespa reads tables from the profile only): a bad one is no
    # error and another one changes nothing; a table in a file is refused at deploy (test_native_rank)
    for table in ("mytable", "linear(5,0,1048576)"):
        for key in ("nativeAttributeMatch.weightTable", "nativeAttributeMatch.weightTable.kinds"):
            assert bed.ranked("nam_table", query=q.Term("kinds", "oat"), rank_properties={key: table}) == \
                [("0", round(40 / 510, 9))]
