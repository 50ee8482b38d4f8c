"""colbert-embedder and splade-embedder on a running cluster (tests/apps/embedders): documents
fed through /document/v1 are embedded in the container (colbert: a bit-packed vector per token of
bge-small; splade: a sparse tensor from a small ONNX graph), queries embed into qt{} / t{}, and the
content nodes rank with max_sim over unpack_bits and a sparse dot product."""
from __future__ import annotations

import math
import shutil

import httpx
import pytest
from tokenizers import Tokenizer

from deploy.local_cluster import LocalCluster
from deploy.models import ensure_models
from tests.container.test_token_embedders import splade_model
from tests.integration.conftest import DEFAULT_APP, REPO

APP = REPO / "tests" / "apps" / "embedders"
PASSAGES = {"statins": "Statins lower LDL cholesterol in the blood.",
            "rover": "A rover landed in Jezero crater on Mars.",
            "bread": "Sourdough bread uses wild yeast, hello baker."}


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    models = ensure_models(DEFAULT_APP)
    app = tmp_path_factory.mktemp("embedders-app")
    shutil.copytree(APP, app, dirs_exist_ok=True)
    (app / "models").symlink_to(models, target_is_directory=True)
    vocabulary = Tokenizer.from_file(str(models / "bge-small-en" / "tokenizer.json")).get_vocab_size()
    (app / "splade").mkdir()
    splade_model(app / "splade" / "model.onnx", vocabulary)
    with LocalCluster(app, tmp_path_factory.mktemp("embedders-data"), nodes=1) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=120.0) as client:
            for name, text in PASSAGES.items():
                response = client.post(f"/document/v1/test/passage/docid/{name}", json={"fields": {"text": text}})
                assert response.status_code == 200, response.text
            yield client


def search(http, **params):
    response = http.get("/search/", params={"yql": "select * from passage where true", "timeout": "60s", **params})
    assert response.status_code == 200, response.text
    return response.json()["root"]["children"]


def test_colbert_max_sim_over_bit_packed_document_tokens(http):
    hits = search(http, ranking="max_sim", **{"input.query(qt)": 'embed(colbert, "drugs that lower cholesterol")'})
    assert [h["id"].rsplit(":", 1)[1] for h in hits][0] == "statins"
    assert hits[0]["relevance"] > hits[1]["relevance"] > 0


def test_splade_sparse_dot_product_with_token_labels(http):
    hits = search(http, ranking="sparse", **{"input.query(q)": 'embed(splade, "hello")'})
    assert hits[0]["id"].endswith(":bread")
    hello = Tokenizer.from_file(str(DEFAULT_APP / "models" / "bge-small-en" / "tokenizer.json")).token_to_id("hello")
    # both sides weigh "hello" log1p(id/1000), and [CLS]/[SEP] log1p(0.101)/log1p(0.102), in every text
    special = math.log1p(0.101) ** 2 + math.log1p(0.102) ** 2
    assert hits[0]["relevance"] == pytest.approx(math.log1p(hello / 1000) ** 2 + special, rel=1e-5)
    assert hits[1]["relevance"] == pytest.approx(special, rel=1e-5)
    cells = hits[0]["fields"]["splade"]
    cells = cells.get("cells", cells) if isinstance(cells, dict) else cells
    if isinstance(cells, list):
        cells = {c["address"]["t"]: c["value"] for c in cells}
    assert cells["hello"] == pytest.approx(math.log1p(hello / 1000), rel=1e-5) and "yeast" in cells
