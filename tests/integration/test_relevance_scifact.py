"""Relevance on real data: scifact fed through the HTTP API into a 2-node cluster, BM25 over title
and text, all 300 test queries through /search/ (bm25s reaches 0.676–0.687; BEIR reports 0.665)."""
from __future__ import annotations

import asyncio

import pytest

from deploy.beir_eval import evaluate_run, iter_corpus_operations, load_dataset, run_queries_async
from deploy.feeder import feed
from tests.integration.conftest import shared_data_dir

SCIFACT = shared_data_dir() / "scifact"


@pytest.fixture(scope="module")
def scifact():
    return load_dataset(SCIFACT)


def test_bm25_on_scifact_reaches_the_published_baseline(cluster, http, scifact):
    stats = feed(iter_corpus_operations(scifact), cluster.url, show_progress=False)
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
