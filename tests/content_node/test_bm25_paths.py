"""bm25 is the same number on every path (content_node/matching/core_features.py): dense candidates
adding cached per-term contributions by local id, sparse candidates found by binary search, and
without the posting cache; each equals the Okapi formula worked out per document, to the bit."""
from __future__ import annotations

import math

import numpy as np
import pytest

from content_node import matcher
from content_node.posting_cache import PostingCache
from ranking_support import RankingBed
from searchlib.query import tree as q

SD = """schema doc {
    document doc {
        field title type string { indexing: index | summary }
        field n type int { indexing: attribute }
    }
    rank-profile bm { first-phase { expression: bm25(title) } }
}
"""
TITLES = ["red fox", "red hen red", "blue fox jumps over", "green hen", "red sky at night red red",
          "fox", "nothing here", "hen house of the red fox"] * 5


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    bed = RankingBed(SD, [{"title": t, "n": i} for i, t in enumerate(TITLES)], tmp_path_factory.mktemp("bm25"))
    yield bed
    bed.close()


def expected(bed: RankingBed, words: list[str]) -> dict[str, float]:
    tokens = {i: t.split() for i, t in enumerate(TITLES)}
    average = sum(len(t) for t in tokens.values()) / len(tokens)
    scores = {}
    for i, doc in tokens.items():
        score = 0.0
        for word in words:
            df = sum(word in t for t in tokens.values())
            tf = doc.count(word)
            if tf:
                idf = math.log(1.0 + (len(tokens) - df + 0.5) / (df + 0.5))
                score += idf * tf * 2.2 / (tf + 1.2 * (1.0 - 0.75 + 0.75 * len(doc) / average))
        scores[str(i)] = score
    return scores


def ranked(bed: RankingBed, index, query: q.QueryNode) -> dict[str, float]:
    outcome = matcher.search(index, bed.program("bm"), matcher.SearchParams(query=query, hits=100))
    return {bed.ids[h.global_id].rsplit(":", 1)[1]: h.relevance for h in outcome.hits}


@pytest.mark.parametrize("words", [["red"], ["red", "fox", "hen"], ["fox", "fox", "absent"], ["blue", "red", "sky"]])
def test_dense_cached_sparse_and_uncached_bm25_are_the_same_numbers(bed, words) -> None:
    dense_query = q.Or(tuple(q.Term("title", w) for w in words))
    sparse_query = q.And((dense_query, q.Range("n", 39, 39)))  # one candidate of 40: binary searches
    few_query = q.And((dense_query, q.Range("n", 33, 39)))  # sparse, lists as short: summed by bincount
    cache = PostingCache()
    with bed.db.read_view() as view:
        uncached = ranked(bed, view, dense_query)
        cached = ranked(bed, cache.over(view), dense_query)
        again = ranked(bed, cache.over(view), dense_query)  # contributions from the cache
        sparse = ranked(bed, cache.over(view), sparse_query)
        few = ranked(bed, cache.over(view), few_query)
        few_uncached = ranked(bed, view, few_query)
    assert any(key[0] == "bm25" for key in cache._entries)
    want = expected(bed, words)
    assert uncached == cached == again == {k: want[k] for k in uncached}
    assert set(uncached) == {k for k, v in want.items() if v > 0 or any(w in TITLES[int(k)].split() for w in words)}
    assert sparse == {"39": want["39"]}
    assert few == few_uncached == {k: want[k] for k in uncached if int(k) >= 33}
