"""Dense and hybrid retrieval on real data: scifact through a running 2-node cluster on the default
application package, documents fed through /document/v1/ with bge-small-en vectors embedded here,
queries embedded by the container with input.query(q)=embed(bge, @query).

(a) `semantic` ({targetHits:100}nearestNeighbor over HNSW) reaches nDCG@10 within 0.01 of exact
    brute-force search over the same document vectors, with the query vectors computed here by
    the same embedder (one text per call, as the container does);
(b) `hybrid` (userQuery() or nearestNeighbor, BM25 and closeness fused with normalize_linear sums
    in the global phase) beats both BM25 alone (`bm25`) and dense alone (`semantic`, and exact).

Cost and the choices behind it (measured 2026-12-05 on the shared 2-core machine, load 2-20 from
other work; throughput with benchmarks/embedder_throughput.py):
- Embedding is the cost. bge-small-en int8 through the container's batched path (texts sorted by
  token count, one ONNX call per 32, onnxruntime on 2 intra-op threads): 42 CPU-ms per document at
  128 tokens, 120-135 at 256, 150-225 at 512 (mean 327 tokens uncut; the spread is other work's
  load); the whole corpus (5,183 documents) took 224 CPU-s at 128 tokens (422 s wall under load,
  about 2 min on 2 idle cores), 107 CPU-s at 64, and would take 10-20 min at 512. Batches save
  some CPU (one text per call: 53 CPU-ms at 128, 176 at 512; within the noise at 256), but the
  work is tokens x model, so the lever is the truncation.
- Truncation: documents (title + text) are cut at 128 tokens (98% of them are longer). Exact
  bge-small nDCG@10 over all 300 queries on the whole corpus: 0.674 at 128 tokens, 0.588 at 64
  (0.706 uncut, the issue's reference). At 128 dense is on par with BM25 (0.668 in the cluster),
  which a fusion claim needs; at 64 it is not. The claims are relative: the cluster against brute
  force over the same vectors, hybrid against its parts with the same vectors.
- Corpus: even at 128 tokens the whole corpus is about 2 min of embedding on idle cores, most of the
  budget, so the cluster gets a subset: every document judged for the chosen queries plus a
  fixed-seed sample of 1,500 others (1,695 documents, ~75 CPU-s of embedding). With fewer
  distractors every method scores higher than on the whole corpus.
- Queries: 200 of the 300 (fixed seed); queries are cheap next to embedding. In the whole-corpus
  300-query cluster run, hybrid beats both parts on 91.6% of random 100-query subsets (5th
  percentile of its margin -0.004) but on 99.9% of 200-query subsets (5th percentile +0.012).
- Numbers (nDCG@10). This test (seed 1): bm25 0.774, semantic 0.775 = exact 0.775, hybrid 0.802;
  the same setup with query and corpus seeds 2 and 3: hybrid ahead of its best part by 0.032 and
  0.028, semantic equal to exact. Whole corpus, all 300 queries, 128 tokens, through the cluster:
  bm25 0.668, semantic 0.674 (exact 0.674), hybrid 0.701.
- Run time: 210 s at load ~10 (embed 156, cluster start 3, feed 13, queries 34); the test process
  used 130 CPU-s, so about 1.5 min on 2 idle cores.
"""
from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass

import numpy as np

from container.embedding.embedder import HuggingFaceEmbedder
from container.embedding.registry import get_embedder
from deploy.beir_eval import DOCUMENT_ID_PREFIX, load_dataset, run_queries_async, sanitize_query_text
from deploy.feed_format import parse_operation
from deploy.feeder import feed
from deploy.local_cluster import LocalCluster
from searchlib.evaluation import mean_metrics
from searchlib.schema.application import load_application
from searchlib.tensor import TensorType
from tests.integration.conftest import DEFAULT_APP, shared_data_dir

SCIFACT = shared_data_dir() / "scifact"
VECTOR = TensorType.parse("tensor<float>(x[384])")
MAX_TOKENS = 128  # documents (title + text) cut here; queries are far shorter than the default 512
QUERIES, QUERY_SEED = 200, 1  # a fixed-seed sample of the 300 judged test queries
DISTRACTORS, CORPUS_SEED = 1500, 1  # every document judged for those queries + this many others
BATCH = 32
NN = "{targetHits:100}nearestNeighbor(embedding, q)"
EMBED_QUERY = {"input.query(q)": "embed(bge, @query)"}
PROFILES = {
    "bm25": {},
    "semantic": {"yql": f"select * from doc where {NN}", **EMBED_QUERY},
    "hybrid": {"yql": f"select * from doc where userQuery() or ({NN})", **EMBED_QUERY},
}


@dataclass
class Corpus:
    ids: list[str]
    titles: list[str]
    texts: list[str]


def choose_queries(queries: dict[str, str], count: int, seed: int) -> dict[str, str]:
    chosen = set(random.Random(seed).sample(sorted(queries), count))
    return {query_id: text for query_id, text in queries.items() if query_id in chosen}


