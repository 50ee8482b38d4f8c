"""weakAnd (vectorized MaxScore, content_node/matching/weak_and.py) against an exhaustive OR over a
synthetic corpus: posting lists of Zipf-like density, top-100 by the internal weight x idf score.
Reports per-query time, the documents each approach scored, and that both find the same top k,
for several query lengths and targetHits; writes its section of BENCHMARKS.md.

    python -m benchmarks.weak_and [--docs 1000000] [--queries 20] [--terms 2,4,6] [--target-hits 10,100,1000]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

from benchmarks.report import Section, write_section
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


def measure(docs: int, queries: int, terms: int, k: int, seed: int) -> dict:
    """Median/p90 time and documents scored, weakAnd and OR, over the same generated queries."""
    rng = np.random.default_rng(seed)
    wand_ms, or_ms, wand_scored, or_scored = [], [], [], []
    for _ in range(queries):
        query = make_query(rng, docs, terms)
        started = time.perf_counter()
        result = wand_top_k(query, k)
        wand_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        reference, matched = exhaustive_or(query, docs, k)
        or_ms.append((time.perf_counter() - started) * 1000)
        if result.local_ids.tolist() != reference.tolist():
            raise SystemExit(f"weakAnd and the exhaustive OR disagree on the top {k}")
        wand_scored.append(result.scored)
        or_scored.append(matched)
    return {"terms": terms, "k": k,
            "wand_ms": statistics.median(wand_ms), "wand_p90": float(np.percentile(wand_ms, 90)),
            "or_ms": statistics.median(or_ms), "or_p90": float(np.percentile(or_ms, 90)),
            "wand_scored": statistics.median(wand_scored), "or_scored": statistics.median(or_scored)}


def section(rows: list[dict], args) -> str:
    lines = [
        f"`python -m benchmarks.weak_and --docs {args.docs} --queries {args.queries} --terms {args.terms} "
        f"--target-hits {args.target_hits}` on {platform.machine()}, {os.cpu_count()} cores, "
        f"{time.strftime('%Y-%m-%d')}.",
        "",
        f"{args.docs:,} synthetic documents; each query draws its terms' posting lists at distinct "
        f"densities from {', '.join(f'{d:g}' for d in DENSITIES)} of the documents (stop-word-like to "
        "rare), term weight 100, idf as in bm25. weakAnd: the engine's matcher kernel "
        "(`content_node/matching/weak_and.py`, vectorized MaxScore). Exhaustive OR: the union of all "
        "postings, every matched document scored, top k taken. Both return the same top k on every "
        "query (checked; the run stops otherwise). Times are medians (p90) per query, one thread.",
        "",
        "| terms | targetHits | weakAnd | docs scored | exhaustive OR | docs scored | speed-up |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(f"| {row['terms']} | {row['k']} | {row['wand_ms']:.1f} ms ({row['wand_p90']:.1f}) | "
                     f"{row['wand_scored']:,.0f} | {row['or_ms']:.1f} ms ({row['or_p90']:.1f}) | "
                     f"{row['or_scored']:,.0f} | {row['or_ms'] / row['wand_ms']:.1f}× |")
    return "\n".join(lines)


def title(docs: int) -> str:
    return f"weakAnd vs exhaustive OR over {docs:,} documents (issue 5)"


def run(quick: bool) -> Section:
    """For `python -m benchmarks all`: 20k documents and 3 queries a row quick, the defaults otherwise."""
    args = argparse.Namespace(docs=20_000 if quick else 1_000_000, queries=3 if quick else 20,
                              terms="2,4,6", target_hits="10,100,1000")
    rows = [measure(args.docs, args.queries, terms, k, seed=5) for terms in (2, 4, 6) for k in (10, 100, 1000)]
    return Section(title(args.docs), section(rows, args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--terms", default="2,4,6", help="query lengths, one table row each")
    parser.add_argument("--target-hits", default="10,100,1000", help="targetHits values, one row each")
    parser.add_argument("--no-report", action="store_true", help="print, do not write BENCHMARKS.md")
    args = parser.parse_args()
    rows = []
    for terms in (int(t) for t in args.terms.split(",")):
        for k in (int(k) for k in args.target_hits.split(",")):
            rows.append(measure(args.docs, args.queries, terms, k, seed=5))
            print(rows[-1], flush=True)
    body = section(rows, args)
    print(body)
    if not args.no_report:
        write_section(title(args.docs), body)


if __name__ == "__main__":
    main()
