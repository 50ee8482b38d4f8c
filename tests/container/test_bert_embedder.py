"""bert-embedder (custom-embeddings declares two): WordPiece over vocab.txt (lowercased, `##` pieces,
[UNK]), the configured start/end sequence tokens around the text, Vespa's default output `output_0`
mean-pooled over the tokens, on a lookup graph whose token vectors are (id, 1): every embedding
below is worked out by hand from the token ids."""
from __future__ import annotations

import shutil

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.container.in_process import APPS, in_process_cluster

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "oslo", "is", "the", "capital", "pasta", "boil", "##ed"]


def lookup_model(path) -> None:
    table = np.stack([np.arange(len(VOCAB)), np.ones(len(VOCAB))], axis=1).astype(np.float32)  # id -> (id, 1)
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["output_0"], axis=0)], "lookup",
        [helper.make_tensor_value_info(name, TensorProto.INT64, ["b", "s"])
         for name in ("input_ids", "attention_mask", "token_type_ids")],
        [helper.make_tensor_value_info("output_0", TensorProto.FLOAT, ["b", "s", 2])],
        [numpy_helper.from_array(table, "table")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), str(path))


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    app = tmp_path_factory.mktemp("bert") / "app"
    shutil.copytree(APPS / "bert_embedder", app)
    (app / "models").mkdir()
    lookup_model(app / "models" / "model.onnx")
    (app / "models" / "vocab.txt").write_text("\n".join(VOCAB) + "\n")
    with in_process_cluster(app, tmp_path_factory.mktemp("bert_data"), nodes=1) as cluster:
        cluster.feed("doc", {"1": {"text": "Oslo is the CAPITAL"}, "2": {"text": "Boiled pasta, zebra"}})
        yield cluster


def embedding(docs, word: str) -> list[float]:
    hit = docs.search(yql=f'select * from doc where text contains "{word}"')["children"][0]
    return hit["fields"]["embedding"]["values"]  # a synthetic summary field, from the attribute


def test_document_embeddings_pool_the_wordpiece_ids(docs) -> None:
    # [CLS]=2 oslo=4 is=5 the=6 capital=7 [SEP]=3 -> mean id 27/6 = 4.5
    assert embedding(docs, "oslo") == [4.5, 1.0]
    # [CLS] boil=9 ##ed=10 pasta=8 ","=[UNK]=1 zebra=[UNK]=1 [SEP] -> (2+9+10+8+1+1+3)/7 = 34/7
    assert embedding(docs, "pasta") == pytest.approx([34 / 7, 1.0])


def test_the_query_embedding_ranks(docs) -> None:
    root = docs.search(yql="select * from doc where true", ranking="dot", **{"input.query(q)": "embed(frozen, @text)",
                                                                           "text": "pasta"})
    # query: [CLS] pasta [SEP] -> (2+8+3)/3 = 13/3; score = 13/3 * doc x + 1
    assert [(hit["id"][-1], hit["relevance"]) for hit in root["children"]] == [
        ("1", pytest.approx(13 / 3 * 4.5 + 1)), ("2", pytest.approx(13 / 3 * 34 / 7 + 1))][::-1]


def test_get_returns_the_document_fields_only(docs) -> None:
    response = docs.http.get("/document/v1/test/doc/docid/1")
    assert response.status_code == 200 and response.json()["fields"] == {"text": "Oslo is the CAPITAL"}
