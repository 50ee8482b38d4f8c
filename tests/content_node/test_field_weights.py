"""Field weights in nativeRank: a field's `weight:` and a profile's `weight f: N` (Vespa's
vespa.fieldweight.f) scale that field's share, worked out by hand below."""
from __future__ import annotations

import math

import pytest

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
# two documents, "x" once in each field: df 1 of N 2, so both terms have significance
# s = 0.5 + 0.5 * (1 - ln 2 / ln 3); a match scores s * tf/(tf+1) = s/2 times its field's weight
S = 0.5 + 0.5 * (1 - math.log(2) / math.log(3))


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    bed = RankingBed(SD, [{"a": "x y", "b": "z"}, {"a": "z", "b": "x y"}], tmp_path_factory.mktemp("weights"))
    yield bed
    bed.close()


QUERY = q.Or((q.Term("a", "x"), q.Term("b", "x")))


def test_the_field_weight_scales_its_share(bed):
    # weights 3 (a) and 1 (b): doc 0 = 3 * s/2 / (3s + s) = 0.375, doc 1 = s/2 / 4s = 0.125
    assert bed.ranked("weighted", query=QUERY) == [("0", 0.375), ("1", 0.125)]
    assert round(3 * S / 2 / (4 * S), 9) == 0.375


def test_the_profile_weight_overrides_the_field_weight(bed):
    # weight a: 100 makes both fields 1: each document s/2 / 2s = 0.25
    assert [score for _, score in bed.ranked("even", query=QUERY)] == [0.25, 0.25]


def test_a_weight_of_an_unknown_field_is_refused_where_written():
    with pytest.raises(SchemaError, match="sets the weight of unknown field 'c'") as raised:
        application_from_text(SD.replace("weight a: 100", "weight c: 100"), name="doc.sd")
    assert (raised.value.location.line, raised.value.location.column) == (11, 9)
