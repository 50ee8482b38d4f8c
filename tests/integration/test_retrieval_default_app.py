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
    "owls": ("Owls hunt at night", ""),  # a title and no text
    "birds": ("Birds", "Owls hunt at night in forests and fields across the northern hemisphere all year."),
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
    # normalize_linear of each over the candidates: the best hit holds the top 1.0 of both
    assert root["children"][0]["relevance"] == pytest.approx(2.0, rel=1e-6)
    assert all(0.0 <= hit["relevance"] < 2.0 for hit in root["children"][1:])


def test_hybrid_ce_profile_adds_the_cross_encoder_to_the_fusion(http):
    yql = "select * from doc where userQuery() or ({targetHits:3}nearestNeighbor(embedding, q))"
    root = _search(http, yql=yql, query="hormone for sleeping", ranking="hybrid-ce",
                   **{"input.query(q)": "embed(bge, @query)",
                      "input.query(q_tokens)": "embed(tokenizer, @query)"})
    names = _names(root)
    assert names[0] == "sleep"
    # normalize_linear of each of the three over the candidates: the best in all three holds 1.0 of each
    assert root["children"][0]["relevance"] == pytest.approx(3.0, rel=1e-6)
    assert all(0.0 <= hit["relevance"] < 3.0 for hit in root["children"][1:])


def test_query_profiles_set_yql_ranking_and_inputs(http):
    root = _search(http, queryProfile="hybrid", query="hormone for sleeping")
    assert _names(root)[0] == "sleep" and root["children"][0]["relevance"] == pytest.approx(2.0, rel=1e-6)
    root = _search(http, queryProfile="semantic", query="which drug protects against cardiac infarction")
    assert _names(root)[0] == "heart"
    assert "closeness(field,embedding)" in root["children"][0]["fields"]["matchfeatures"]
    root = _search(http, queryProfile="hybrid-ce", query="hormone for sleeping")  # inherits both inputs
    assert _names(root)[0] == "sleep" and root["children"][0]["relevance"] == pytest.approx(3.0, rel=1e-6)
    # title and text apart (the profile's model.defaultIndex), so both bm25s score, title counted twice
    root = _search(http, queryProfile="bm25-title-boost", query="owls")
    assert _names(root) == ["owls", "birds"]
    owls, birds = (hit["fields"]["matchfeatures"] for hit in root["children"])
    assert owls["bm25(title)"] > 0 and owls["bm25(text)"] == 0  # "owls" in its title only
    assert birds["bm25(title)"] == 0 and birds["bm25(text)"] > 0  # in its text only
    for hit, features in zip(root["children"], (owls, birds)):
        assert hit["relevance"] == pytest.approx(features["weighted_bm25"])
        assert features["weighted_bm25"] == pytest.approx(2 * features["bm25(title)"] + features["bm25(text)"])
    # the bm25 profile's userQuery() searches title_text alone: title and text are not matched
    root = _search(http, queryProfile="bm25", query="melatonin", **{"ranking.profile": "bm25-title-boost"})
    assert _names(root) == ["sleep"] and root["children"][0]["relevance"] == 0


def test_title_only_documents_rank_by_one_bm25_over_title_and_text(http):
    root = _search(http, queryProfile="bm25", query="owls hunt night")
    assert _names(root) == ["owls", "birds"]  # the same words, in a shorter document
    features = root["children"][0]["fields"]["matchfeatures"]
    assert root["children"][0]["relevance"] == pytest.approx(features["bm25(title_text)"])


def test_unknown_query_profile_is_a_400(http):
    response = http.get("/search/", params={"queryProfile": "nope", "query": "owls"})
    assert response.status_code == 400
    assert "query profile 'nope'" in response.json()["root"]["errors"][0]["message"]


def test_a_nearest_neighbor_without_its_query_tensor_is_a_400_naming_it(http):
    response = http.get("/search/", params={
        "yql": "select * from doc where {targetHits:5}nearestNeighbor(embedding, q)", "ranking": "bm25"})
    assert response.status_code == 400, response.text
    error = response.json()["root"]["errors"][0]
    assert error["code"] == 4 and "query(q)" in error["message"]


def error_of(response) -> str:
    assert response.status_code == 400, response.text
    error = response.json()["root"]["errors"][0]
    assert error["code"] == 4
    return error["message"]


def test_a_vector_profile_without_its_query_input_is_a_400_naming_it(http):
    """Issue 22's trap: a text query on `semantic` would rank every hit 0 by the empty query(q)
    (Vespa's default value); bert-ranker would rerank with an empty query. Both are a 400 naming the
    input and the profile (searchlib/query_inputs.py); the opt-out restores Vespa's values."""
    text = {"yql": "select * from doc where userQuery()", "query": "owls", "timeout": "60s"}
    for profile, feature in (("semantic", "query(q)"), ("bert-ranker", "query(q_tokens)"), ("hybrid-ce", "query(q_tokens)")):
        message = error_of(http.get("/search/", params={**text, "ranking": profile}))
        assert f"'{feature}'" in message and f"'{profile}'" in message
        assert message.endswith("ranking.properties.phasedsearch.missingInputs=default")  # whole over HTTP
    assert "closeness(field,embedding)" in http.get("/search/", params={**text, "ranking": "semantic"}).text
    # with the vector given and no nearestNeighbor the closeness is 0 all the same: still a 400
    given = http.get("/search/", params={**text, "ranking": "semantic", "input.query(q)": "embed(bge, @query)"})
    assert "add nearestNeighbor(embedding, q)" in error_of(given)
    vespa = _search(http, **text, ranking="semantic", **{"ranking.properties.phasedsearch.missingInputs": "default"})
    assert vespa["fields"]["totalCount"] > 0 and {hit["relevance"] for hit in vespa["children"]} == {0.0}
    # the query profiles give their inputs: the same text through them ranks
    for profile in ("semantic", "bert-ranker"):
        assert _search(http, queryProfile=profile, query="owls")["children"][0]["relevance"] != 0


def test_without_syntax_the_embedder_still_sees_the_text_as_typed(http):
    """model.type.syntax=none: '-night' is not a negation for userQuery(), and embed(@query) gets
    the raw text (the same closeness as the same text sent with syntax)."""
    plain = _search(http, queryProfile="bm25", query="owls -night", **{"model.type.syntax": "none"})
    assert _names(plain) == ["owls", "birds"]
    negated = _search(http, queryProfile="bm25", query="owls -night")
    assert _names(negated) == []
    yql = "select * from doc where {targetHits:3}nearestNeighbor(embedding, q)"
    closeness = [_search(http, queryProfile="semantic", yql=yql, query="owls: -night?", **extra)["children"][0]
                 ["fields"]["matchfeatures"]["closeness(field,embedding)"]
                 for extra in ({}, {"model.type.syntax": "none"})]
    assert closeness[0] == closeness[1]
