"""IR metrics against hand-computed trec_eval values."""
import math

import pytest

from searchlib.evaluation import (
    mean_metrics,
    mrr_at_k,
    ndcg_at_k,
    per_query_metrics,
    rank_documents,
    recall_at_k,
)


def test_ndcg_graded_gains_with_log2_discount():
    judgements = {"a": 2, "b": 1, "c": 0}
    # ranked c, a, b: DCG = 0 + 2/log2(3) + 1/log2(4); ideal a, b: 2/1 + 1/log2(3)
    expected = (2 / math.log2(3) + 1 / 2) / (2 + 1 / math.log2(3))
    assert ndcg_at_k(["c", "a", "b"], judgements, 10) == pytest.approx(expected)
    assert ndcg_at_k(["a", "b", "c"], judgements, 10) == pytest.approx(1.0)


def test_ndcg_cutoff_applies_to_run_and_to_ideal():
    judgements = {"a": 1, "b": 1, "c": 1}
    # only one slot: a relevant doc first is perfect even though 3 are relevant
    assert ndcg_at_k(["b", "x"], judgements, 1) == pytest.approx(1.0)
    # k=2: x, b → (1/log2 3) / (1 + 1/log2 3)
    assert ndcg_at_k(["x", "b"], judgements, 2) == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))


def test_ndcg_ignores_negative_grades():
    assert ndcg_at_k(["bad", "a"], {"bad": -1, "a": 1}, 10) == pytest.approx(1 / math.log2(3))


def test_mrr_is_reciprocal_rank_of_first_relevant_within_cutoff():
    judgements = {"r": 1, "s": 2}
    assert mrr_at_k(["x", "y", "r", "s"], judgements, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["x", "y", "r"], judgements, 2) == 0.0
    assert mrr_at_k(["x", "z"], {"x": 0, "r": 1}, 10) == 0.0  # grade 0 is not relevant


def test_recall_counts_relevant_in_top_k():
    judgements = {"a": 1, "b": 1, "c": 3, "d": 0}
    assert recall_at_k(["a", "x", "c", "d"], judgements, 100) == pytest.approx(2 / 3)
    assert recall_at_k(["a", "x", "c"], judgements, 1) == pytest.approx(1 / 3)


def test_score_runs_rank_by_score_then_doc_id_descending_like_trec_eval():
    assert rank_documents({"a": 1.0, "b": 3.0, "c": 1.0}) == ["b", "c", "a"]
    assert rank_documents(["z", "a"]) == ["z", "a"]


def test_mean_metrics_excludes_queries_without_relevant_docs_and_scores_missing_as_zero():
    qrels = {
        "q1": {"d1": 1},
        "q2": {"d2": 2, "d3": 1},
        "q3": {"d4": 0},  # no relevant doc: excluded
        "q4": {"d5": 1},  # not in the run: scores 0
    }
    run = {"q1": ["d1", "x"], "q2": {"d3": 5.0, "d2": 1.0, "y": 2.0}, "q3": ["d4"]}
    means = mean_metrics(run, qrels)
    assert means["queries"] == 3
    # q2 ranked: d3, y, d2 → DCG = 1 + 2/log2(4) = 2; ideal = 2 + 1/log2(3)
    q2_ndcg = 2 / (2 + 1 / math.log2(3))
    assert means["ndcg@10"] == pytest.approx((1.0 + q2_ndcg + 0.0) / 3)
    assert means["mrr@10"] == pytest.approx((1.0 + 1.0 + 0.0) / 3)
    assert means["recall@100"] == pytest.approx((1.0 + 1.0 + 0.0) / 3)


def test_per_query_metrics_custom_cutoffs_and_unknown_metric():
    per_query = per_query_metrics({"q": ["a", "b"]}, {"q": {"b": 1}}, {"mrr": 1, "recall": 2})
    assert per_query == {"q": {"mrr@1": 0.0, "recall@2": 1.0}}
    with pytest.raises(ValueError):
        per_query_metrics({}, {"q": {"b": 1}}, {"map": 10})


def test_mean_metrics_of_nothing_is_zero_with_no_queries():
    assert mean_metrics({}, {"q": {"a": 0}}) == {"ndcg@10": 0.0, "mrr@10": 0.0, "recall@100": 0.0, "queries": 0}
