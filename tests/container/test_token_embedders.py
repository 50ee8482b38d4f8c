"""hugging-face-embedder options, colbert-embedder and splade-embedder on small ONNX graphs built
here (so every expected value is worked out by hand from the token ids), and colbert on the
bge-small model for the token-level path with max_sim ranking."""
from __future__ import annotations

import math

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer

from container.embedding.embedder import HuggingFaceEmbedder
from container.embedding.registry import get_embedder
from container.embedding.token_embedders import ColBertEmbedder, SpladeEmbedder
from deploy.models import ensure_models
from searchlib.errors import InvalidParameterError
from searchlib.schema.application import application_from_sources
from searchlib.tensor import TensorType
from tests.integration.conftest import DEFAULT_APP

T = TensorType.parse


@pytest.fixture(scope="module")
def tokenizer_file():
    return str(ensure_models(DEFAULT_APP) / "bge-small-en" / "tokenizer.json")


@pytest.fixture(scope="module")
def vocabulary(tokenizer_file):
    return Tokenizer.from_file(tokenizer_file).get_vocab_size()


def ids_of(tokenizer_file, text):
    return Tokenizer.from_file(tokenizer_file).encode(text, add_special_tokens=False).ids


def lookup_model(path, table: np.ndarray, output: str = "out") -> str:
    """out[b, s] = table[input_ids[b, s]]: each token's vector is a row chosen by hand."""
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], [output], axis=0)], "lookup",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "s"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["b", "s"])],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["b", "s", table.shape[1]])],
        [numpy_helper.from_array(table.astype(np.float32), "table")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), str(path))
    return str(path)


def masked_lookup_model(path, table: np.ndarray, output: str = "contextual") -> str:
    """out[b, s] = table[input_ids[b, s]] * attention_mask[b, s]: shows which positions attend."""
    nodes = [helper.make_node("Gather", ["table", "input_ids"], ["rows"], axis=0),
             helper.make_node("Cast", ["attention_mask"], ["mask_float"], to=TensorProto.FLOAT),
             helper.make_node("Unsqueeze", ["mask_float", "last_axis"], ["mask3"]),
             helper.make_node("Mul", ["rows", "mask3"], [output])]
    graph = helper.make_graph(nodes, "masked_lookup",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "s"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["b", "s"])],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["b", "s", table.shape[1]])],
        [numpy_helper.from_array(table.astype(np.float32), "table"),
         numpy_helper.from_array(np.array([-1], dtype=np.int64), "last_axis")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), str(path))
    return str(path)


def test_colbert_query_padding_is_not_attended(tmp_path, tokenizer_file, vocabulary):
    """Vespa's ColBertEmbedder pads a query with [MASK] to max-query-tokens with attention mask 0.
    No normalization: the model's token vectors are the cells (max_sim is the profile's expression)."""
    table = np.stack([np.arange(vocabulary), np.full(vocabulary, 0.5)], axis=1)  # id → (id, 0.5)
    colbert = ColBertEmbedder("colbert", config(masked_lookup_model(tmp_path / "m.onnx", table), tokenizer_file,
                                                max_query_tokens=6), str)
    [hello] = ids_of(tokenizer_file, "hello")
    query = colbert.embed("hello", T("tensor<float>(qt{}, x[2])"), "query")
    # [CLS] [unused0] hello [SEP] attend; the two [MASK] paddings do not (their vectors are masked to 0 here)
    assert [query.blocks[(str(i),)].tolist() for i in range(6)] == [
        [101, 0.5], [1, 0.5], [hello, 0.5], [102, 0.5], [0, 0], [0, 0]]


def splade_model(path, vocabulary: int) -> str:
    """logits[b, s, v] = id/1000 where v is the token's own id, else 0: token t weighs log1p(t/1000)."""
    nodes = [
        helper.make_node("OneHot", ["input_ids", "depth", "onehot_values"], ["onehot"], axis=-1),
        helper.make_node("Cast", ["input_ids"], ["ids_float"], to=TensorProto.FLOAT),
        helper.make_node("Div", ["ids_float", "thousand"], ["scaled"]),
        helper.make_node("Unsqueeze", ["scaled", "last_axis"], ["scaled3"]),
        helper.make_node("Mul", ["onehot", "scaled3"], ["logits"]),
    ]
    graph = helper.make_graph(nodes, "splade",
                              [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["b", "s"]),
                               helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["b", "s"])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["b", "s", vocabulary])],
                              [numpy_helper.from_array(np.array([vocabulary], dtype=np.int64), "depth"),
                               numpy_helper.from_array(np.array([0.0, 1.0], dtype=np.float32), "onehot_values"),
                               numpy_helper.from_array(np.array(1000.0, dtype=np.float32), "thousand"),
                               numpy_helper.from_array(np.array([-1], dtype=np.int64), "last_axis")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), str(path))
    return str(path)


