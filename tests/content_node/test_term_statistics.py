"""Cluster-wide term statistics on the node side: a corpus split over 1, 2 or 4 document databases
ranks every document exactly as one database holding all of it, once the databases' counts are
summed and sent back (through the wire codec, as the container does); per-node statistics do not."""
from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from content_node import matcher
from content_node.document_db import DocumentDB
from content_node.ranking.rank_program import RankProgram
from content_node.term_statistics import collect
from searchlib.corpus_statistics import CorpusStatistics, FieldCounts, summed, wanted
from searchlib.query import tree as q
from searchlib.schema.application import load_application
from searchlib.wire.statistics_codec import decode_statistics, encode_statistics

APP = load_application(Path(__file__).resolve().parents[1] / "apps" / "termstats")
SCHEMA = APP.schemas["doc"]
WORDS = ("alpha", "beta", "gamma", "delta", "omega", "pi")
_counter = itertools.count()

text = st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join)
corpora = st.lists(st.fixed_dictionaries({"title": text, "text": text}), min_size=1, max_size=14)
queries = st.one_of(
    st.lists(st.sampled_from(WORDS + ("missing",)), min_size=1, max_size=3).map(
        lambda words: q.Or(tuple(q.Term("default", w) for w in words))),
    st.tuples(st.sampled_from(WORDS), st.sampled_from(WORDS)).map(
        lambda pair: q.Or((q.Phrase("text", pair), q.Term("title", pair[0])))))


def _scores(parts: list[list[tuple[str, dict]]], query: q.QueryNode, profile: str,
            root: Path) -> dict[bytes, float]:
    """Every document's relevance when the corpus is split into `parts` databases."""
    databases = []
    try:
        for part in parts:
            db = DocumentDB(SCHEMA, root / f"db{next(_counter)}")
            for doc_id, fields in part:
                db.put(doc_id, dict(fields))
            databases.append(db)
        statistics = None
        if wanted(SCHEMA.rank_profiles[profile].rank_properties, {}):
            statistics = decode_statistics(encode_statistics(summed(collect(db, SCHEMA, query) for db in databases)))
        program = RankProgram(SCHEMA, SCHEMA.rank_profiles[profile])
        found: dict[bytes, float] = {}
        for db in databases:
            params = matcher.SearchParams(query=query, hits=1000, corpus_statistics=statistics)
            found.update({hit.global_id: hit.relevance for hit in matcher.search(db, program, params).hits})
        return found
    finally:
        for db in databases:
            db.close()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpus=corpora, query=queries, placement=st.lists(st.integers(0, 3), min_size=14, max_size=14))
def test_split_corpus_scores_identically_with_cluster_statistics(corpus, query, placement) -> None:
    documents = [(f"id:test:doc::{i}", fields) for i, fields in enumerate(corpus)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        whole = _scores([documents], query, "global", root)
        assert whole == _scores([documents], query, "local", root)  # one node: its statistics are the corpus's
        for nodes in (2, 4):
            parts = [[d for i, d in enumerate(documents) if placement[i] % nodes == n] for n in range(nodes)]
            assert _scores(parts, query, "global", root) == whole  # identical, not approximately equal


def test_per_node_statistics_differ_when_split(tmp_path) -> None:
    """What the option fixes: the same documents score differently on two nodes with their own counts."""
    documents = [(f"id:test:doc::{i}", {"title": "alpha" if i < 4 else "beta", "text": "gamma " * (i + 1)})
                 for i in range(8)]
    query = q.Or((q.Term("default", "alpha"), q.Term("default", "gamma")))
    parts = [documents[:4], documents[4:]]
    assert _scores(parts, query, "local", tmp_path) != _scores([documents], query, "local", tmp_path)
    assert _scores(parts, query, "global", tmp_path) == _scores([documents], query, "global", tmp_path)


def test_sums_and_the_option() -> None:
    a = CorpusStatistics(3, {"text": FieldCounts(2, 10)}, {("text", "x"): 1})
    b = CorpusStatistics(4, {"text": FieldCounts(4, 14), "title": FieldCounts(1, 2)},
                         {("text", "x"): 2, ("text", "y"): 1})
    total = summed([a, b])
    assert (total.documents, dict(total.fields), dict(total.terms)) == (
        7, {"text": FieldCounts(6, 24), "title": FieldCounts(1, 2)}, {("text", "x"): 3, ("text", "y"): 1})
    assert total.fields["text"].average_length == 4.0 and FieldCounts(0, 0).average_length == 0.0
    assert decode_statistics(encode_statistics(total)) == total
    profile = {"vespa.ranking.globalstatistics": "true"}
    assert wanted(profile, {}) and not wanted({}, {})
    assert not wanted(profile, {"vespa.ranking.globalstatistics": "false"})  # the query's wins
    assert wanted({}, {"vespa.ranking.globalstatistics": "true"})


def test_the_nodes_cached_idf_is_not_taken_for_the_clusters(tmp_path) -> None:
    """The posting cache keeps an item's idf between queries (the node's own counts); a query with
    the cluster's statistics ranks with its own, through the same cache, before and after."""
    from content_node.posting_cache import PostingCache

    db = DocumentDB(SCHEMA, tmp_path / "db")
    try:
        for i in range(6):
            db.put(f"id:test:doc::{i}", {"title": "alpha" if i < 2 else "beta", "text": "gamma " * (i + 1)})
        query = q.Or((q.Term("default", "alpha"), q.Term("default", "gamma")))
        cluster = CorpusStatistics(60, {}, {("title", "alpha"): 3, ("text", "gamma"): 50})
        program = RankProgram(SCHEMA, SCHEMA.rank_profiles["global"])

        def scores(index, statistics) -> dict[bytes, float]:
            params = matcher.SearchParams(query=query, hits=100, corpus_statistics=statistics)
            return {hit.global_id: hit.relevance for hit in matcher.search(index, program, params).hits}
        cache = PostingCache()
        with db.read_view() as view:
            own, theirs = scores(view, None), scores(view, cluster)
            assert own != theirs
            for _ in range(2):  # the second time from the cache
                assert scores(cache.over(view), None) == own
                assert scores(cache.over(view), cluster) == theirs
            assert any(key[0] == "idf" for key in cache._entries)
    finally:
        db.close()
