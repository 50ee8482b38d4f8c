"""Rank annotations on query items, as Vespa's rank properties carry them to the backend:
`{significance: s}` (vespa.term.N.significance, util::lookupSignificance) replaces the significance
from document frequency in term(n).significance, fieldMatch's significance and nativeRank;
`{id: N, connectivity: {id: M, weight: w}}` (vespa.term.N.connexity, util::lookupConnectedness)
is term(n).connectedness where item M is term n-1, else 0.1. Values worked out by hand."""
from __future__ import annotations

import pytest

from native_by_hand import boost, pair, significance
from ranking_support import RankingBed
from searchlib.query import tree as q
from searchlib.query.yql import parse_yql
from searchlib.wire.query_codec import decode_query, encode_query

FEATURES = ["nativeRank(title)", "fieldMatch(title).significance", "term(0).significance", "term(1).significance",
            "term(0).connectedness", "term(1).connectedness", "term(2).connectedness"]
SD = f"""schema doc {{
    document doc {{
        field title type string {{ indexing: index }}
        field n type int {{ indexing: attribute }}
    }}
    rank-profile items {{
        first-phase {{ expression: attribute(n) }}
        match-features {{
            {chr(10).join(FEATURES)}
        }}
    }}
}}
"""
DOCS = [{"title": "cat", "n": 2}, {"title": "cat dog", "n": 1}, {"title": "bird", "n": 0}]


def s(df: int) -> float:
    return significance(df, 3)  # of 3 documents


def test_yql_carries_the_significance_to_the_nodes() -> None:
    where = parse_yql('select * from doc where title contains ({significance: 0.9}"cat") '
                      'or title contains ({significance: 0.2}phrase("a", "b"))').where
    assert where == q.Or((q.Term("title", "cat", significance=0.9),
                          q.Phrase("title", ("a", "b"), significance=0.2)))
    assert decode_query(encode_query(where)) == where
    plain = parse_yql('select * from doc where title contains "cat"').where
    assert plain.significance is None and decode_query(encode_query(plain)).significance is None


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    bed = RankingBed(SD, DOCS, tmp_path_factory.mktemp("significance"))
    query = q.Or((q.Term("title", "cat", significance=0.9, item_id=1),
                  q.Term("title", "dog", item_id=2, connectivity=(1, 0.42)),  # to term 0: counts
                  q.Term("title", "bird", connectivity=(1, 0.8))))  # to term 0, not term 1: does not
    outcome = bed.search("items", query=query)
    result = {bed.ids[h.global_id].rsplit(":", 1)[1]: dict(h.match_features) for h in outcome.hits}
    bed.close()
    return result


def test_the_given_significance_replaces_the_computed_one(features) -> None:
    f = features["0"]  # "cat" only
    assert f["term(0).significance"] == pytest.approx(0.9)  # from df it would be s(2)
    assert f["term(1).significance"] == pytest.approx(s(1))
    share = 0.9 / (0.9 + 2 * s(1))
    assert f["fieldMatch(title).significance"] == pytest.approx(share)
    # nativeFieldMatch: cat (significance 0.9, the only word) of the three terms' significance sum;
    # nativeProximity: every pair misses a term, so each scores the tables' last entries
    field_match = 0.9 * boost(0, 1, 1) / (0.9 + 2 * s(1))
    assert f["nativeRank(title)"] == pytest.approx((100 * field_match + 25 * pair(None, None)) / 225)


def test_connectedness_is_the_connectivity_to_the_previous_term(features) -> None:
    f = features["0"]
    assert (f["term(0).connectedness"], f["term(1).connectedness"], f["term(2).connectedness"]) == \
        pytest.approx((0.1, 0.42, 0.1))


def test_yql_carries_ids_and_connectivity_to_the_nodes() -> None:
    where = parse_yql('select * from doc where title contains ({id: 1}"cat") and '
                      'title contains ({id: 2, connectivity: {"id": 1, weight: 0.42}}"dog") and '
                      'title contains ({connectivity: {id: 2, weight: 7.0}}equiv("a", "b"))').where
    assert where.children[1] == q.Term("title", "dog", item_id=2, connectivity=(1, 0.42))
    assert where.children[2] == q.Equiv("title", ("a", "b"), connectivity=(2, 7.0))
    assert decode_query(encode_query(where)) == where
    assert q.terms_of(where)[2].connectivity == (2, 7.0)  # the equiv ranks as one term, linked as written
