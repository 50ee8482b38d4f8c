"""Information-retrieval metrics with trec_eval definitions (pure functions, no I/O).

Conventions, as in trec_eval (and pytrec_eval, which BEIR uses):

- A document is relevant when its qrels grade is >= 1; grades <= 0 count as non-relevant.
- nDCG@k uses the graded relevance as the gain and a log2(rank + 1) discount; the ideal DCG is
  computed from the query's qrels (all judged grades sorted descending, cut at k).
- MRR@k is 1/rank of the first relevant document within the top k, else 0.
- recall@k is |relevant ∩ top k| / |relevant|.
- A run given as scores ({doc: score}) is ranked by score descending, ties by doc id descending
  (trec_eval's order); a run given as a sequence is taken in the order given.
- Queries without any relevant document are excluded from the means. A query that has relevant
  documents but no entry in the run scores 0 (trec_eval -c), so failed queries are never hidden.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

Qrels = Mapping[str, Mapping[str, int]]  # query id → {doc id: relevance grade}
RankedDocs = Sequence[str] | Mapping[str, float]  # an ordered doc list, or {doc id: score}
Run = Mapping[str, RankedDocs]

DEFAULT_CUTOFFS = {"ndcg": 10, "mrr": 10, "recall": 100}


def rank_documents(docs: RankedDocs) -> list[str]:
    """Doc ids in rank order: a sequence as given; a score mapping by score desc, then id desc."""
    if isinstance(docs, Mapping):
        return [doc for doc, _ in sorted(docs.items(), key=lambda item: (item[1], item[0]), reverse=True)]
    return list(docs)


def _relevant(judgements: Mapping[str, int]) -> set[str]:
    return {doc for doc, grade in judgements.items() if grade >= 1}


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain of gains in rank order (rank 1 has discount log2(2) = 1)."""
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, start=1) if gain > 0)


def ndcg_at_k(ranked: RankedDocs, judgements: Mapping[str, int], k: int) -> float:
    ideal_gains = sorted((grade for grade in judgements.values() if grade > 0), reverse=True)[:k]
    ideal = dcg(ideal_gains)
    if ideal == 0.0:
        return 0.0
    top = rank_documents(ranked)[:k]
    return dcg([max(judgements.get(doc, 0), 0) for doc in top]) / ideal


def mrr_at_k(ranked: RankedDocs, judgements: Mapping[str, int], k: int) -> float:
    relevant = _relevant(judgements)
    for rank, doc in enumerate(rank_documents(ranked)[:k], start=1):
        if doc in relevant:
            return 1.0 / rank
    return 0.0


def recall_at_k(ranked: RankedDocs, judgements: Mapping[str, int], k: int) -> float:
    relevant = _relevant(judgements)
    if not relevant:
        return 0.0
    retrieved = set(rank_documents(ranked)[:k])
    return len(relevant & retrieved) / len(relevant)


def per_query_metrics(run: Run, qrels: Qrels,
                      cutoffs: Mapping[str, int] = DEFAULT_CUTOFFS) -> dict[str, dict[str, float]]:
    """{query id: {"ndcg@10": .., "mrr@10": .., "recall@100": ..}} for every evaluable query."""
    metric_functions = {"ndcg": ndcg_at_k, "mrr": mrr_at_k, "recall": recall_at_k}
    unknown = set(cutoffs) - set(metric_functions)
    if unknown:
        raise ValueError(f"unknown metrics {sorted(unknown)}; known: {sorted(metric_functions)}")
    results: dict[str, dict[str, float]] = {}
    for query_id, judgements in qrels.items():
        if not _relevant(judgements):
            continue  # trec_eval cannot evaluate a query with no relevant documents
        ranked = rank_documents(run.get(query_id, ()))
        results[query_id] = {
            f"{name}@{k}": metric_functions[name](ranked, judgements, k) for name, k in cutoffs.items()
        }
    return results


def mean_metrics(run: Run, qrels: Qrels,
                 cutoffs: Mapping[str, int] = DEFAULT_CUTOFFS) -> dict[str, float]:
    """Means over the evaluable queries, plus "queries": how many were evaluated."""
    per_query = per_query_metrics(run, qrels, cutoffs)
    names = [f"{name}@{k}" for name, k in cutoffs.items()]
    if not per_query:
        return {**{name: 0.0 for name in names}, "queries": 0}
    means: dict[str, float] = {
        name: sum(scores[name] for scores in per_query.values()) / len(per_query) for name in names
    }
    means["queries"] = len(per_query)
    return means
