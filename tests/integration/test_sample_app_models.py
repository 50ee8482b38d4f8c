"""The colbert, colbert-long, msmarco-ranking, binary-closeness and commerce-product-ranking sample
apps' model use on a running cluster (tests/apps/sample_models): every model is a url= reference
resolved through the local model store, where small ONNX graphs shaped like the real models are
recorded with `phasedsearch models add` (no downloads). The package validates, documents are fed
(embedded in the container), and the apps' documented queries answer with the scores worked out
here from the same graphs: max_sim over bit-packed token vectors, per paragraph and across them,
reciprocal-rank fusion with a cross-encoder over tokenInputIds, hamming closeness of pack_bits
embeddings, GBDT first phases and fieldMatch features."""
from __future__ import annotations

import shutil

import httpx
import numpy as np
import pytest
from tokenizers import Tokenizer

from container.embedding.embedder import HuggingFaceEmbedder, pack_bits
from container.embedding.token_embedders import ColBertEmbedder
from deploy.app_check import validate_package
from deploy.local_cluster import LocalCluster
from deploy.models import ensure_models
from searchlib.tensor import TensorType
from tests.integration import sample_models as M
from tests.integration.conftest import DEFAULT_APP, REPO

APP = REPO / "tests" / "apps" / "sample_models"
HF = "https://huggingface.co/"
DOCS = {"1": {"title": "Boats", "chunk": "To transport goods on water, use a boat"},
        "2": {"title": "Speaking", "chunk": "Human interaction is often done by talking"},
        "3": {"title": "Stars", "chunk": "The galaxy is filled with stars"}}
LONG = {"a": ["Radio KP broadcasts the news.", "The frequency of Radio KP is 101.5 MHz."],
        "b": ["Pasta is boiled in salted water.", "Radio waves travel far."],
        "c": ["Cats sleep most of the day."]}
PASSAGES = {"1": "Oslo is the capital of Norway.", "2": "The capital of Sweden is Stockholm, a city on islands.",
            "3": "Pasta is boiled in salted water for ten minutes before it is served with sauce."}
PRODUCTS = {"B08PB9TTKT": {"id": "B08PB9TTKT", "title": "BMW 325i radio OEM navigation system 06",
                           "description": "Factory radio for a 2006 BMW 325i"},
            "B08SHMLP5S": {"id": "B08SHMLP5S", "title": "Car radio for BMW", "description": "Aftermarket stereo"}}
PRODUCT_QUERY = "06 bmw 325i radio oem not navigation system"  # the app's system test


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("standin-models")
    tokenizer = ensure_models(DEFAULT_APP) / "cross-encoder" / "tokenizer.json"  # bert-base-uncased's vocabulary
    return {"tokenizer": tokenizer, "colbert": M.colbert_model(folder / "colbert.onnx"),
            "e5": M.bi_encoder_model(folder / "e5.onnx", 384),
            "gte": M.bi_encoder_model(folder / "gte.onnx", 768, token_type_ids=False, seed=5),
            "title": M.bi_encoder_model(folder / "title.onnx", 384, output="output_0", seed=12)}


@pytest.fixture(scope="module")
def http(tmp_path_factory, models):
    app = tmp_path_factory.mktemp("sample-models-app")
    shutil.copytree(APP, app, dirs_exist_ok=True)
    (app / "models").mkdir()
    M.cross_encoder_model(app / "models" / "ranker.onnx")
    M.xgboost_model(app / "models" / "product_ranker_xgboost.json", "fieldMatch(title).queryCompleteness", 0.5, 0.25, 2.0)
    M.lightgbm_model(app / "models" / "product_ranker_lightgbm.json", "fieldMatch(title).queryCompleteness", 0.5, 0.5, 3.0)
    store = tmp_path_factory.mktemp("model-store")
    tokenizer = models["tokenizer"]
    M.record(store, {
        HF + "intfloat/e5-small-v2/resolve/main/model.onnx": models["e5"],
        HF + "intfloat/e5-small-v2/raw/main/tokenizer.json": tokenizer,
        HF + "colbert-ir/colbertv2.0/resolve/main/model.onnx": models["colbert"],
        HF + "colbert-ir/colbertv2.0/raw/main/tokenizer.json": tokenizer,
        HF + "Alibaba-NLP/gte-modernbert-base/resolve/main/onnx/model.onnx": models["gte"],
        HF + "Alibaba-NLP/gte-modernbert-base/resolve/main/tokenizer.json": tokenizer,
        HF + "bert-base-uncased/raw/main/tokenizer.json": tokenizer,
        "https://data.vespa-cloud.com/sample-apps-data/title_encoder.onnx": models["title"]})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PHASEDSEARCH_MODEL_STORE", str(store))
        assert validate_package(app) == []
        with LocalCluster(app, tmp_path_factory.mktemp("sample-models-data"), nodes=1) as cluster, \
                httpx.Client(base_url=cluster.url, timeout=60.0) as client:
            feeds = [("doc/doc", k, v) for k, v in DOCS.items()] + \
                    [("en/longdoc", k, {"text": v}) for k, v in LONG.items()] + \
                    [("msmarco/passage", k, {"text": v}) for k, v in PASSAGES.items()] + \
                    [("music/music", k, {"text": v}) for k, v in (("1", "Stars fill the night sky."),
                                                                  ("2", "Boats carry goods over water."))] + \
                    [("commerce/product", k, v) for k, v in PRODUCTS.items()]
            for path, user_id, fields in feeds:
                response = client.post(f"/document/v1/{path}/docid/{user_id}", json={"fields": fields})
                assert response.status_code == 200, response.text
            yield client


