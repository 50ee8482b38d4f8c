"""Retrieval operators through a real 2-node cluster (tests/apps/retrieval, vectors fed directly):
nearestNeighbor (approximate, exact, filtered, multi-vector, innerproduct), weakAnd, hybrid OR, updates and
removes, and a restart that restores the saved HNSW graphs instead of rebuilding them."""
from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

from content_node.store.vector_metrics import distances
from deploy.local_cluster import LocalCluster
from tests.integration.conftest import REPO

APP = REPO / "tests" / "apps" / "retrieval"
N = 400
DIM = 16
WORDS = ["alpha", "beta", "gamma", "delta", "common"]

rng = np.random.default_rng(2026)
CENTERS = rng.normal(size=(8, DIM)) * 2
EMBEDDINGS = (CENTERS[rng.integers(0, 8, N)] + rng.normal(size=(N, DIM))).astype(np.float32)
PARAGRAPHS = rng.normal(size=(N, 3, 4)).astype(np.float32)
IP_DOCS = 24  # the first documents also have `ipvec` (innerproduct), with norms growing in feed order
IPVECS = rng.normal(size=(IP_DOCS, 4))
IPVECS = (IPVECS / np.linalg.norm(IPVECS, axis=1, keepdims=True) * np.geomspace(1, 50, IP_DOCS)[:, None]
          ).astype(np.float32)
TEXTS = [" ".join(w for w in WORDS if rng.random() < (0.9 if w == "common" else 0.2)) or "nothing"
         for _ in range(N)]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("retrieval"), nodes=2) as running:
        yield running


@pytest.fixture(scope="module")
def http(cluster):
    with httpx.Client(base_url=cluster.url, timeout=60.0) as client:
        for i in range(N):
            fields = {"text": TEXTS[i], "year": i % 20, "embedding": {"values": EMBEDDINGS[i].tolist()},
                      "paragraphs": {"blocks": {f"p{j}": PARAGRAPHS[i, j].tolist() for j in range(3)}}}
            if i < IP_DOCS:
                fields["ipvec"] = {"values": IPVECS[i].tolist()}
            response = client.post(f"/document/v1/test/passage/docid/{i}", json={"fields": fields})
            assert response.status_code == 200, response.text
        yield client


def vector_text(vector: np.ndarray) -> str:
    return json.dumps([float(x) for x in vector])


def search(http, yql: str, **params) -> dict:
    response = http.get("/search/", params={"yql": yql, **params})
    assert response.status_code == 200, response.text
    return response.json()["root"]


def numbers(root: dict) -> list[int]:
    return [int(hit["id"].rsplit(":", 1)[1]) for hit in root.get("children", [])]


def brute_force(query: np.ndarray, k: int, metric: str = "angular", allowed=None) -> list[int]:
    d = distances(metric, EMBEDDINGS, query)
    if allowed is not None:
        d = np.where(allowed, d, np.inf)
    return np.argsort(d, kind="stable")[:k].tolist()


QUERY = (CENTERS[3] + rng.normal(size=DIM)).astype(np.float32)
NN = "select * from passage where {targetHits:10}nearestNeighbor(embedding, q)"


def test_nearest_neighbor_ranks_like_brute_force(http):
    root = search(http, NN, ranking="semantic", hits=10, **{"input.query(q)": vector_text(QUERY)})
    found = numbers(root)
    assert len(found) == 10
    assert len(set(found) & set(brute_force(QUERY, 10))) >= 9
    assert root["fields"]["totalCount"] <= 20  # targetHits is per node
    first = root["children"][0]["fields"]["matchfeatures"]
    expected = distances("angular", EMBEDDINGS[found[:1]], QUERY)[0]
    assert first["distance(field,embedding)"] == pytest.approx(expected, rel=1e-5)
    assert root["children"][0]["relevance"] == pytest.approx(1 / (1 + expected), rel=1e-5)


def test_exact_search_equals_brute_force(http):
    yql = "select * from passage where {targetHits:10, approximate:false}nearestNeighbor(embedding, q)"
    root = search(http, yql, ranking="semantic", hits=10, **{"input.query(q)": vector_text(QUERY)})
    assert numbers(root) == brute_force(QUERY, 10)


def test_explore_additional_hits_and_distance_threshold(http):
    d = np.sort(distances("angular", EMBEDDINGS, QUERY))
    threshold = float(d[3] + d[4]) / 2  # exactly 4 documents are closer
    yql = ("select * from passage where {targetHits:10, hnsw.exploreAdditionalHits:200, "
           f"distanceThreshold:{threshold!r}}}nearestNeighbor(embedding, q)")
    root = search(http, yql, ranking="semantic", hits=10, **{"input.query(q)": vector_text(QUERY)})
    assert numbers(root) == brute_force(QUERY, 4)


def test_filtered_nearest_neighbor_returns_only_and_enough_filtered_documents(http):
    yql = ("select * from passage where year < 4 and "
           "{targetHits:10, label:\"nns\"}nearestNeighbor(embedding, q)")
    root = search(http, yql, ranking="semantic", hits=20, **{"input.query(q)": vector_text(QUERY)})
    found = numbers(root)
    assert len(found) == 20 and all(n % 20 < 4 for n in found)  # 10 per node (~40 pass on each)
    allowed = np.arange(N) % 20 < 4
    assert len(set(brute_force(QUERY, 10, allowed=allowed)) & set(found)) >= 9
    assert root["children"][0]["fields"]["matchfeatures"]["closeness(label,nns)"] > 0
    strict = "select * from passage where year = 7 and {targetHits:50}nearestNeighbor(embedding, q)"
    everything = search(http, strict, ranking="semantic", hits=50, **{"input.query(q)": vector_text(QUERY)})
    assert sorted(numbers(everything)) == [n for n in range(N) if n % 20 == 7]


