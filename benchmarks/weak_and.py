"""weakAnd (vectorized MaxScore, content_node/matching/weak_and.py) against an exhaustive OR over a
synthetic corpus: posting lists of Zipf-like density, top-100 by the internal weight x idf score.
Reports per-query time, the documents each approach scored, and that both find the same top k.

    python -m benchmarks.weak_and [--docs 1000000] [--queries 20] [--target-hits 100]
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from content_node.matching.weak_and import WandTerm, score_documents, term_score, top_k_rows, wand_top_k

DENSITIES = (0.3, 0.1, 0.03, 0.01, 0.003, 0.001)  # from stop-word-like to rare


def make_query(rng: np.random.Generator, docs: int, terms: int) -> list[WandTerm]:
    chosen = rng.choice(DENSITIES, size=terms, replace=False)
    query = []
    for density in chosen:
        ids = np.flatnonzero(rng.random(docs) < density).astype(np.int32)
        query.append(WandTerm(ids, term_score(100, len(ids), docs)))
    return query


def exhaustive_or(terms: list[WandTerm], docs: int, k: int) -> tuple[np.ndarray, int]:
    mask = np.zeros(docs, dtype=bool)
    for term in terms:
        mask[term.doc_ids] = True
    candidates = np.flatnonzero(mask).astype(np.int32)
    scores = score_documents(terms, candidates)
    return np.sort(candidates[top_k_rows(scores, candidates, k)]), len(candidates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--terms", type=int, default=4)
    parser.add_argument("--target-hits", type=int, default=100)
    args = parser.parse_args()
    rng = np.random.default_rng(5)
    wand_ms, or_ms, wand_scored, or_scored = [], [], [], []
    for _ in range(args.queries):
        terms = make_query(rng, args.docs, args.terms)
        started = time.perf_counter()
        result = wand_top_k(terms, args.target_hits)
        wand_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        reference, matched = exhaustive_or(terms, args.docs, args.target_hits)
        or_ms.append((time.perf_counter() - started) * 1000)
        if result.local_ids.tolist() != reference.tolist():
            raise SystemExit("weakAnd and the exhaustive OR disagree on the top k")
        wand_scored.append(result.scored)
        or_scored.append(matched)
    print(f"{args.docs:,} documents, {args.queries} queries of {args.terms} terms, top {args.target_hits}")
    print(f"weakAnd: median {statistics.median(wand_ms):.1f} ms, scored median {statistics.median(wand_scored):,.0f} docs")
    print(f"OR:      median {statistics.median(or_ms):.1f} ms, scored median {statistics.median(or_scored):,.0f} docs")
    print("same top k on every query")


if __name__ == "__main__":
    main()