def load_corpus(path, keep: set[str] | None, distractors: int | None, seed: int) -> Corpus:
    """The documents in `keep` plus a fixed-seed sample of `distractors` others (all when None)."""
    with open(path, encoding="utf-8") as stream:
        items = [json.loads(line) for line in stream if line.strip()]
    if distractors is not None:
        others = sorted(str(item["_id"]) for item in items if str(item["_id"]) not in keep)
        chosen = keep | set(random.Random(seed).sample(others, min(distractors, len(others))))
        items = [item for item in items if str(item["_id"]) in chosen]
    return Corpus([str(item["_id"]) for item in items], [item.get("title") or "" for item in items],
                  [item.get("text") or "" for item in items])


def document_embedder(max_tokens: int) -> HuggingFaceEmbedder:
    """The package's bge component, documents cut at `max_tokens`, onnxruntime on 2 threads."""
    component = load_application(DEFAULT_APP).components["bge"]
    config = {**component.config, "max-tokens": str(max_tokens), "onnx-intraop-threads": "2"}
    return HuggingFaceEmbedder("bge", config, lambda reference: str(DEFAULT_APP / reference))


def embed_corpus(corpus: Corpus, max_tokens: int) -> np.ndarray:
    texts = [f"{title} {text}" for title, text in zip(corpus.titles, corpus.texts)]
    return document_embedder(max_tokens).embed_many(texts, VECTOR, batch_size=BATCH).astype(np.float32)


def feed_corpus(url: str, corpus: Corpus, vectors: np.ndarray):
    operations = (parse_operation({"put": DOCUMENT_ID_PREFIX + doc_id,
                                   "fields": {"title": title, "text": text,
                                              "embedding": {"values": vector.tolist()}}}, line)
                  for line, (doc_id, title, text, vector)
                  in enumerate(zip(corpus.ids, corpus.titles, corpus.texts, vectors), start=1))
    return feed(operations, url, show_progress=False)


def exact_run(query_vectors: dict[str, np.ndarray], corpus: Corpus, vectors: np.ndarray,
              k: int = 100) -> dict[str, list[str]]:
    """Brute force: inner product of normalized vectors (prenormalized-angular), ties by id."""
    run = {}
    ids = np.array(corpus.ids)
    for query_id, query in query_vectors.items():
        scores = vectors.astype(np.float64) @ query
        order = np.lexsort((ids, -scores))[:k]
        run[query_id] = list(ids[order])
    return run


def embed_queries(queries: dict[str, str]) -> dict[str, np.ndarray]:
    """As the container does for @query: the package's bge component, one text per call."""
    embedder = get_embedder(load_application(DEFAULT_APP), "bge")
    return {query_id: embedder.embed_many([sanitize_query_text(text)], VECTOR, "query")[0]
            for query_id, text in queries.items()}


def cluster_runs(url: str, queries: dict[str, str], profiles=PROFILES) -> dict[str, dict[str, list[str]]]:
    runs = {}
    for profile, parameters in profiles.items():
        outcome = asyncio.run(run_queries_async(url, queries, profile, concurrency=4, timeout="30s",
                                                extra_parameters=parameters))
        assert not outcome.failures, dict(list(outcome.failures.items())[:3])
        assert not outcome.degraded
        runs[profile] = outcome.run
    return runs


def test_semantic_matches_exact_search_and_hybrid_beats_its_parts(tmp_path_factory):
    seconds = {}
    started = time.perf_counter()
    dataset = load_dataset(SCIFACT)
    queries = choose_queries(dict(dataset.queries), QUERIES, QUERY_SEED)
    qrels = {query_id: dataset.qrels[query_id] for query_id in queries}
    judged = {doc_id for judgements in qrels.values() for doc_id in judgements}
    corpus = load_corpus(dataset.corpus_path, judged, DISTRACTORS, CORPUS_SEED)
    assert judged <= set(corpus.ids)
    vectors = embed_corpus(corpus, MAX_TOKENS)
    exact = exact_run(embed_queries(queries), corpus, vectors)
    seconds["embed"] = time.perf_counter() - started

    with LocalCluster(DEFAULT_APP, tmp_path_factory.mktemp("dense-scifact"), nodes=2) as cluster:
        seconds["start"] = time.perf_counter() - started - sum(seconds.values())
        stats = feed_corpus(cluster.url, corpus, vectors)
        assert stats.ok == len(corpus.ids) and not stats.failures
        seconds["feed"] = time.perf_counter() - started - sum(seconds.values())
        runs = cluster_runs(cluster.url, queries)
        seconds["query"] = time.perf_counter() - started - sum(seconds.values())

    ndcg = {name: mean_metrics(run, qrels)["ndcg@10"] for name, run in {**runs, "exact": exact}.items()}
    print(f"scifact, {len(queries)} queries, {len(corpus.ids)} documents cut at {MAX_TOKENS} tokens: "
          + ", ".join(f"{name} {value:.4f}" for name, value in ndcg.items())
          + "; seconds " + ", ".join(f"{name} {value:.0f}" for name, value in seconds.items()))
    assert abs(ndcg["semantic"] - ndcg["exact"]) <= 0.01
    assert ndcg["hybrid"] > max(ndcg["bm25"], ndcg["semantic"], ndcg["exact"])