def config(model, tokenizer, **options):
    return {"transformer-model": model, "tokenizer-model": tokenizer,
            **{k.replace("_", "-"): str(v) for k, v in options.items()}}


def test_hugging_face_embedder_pooling_normalize_prepend_output_name_and_max_tokens(tmp_path, tokenizer_file,
                                                                                    vocabulary):
    table = np.zeros((vocabulary, 2))
    table[:, 0] = np.arange(vocabulary)  # a token's vector is (id, 1)
    table[:, 1] = 1.0
    model = lookup_model(tmp_path / "m.onnx", table, output="my_output")
    hello, world = ids_of(tokenizer_file, "hello world")
    two = T("tensor<float>(x[2])")
    base = dict(transformer_output="my_output", transformer_token_type_ids="")
    mean = HuggingFaceEmbedder("e", config(model, tokenizer_file, **base), str)
    assert mean.embed_many(["hello world"], two)[0].tolist() == [(101 + hello + world + 102) / 4, 1.0]
    cls = HuggingFaceEmbedder("e", config(model, tokenizer_file, pooling_strategy="cls", **base), str)
    assert cls.embed_many(["hello world"], two)[0].tolist() == [101.0, 1.0]
    normalized = HuggingFaceEmbedder("e", config(model, tokenizer_file, pooling_strategy="cls", normalize="true",
                                                 **base), str)
    assert normalized.embed_many(["x"], two)[0] == pytest.approx([101 / math.hypot(101, 1), 1 / math.hypot(101, 1)])
    # services.xml's text arrives trimmed; as Vespa, a space joins the instruction and the text
    prepended = HuggingFaceEmbedder("e", {**config(model, tokenizer_file, **base), "prepend.query": "hello"}, str)
    assert prepended.embed("world", two, "query").dense_values == \
        pytest.approx(mean.embed_many(["hello world"], two)[0])  # the prefix only for queries
    assert mean.embed_many(["helloworld"], two)[0].tolist() != mean.embed_many(["hello world"], two)[0].tolist()
    assert prepended.embed("world", two, "document").dense_values == pytest.approx(mean.embed_many(["world"], two)[0])
    short = HuggingFaceEmbedder("e", config(model, tokenizer_file, max_tokens=3, **base), str)
    assert short.embed_many(["hello world"], two)[0] == pytest.approx([(101 + hello + 102) / 3, 1.0])  # [SEP] kept
    with pytest.raises(InvalidParameterError, match="pooling-strategy"):
        HuggingFaceEmbedder("e", config(model, tokenizer_file, pooling_strategy="max", **base), str)


def test_hugging_face_embedder_binarizes_into_int8(tmp_path, tokenizer_file, vocabulary):
    table = -np.ones((vocabulary, 16))
    table[101, [0, 9]] = 1.0  # [CLS] has bits 0 and 9 set
    model = lookup_model(tmp_path / "m.onnx", table, output="last_hidden_state")
    embedder = HuggingFaceEmbedder("e", config(model, tokenizer_file, pooling_strategy="cls"), str)
    # 1000 0000 = -128 as int8, 0100 0000 = 64
    assert embedder.embed("anything", T("tensor<int8>(x[2])"), "document").dense_values.tolist() == [-128, 64]


def test_colbert_token_ids_vectors_and_bit_packing(tmp_path, tokenizer_file, vocabulary):
    table = np.stack([np.arange(vocabulary), -np.arange(vocabulary)], axis=1)  # token id → (id, -id)
    model = lookup_model(tmp_path / "c.onnx", table, output="contextual")
    colbert = ColBertEmbedder("colbert", config(model, tokenizer_file, max_query_tokens=8), str)
    annoyance, comma, hello, bang = ids_of(tokenizer_file, "annoyance, hello!")
    document = colbert.embed("annoyance, hello!", T("tensor<float>(dt{}, x[2])"), "document")
    # [CLS] [unused1] tokens without punctuation, no closing [SEP]
    assert {k[0]: v.tolist() for k, v in document.blocks.items()} == {
        "0": [101, -101], "1": [2, -2], "2": [annoyance, -annoyance], "3": [hello, -hello]}
    query = colbert.embed("annoyance, hello!", T("tensor<float>(qt{}, x[2])"), "query")
    assert [query.blocks[(str(i),)][0] for i in range(8)] == [101, 1, annoyance, comma, hello, bang, 102, 103]
    assert len(colbert.embed("hello", T("tensor<float>(qt{}, x[2])"), "query").blocks) == 8  # padded: [MASK]
    with pytest.raises(InvalidParameterError, match="query is embedded into float"):
        colbert.embed("x", T("tensor<int8>(qt{}, x[1])"), "query")
    with pytest.raises(InvalidParameterError, match="2 values per token"):
        colbert.embed("x", T("tensor<float>(dt{}, x[3])"), "document")

    bits = -np.ones((vocabulary, 8))
    bits[101] = [-1, -1, -1, -1, -1, 1, -1, 1]  # 0000 0101 = 5, as in Vespa's packing test
    bits[2] = [1] * 8  # 1111 1111 = -1
    packed = ColBertEmbedder("c", config(lookup_model(tmp_path / "b.onnx", bits, "contextual"), tokenizer_file), str)
    tensor = packed.embed("", T("tensor<int8>(dt{}, x[1])"), "document")
    assert {k[0]: v.tolist() for k, v in tensor.blocks.items()} == {"0": [5], "1": [-1]}


