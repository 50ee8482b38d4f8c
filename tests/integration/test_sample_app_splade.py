"""The splade sample app's model use on a running cluster (tests/apps/sample_splade): the
splade-embedder's url= model resolves through the local model store, where a small SPLADE-shaped
ONNX graph is recorded with `phasedsearch models add` (token t weighs log1p(t/1000), so every
expected weight is worked out here). The README's queries run as documented: `query=` alone (no
yql), `input.query(q)=embed(splade,@query)`, `presentation.format.tensors=short-value`."""
from __future__ import annotations

import math
import shutil

import httpx
import pytest
from tokenizers import Tokenizer

from deploy.app_check import validate_package
from deploy.local_cluster import LocalCluster
from deploy.models import ensure_models
from tests.container.test_token_embedders import splade_model
from tests.integration import sample_models as M
from tests.integration.conftest import DEFAULT_APP, REPO

APP = REPO / "tests" / "apps" / "sample_splade"
SPLADE = "https://huggingface.co/Qdrant/Splade_PP_en_v1/"
DOCS = {"1": {"title": "A document about boats", "chunk": "To transport goods on water, use a boat"},
        "2": {"title": "A document about speaking", "chunk": "Human interaction is often done by talking"},
        "3": {"title": "A document about stars", "chunk": "The galaxy is filled with stars"}}


@pytest.fixture(scope="module")
def tokenizer():
    tokens = Tokenizer.from_file(str(ensure_models(DEFAULT_APP) / "cross-encoder" / "tokenizer.json"))
    tokens.no_padding()
    return tokens


@pytest.fixture(scope="module")
def http(tmp_path_factory, tokenizer):
    app = tmp_path_factory.mktemp("sample-splade-app")
    shutil.copytree(APP, app, dirs_exist_ok=True)
    model = splade_model(tmp_path_factory.mktemp("standin") / "model.onnx", tokenizer.get_vocab_size())
    store = tmp_path_factory.mktemp("model-store")
    M.record(store, {SPLADE + "resolve/main/model.onnx": model,
                     SPLADE + "raw/main/tokenizer.json": ensure_models(DEFAULT_APP) / "cross-encoder" / "tokenizer.json"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PHASEDSEARCH_MODEL_STORE", str(store))
        assert validate_package(app) == []
        with LocalCluster(app, tmp_path_factory.mktemp("sample-splade-data"), nodes=1) as cluster, \
                httpx.Client(base_url=cluster.url, timeout=60.0) as client:
            for user_id, fields in DOCS.items():
                response = client.post(f"/document/v1/doc/doc/docid/{user_id}", json={"fields": fields})
                assert response.status_code == 200, response.text
            yield client


def weights(tokenizer, text: str) -> dict[str, float]:
    """The stand-in's expansion: each token of the text, log1p(id/1000), kept above the app's
    term-score-threshold 0.8, rounded to bfloat16 as the fields and query(q) hold it."""
    import numpy as np

    from searchlib.tensor.tensor import quantize

    encoding = tokenizer.encode(text)
    scores = {token: math.log1p(i / 1000) for i, token in zip(encoding.ids, encoding.tokens)}
    return {t: float(quantize(np.array(w), "bfloat16")) for t, w in scores.items() if w > 0.8}


def query(http, text: str) -> list[dict]:
    response = http.get("/search/", params={"query": text, "input.query(q)": "embed(splade,@query)",
                                            "presentation.format.tensors": "short-value", "timeout": "20s"})
    assert response.status_code == 200, response.text
    return response.json()["root"]["children"]


@pytest.mark.parametrize("text, top", [("stars", "3"), ("boats", "1")])
def test_readme_queries_rank_by_the_sparse_dot_product(http, tokenizer, text, top):
    hits = query(http, text)
    assert hits[0]["id"] == f"id:doc:doc::{top}"  # the README's assertion
    features = hits[0]["fields"]["matchfeatures"]
    q = weights(tokenizer, text)
    assert features["query(q)"] == pytest.approx(q)  # short-value: a mapped tensor is a label -> value object
    title, chunk = weights(tokenizer, DOCS[top]["title"]), weights(tokenizer, DOCS[top]["chunk"])
    assert features["title_token_scores"] == pytest.approx({t: q[t] * title[t] for t in q.keys() & title.keys()})
    assert features["chunk_token_scores"] == pytest.approx({t: q[t] * chunk[t] for t in q.keys() & chunk.keys()})
    expected = sum(features["title_token_scores"].values()) + sum(features["chunk_token_scores"].values())
    assert hits[0]["relevance"] == pytest.approx(expected, rel=1e-6) and expected > 0
    assert hits[0]["fields"]["splade_title_embedding"] == pytest.approx(title)


def test_query_without_yql_searches_every_source_with_the_simple_query_language(http):
    hits = query(http, "humans talk a lot")
    assert "id:doc:doc::2" in [hit["id"] for hit in hits]  # the README's assertion
    assert all(hit["fields"]["sddocname"] == "doc" for hit in hits)


def test_brute_force_over_all_documents_with_the_only_embedder(http, tokenizer):
    response = http.get("/search/", params={"yql": "select * from doc where true", "timeout": "20s",
                                            "input.query(q)": "embed(night sky of stars)",
                                            "presentation.format.tensors": "short-value"})
    assert response.status_code == 200, response.text
    hits = response.json()["root"]["children"]
    assert len(hits) == 3 and hits[0]["id"] == "id:doc:doc::3" and hits[0]["relevance"] > 0
    assert hits[1]["relevance"] == hits[2]["relevance"] == 0.0