def search(http, **params) -> list[dict]:
    response = http.get("/search/", params={"timeout": "20s", **params})  # the stand-ins are quick, the CPU shared
    assert response.status_code == 200, response.text
    return response.json()["root"].get("children", [])


def user_id(hit) -> str:
    return hit["id"].rsplit(":", 1)[1]


def colbert(models) -> ColBertEmbedder:
    return ColBertEmbedder("colbert", {"transformer-model": str(models["colbert"]),
                                       "tokenizer-model": str(models["tokenizer"])}, str)


def query_vectors(models, text: str) -> np.ndarray:
    tensor = colbert(models).embed(text, TensorType.parse("tensor<float>(qt{}, x[128])"), "query")
    return np.array([block for _, block in sorted(tensor.blocks.items(), key=lambda item: int(item[0][0]))])


def document_bits(models, text: str) -> np.ndarray:
    """The document's token vectors as the content node sees them: bit-packed, then unpack_bits."""
    tensor = colbert(models).embed(text, TensorType.parse("tensor<int8>(dt{}, x[16])"), "document")
    packed = np.array([block for block in tensor.blocks.values()], dtype=np.int8)
    return np.unpackbits(packed.view(np.uint8), axis=1).astype(np.float64)


def max_sim(query: np.ndarray, bits: np.ndarray) -> float:
    return float((query @ bits.T).max(axis=1).sum())


def test_colbert_documented_queries_rerank_with_max_sim_over_packed_tokens(http, models):
    for text in ("space contains many suns", "shipping stuff over the sea", "exchanging information by sound"):
        hits = search(http, yql="select * from doc where userQuery() or ({targetHits: 100}nearestNeighbor(embedding, q))",
                      query=text, **{"input.query(q)": f'embed(e5, "query: {text}")',
                                     "input.query(qt)": f'embed(colbert, "{text}")'})
        assert "id:doc:doc::1" in [hit["id"] for hit in hits]  # the README's assertion
        query = query_vectors(models, text)
        expected = {k: max_sim(query, document_bits(models, f"{d['title']} {d['chunk']}")) for k, d in DOCS.items()}
        assert [user_id(hit) for hit in hits] == sorted(expected, key=expected.get, reverse=True)
        for hit in hits:
            assert hit["relevance"] == pytest.approx(expected[user_id(hit)], rel=1e-5)
            assert hit["fields"]["matchfeatures"]["max_sim"] == pytest.approx(expected[user_id(hit)], rel=1e-5)
    # cos_sim reads distance(field, embedding): without a nearestNeighbor over it, a 400 (issue 22)
    fused = search(http, yql="select * from doc where true or ({targetHits: 10}nearestNeighbor(embedding, q))",
                   ranking="hybrid",
                   **{"input.query(q)": 'embed(e5, "stars")', "input.query(qt)": 'embed(colbert, "stars")'})
    assert len(fused) == 3 and all(0 < hit["relevance"] <= 3 / 61 for hit in fused)


def test_colbert_long_max_sim_per_paragraph_and_across_paragraphs(http, models):
    text = "What is the frequency of Radio KP?"
    query = query_vectors(models, text)
    per_paragraph = {k: [max_sim(query, document_bits(models, p)) for p in paragraphs] for k, paragraphs in LONG.items()}
    across = {k: float((query @ np.vstack([document_bits(models, p) for p in LONG[k]]).T).max(axis=1).sum())
              for k in LONG}
    assert search(http, yql="select * from longdoc where userQuery()", ranking="bm25", query=text,
                  hits=1)[0]["id"] == "id:en:longdoc::a"
    for profile, expected in (("context-level", {k: max(v) for k, v in per_paragraph.items()}),
                              ("cross-context", across)):
        hits = search(http, yql="select * from longdoc where userQuery()", ranking=profile, query=text,
                      **{"input.query(qt)": f'embed(colbert, "{text}")'})
        scored = {user_id(hit): hit["relevance"] for hit in hits if user_id(hit) in expected}
        assert scored and all(scored[k] == pytest.approx(expected[k], rel=1e-5) for k in scored), profile
    assert across["a"] >= max(per_paragraph["a"])  # across paragraphs picks each query token's best anywhere


