"""After the global phase, hits are in the one order of searchlib.hits over their new scores,
whatever order they arrive in; with a zero rerank count the query's own sort order survives."""
from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from container.ranking.global_phase import GlobalPhaseRanker, check_sorting
from searchlib.errors import QueryError
from searchlib.hits import LeanHit, sort_hits
from searchlib.query.tree import SortKey
from searchlib.schema.application import application_from_text

SD = """
schema doc {
    document doc {
        field price type double { indexing: attribute }
    }
    rank-profile flip {
        first-phase { expression: attribute(price) }
        global-phase {
            rerank-count: 3
            expression: 10 - relevanceScore
        }
    }
}
"""
_relevance = st.one_of(st.sampled_from([0.0, 1.0, 2.0, math.nan, -math.inf]), st.floats(-5, 5))


@pytest.fixture(scope="module")
def ranker():
    return GlobalPhaseRanker(application_from_text(SD, name="doc.sd"))


def _hits(relevances, sorting=()):
    return [LeanHit(i.to_bytes(12, "big"), r, sort_data=tuple(r for _ in sorting)) for i, r in enumerate(relevances)]


@given(relevances=st.lists(_relevance, max_size=12), count=st.integers(0, 5), seed=st.integers(0, 2**16))
@settings(max_examples=150, deadline=None)
def test_reranked_hits_are_in_the_one_order_of_their_new_scores(ranker, relevances, count, seed):
    hits = _hits(relevances)
    shuffled = hits[:]
    random.Random(seed).shuffle(shuffled)
    outcome = ranker.rerank("doc", "flip", shuffled, {}, count)
    assert outcome.hits == sort_hits(outcome.hits)
    assert sorted(h.global_id for h in outcome.hits) == sorted(h.global_id for h in hits)
    reranked = {h.global_id for h in sort_hits(hits)[:count]}
    for hit in outcome.hits:
        if hit.global_id in reranked:
            old = relevances[int.from_bytes(hit.global_id, "big")]
            assert hit.relevance == pytest.approx(10 - old, nan_ok=True)
    again = ranker.rerank("doc", "flip", hits, {}, count).hits  # the arrival order does not matter
    assert [h.global_id for h in again] == [h.global_id for h in outcome.hits]


@given(relevances=st.lists(_relevance, max_size=12), ascending=st.booleans())
@settings(max_examples=60, deadline=None)
def test_a_zero_rerank_count_keeps_the_query_sort_order(ranker, relevances, ascending):
    sorting = (SortKey("[relevance]", ascending),)
    hits = _hits(relevances, sorting)
    outcome = ranker.rerank("doc", "flip", list(reversed(hits)), {}, 0, sorting=sorting)
    assert [h.global_id for h in outcome.hits] == [h.global_id for h in sort_hits(hits, sorting)]


class _Query:
    def __init__(self, sorting, rerank_count):
        self.sorting, self.schemas, self.profile = sorting, ("doc",), "flip"
        self.global_phase_rerank_count = rerank_count


def test_only_the_rank_order_is_allowed_with_an_active_global_phase(ranker):
    check_sorting(ranker, _Query((SortKey("[rank]", False),), None))
    check_sorting(ranker, _Query((SortKey("[relevance]", True),), 0))
    with pytest.raises(QueryError, match="Sorting is not supported with global phase"):
        check_sorting(ranker, _Query((SortKey("[relevance]", True),), None))
