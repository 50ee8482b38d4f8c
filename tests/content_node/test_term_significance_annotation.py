"""`{significance: s}` on a query word (Vespa's vespa.term.N.significance, read by
util::lookupSignificance) replaces the significance from document frequency in term(n).significance,
fieldMatch's significance and nativeRank. Values worked out by hand."""
from __future__ import annotations

import math

import pytest

from ranking_support import RankingBed
from searchlib.query import tree as q
from searchlib.query.yql import parse_yql
from searchlib.wire.query_codec import decode_query, encode_query

FEATURES = ["nativeRank(title)", "fieldMatch(title).significance", "term(0).significance", "term(1).significance"]
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
    return 0.5 + 0.5 * (1 - math.log(df + 1) / math.log(4))


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
    query = q.Or((q.Term("title", "cat", significance=0.9), q.Term("title", "dog")))
    outcome = bed.search("items", query=query)
    result = {bed.ids[h.global_id].rsplit(":", 1)[1]: dict(h.match_features) for h in outcome.hits}
    bed.close()
    return result


def test_the_given_significance_replaces_the_computed_one(features) -> None:
    f = features["0"]  # "cat" only
    assert f["term(0).significance"] == pytest.approx(0.9)  # from df it would be s(2)
    assert f["term(1).significance"] == pytest.approx(s(1))
    share = 0.9 / (0.9 + s(1))
    assert f["fieldMatch(title).significance"] == pytest.approx(share)
    # nativeRank's simplification: significance-weighted share of terms found, tf/(tf+1) each
    assert f["nativeRank(title)"] == pytest.approx(0.9 * 0.5 / (0.9 + s(1)))
