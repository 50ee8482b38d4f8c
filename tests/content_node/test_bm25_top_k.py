"""An OR of words ranked by a sum of bm25 (content_node/matching/bm25_top_k.py, MaxScore) answers
exactly what ranking every match answers: the same hits in the same order, the same relevance to
the last bit, the same total; over random queries (repeated and absent words, words in two
fields, ties, removed documents) and window sizes. And it does not rank every match."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from content_node import matcher
from content_node.matching import bm25_top_k
from content_node.matching.core_features import bm25_contributions
from searchlib.expression import compile_expression
from searchlib.query import tree as q
from searchlib.schema.model import Expression, RankFunction
from searchlib.ranking.formulas import bm25_idf
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
    rank-profile text { first-phase { expression: bm25(text) } }
    rank-profile both { first-phase { expression: bm25(title) + bm25(text) + bm25(text) } }
    rank-profile other { first-phase { expression: bm25(text) * 2 } }
}
"""
WORDS = ["the", "of", "cell", "gene", "rare", "rarer", "x1", "x2"]
DENSITY = [0.95, 0.8, 0.3, 0.1, 0.02, 0.01, 0.004, 0.002]


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    rng = np.random.default_rng(21)
    docs = []
    for _ in range(700):
        words = [w for w, d in zip(WORDS, DENSITY) for _ in range(int(rng.integers(1, 3))) if rng.random() < d]
        words += ["pad"] * int(rng.integers(0, 3) * 10)  # few distinct lengths: tied scores
        rng.shuffle(words)
        docs.append({"title": " ".join(words[:3]), "text": " ".join(words[3:])})
    bed = RankingBed(SD, docs, tmp_path_factory.mktemp("bm25topk"))
    for i in range(0, 700, 9):
        bed.db.remove(f"id:test:doc::{i}")
    yield bed
    bed.db.close()


def both_ways(bed, profile: str, query: q.QueryNode, hits: int):
    fast = bed.search(profile, query, hits=hits)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(bm25_top_k, "top_k", lambda *args: None)
        every = bed.search(profile, query, hits=hits)
    return fast, every


def _key(outcome):
    return [(h.global_id, h.relevance) for h in outcome.hits], outcome.total_hits, outcome.coverage


def _query(words, field="default"):
    return q.Or(tuple(q.Term(field, w) for w in words)) if len(words) > 1 else q.Term(field, words[0])


@settings(max_examples=60, deadline=None)
@given(words=st.lists(st.sampled_from(WORDS + ["absent"]), min_size=1, max_size=7),
       field=st.sampled_from(["default", "text", "title"]), profile=st.sampled_from(["text", "both"]),
       hits=st.sampled_from([1, 3, 10, 50, 2000]), exhaustive_below=st.sampled_from([-1, 10**9]))
def test_shortcut_equals_ranking_every_match(bed, words, field, profile, hits, exhaustive_below):
    with pytest.MonkeyPatch.context() as patch:  # MaxScore always, or the shortcut's own exhaustive ranking
        patch.setattr(bm25_top_k, "EXHAUSTIVE_POSTINGS", exhaustive_below)
        patch.setattr(bm25_top_k, "EXHAUSTIVE_DOCUMENTS", exhaustive_below)
        fast, every = both_ways(bed, profile, _query(words, field), hits)
    assert _key(fast) == _key(every)


@pytest.mark.parametrize("words", [("the", "of", "rare"), ("cell", "gene", "x1"), ("rarer", "x2"), ("of",)])
@pytest.mark.parametrize("profile", ["text", "both"])
def test_same_answer_on_either_side_of_the_size_threshold(bed, monkeypatch, words, profile):
    """The query's summed posting lengths one below, at and one above the threshold: the same
    hits, relevance, total and coverage whichever way the size sends it (and as the full path)."""
    size = sum(len(bed.db.postings(f, w).doc_ids) for f in ("title", "text") for w in words)
    monkeypatch.setattr(bm25_top_k, "EXHAUSTIVE_DOCUMENTS", -1)  # the lists' size alone decides
    answers = []
    for threshold in (size - 1, size, size + 1):
        monkeypatch.setattr(bm25_top_k, "EXHAUSTIVE_POSTINGS", threshold)
        fast, every = both_ways(bed, profile, _query(words), 10)
        answers += [_key(fast), _key(every)]
    assert all(answer == answers[0] for answer in answers) and len(answers[0][0]) == 10


@pytest.mark.parametrize("words", [("the", "of", "rare"), ("rarer", "x2")])
def test_same_answer_on_either_side_of_the_corpus_threshold(bed, monkeypatch, words):
    """Long lists (MaxScore by their size) on a node of one below, at and one above the documents
    threshold: the same answer either way, and as the full path."""
    documents = len(bed.db.alive)
    monkeypatch.setattr(bm25_top_k, "EXHAUSTIVE_POSTINGS", -1)
    answers = []
    for threshold in (documents - 1, documents, documents + 1):
        monkeypatch.setattr(bm25_top_k, "EXHAUSTIVE_DOCUMENTS", threshold)
        fast, every = both_ways(bed, "both", _query(words), 10)
        answers += [_key(fast), _key(every)]
    assert all(answer == answers[0] for answer in answers) and len(answers[0][0]) == 10


