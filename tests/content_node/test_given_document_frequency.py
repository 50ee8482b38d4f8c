"""A query item's given (frequency, count) ({documentFrequency: ...} or a significance model's) is
read by one rule wherever a feature takes an item's statistics (term_data.QueryTerm.document_frequency
and given_idf): on a phrase as on a word, and in labeled bm25 as in bm25(f), whose idf it shares
(Vespa's Bm25Utils; {significance: s} next, the node's statistics last). Values worked by hand."""
from __future__ import annotations

import math

import pytest

from ranking_support import RankingBed
from searchlib.query import tree as q
from searchlib.query.yql import parse_yql
from searchlib.wire.query_codec import decode_query, encode_query

SD = """schema doc {
    document doc {
        field title type string { indexing: index }
        field n type int { indexing: attribute }
    }
    rank-profile given {
        first-phase { expression: attribute(n) }
        match-features {
            bm25(title)
            bm25(title,label:l)
            term(0).significance
            queryTermDocumentFrequency(title)
        }
    }
}
"""
DOCS = [{"title": "cat dog", "n": 2}, {"title": "cat", "n": 1}, {"title": "bird", "n": 0}]


def significance(frequency: int, count: int) -> float:
    return 0.5 + 0.5 * math.log(min(max(frequency / count, 1e-6), 1.0)) / math.log(1e-6)


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    bed = RankingBed(SD, DOCS, tmp_path_factory.mktemp("given_df"))
    yield bed
    bed.close()


def features(bed: RankingBed, item: q.QueryNode) -> dict:
    hits = bed.search("given", query=item).hits
    return {bed.ids[h.global_id].rsplit(":", 1)[1]: dict(h.match_features) for h in hits}


def test_a_phrase_ranks_with_its_given_statistics(bed) -> None:
    node = features(bed, q.Phrase("title", ("cat", "dog"), document_frequency=(7, 1000)))["0"]
    assert node["term(0).significance"] == pytest.approx(significance(7, 1000))  # the node's: 1 of 3
    assert list(node["queryTermDocumentFrequency(title)"].cells()) == [({"term": "0"}, 7.0)]


@pytest.mark.parametrize("given", [{"document_frequency": (7, 1000)}, {"significance": 0.8},
                                   {"document_frequency": (7, 1000), "significance": 0.8}])
def test_labeled_bm25_has_the_idf_of_bm25(bed, given) -> None:
    labeled = features(bed, q.Term("title", "cat", label="l", **given))
    for found in labeled.values():
        assert found["bm25(title,label:l)"] == pytest.approx(found["bm25(title)"])
    plain = features(bed, q.Term("title", "cat", label="l"))  # the node's idf: cat in 2 of 3
    assert labeled["1"]["bm25(title)"] != pytest.approx(plain["1"]["bm25(title)"])


def test_yql_carries_the_statistics_and_position_setting_of_a_phrase() -> None:
    where = parse_yql('select * from doc where title contains ({usePositionData: false, documentFrequency: '
                      '{frequency: 7, count: 1000}}phrase("cat", "dog"))').where
    assert (where.positions, where.document_frequency) == (False, (7, 1000))
    assert decode_query(encode_query(where)) == where


def test_an_items_given_statistics_are_its_own_never_another_items_of_the_same_word(bed) -> None:
    # a standalone "cat" and a near's "cat" (a rank term each, Vespa's near children): each reads its own
    query = q.And((q.Term("title", "cat", document_frequency=(3, 9)),
                   q.Near("title", ("cat", "dog"), document_frequencies=((500, 1000), (600, 1000)))))
    node = features(bed, query)["0"]
    assert node["term(0).significance"] == pytest.approx(significance(3, 9))
    assert list(node["queryTermDocumentFrequency(title)"].cells()) == [
        ({"term": "0"}, 3.0), ({"term": "1"}, 500.0), ({"term": "2"}, 600.0)]
