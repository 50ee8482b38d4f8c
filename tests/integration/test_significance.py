"""A significance model on a running cluster (tests/apps/significance: one content node, the model
models/significance.json named by services.xml's <significance>). The corpus and the model
disagree on which word is rare:

  corpus: alpha in 3 of 4 documents, beta in 1        model: alpha in 1 of 1000, beta in 900

With `significance { use-model: true }` (profile `model`) the word rare in the model ranks higher,
although it is common in the corpus; profile `local` ranks by the node's own frequencies.
"""
from __future__ import annotations

import math
from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster

APP = Path(__file__).resolve().parents[1] / "apps" / "significance"
DOCS = {"d1": "alpha", "d2": "beta", "d3": "alpha gamma", "d4": "alpha delta"}
EITHER = 'select * from doc where text contains "alpha" or text contains "beta"'


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("significance"), nodes=1) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
            for key, text in DOCS.items():
                response = client.post(f"/document/v1/test/doc/docid/{key}", json={"fields": {"text": text}})
                assert response.status_code == 200, response.text
            yield client


def search(http: httpx.Client, **parameters) -> list[dict]:
    response = http.get("/search/", params={"yql": EITHER, "hits": 10, **parameters})
    assert response.status_code == 200, response.text
    return response.json()["root"]["children"]


def test_a_word_rare_in_the_model_but_common_in_the_corpus_ranks_higher(http) -> None:
    local = search(http, ranking="local")
    model = search(http, ranking="model")
    assert local[0]["id"] == "id:test:doc::d2"  # beta: 1 of 4 documents here
    assert model[-1]["id"] == "id:test:doc::d2"  # beta: 900 of 1000 in the model
    by_id = {hit["id"]: hit["fields"]["matchfeatures"] for hit in model}
    alpha, beta = by_id["id:test:doc::d1"], by_id["id:test:doc::d2"]
    assert alpha["term(0).significance"] > beta["term(1).significance"]
    assert alpha["term(0).significance"] == pytest.approx(0.5 + 0.5 * math.log(1 / 1000) / math.log(1e-6))
    local_alpha = next(h for h in local if h["id"] == "id:test:doc::d1")["fields"]["matchfeatures"]
    assert local_alpha["term(0).significance"] < local_alpha["term(1).significance"]


def test_an_explicit_language_without_a_model_is_a_400(http) -> None:
    response = http.get("/search/", params={"yql": EITHER, "ranking": "model", "language": "de"})
    assert response.status_code == 400, response.text
    assert "No significance model available for set language GERMAN" in response.text