def test_weak_and_exposes_at_most_target_hits_per_node(http):
    yql = 'select * from passage where {targetHits:5}weakAnd(text contains "alpha", text contains "common")'
    weak = search(http, yql, ranking="bm25", hits=10)
    full = search(http, 'select * from passage where text contains "alpha" or text contains "common"',
                  ranking="bm25", hits=10)
    assert full["fields"]["totalCount"] > 100
    assert 5 <= weak["fields"]["totalCount"] <= 10
    # the internal score is Σ weight·idf: documents holding the rare word beat those with only "common"
    assert all("alpha" in TEXTS[n].split() for n in numbers(weak))
    user = search(http, "select * from passage where userQuery()", query="alpha common",
                  ranking="bm25", hits=5)
    assert user["fields"]["totalCount"] <= 200  # type=weakAnd by default, targetHits 100 per node


def test_hybrid_query_unions_text_and_vector_matches(http):
    target = next(i for i in range(N) if "alpha" not in TEXTS[i])
    yql = "select * from passage where userQuery() or ({targetHits:10}nearestNeighbor(embedding, q))"
    root = search(http, yql, query="alpha", ranking="hybrid", hits=400,
                  **{"input.query(q)": vector_text(EMBEDDINGS[target])})
    found = numbers(root)
    text_only = {i for i in range(N) if "alpha" in TEXTS[i].split()}
    assert text_only <= set(found)
    assert target in found  # matched only by nearestNeighbor
    features = {numbers({"children": [h]})[0]: h["fields"]["matchfeatures"] for h in root["children"]}
    assert features[target]["closeness(field,embedding)"] == pytest.approx(1.0, abs=1e-5)
    assert features[target]["bm25(text)"] == 0.0
    some_text_hit = next(iter(text_only - {target}))
    assert features[some_text_hit]["bm25(text)"] > 0
    assert 0 < features[some_text_hit]["closeness(field,embedding)"] < 1.0  # real closeness, not 0


def test_multi_vector_closest_paragraph(http):
    doc, paragraph = 123, 2
    query = PARAGRAPHS[doc, paragraph]
    yql = "select * from passage where {targetHits:5}nearestNeighbor(paragraphs, p)"
    root = search(http, yql, ranking="paragraphs", hits=5, **{"input.query(p)": vector_text(query)})
    assert numbers(root)[0] == doc
    closest = root["children"][0]["fields"]["matchfeatures"]["closest(paragraphs)"]
    assert closest in ({"type": "tensor<float>(p{})", "cells": {"p2": 1.0}}, {"cells": {"p2": 1.0}},
                       {"type": "tensor<float>(p{})", "cells": [{"address": {"p": "p2"}, "value": 1.0}]})


def test_innerproduct_hnsw_finds_the_largest_dot_products(http):
    """The graph places every vector under one M: vectors fed before a larger one must not look
    closer than they are (they did: the top 2 of 24 were missed)."""
    yql = "select * from passage where {targetHits:2}nearestNeighbor(ipvec, qi)"
    for query in np.random.default_rng(7).normal(size=(12, 4)).astype(np.float32):
        root = search(http, yql, ranking="inner", hits=2, **{"input.query(qi)": vector_text(query)})
        dots = IPVECS.astype(np.float64) @ query
        assert numbers(root) == np.argsort(-dots, kind="stable")[:2].tolist()
        assert root["fields"]["totalCount"] <= 4  # targetHits per node: no fallback to a full scan
        np.testing.assert_allclose([hit["relevance"] for hit in root["children"]],
                                   np.sort(dots)[::-1][:2], rtol=1e-5)


def test_updates_and_removes_are_reflected_and_survive_a_restart(cluster, http):
    probe = (CENTERS[5] * 3).astype(np.float32)
    params = {"ranking": "semantic", "hits": 10, "input.query(q)": vector_text(probe)}
    response = http.put("/document/v1/test/passage/docid/77",
                        json={"fields": {"embedding": {"assign": {"values": probe.tolist()}}}})
    assert response.status_code == 200, response.text
    http.delete("/document/v1/test/passage/docid/78").raise_for_status()
    before = search(http, NN, **params)
    assert numbers(before)[0] == 77 and 78 not in numbers(before)

    for key in (0, 1):
        cluster.restart_node(key)
    for key in (0, 1):
        log = cluster.log_path(f"content-node-{key}").read_text()
        # the first start had no snapshot; the restart loads the graph saved at shutdown
        assert "vector indexes of passage restored" in log and "rebuilt" not in log
    after = search(http, NN, **params)
    assert numbers(after) == numbers(before)
    assert [h["relevance"] for h in after["children"]] == [h["relevance"] for h in before["children"]]
    total = search(http, "select * from passage where true", hits=0)["fields"]["totalCount"]
    assert total == N - 1
    exact = "select * from passage where {targetHits:10, approximate:false}nearestNeighbor(embedding, q)"
    recall = len(set(numbers(after)) & set(numbers(search(http, exact, **params)))) / 10
    assert recall >= 0.9
