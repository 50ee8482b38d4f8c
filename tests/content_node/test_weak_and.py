"""weakAnd: MaxScore top-k equals the exhaustive reference; it skips documents; it runs in matching."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from content_node.document_db import DocumentDB
from content_node.matching.match_sets import MatchEvaluator
from content_node.matching import weak_and
from content_node.matching.weak_and import WandTerm, term_score, wand_top_k
from searchlib.query import tree as q
from searchlib.schema.model import Field, FieldSet, FieldType, Schema


def exhaustive_top_k(terms: list[WandTerm], k: int, allowed: np.ndarray | None) -> tuple[list[int], list[float]]:
    """The naive reference: score every document in the OR, sort, cut at k (ties: lower id)."""
    scores: dict[int, float] = {}
    for term in terms:  # query order, as the optimized version adds them
        if term.score <= 0:
            continue
        for doc in term.doc_ids.tolist():
            if allowed is not None and (doc >= len(allowed) or not allowed[doc]):
                continue
            scores[doc] = scores.get(doc, 0.0) + term.score
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
    chosen = sorted(ranked)
    return [doc for doc, _ in chosen], [score for _, score in chosen]


@st.composite
def wand_cases(draw):
    n_docs = draw(st.integers(1, 300))
    n_terms = draw(st.integers(1, 7))
    terms = []
    for _ in range(n_terms):
        density = draw(st.sampled_from([0.005, 0.05, 0.3, 0.9]))
        seed = draw(st.integers(0, 2**31))
        ids = np.flatnonzero(np.random.default_rng(seed).random(n_docs) < density).astype(np.int32)
        # few distinct scores, so ties at the cut are common
        score = draw(st.sampled_from([0.0, 0.5, 1.0, 1.0, 2.0, 3.25]))
        terms.append(WandTerm(ids, score))
    k = draw(st.integers(0, 40))
    allowed = None
    if draw(st.booleans()):
        allowed = np.random.default_rng(draw(st.integers(0, 2**31))).random(n_docs) < 0.6
    return terms, k, allowed


@pytest.mark.parametrize("sequential", [0, weak_and._SEQUENTIAL_READS, 10**9])  # binary search only, as tuned, in turn only
@settings(max_examples=120, deadline=None)
@given(case=wand_cases())
def test_wand_top_k_equals_exhaustive(case, sequential):
    terms, k, allowed = case
    tuned = weak_and._SEQUENTIAL_READS
    weak_and._SEQUENTIAL_READS = sequential
    try:
        result = wand_top_k(terms, k, allowed)
    finally:
        weak_and._SEQUENTIAL_READS = tuned
    expected_ids, expected_scores = exhaustive_top_k(terms, k, allowed)
    assert result.local_ids.tolist() == expected_ids
    assert result.scores.tolist() == expected_scores  # the same sums to the last bit


def test_common_terms_are_skipped_not_scored():
    rng = np.random.default_rng(7)
    n = 100_000
    common = WandTerm(np.flatnonzero(rng.random(n) < 0.6).astype(np.int32), term_score(100, 60_000, n))
    rare = WandTerm(np.flatnonzero(rng.random(n) < 0.002).astype(np.int32), term_score(100, 200, n))
    rarer = WandTerm(np.flatnonzero(rng.random(n) < 0.001).astype(np.int32), term_score(100, 100, n))
    result = wand_top_k([common, rare, rarer], 10, count_matched=True)
    reference, _ = exhaustive_top_k([common, rare, rarer], 10, None)
    assert result.local_ids.tolist() == reference
    assert result.matched > 60_000
    assert result.scored < 1_000  # only the rare terms' documents were ever scored


def test_candidates_that_cannot_reach_theta_are_dropped_before_scoring():
    """One of two mid-frequency terms is essential (with the other and the common one, its
    documents could reach θ), but a document holding only it and the common word stays below the
    k-th best partial score once the other mid term is probed: it is never scored in full."""
    rng = np.random.default_rng(11)
    n = 100_000

    def term(density: float) -> WandTerm:
        ids = np.flatnonzero(rng.random(n) < density).astype(np.int32)
        return WandTerm(ids, term_score(100, len(ids), n))

    common, mid, other_mid, rare = term(0.6), term(0.02), term(0.02), term(0.002)
    terms = [common, mid, other_mid, rare]
    result = wand_top_k(terms, 100)
    assert result.local_ids.tolist() == exhaustive_top_k(terms, 100, None)[0]
    assert result.scored < len(mid.doc_ids) // 2  # before the partial scores: rare's and a mid term's all


def test_term_score_is_weight_times_idf():
    assert term_score(200, 10, 1000) == pytest.approx(2 * term_score(100, 10, 1000))
    assert term_score(100, 1, 1000) > term_score(100, 500, 1000) > 0


STRING = FieldType("string")


@pytest.fixture
def db(tmp_path):
    fields = [Field("title", STRING, is_index=True), Field("body", STRING, is_index=True),
              Field("year", FieldType("int"), is_attribute=True)]
    schema = Schema("doc", "doc", {f.name: f for f in fields},
                    fieldsets={"default": FieldSet("default", ("title", "body"))})
    database = DocumentDB(schema, tmp_path)
    words = ["alpha", "beta", "gamma", "delta", "common"]
    rng = np.random.default_rng(3)
    for i in range(400):
        chosen = [w for w in words if rng.random() < (0.9 if w == "common" else 0.15)]
        database.put(f"id:ns:doc::{i}", {"title": " ".join(chosen[:2]), "body": " ".join(chosen[2:]),
                                         "year": i % 10})
    yield database
    database.close()


def _wand_query(target_hits: int) -> q.WeakAnd:
    return q.WeakAnd(tuple(q.Term("default", w) for w in ("alpha", "beta", "common")), target_hits)


def test_weak_and_in_matching_exposes_target_hits_of_the_or(db):
    matching = MatchEvaluator(db.schema, db)
    full_or = matching.matches(q.Or(_wand_query(10).children))
    top = matching.matches(_wand_query(10))
    assert len(full_or) > 100
    assert len(top) == 10 and set(top.tolist()) <= set(full_or.tolist())
    # the 10 exposed documents have the highest internal scores: they contain the rare words
    titles = [db.document(int(i))["title"] + " " + db.document(int(i)).get("body", "") for i in top]
    assert all(("alpha" in t) or ("beta" in t) for t in titles)


def test_weak_and_with_a_filter_picks_its_top_k_among_filtered_documents(db):
    matching = MatchEvaluator(db.schema, db)
    found = matching.matches(q.And((q.Range("year", low=3, high=3), _wand_query(15))))
    assert len(found) == 15
    assert set(db.attribute("year")[found].tolist()) == {3.0}


def test_removed_documents_never_fill_the_top_k(db):
    matching = MatchEvaluator(db.schema, db)
    first = matching.matches(_wand_query(5))
    for local_id in first.tolist():
        db.remove(db.document_id(local_id))
    again = MatchEvaluator(db.schema, db).matches(_wand_query(5))
    assert len(again) == 5 and not set(again.tolist()) & set(first.tolist())
