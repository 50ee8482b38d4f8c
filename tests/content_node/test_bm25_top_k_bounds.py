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
