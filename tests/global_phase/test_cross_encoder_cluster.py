"""Scifact fed through the HTTP API into a 2-node cluster on the default package, once for both
parts (CI time: one cluster start and one 5,183-document feed instead of two):
- BM25 over title and text, all 300 test queries through /search/ (bm25s reaches 0.676–0.687;
  BEIR reports 0.665);
- the cross-encoder global phase: the scores equal a direct onnxruntime scoring of the same
  (query, document) pairs (same tokenizer, token functions, length and batching), the order
  follows them, and relevance is reported against BM25."""
from __future__ import annotations

import asyncio
import itertools
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest

from deploy.beir_eval import (EVAL_YQL, evaluate_run, hit_corpus_id, iter_corpus_operations, load_dataset,
                              run_queries_async, sanitize_query_text)
from deploy.feeder import feed
from deploy.local_cluster import LocalCluster
from deploy.models import ensure_models
from searchlib.evaluation import mean_metrics
from tests.integration.conftest import shared_data_dir

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "schemas"
SCIFACT = shared_data_dir() / "scifact"
RELEVANCE_QUERIES = 30
FIDELITY_QUERIES = 3
RERANK = 10  # CI time: ~1 s per query for 10 pairs at length 256 on one CPU thread (the profile says 25)


@pytest.fixture(scope="module")
def scifact():
    return load_dataset(SCIFACT)


@pytest.fixture(scope="module")
def fed(tmp_path_factory, scifact):
    """The running cluster and the stats of feeding it the whole corpus."""
    ensure_models(APP)
    with LocalCluster(APP, tmp_path_factory.mktemp("scifact"), nodes=2) as running:
        yield running, feed(iter_corpus_operations(scifact), running.url, show_progress=False)


@pytest.fixture(scope="module")
def cluster(fed):
    running, stats = fed
    assert stats.ok == 5183 and not stats.failures
    return running


@pytest.fixture(scope="module")
def http(cluster):
    with httpx.Client(base_url=cluster.url, timeout=120.0) as client:
        yield client


def search(http, text: str, profile: str, hits: int = 10, **extra) -> dict:
    params = {"yql": EVAL_YQL, "query": sanitize_query_text(text), "type": "any", "ranking": profile,
              "hits": str(hits), "timeout": "60s", **extra}
    if profile.startswith("bert-ranker"):
        params["input.query(q_tokens)"] = "embed(tokenizer, @query)"
    response = http.get("/search/", params=params)
    assert response.status_code == 200, response.text
    return response.json()


class DirectScorer:
    """onnxruntime on the pairs, built independently of the engine's code."""

    def __init__(self, scifact, model: str = "model.onnx") -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(APP / "models/cross-encoder/tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.session = ort.InferenceSession(str(APP / "models/cross-encoder" / model),
                                            providers=["CPUExecutionProvider"])
        self.texts = {}
        with open(scifact.corpus_path, encoding="utf-8") as stream:
            for line in stream:
                item = json.loads(line)
                self.texts[str(item["_id"])] = f"{item.get('title') or ''} {item.get('text') or ''}"

    def ids(self, text: str, size: int) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False).ids[:size]

    def scores(self, query: str, doc_ids: list[str], length: int = 256, batch: int = 32) -> np.ndarray:
        """Batches trimmed to their longest row; batch 1 is one call per hit at the fixed length."""
        q = self.ids(query, 32)
        rows = []
        for doc in doc_ids:
            d = self.ids(self.texts[doc], 512)
            rows.append((([101] + q + [102] + d + [102])[:length], ([0] * (len(q) + 2) + [1] * (len(d) + 1))[:length]))
        out = []
        for start in range(0, len(rows), batch):
            chunk = rows[start:start + batch]
            width = length if batch == 1 else max(len(s) for s, _ in chunk)
            ids = np.array([s + [0] * (width - len(s)) for s, _ in chunk], dtype=np.int64)
            types = np.array([t + [0] * (width - len(t)) for _, t in chunk], dtype=np.int64)
            out.append(self.session.run(None, {"input_ids": ids, "attention_mask": (ids != 0).astype(np.int64),
                                               "token_type_ids": types})[0].reshape(-1))
        return np.concatenate(out)


def test_bm25_on_scifact_reaches_the_published_baseline(fed, http, scifact):
    cluster, stats = fed
    assert stats.ok == 5183 and not stats.failures
    nodes = http.get("/state/v1/nodes").json()["nodes"]
    assert sum(n["documents"] for n in nodes) == 5183

    outcome = asyncio.run(run_queries_async(cluster.url, scifact.queries, "bm25", concurrency=8))
    assert not outcome.failures
    metrics = evaluate_run(scifact, outcome)
    print(f"scifact bm25: {metrics}")
    assert metrics["queries"] == 300
    assert metrics["ndcg@10"] >= 0.66
    assert metrics["recall@100"] >= 0.85


