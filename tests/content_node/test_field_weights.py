"""Field weights in nativeRank: a field's `weight:` and a profile's `weight f: N` (Vespa's
vespa.fieldweight.f) scale that field's share, worked out by hand below."""
from __future__ import annotations

import math

import pytest

from native_by_hand import boost
from ranking_support import RankingBed
from searchlib.errors import SchemaError
from searchlib.query import tree as q
from searchlib.schema.application import application_from_text

SD = """schema doc {
    document doc {
        field a type string {
            indexing: index
            weight: 300
        }
        field b type string { indexing: index }
    }
    rank-profile weighted { first-phase { expression: nativeRank } }
    rank-profile even inherits weighted {
        weight a: 100
    }
}
"""
# two documents, "x" once in each field: both terms have one significance, which divides out of
# nativeFieldMatch; "x" is the first of 2 words, so a match is B = boost(0, 1, 2) times its field's
# weight, over the sum of the weights the terms search; no field holds two terms: no proximity;
# nativeRank = 100 * nativeFieldMatch / 225
B = boost(0, 1, 2)


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    bed = RankingBed(SD, [{"a": "x y", "b": "z"}, {"a": "z", "b": "x y"}], tmp_path_factory.mktemp("weights"))
    yield bed
    bed.close()


QUERY = q.Or((q.Term("a", "x"), q.Term("b", "x")))


def test_the_field_weight_scales_its_share(bed):
    # weights 300 (a) and 100 (b): doc 0 = 300 B / 400, doc 1 = 100 B / 400
    assert bed.ranked("weighted", query=QUERY) == [("0", round(100 * 0.75 * B / 225, 9)),
                                                   ("1", round(100 * 0.25 * B / 225, 9))]


def test_the_profile_weight_overrides_the_field_weight(bed):
    # weight a: 100 makes both fields 100: each document 100 B / 200
    assert [score for _, score in bed.ranked("even", query=QUERY)] == [round(100 * 0.5 * B / 225, 9)] * 2


def test_a_weight_of_an_unknown_field_is_refused_where_written():
    with pytest.raises(SchemaError, match="sets the weight of unknown field 'c'") as raised:
        application_from_text(SD.replace("weight a: 100", "weight c: 100"), name="doc.sd")
    assert (raised.value.location.line, raised.value.location.column) == (11, 9)
