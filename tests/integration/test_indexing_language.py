"""The indexing language on a running cluster (tests/apps/indexing): documents fed through
/document/v1, their synthetic fields computed in the container (sentences, fixed-length pieces,
one bge embedding per sentence, split + for_each tags, join, to_epoch_second, hash, substring) and
document-field converters (normalize), then read back through queries: what Vespa's indexing
reference defines for each. The embedder's model is given by url= and model-id=, resolved through
a model store the fixture fills (`phasedsearch models add`), never downloaded."""
from __future__ import annotations

import shutil

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from deploy.models import ensure_models
from searchlib import model_store
from searchlib.indexing.siphash import siphash24
from tests.integration.conftest import DEFAULT_APP, REPO

APP = REPO / "tests" / "apps" / "indexing"
PAGES = {
    "heart": {"title": "Crème Brûlée", "text": "The heart has four chambers. Statins lower LDL cholesterol.",
              "tagline": " medicine , cardiology,health ", "published": "2023-12-24T17:00:43.431Z"},
    "space": {"title": "Mars", "text": "Mars is the fourth planet. A rover landed in Jezero crater.",
              "tagline": "space", "published": "1970-01-02T00:00:00+00:00"},
}


ITEMS = {  # tests/apps/indexing/schemas/item.sd: codecs, zcurve, select_input, guard, ngram, exact
    "one": {"name": "Widget", "alt": "Gadget", "body": "hello world", "sku": "AB-12 X", "code": 256,
            "spot": {"lat": 0.000001, "lng": 0.000002}, "url_text": "https://www.example.com/a/b"},
    "two": {"name": "Sprocket", "body": "yellow", "sku": "AB-12", "code": -1},
}
MODEL_URL = "https://huggingface.co/BAAI/bge-small-en-v1.5/resolve/main/onnx/model_quantized.onnx"


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    models = ensure_models(DEFAULT_APP)
    app = tmp_path_factory.mktemp("indexing-app")
    shutil.copytree(APP, app, dirs_exist_ok=True)
    store = tmp_path_factory.mktemp("model-store")
    model_store.add(MODEL_URL, [models / "bge-small-en" / "model.onnx"], store=store)
    model_store.add("bge-small-en-v1.5-tokenizer", [models / "bge-small-en" / "tokenizer.json"], store=store)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(model_store.STORE_ENV, str(store))  # the cluster's processes resolve through it
        with LocalCluster(app, tmp_path_factory.mktemp("indexing-data"), nodes=1) as cluster:
            with httpx.Client(base_url=cluster.url, timeout=120.0) as client:
                for name, fields in PAGES.items():
                    response = client.post(f"/document/v1/test/page/docid/{name}", json={"fields": fields})
                    assert response.status_code == 200, response.text
                for name, fields in ITEMS.items():
                    response = client.post(f"/document/v1/test/item/docid/{name}", json={"fields": fields})
                    assert response.status_code == 200, response.text
                yield client


def query(http, yql, **params):
    response = http.get("/search/", params={"yql": yql, "timeout": "60s", **params})
    assert response.status_code == 200, response.text
    return response.json()["root"]


def test_synthetic_fields_hold_what_the_scripts_compute(http):
    hits = query(http, 'select * from page where sentences contains "statins"')["children"]
    assert [h["id"].rsplit(":", 1)[1] for h in hits] == ["heart"]
    fields = hits[0]["fields"]
    assert fields["tags"] == ["medicine", "cardiology", "health"]  # split ",", each trimmed
    assert fields["tag_line"] == "medicine / cardiology / health"  # the same, joined by " / "
    assert fields["sentences"] == ["The heart has four chambers.", " Statins lower LDL cholesterol."]
    # fixed-length 20: soft max 21, hard max 22; "four cha" has no break before 22 characters, " lower "
    # breaks at 21 (one non-letter past the soft max)
    assert fields["pieces"] == ["The heart has four cha", "mbers. Statins lower ", "LDL cholesterol."]
    assert fields["published_at"] == 1703437243  # the reference's example instant, fraction dropped
    assert fields["title"] == "Creme Brulee"  # normalize drops accents from the document field
    assert fields["short_title"] == "Crème"  # substring 0 5 of the title as fed (`input` reads the input)
    assert fields["title_hash"] == int.from_bytes(siphash24("Crème Brûlée".encode()).to_bytes(8, "big"), "big",
                                                  signed=True)


def test_attributes_and_indexes_of_computed_fields_are_searchable(http):
    hits = query(http, "select * from page where published_at < 100000")["children"]
    assert [h["id"].rsplit(":", 1)[1] for h in hits] == ["space"]
    hits = query(http, 'select * from page where sentences contains "jezero"')["children"]
    assert [h["id"].rsplit(":", 1)[1] for h in hits] == ["space"]
    # one string: its words in the order joined, "/" no word
    hits = query(http, 'select * from page where tag_line contains phrase("cardiology", "health")')["children"]
    assert [h["id"].rsplit(":", 1)[1] for h in hits] == ["heart"]
    assert query(http, 'select * from page where tag_line contains phrase("health", "cardiology")')[
        "fields"]["totalCount"] == 0
    hits = query(http, 'select * from page where tag_line contains "space"')["children"]
    assert [h["id"].rsplit(":", 1)[1] for h in hits] == ["space"]
    assert hits[0]["fields"]["tag_line"] == "space"  # one element: joined, no delimiter