def test_global_phase_scores_equal_direct_onnxruntime_scoring(http, scifact):
    scorer = DirectScorer(scifact)
    for query in itertools.islice(scifact.queries.values(), FIDELITY_QUERIES):
        # the first-phase order of the 25 hits the global phase reranks (bm25 has the same first phase)
        first = [hit_corpus_id(h) for h in search(http, query, "bm25", RERANK)["root"].get("children", [])]
        reranked = search(http, query, "bert-ranker", RERANK, **{"trace.level": "1",
                                                                 "ranking.globalPhase.rerankCount": str(RERANK)})
        hits = reranked["root"]["children"]
        assert sorted(hit_corpus_id(h) for h in hits) == sorted(first)
        trace = json.dumps(reranked.get("trace", {}))
        # bert-ranker sets no batch-size: per hit on the CPU provider, batches of 32 on CUDA
        batch = int(re.search(r"batch size (\d+)", trace).group(1))
        assert batch == (32 if "CUDAExecutionProvider" in trace else 1)
        expected = dict(zip(first, scorer.scores(sanitize_query_text(query), first, batch=batch)))
        for h in hits:
            assert h["relevance"] == pytest.approx(float(expected[hit_corpus_id(h)]), abs=1e-3)
            assert "matchfeatures" not in h.get("fields", {})  # attribute(tokens) is a hidden match-feature
        relevances = [h["relevance"] for h in hits]
        assert relevances == sorted(relevances, reverse=True)
        assert "CPUExecutionProvider" in trace and "global-phase" in trace


def test_exact_profile_scores_each_hit_alone_at_fixed_length(http, scifact):
    scorer = DirectScorer(scifact)
    query = next(iter(scifact.queries.values()))
    hits = search(http, query, "bert-ranker-exact", 5, **{"ranking.globalPhase.rerankCount": "5"})["root"]["children"]
    ids = [hit_corpus_id(h) for h in hits]
    # batch 1 is not trimmed: fixed length 256, like Vespa's one evaluation per hit
    fixed = []
    for doc in ids:
        q, d = scorer.ids(sanitize_query_text(query), 32), scorer.ids(scorer.texts[doc], 512)
        seq = ([101] + q + [102] + d + [102])[:256]
        types = ([0] * (len(q) + 2) + [1] * (len(d) + 1))[:256]
        pad = 256 - len(seq)
        arr = np.array([seq + [0] * pad], dtype=np.int64)
        fixed.append(float(scorer.session.run(None, {"input_ids": arr, "attention_mask": (arr != 0).astype(np.int64),
                                                     "token_type_ids": np.array([types + [0] * pad])})[0][0, 0]))
    assert [h["relevance"] for h in hits] == pytest.approx(fixed, abs=1e-3)


def test_float_activation_profile_batches_equal_per_hit_scoring(http, scifact):
    scorer = DirectScorer(scifact, "model-fp32act.onnx")
    query = next(iter(scifact.queries.values()))
    result = search(http, query, "bert-ranker-fp32act", 5, **{"ranking.globalPhase.rerankCount": "5",
                                                              "trace.level": "1"})
    assert "batch size 32" in json.dumps(result.get("trace", {}))
    hits = result["root"]["children"]
    ids = [hit_corpus_id(h) for h in hits]
    per_hit = scorer.scores(sanitize_query_text(query), ids, batch=1)  # fixed length 256, one call each
    assert [h["relevance"] for h in hits] == pytest.approx(per_hit.tolist(), abs=1e-3)


def test_sorting_with_global_phase_is_rejected(http, scifact):
    response = http.get("/search/", params={"yql": EVAL_YQL, "query": "cancer", "ranking": "bert-ranker",
                                            "input.query(q_tokens)": "embed(tokenizer, @query)",  # declared: given
                                            "sorting": "-path"})
    assert response.status_code == 400
    error = response.json()["root"]["errors"][0]
    assert error["code"] == 3 and error["message"] == "Sorting is not supported with global phase"


def test_metrics_count_onnx_rows(http, scifact):
    def rows() -> int:
        return http.get("/state/v1/metrics").json()["metrics"]["values"].get("onnx.rows.CPUExecutionProvider", 0)

    before = rows()
    search(http, "cancer", "bert-ranker", 3, **{"ranking.globalPhase.rerankCount": "3"})
    assert rows() == before + 3


def test_relevance_bm25_vs_cross_encoder_on_a_query_subset(http, scifact):
    queries = dict(itertools.islice(scifact.queries.items(), RELEVANCE_QUERIES))
    runs = {}
    for profile in ("bm25", "bert-ranker"):
        def ranked(text: str, profile=profile) -> list[str]:
            result = search(http, text, profile, 10, **{"ranking.globalPhase.rerankCount": str(RERANK)})
            return [hit_corpus_id(h) for h in result["root"].get("children", [])]

        # two in flight: the container reranks each on one onnxruntime thread, so both cores work
        with ThreadPoolExecutor(max_workers=2) as pool:
            runs[profile] = dict(zip(queries, pool.map(ranked, queries.values())))
    qrels = {qid: scifact.qrels[qid] for qid in queries}
    bm25 = mean_metrics(runs["bm25"], qrels)["ndcg@10"]
    cross = mean_metrics(runs["bert-ranker"], qrels)["ndcg@10"]
    print(f"scifact first {RELEVANCE_QUERIES} queries nDCG@10: bm25 {bm25:.3f}, bm25 top-{RERANK} + cross-encoder "
          f"{cross:.3f}")
    assert bm25 > 0.5 and cross > 0.5
    assert cross > bm25 - 0.1  # this MS MARCO model barely moves BM25 on scientific claims
    assert runs["bm25"] != runs["bert-ranker"]  # the global phase reordered something
