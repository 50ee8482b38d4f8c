"""A posting list's bound in bm25_top_k.py (MaxScore) holds for every posting whatever the
statistics and rank properties say: a list is never dropped because the cluster-wide document
frequency is 0, and parameters under which the list's extremes bound nothing rank every match."""
from __future__ import annotations

from types import MappingProxyType

import pytest

from content_node.matching import bm25_top_k
from searchlib.corpus_statistics import CorpusStatistics, FieldCounts
from searchlib.query import tree as q
from tests.content_node.ranking_support import RankingBed

SD = """
schema doc {
    document doc {
        field title type string { indexing: index | summary
            index: enable-bm25 }
        field text type string { indexing: index | summary
            index: enable-bm25 }
    }
    fieldset default { fields: title, text }
    rank-profile both { first-phase { expression: bm25(title) + bm25(text) } }
    rank-profile negative_b {
        rank-properties { bm25(text).b: -0.5 }
        first-phase { expression: bm25(text) }
    }
}
"""


def both_ways(bed, profile, query, hits, **params):
    with pytest.MonkeyPatch.context() as patch:  # MaxScore whatever the sizes
        patch.setattr(bm25_top_k, "EXHAUSTIVE_POSTINGS", -1)
        patch.setattr(bm25_top_k, "EXHAUSTIVE_DOCUMENTS", -1)
        fast = bed.search(profile, query, hits=hits, **params)
        patch.setattr(bm25_top_k, "top_k", lambda *args: None)
        every = bed.search(profile, query, hits=hits, **params)
    return ([(h.global_id, h.relevance) for h in fast.hits], fast.total_hits), \
        ([(h.global_id, h.relevance) for h in every.hits], every.total_hits)


def test_a_local_list_counts_when_the_cluster_document_frequency_is_0(tmp_path):
    """Cluster-wide statistics sum (text, foo) to 0 (the node holding it missed the round): the
    local list still holds the best documents, and MaxScore must not bound it by 0."""
    docs = [{"title": "foo bar baz", "text": "pad pad"} for _ in range(300)] + \
           [{"title": "zzz", "text": "foo foo foo"} for _ in range(5)]
    bed = RankingBed(SD, docs, tmp_path)
    try:
        db = bed.db
        fields = {f: FieldCounts(db.documents_with_field(f),
                                 round(db.average_field_length(f) * db.documents_with_field(f)))
                  for f in ("title", "text")}
        stats = CorpusStatistics(db.doc_count, MappingProxyType(fields),
                                 MappingProxyType({("title", "foo"): 300, ("text", "foo"): 0}))
        fast, every = both_ways(bed, "both", q.Term("default", "foo"), 3, corpus_statistics=stats)
        assert fast == every
        assert {bed.ids[gid] for gid, _ in every[0]} <= {f"id:test:doc::{i}" for i in range(300, 305)}
    finally:
        bed.close()


def test_parameters_outside_the_bounds_range_rank_every_match(tmp_path, monkeypatch):
    """bm25(text).b = -0.5: a longer field scores higher, so the largest frequency at the shortest
    length bounds nothing; top_k declines and the answer is the full path's."""
    docs = [{"text": "foo"}] * 50 + [{"text": "foo pad pad"}] * 3 + [{"text": "rare"}] * 5 + [{"text": "pad"}] * 1000
    bed = RankingBed(SD, docs, tmp_path)
    try:
        query = q.Or((q.Term("text", "foo"), q.Term("text", "rare")))
        fast, every = both_ways(bed, "negative_b", query, 3)
        assert fast == every
        assert {bed.ids[gid] for gid, _ in every[0]} == {f"id:test:doc::{i}" for i in range(50, 53)}
        answers = []
        real = bm25_top_k.top_k
        monkeypatch.setattr(bm25_top_k, "EXHAUSTIVE_POSTINGS", -1)
        monkeypatch.setattr(bm25_top_k, "EXHAUSTIVE_DOCUMENTS", -1)
        monkeypatch.setattr(bm25_top_k, "top_k", lambda *args: answers.append(real(*args)) or answers[-1])
        bed.search("negative_b", query, hits=3)
        assert answers == [None]
    finally:
        bed.close()


@pytest.mark.parametrize("parameters, usable", [
    ((1.2, 0.75, 10.0), True), ((0.0, 0.0, 1.0), True), ((1.2, 1.0, 0.5), True),
    ((1.2, -0.5, 10.0), False), ((1.2, 1.5, 10.0), False), ((-0.1, 0.75, 10.0), False),
    ((1.2, 0.75, 0.0), False), ((1.2, 0.75, -3.0), False), ((float("nan"), 0.75, 10.0), False),
])
def test_bounding_parameters(parameters, usable):
    assert bm25_top_k.bounds_hold(parameters) is usable
