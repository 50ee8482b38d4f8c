"""A rank profile's filter-threshold (content_node/matching/filter_threshold.py), worked by hand: a
term in more than that share of the documents still matches, and `matches(f)` still sees it, but it
carries no term frequency or positions, so bm25 and fieldMatch get nothing from it (matchCount and
matches count it, as Vespa counts a filter term's match data by its document id)."""
from __future__ import annotations

import math

import pytest

from content_node import matcher
from content_node.posting_cache import PostingCache
from ranking_support import RankingBed
from searchlib.query import tree as q

FEATURES = "bm25(text) matches(text) fieldMatch(text).matches queryTermCount"
SD = f"""schema doc {{
    document doc {{
        field text type string {{
            indexing: index
            index: enable-bm25
        }}
        field n type int {{ indexing: attribute }}
    }}
    rank-profile plain {{
        first-phase {{ expression: attribute(n) }}
        match-features: {FEATURES}
    }}
    rank-profile filtering inherits plain {{
        filter-threshold: 0.5
    }}
}}
"""
# "common" in 4 of 5 documents (ratio 0.8 > 0.5), "rare" in 1 (0.2): common is a filter
DOCS = [{"n": 5, "text": "common rare"}, {"n": 4, "text": "common"}, {"n": 3, "text": "common"},
        {"n": 2, "text": "common"}, {"n": 1, "text": "other"}]
QUERY = q.Or((q.Term("text", "common"), q.Term("text", "rare")))


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    bed = RankingBed(SD, DOCS, tmp_path_factory.mktemp("filter_threshold"))
    try:
        return {profile: [dict(h.match_features) for h in bed.search(profile, query=QUERY).hits]
                for profile in ("plain", "filtering")}
    finally:
        bed.close()


def bm25(df: int, tf: int, length: int, average: float, n: int = 5) -> float:
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / average))


def test_without_a_threshold_both_terms_rank(found):
    average = 6 / 5
    first = found["plain"][0]
    assert first["bm25(text)"] == pytest.approx(bm25(4, 1, 2, average) + bm25(1, 1, 2, average))
    assert found["plain"][1]["bm25(text)"] == pytest.approx(bm25(4, 1, 1, average))
    assert first["fieldMatch(text).matches"] == 2.0


def test_a_common_term_is_a_filter_above_the_threshold(found):
    assert len(found["filtering"]) == 4  # matching is unchanged
    first, second = found["filtering"][0], found["filtering"][1]
    assert first["bm25(text)"] == pytest.approx(bm25(1, 1, 2, 6 / 5))  # only rare ranks
    assert second["bm25(text)"] == 0.0  # common alone: nothing to rank by
    assert second["matches(text)"] == 1.0  # but the field still matched
    assert first["fieldMatch(text).matches"] == 1.0  # positions: only rare's
    assert first["queryTermCount"] == second["queryTermCount"] == 2.0  # still a query term


@pytest.mark.parametrize("order", [("plain", "filtering"), ("filtering", "plain")])
def test_profiles_sharing_the_posting_cache_keep_their_own_bm25(found, order, tmp_path):
    # the node's posting cache keeps a term's bm25 contributions between queries of every profile:
    # the threshold decides them, so neither profile may read what the other computed
    bed = RankingBed(SD, DOCS, tmp_path)
    cache = PostingCache()
    try:
        for profile in order:
            with bed.db.read_view() as view:
                result = matcher.search(cache.over(view), bed.program(profile),
                                        matcher.SearchParams(query=QUERY, hits=10))
            assert [dict(h.match_features) for h in result.hits] == found[profile]
    finally:
        bed.close()


def test_words_without_position_data_are_filters_unless_another_term_uses_their_positions():
    from content_node.matching.filter_threshold import no_position_words
    key = q.equiv_key(("cat", "cats"))  # a word streaming expanded: bm25 reads each alternative too
    items = [q.Term("text", key, positions=False), q.Term("text", "dog", positions=False), q.Term("text", "dog"),
             q.Phrase("text", ("red", "fox"), positions=False), q.Term("text", "owl")]
    assert no_position_words(items, lambda name: (name,)) == {
        ("text", key), ("text", "cat"), ("text", "cats"), ("text", q.phrase_key(("red", "fox")))}
