"""First-phase evaluation over 1,000,000 candidates: the engine (FeatureCalculator + compiled
expression) against the same formula written by hand in numpy, side by side in one run.

    python -m benchmarks.first_phase [--docs 1000000] [--rounds 5]

Both read the same synthetic index (postings for two query terms in two fields, field lengths, two
numeric attributes) and compute
    bm25(title) + 0.5 * bm25(body) + if(attribute(pop) > 10, log(attribute(pop)), 0) * 0.1
        + attribute(quality) * 2
over every document. Reported: best-of-rounds wall time of each, and the ratio (goal: <= 2x).
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import time
from dataclasses import dataclass

import numpy as np

from content_node.matching.core_features import BM25_B, BM25_K1
from content_node.matching.rank_features import FeatureCalculator
from searchlib.expression import compile_expression
from searchlib.query import tree as q
from searchlib.schema.application import application_from_text

from benchmarks.report import write_section

EXPRESSION = ("bm25(title) + 0.5 * bm25(body) + if(attribute(pop) > 10, log(attribute(pop)), 0) * 0.1"
              " + attribute(quality) * 2")
SCHEMA = """schema doc { document doc {
    field title type string { indexing: index }
    field body type string { indexing: index }
    field pop type double { indexing: attribute }
    field quality type double { indexing: attribute }
} }"""
TERMS = ("alpha", "beta")


@dataclass(frozen=True)
class SyntheticPostings:
    doc_ids: np.ndarray
    term_freqs: np.ndarray


class SyntheticIndex:
    def __init__(self, docs: int, seed: int = 7) -> None:
        rng = np.random.default_rng(seed)
        self.doc_count = docs
        self.local_id_limit = docs
        self.alive = np.ones(docs, dtype=bool)
        self.lengths = {"title": rng.integers(3, 20, docs).astype(np.int32),
                        "body": rng.integers(50, 400, docs).astype(np.int32)}
        self.attributes = {"pop": rng.exponential(20.0, docs), "quality": rng.random(docs)}
        self.lists = {}
        for field, share in (("title", 0.05), ("body", 0.3)):
            for term in TERMS:
                ids = np.flatnonzero(rng.random(docs) < share).astype(np.int32)
                self.lists[(field, term)] = SyntheticPostings(ids, rng.integers(1, 6, len(ids)).astype(np.uint16))

    def postings(self, field: str, term: str) -> SyntheticPostings:
        return self.lists[(field, term)]

    def document_frequency(self, field: str, term: str) -> int:
        return len(self.lists[(field, term)].doc_ids)

    def field_lengths(self, field: str) -> np.ndarray:
        return self.lengths[field]

    def average_field_length(self, field: str) -> float:
        return float(self.lengths[field].mean())

    def attribute(self, name: str) -> np.ndarray:
        return self.attributes[name]


def engine(index: SyntheticIndex, schema, compiled, query, candidates: np.ndarray) -> np.ndarray:
    calculator = FeatureCalculator(schema, index, query, {}, 0.0)
    features = {name: calculator.compute(name, candidates) for name in compiled.features}
    return compiled.evaluate(features, len(candidates))


def by_hand(index: SyntheticIndex, candidates: np.ndarray) -> np.ndarray:
    def bm25(field: str) -> np.ndarray:
        lengths = index.lengths[field][candidates].astype(np.float64)
        norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / index.average_field_length(field))
        score = np.zeros(len(candidates))
        for term in TERMS:
            postings = index.lists[(field, term)]
            df = len(postings.doc_ids)
            idf = math.log(1 + (index.doc_count - df + 0.5) / (df + 0.5))
            tf = np.zeros(len(candidates))
            tf[postings.doc_ids] = postings.term_freqs  # candidates are all documents
            score += idf * tf * (BM25_K1 + 1) / (tf + norm)
        return score

    pop = index.attributes["pop"][candidates]
    with np.errstate(divide="ignore"):
        boost = np.where(pop > 10, np.log(pop), 0.0)
    return bm25("title") + 0.5 * bm25("body") + boost * 0.1 + index.attributes["quality"][candidates] * 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print, do not write BENCHMARKS.md")
    args = parser.parse_args()
    schema = application_from_text(SCHEMA, name="doc.sd").schemas["doc"]
    index = SyntheticIndex(args.docs)
    query = q.Or(tuple(q.Term(field, term) for field in ("title", "body") for term in TERMS))
    compiled = compile_expression(EXPRESSION)
    candidates = np.arange(args.docs, dtype=np.int32)
    expected = by_hand(index, candidates)
    got = engine(index, schema, compiled, query, candidates)
    assert np.allclose(got, expected), "the engine and the hand-written formula disagree"
    times = {"engine": [], "numpy": []}
    for _ in range(args.rounds):
        for name, run in (("engine", lambda: engine(index, schema, compiled, query, candidates)),
                          ("numpy", lambda: by_hand(index, candidates))):
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    best = {name: min(values) for name, values in times.items()}
    print(f"first phase over {args.docs:,} candidates: {EXPRESSION}")
    print(f"engine (features + compiled expression): {best['engine'] * 1000:.1f} ms")
    print(f"hand-written numpy:                      {best['numpy'] * 1000:.1f} ms")
    print(f"ratio: {best['engine'] / best['numpy']:.2f}x (goal <= 2x)")
    if not args.no_write:
        write_section(title(args.docs), section(args.docs, args.rounds, best))


def title(docs: int) -> str:
    return f"First-phase evaluation over {docs:,} candidates (issue 3)"


def section(docs: int, rounds: int, best: dict[str, float]) -> str:
    ratio = best["engine"] / best["numpy"]
    return f"""`python -m benchmarks.first_phase --docs {docs} --rounds {rounds}` on {platform.machine()}, \
{os.cpu_count()} shared cores, {time.strftime('%Y-%m-%d')}. One process, a synthetic index of {docs:,} documents (two
query terms in `title` (5% of documents each) and `body` (30% each), field lengths, two numeric attributes).
Expression: `{EXPRESSION}` over every document. Both sides produce the same scores (checked); best of {rounds}.

| | engine (FeatureCalculator + compiled expression) | same formula hand-written in numpy |
| --- | --- | --- |
| time | {best['engine'] * 1000:.0f} ms | {best['numpy'] * 1000:.0f} ms |
| ratio | {ratio:.2f}× (goal ≤ 2×: {'met' if ratio <= 2 else 'not met'}) | 1× |"""


if __name__ == "__main__":
    main()
