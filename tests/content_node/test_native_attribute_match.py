"""nativeRank over an attribute field without an index (Vespa's nativeAttributeMatch part): a
term counts in full where the value matches it, with the same significance as a text term; the
workshop sample app ranks `nativeRank(name_attribute)` this way. Values worked out by hand."""
from __future__ import annotations

import pytest

from ranking_support import RankingBed
from searchlib.query import tree as q

SD = """schema doc {
    document doc {
        field a type string { indexing: index }
        field tag type string {
            indexing: attribute
            match: word
        }
    }
    rank-profile on_tag { first-phase { expression: nativeRank(tag) } }
    rank-profile both { first-phase { expression: nativeRank(a, tag) } }
}
"""


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    bed = RankingBed(SD, [{"a": "x", "tag": "Oat drink"}, {"a": "y", "tag": "milk"}],
                     tmp_path_factory.mktemp("native_attribute"))
    yield bed
    bed.close()


def test_a_matching_attribute_value_counts_in_full(bed):
    # the whole value is one word-match term; the match is the full share: s / s = 1
    assert bed.ranked("on_tag", query=q.Term("tag", "Oat drink")) == [("0", 1.0)]


def test_attribute_and_text_terms_share_one_normalization(bed):
    # both terms have df 1 of 2 (the same significance s): doc 0's text match is s * 1/(1+1),
    # doc 1's attribute match is s * 1, each over the weight sum 2s
    query = q.Or((q.Term("a", "x"), q.Term("tag", "milk")))
    assert bed.ranked("both", query=query) == [("1", 0.5), ("0", 0.25)]