def test_splade_weights_are_log1p_of_the_max_logit_per_vocabulary_entry(tmp_path, tokenizer_file, vocabulary):
    model = splade_model(tmp_path / "s.onnx", vocabulary)
    splade = SpladeEmbedder("splade", config(model, tokenizer_file), str)
    hello, world = ids_of(tokenizer_file, "hello world")
    tensor = splade.embed("hello world", T("tensor<float>(t{})"), "document")
    expected = {"[CLS]": math.log1p(0.101), "hello": math.log1p(hello / 1000), "world": math.log1p(world / 1000),
                "[SEP]": math.log1p(0.102)}
    assert {k[0]: float(v) for k, v in tensor.blocks.items()} == pytest.approx(expected, rel=1e-6)
    sparse = SpladeEmbedder("splade", config(model, tokenizer_file, term_score_threshold=1.0), str)
    assert set(k[0] for k in sparse.embed("hello world", T("tensor<float>(t{})")).blocks) == {"hello", "world"}
    with pytest.raises(InvalidParameterError, match="one mapped dimension"):
        splade.embed("x", T("tensor<float>(x[2])"))


def test_colbert_on_bge_small_ranks_with_max_sim(tokenizer_file):
    models = ensure_models(DEFAULT_APP)
    services = f"""<services version="1.0"><container id="default" version="1.0">
      <component id="colbert" type="colbert-embedder">
        <transformer-model path="models/bge-small-en/model.onnx"/>
        <tokenizer-model path="models/bge-small-en/tokenizer.json"/>
        <transformer-output>last_hidden_state</transformer-output>
      </component></container>
      <content id="c" version="1.0"><documents><document type="doc" mode="index"/></documents>
      <nodes><node distribution-key="0"/></nodes></content></services>"""
    app = application_from_sources({"services.xml": services, "schemas/doc.sd": "schema doc {\n document doc {\n }\n}\n"},
                                   path=str(models.parent))
    colbert = get_embedder(app, "colbert")
    assert isinstance(colbert, ColBertEmbedder)
    query = colbert.embed("cholesterol lowering drugs", T("tensor<float>(qt{}, x[384])"), "query")
    documents = ["Statins lower LDL cholesterol in the blood.", "The rover landed in a crater on Mars."]
    floats = [colbert.embed(d, T("tensor<float>(dt{}, x[384])"), "document") for d in documents]
    packed = [colbert.embed(d, T("tensor<int8>(dt{}, x[48])"), "document") for d in documents]
    words = [t for t in colbert.tokenizer.encode(documents[0], add_special_tokens=False).tokens if t != "."]
    assert len(query.blocks) == 32 and len(floats[0].blocks) == len(packed[0].blocks) == 2 + len(words)

    def max_sim(q, d):  # sum over query tokens of the best dot product with a document token
        qm, dm = np.stack(list(q.blocks.values())), np.stack(list(d.blocks.values()))
        return float((qm @ dm.T).max(axis=1).sum())

    def unpack(d):
        return type(d)(T("tensor<float>(dt{}, x[384])"), {k: np.unpackbits(v.astype(np.int8).view(np.uint8))
                                                          for k, v in d.blocks.items()})

    assert max_sim(query, floats[0]) > max_sim(query, floats[1])
    assert max_sim(query, unpack(packed[0])) > max_sim(query, unpack(packed[1]))
    signs = np.stack(list(floats[0].blocks.values())) > 0
    assert np.array_equal(np.stack(list(unpack(packed[0]).blocks.values())).astype(bool), signs)