def test_msmarco_reciprocal_rank_fusion_with_a_cross_encoder_in_global_phase(http, models):
    text = "what is the capital of norway"
    hits = search(http, yql="select * from passage where {targetHits: 100}nearestNeighbor(e5, q)", ranking="rrf",
                  **{"input.query(q)": f'embed(e5, "{text}")', "input.query(qt)": f'embed(colbert, "{text}")',
                     "input.query(query_token_ids)": f'embed(tokenizer, "{text}")'})
    assert len(hits) == 3
    features = {user_id(hit): hit["fields"]["matchfeatures"] for hit in hits}
    tokens = Tokenizer.from_file(str(models["tokenizer"]))
    tokens.no_padding()  # the file pads to 512, as the cross-encoder's tokenizer.json does
    for key, text_of in PASSAGES.items():  # the stand-in cross-encoder counts the document segment: tokens + [SEP]
        assert features[key]["cross_encoder"] == len(tokens.encode(text_of, add_special_tokens=False).ids) + 1

    def reciprocal_ranks(name):
        order = sorted(features, key=lambda k: features[k][name], reverse=True)
        return {k: 1.0 / (60 + order.index(k) + 1) for k in features}

    fused = [reciprocal_ranks(name) for name in ("e5_cos_sim", "colbert_max_sim", "cross_encoder")]
    for hit in hits:
        assert hit["relevance"] == pytest.approx(sum(ranks[user_id(hit)] for ranks in fused), rel=1e-9)


def test_binary_closeness_of_pack_bits_embeddings(http, models):
    gte = HuggingFaceEmbedder("gte", {"transformer-model": str(models["gte"]), "tokenizer-model": str(models["tokenizer"]),
                                      "pooling-strategy": "cls", "max-tokens": "8192"}, str)
    floats = TensorType.parse("tensor<float>(x[768])")
    query = "stars in the night sky"
    hits = search(http, yql="select * from music where {targetHits: 10}nearestNeighbor(embedding, q)",
                  ranking="semantic", **{"input.query(q)": f'embed(gte, "{query}")'})
    bits = {k: np.unpackbits(pack_bits(gte.embed_many([t], floats))[0].astype(np.int8).view(np.uint8))
            for k, t in (("1", "Stars fill the night sky."), ("2", "Boats carry goods over water."), ("q", query))}
    expected = {k: 1 - np.count_nonzero(bits[k] != bits["q"]) / 768 for k in ("1", "2")}
    assert [user_id(hit) for hit in hits] == sorted(expected, key=expected.get, reverse=True)
    for hit in hits:
        assert hit["relevance"] == pytest.approx(expected[user_id(hit)])
        assert hit["fields"]["summaryfeatures"]["similarity"] == pytest.approx(expected[user_id(hit)])


def test_commerce_system_test_query_gbdt_first_phases_and_features(http, models):
    embedded = {"input.query(query_tokens)": f'embed(tokenizer, "{PRODUCT_QUERY}")',
                "input.query(q_title)": f'embed(title, "{PRODUCT_QUERY}")'}
    hits = search(http, yql="select id from product where userQuery()", query=PRODUCT_QUERY, ranking="bm25")
    assert [hit["fields"]["id"] for hit in hits] == ["B08PB9TTKT", "B08SHMLP5S"]
    assert all("title" not in hit["fields"] for hit in hits)  # the select list
    # queryCompleteness: 7 of the 8 query terms in the first title, 2 in the second
    for profile, leaves in (("gbdt-xgboost", (2.0, 0.25)), ("gbdt-lightgbm", (3.0, 0.5))):
        hits = search(http, yql="select id from product where userQuery()", query=PRODUCT_QUERY, ranking=profile,
                      **embedded)
        assert [(hit["fields"]["id"], hit["relevance"]) for hit in hits] == list(zip(PRODUCTS, leaves)), profile
        first = hits[0]["fields"]["matchfeatures"]
        assert 0 < first["fieldMatch(title).significantOccurrence"] <= 1
        assert first["fieldMatch(title).weightedOccurrence"] == pytest.approx(7 / (7 * 7))  # one occurrence each
    ensemble = search(http, yql="select id from product where userQuery()", query=PRODUCT_QUERY, ranking="ensemble",
                      **embedded)
    assert [hit["relevance"] for hit in ensemble] == [hit["fields"]["matchfeatures"]["cross_encoder()"]
                                                      for hit in ensemble]
    title = HuggingFaceEmbedder("title", {"transformer-model": str(models["title"]), "tokenizer-model":
                                          str(models["tokenizer"]), "transformer-output": "output_0"}, str)
    vectors = {k: title.embed_many([text], TensorType.parse("tensor(d0[384])"), context)[0]
               for k, text, context in [(k, p["title"], "document") for k, p in PRODUCTS.items()]
               + [("q", PRODUCT_QUERY, "query")]}
    q = vectors["q"].astype(np.float32).astype(np.float64)
    expected = {k: 1 / (1 + np.arccos(np.clip(q @ v / (np.linalg.norm(q) * np.linalg.norm(v)), -1, 1)))
                for k, v in vectors.items() if k != "q"}
    semantic = search(http, yql="select id from product where {targetHits: 10}nearestNeighbor(title_embedding, q_title)",
                      ranking="semantic-title", **embedded)
    assert {hit["fields"]["id"]: pytest.approx(hit["relevance"], rel=1e-5) for hit in semantic} == expected