@pytest.mark.parametrize("postings, documents", [(10**9, -1), (-1, 10**9)])
def test_short_lists_or_a_small_corpus_rank_every_match(bed, monkeypatch, postings, documents):
    ranked = []
    real = matcher._as_column
    monkeypatch.setattr(matcher, "_as_column", lambda value, rows: ranked.append(rows) or real(value, rows))
    monkeypatch.setattr(bm25_top_k, "EXHAUSTIVE_POSTINGS", postings)
    monkeypatch.setattr(bm25_top_k, "EXHAUSTIVE_DOCUMENTS", documents)
    outcome = bed.search("text", _query(("the", "of", "rare", "rarer")), hits=5)
    assert ranked == [outcome.total_hits]  # one pass over every match, no bounds or threshold ranking


def test_shortcut_ranks_few_documents(bed, monkeypatch):
    monkeypatch.setattr(bm25_top_k, "EXHAUSTIVE_POSTINGS", 0)
    monkeypatch.setattr(bm25_top_k, "EXHAUSTIVE_DOCUMENTS", 0)
    ranked = []
    real = matcher._as_column

    def counting(value, rows):
        ranked.append(rows)
        return real(value, rows)

    monkeypatch.setattr(matcher, "_as_column", counting)
    query = q.Or(tuple(q.Term("default", w) for w in ("the", "of", "rare", "rarer")))
    outcome = bed.search("text", query, hits=5)
    assert outcome.total_hits > 500 and len(outcome.hits) == 5
    assert sum(ranked) < 200  # the rare words' documents, not every match


@pytest.mark.parametrize("profile, query", [
    ("other", q.Or((q.Term("default", "the"), q.Term("default", "rare")))),  # not a sum of bm25
    ("text", q.Or((q.Term("default", "the"), q.Phrase("default", ("the", "of"))))),  # not only words
    ("text", q.And((q.Term("default", "the"), q.Term("default", "rare")))),
])
def test_other_queries_and_profiles_take_the_exhaustive_path(bed, monkeypatch, profile, query):
    called = []
    monkeypatch.setattr(bm25_top_k, "top_k", lambda *args: called.append(1))
    bed.search(profile, query, hits=5)
    assert not called


def test_expression_and_query_shapes():
    def fields(text, functions=None):
        return bm25_top_k.bm25_sum_fields(compile_expression(text, functions=functions or {}, constants={}).root)
    assert fields("bm25(title) + bm25( text ) + bm25(title)") == ("title", "text", "title")
    assert fields("bm25(text) * 2") is None and fields("nativeRank") is None
    assert fields("bm25(title) + (bm25(text) + bm25(title))") is None  # added in another order
    shadow = RankFunction("bm25", ("f",), Expression("7"))
    assert fields("bm25(title) + bm25(text)", {"bm25": shadow}) is None  # a profile function named bm25
    assert bm25_top_k.or_of_words(q.Term("f", "a")) == (q.Term("f", "a"),)
    assert bm25_top_k.or_of_words(q.Or((q.Term("f", "a"), q.Term("f", "b", filter=True)))) is None
    assert bm25_top_k.or_of_words(q.Or((q.Term("f", "a"), q.Term("f", "b", affix="prefix")))) is None


def test_candidates_that_cannot_reach_theta_are_dropped_before_ranking(bed, monkeypatch):
    """A candidate's bm25 over the essential lists plus the bounds of the others below θ: never
    ranked (the checkout before ranked the whole union of the essential lists: 62 documents
    here, now 3), and the answer is still the full path's."""
    monkeypatch.setattr(bm25_top_k, "EXHAUSTIVE_POSTINGS", 0)
    monkeypatch.setattr(bm25_top_k, "EXHAUSTIVE_DOCUMENTS", 0)
    ranked = []
    real = matcher._as_column
    monkeypatch.setattr(matcher, "_as_column", lambda value, rows: ranked.append(rows) or real(value, rows))
    query = _query(("the", "of", "cell", "gene", "rare"), "text")
    fast, every = both_ways(bed, "text", query, 3)
    assert _key(fast) == _key(every) and len(fast.hits) == 3
    assert ranked[-2] < 20  # the final pass, after the threshold's (the full path's last entry)


def test_a_lists_bound_uses_the_idf_bm25_scores_it_with(bed, monkeypatch):
    """A word of the fieldset: bm25 scores it with the document frequency summed over title and
    text (core_features.document_frequency), and so does its list's bound: no looser than needed,
    and still above every posting's contribution."""
    monkeypatch.setattr(bm25_top_k, "EXHAUSTIVE_POSTINGS", 0)
    monkeypatch.setattr(bm25_top_k, "EXHAUSTIVE_DOCUMENTS", 0)
    seen = []
    real = bm25_top_k._bound

    def recording(calc, field, term, idf, *rest):
        bound = real(calc, field, term, idf, *rest)
        contributions = bm25_contributions(calc, field, term, idf)[1]
        seen.append((field, term, idf, bound, float(contributions.max()) if len(contributions) else 0.0,
                     calc.index.doc_count, calc.index.document_frequency(field, term),
                     calc.index.document_frequency("title", term) + calc.index.document_frequency("text", term)))
        return bound

    monkeypatch.setattr(bm25_top_k, "_bound", recording)
    fast, every = both_ways(bed, "both", _query(("the", "cell", "rare")), 5)
    assert _key(fast) == _key(every)
    assert {(field, term) for field, term, *_ in seen} == {(f, w) for f in ("title", "text") for w in ("the", "cell", "rare")}
    for field, term, idf, bound, largest, documents, alone, summed in seen:
        assert idf == bm25_idf(min(summed, documents), documents) < bm25_idf(alone, documents)
        assert 0.0 < largest <= bound
