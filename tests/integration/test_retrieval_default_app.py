"""The default package's dense and hybrid retrieval: documents fed with bge-small-en vectors (embedded
here in one batch), queries embedded by the container with input.query(q)=embed(bge, @query)."""
from __future__ import annotations

import httpx
import pytest

from container.embedding.registry import get_embedder
from deploy.local_cluster import LocalCluster
from searchlib.schema.application import load_application
from searchlib.tensor import TensorType
from tests.integration.conftest import DEFAULT_APP

DOCS = {
    "heart": ("Cardiology", "Statins lower cholesterol and reduce the risk of heart attacks."),
    "plants": ("Botany", "Photosynthesis turns sunlight, water and carbon dioxide into sugar in leaves."),
    "stars": ("Astronomy", "A supernova is the explosion of a massive star at the end of its life."),
    "code": ("Programming", "A hash map gives constant time lookups of values by key."),
    "rivers": ("Geography", "The Nile flows north through Egypt into the Mediterranean sea."),
    "sleep": ("Medicine", "Melatonin is a hormone that regulates the sleep and wake cycle."),
}


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    embedder = get_embedder(load_application(DEFAULT_APP), "bge")
    texts = [f"{title} {text}" for title, text in DOCS.values()]
    vectors = embedder.embed_many(texts, TensorType.parse("tensor<float>(x[384])"))
    with LocalCluster(DEFAULT_APP, tmp_path_factory.mktemp("dense"), nodes=2) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=60.0) as client:
            for (name, (title, text)), vector in zip(DOCS.items(), vectors):
                fields = {"title": title, "text": text, "embedding": {"values": vector.tolist()}}
                response = client.post(f"/document/v1/test/doc/docid/{name}", json={"fields": fields})
                assert response.status_code == 200, response.text
            yield client


def _search(http, **params) -> dict:
    response = http.get("/search/", params={"timeout": "60s", **params})  # first query loads the model
    assert response.status_code == 200, response.text
    return response.json()["root"]


def _names(root: dict) -> list[str]:
    return [hit["id"].rsplit(":", 1)[1] for hit in root.get("children", [])]


def test_semantic_profile_finds_the_meaning_without_shared_words(http):
    root = _search(http, yql="select * from doc where {targetHits:10}nearestNeighbor(embedding, q)",
                   query="which drug protects against cardiac infarction", ranking="semantic",
                   **{"input.query(q)": "embed(bge, @query)"})
    assert _names(root)[0] == "heart"
    assert root["fields"]["totalCount"] == len(DOCS)
    assert 0.5 < root["children"][0]["fields"]["matchfeatures"]["closeness(field,embedding)"] <= 1.0


def test_hybrid_profile_fuses_bm25_and_dense_matches(http):
    yql = "select * from doc where userQuery() or ({targetHits:2}nearestNeighbor(embedding, q))"
    root = _search(http, yql=yql, query="hormone for sleeping", ranking="hybrid",
                   **{"input.query(q)": "embed(bge, @query)"})
    names = _names(root)
    assert names[0] == "sleep"  # first in both rankings
    # reciprocal rank fusion: the best hit holds 1/61 from each ranking
    assert root["children"][0]["relevance"] == pytest.approx(2 / 61, rel=1e-6)


def test_hybrid_ce_profile_adds_the_cross_encoder_to_the_fusion(http):
    yql = "select * from doc where userQuery() or ({targetHits:3}nearestNeighbor(embedding, q))"
    root = _search(http, yql=yql, query="hormone for sleeping", ranking="hybrid-ce",
                   **{"input.query(q)": "embed(bge, @query)",
                      "input.query(q_tokens)": "embed(tokenizer, @query)"})
    names = _names(root)
    assert names[0] == "sleep"
    # three rankings fused: first in all three gives 3/61
    assert root["children"][0]["relevance"] == pytest.approx(3 / 61, rel=1e-6)
    assert all(hit["relevance"] < 3 / 61 for hit in root["children"][1:])