def test_one_embedding_per_sentence_in_a_mapped_dimension(http):
    root = query(http, "select * from page where {targetHits:10}nearestNeighbor(sentence_embeddings, q)",
                 **{"ranking": "closest_sentence", "input.query(q)": "embed(bge, \"drugs that reduce cholesterol\")"})
    hits = root["children"]
    assert hits[0]["id"].endswith(":heart")
    closest = hits[0]["fields"]["matchfeatures"]["closest(sentence_embeddings)"]
    cells = closest["cells"] if isinstance(closest, dict) else closest
    if isinstance(cells, list):
        cells = {c["address"]["p"]: c["value"] for c in cells}
    assert cells == {"1": 1.0}  # the statin sentence, label 1


def test_get_returns_the_document_fields_as_their_scripts_left_them(http):
    response = http.get("/document/v1/test/page/docid/heart")
    assert response.status_code == 200, response.text
    fields = response.json()["fields"]
    assert fields["title"] == "Creme Brulee" and fields["tagline"] == PAGES["heart"]["tagline"]
    assert "tags" not in fields and "sentences" not in fields  # synthetic fields are not document fields


def test_a_value_the_scripts_cannot_process_is_a_400_and_writes_nothing(http):
    response = http.post("/document/v1/test/page/docid/bad", json={"fields": {"title": "x", "published": "soon"}})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["pathId"] == "/document/v1/test/page/docid/bad" and "ISO-8601" in body["message"]
    assert http.get("/document/v1/test/page/docid/bad").status_code == 404


def item_hits(http, where):
    hits = query(http, f"select * from item where {where}").get("children", [])
    return {h["id"].rsplit(":", 1)[1]: h["fields"] for h in hits}


def test_codecs_zcurve_and_select_input_write_what_vespa_computes(http):
    items = item_hits(http, "code > -5")
    one, two = items["one"], items["two"]
    assert (one["code_b64"], two["code_b64"]) == ("AAEAAAAAAAA=", "//////////8=")  # 8 bytes, low first
    assert (one["code_hex"], two["code_hex"]) == ("100", "ffffffffffffffff")  # Long.toHexString
    assert (one["code_b64_back"], one["code_hex_back"], two["code_b64_back"], two["code_hex_back"]) == (256, 256, -1, -1)
    assert one["spot_z"] == 6  # x = 2 (lng) on even bits, y = 1 (lat) on odd bits
    assert "spot_z" not in two  # no position, no value
    assert (one["display"], two["display"]) == ("Gadget", "Sprocket")  # the first present of alt, name
    assert item_hits(http, 'code_hex contains "ffffffffffffffff"').keys() == {"two"}
    assert one["link"] == "https://www.example.com/a/b"  # to_uri: a uri field, with its component indexes
    assert item_hits(http, 'link.hostname contains uri("example.com")').keys() == {"one"}
    assert (one["body_terms"], two["body_terms"]) == ("hello[hello] world[world]", "yellow[yellow]")


def test_ngram_and_exact_in_a_script_match_as_gram_and_exact(http):
    assert item_hits(http, 'grams contains "ell"').keys() == {"one", "two"}  # hello, yellow
    assert item_hits(http, 'grams contains "wor"').keys() == {"one"}
    assert item_hits(http, 'grams contains "llow"').keys() == {"two"}  # the query is split into grams too
    assert item_hits(http, 'sku_exact contains "ab-12 x"').keys() == {"one"}  # one term, case folded
    assert item_hits(http, 'sku_exact contains "AB-12"').keys() == {"two"}
    assert item_hits(http, 'sku_exact contains "x"') == {}


def test_guard_on_partial_updates(http):  # last: it changes document one
    before = item_hits(http, 'name contains "widget"')["one"]
    assert before["both"] == "Widget hello world" and before["stamp"] > 1_700_000_000
    path = "/document/v1/test/item/docid/one"
    response = http.put(path, json={"fields": {"name": {"assign": "Gizmo"}}})
    assert response.status_code == 200, response.text
    after = item_hits(http, 'name contains "gizmo"')["one"]
    assert after["both"] == "Widget hello world"  # its inputs are not all in the update: kept
    assert after["stamp"] == before["stamp"]  # the guarded `now` reads no input: not run on updates
    response = http.put(path, json={"fields": {"name": {"assign": "Gizmo"}, "body": {"assign": "new body"}}})
    assert response.status_code == 200, response.text
    after = item_hits(http, 'name contains "gizmo"')["one"]
    assert after["both"] == "Gizmo new body" and after["stamp"] == before["stamp"]
