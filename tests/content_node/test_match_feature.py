"""Vespa's `match` feature (MatchExecutor): the field-weighted average of fieldMatch (single-value
index fields) and attributeMatch (attributes) over the fields that matched; worked out by hand."""
from __future__ import annotations

import pytest

from ranking_support import RankingBed
from searchlib.query import tree as q

SD = """schema doc {
    document doc {
        field title type string {
            indexing: index
            weight: 200
        }
        field year type int { indexing: attribute }
    }
    rank-profile m {
        first-phase { expression: match }
        match-features: match match.totalWeight match.weight.title match.weight.year fieldMatch(title) attributeMatch(year)
    }
}
"""


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    bed = RankingBed(SD, [{"title": "cat", "year": 2000}, {"title": "cat dog", "year": 1999},
                          {"title": "dog", "year": 2000}], tmp_path_factory.mktemp("match"))
    outcome = bed.search("m", query=q.Or((q.Term("title", "cat"), q.Term("year", "2000"))))
    found = {bed.ids[h.global_id].rsplit(":", 1)[1]: dict(h.match_features) for h in outcome.hits}
    bed.close()
    return found


def test_both_fields_matched_fully(features):
    f = features["0"]  # fieldMatch 1 (the whole title), attributeMatch 1: (200 + 100) / 300
    assert (f["fieldMatch(title)"], f["attributeMatch(year)"]) == (1.0, 1.0)
    assert (f["match"], f["match.totalWeight"]) == (1.0, 300.0)
    assert (f["match.weight.title"], f["match.weight.year"]) == (200.0, 100.0)


def test_only_the_fields_that_matched_count(features):
    f = features["1"]  # only the title matched: match is its fieldMatch, weight 200
    assert 0.0 < f["fieldMatch(title)"] < 1.0 and f["attributeMatch(year)"] == 0.0
    assert (f["match"], f["match.totalWeight"]) == (pytest.approx(f["fieldMatch(title)"]), 200.0)
    g = features["2"]  # only the year matched
    assert (g["match"], g["match.totalWeight"]) == (1.0, 100.0)
