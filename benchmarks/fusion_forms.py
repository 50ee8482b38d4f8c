"""Hybrid: which of Vespa's global-phase fusions of BM25 and dense closeness ranks best? (issue 22)

One process, the pipelines of benchmarks/relevance.py (tantivy BM25 over title + text, exact
cosine over the cached bge document vectors): each query's candidates are the union of both top
1000s (what reaches the default package's global phase, rerank-count 1000), a candidate missing
from one list scores that list's floor (BM25 0, the lowest cosine seen), and the candidates are
ordered by

- `reciprocal_rank_fusion(bm25, closeness)`: 1/(60 + rank) summed (the `hybrid` profile's);
- `normalize_linear(bm25) + normalize_linear(closeness)`: each min-max scaled over the candidates;
- closeness as the engine computes it, 1 / (2 - cos) for prenormalized-angular, in both.

    python -m benchmarks.fusion_forms [--datasets scifact cranfield]
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

from benchmarks.relevance import APP, DATA, DEPTH, VECTOR, document_vectors, rrf, tantivy_scores
from container.ranking.normalizers import normalize_linear, reciprocal_rank_fusion
from deploy.beir_eval import load_dataset
from deploy.cli_data import embedded_corpus
from searchlib.evaluation import mean_metrics


def dense_scores(dataset, feed) -> dict[str, dict[str, float]]:
    from container.embedding.registry import get_embedder
    from searchlib.schema.application import load_application

    vectors = document_vectors(feed)
    ids = list(vectors)
    matrix = np.stack([vectors[i] for i in ids]).astype(np.float32)
    embedder = get_embedder(load_application(APP), "bge")
    found = {}
    for query_id, text in dataset.queries.items():
        scores = matrix @ embedder.embed(text, VECTOR, "query").dense_values.reshape(-1).astype(np.float32)
        top = np.argsort(-scores, kind="stable")[:DEPTH]
        found[query_id] = {ids[row]: 1.0 / (2.0 - float(scores[row])) for row in top}
    return found


def fused(bm25: dict[str, dict[str, float]], dense: dict[str, dict[str, float]], form: str) -> dict[str, list[str]]:
    run = {}
    for query_id in dense:
        lexical, semantic = bm25.get(query_id, {}), dense[query_id]
        candidates = sorted(set(lexical) | set(semantic))
        floor = min(semantic.values())
        a = np.array([lexical.get(doc, 0.0) for doc in candidates])
        b = np.array([semantic.get(doc, floor) for doc in candidates])
        score = reciprocal_rank_fusion([a, b]) if form == "rrf" else normalize_linear(a) + normalize_linear(b)
        run[query_id] = [candidates[i] for i in np.argsort(-score, kind="stable")]
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["scifact", "cranfield"])
    args = parser.parse_args()
    print("| collection | RRF of the two lists (relevance.py) | reciprocal_rank_fusion | normalize_linear sum |")
    print("| --- | --- | --- | --- |")
    for name in args.datasets:
        dataset = load_dataset(DATA / name)
        feed = embedded_corpus(dataset, APP, sys.stderr)
        bm25, dense = tantivy_scores(dataset), dense_scores(dataset, feed)
        lists = rrf({k: list(v) for k, v in bm25.items()}, {k: list(v) for k, v in dense.items()})
        values = [mean_metrics(run, dataset.qrels)["ndcg@10"]
                  for run in (lists, fused(bm25, dense, "rrf"), fused(bm25, dense, "linear"))]
        print(f"| {name} | " + " | ".join(f"{v:.4f}" for v in values) + " |", flush=True)


if __name__ == "__main__":
    main()
