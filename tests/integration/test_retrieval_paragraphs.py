"""Multi-vector indexing end to end (cross-encoders.md): paragraphs embedded and tokenized in the
container into p{}-mapped tensors, HNSW over every paragraph vector, closest(embedding) naming the
best paragraph, and its tokens fed to the cross-encoder in the global phase."""
from __future__ import annotations

import shutil

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from deploy.models import ensure_models
from tests.integration.conftest import DEFAULT_APP, REPO

APP = REPO / "tests" / "apps" / "paragraphs"
ARTICLES = {
    "heart": ["Cardiology is a branch of medicine.", "Statins lower LDL cholesterol in the blood.",
              "The heart has four chambers."],
    "space": ["Mars is the fourth planet from the sun.", "A rover landed in Jezero crater.",
              "Its atmosphere is mostly carbon dioxide."],
    "bread": ["Sourdough uses wild yeast.", "Flour, water and salt are all it needs.",
              "Long fermentation gives it a sour taste."],
}


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    ensure_models(DEFAULT_APP)
    app = tmp_path_factory.mktemp("paragraphs-app")
    shutil.copytree(APP, app, dirs_exist_ok=True)
    (app / "models").symlink_to(DEFAULT_APP / "models", target_is_directory=True)
    with LocalCluster(app, tmp_path_factory.mktemp("paragraphs-data"), nodes=2) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=120.0) as client:
            for name, paragraphs in ARTICLES.items():
                response = client.post(f"/document/v1/test/article/docid/{name}",
                                       json={"fields": {"title": name, "paragraphs": paragraphs}})
                assert response.status_code == 200, response.text
            yield client


def test_closest_paragraph_goes_into_the_cross_encoder(http):
    params = {
        "yql": "select * from article where {targetHits:10}nearestNeighbor(embedding, q)",
        "query": "which drugs reduce cholesterol", "ranking": "max-paragraph-into-cross-encoder",
        "input.query(q)": "embed(bge, @query)", "input.query(tokens)": "embed(tokenizer, @query)",
        "timeout": "60s",
    }
    response = http.get("/search/", params=params)
    assert response.status_code == 200, response.text
    root = response.json()["root"]
    hits = root["children"]
    assert [h["id"].rsplit(":", 1)[1] for h in hits][0] == "heart"
    assert root["fields"]["totalCount"] == 3
    features = hits[0]["fields"]["matchfeatures"]
    closest = features["closest(embedding)"]
    cells = closest["cells"] if isinstance(closest, dict) else closest
    if isinstance(cells, list):
        cells = {c["address"]["p"]: c["value"] for c in cells}
    assert cells == {"1": 1.0}  # the statin paragraph
    # the global phase replaced closeness with the cross-encoder's logit on the best paragraph
    assert hits[0]["relevance"] != pytest.approx(features["closeness(field,embedding)"])
    assert hits[0]["relevance"] > hits[1]["relevance"]
