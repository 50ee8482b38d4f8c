"""The indexing language subset, the container's document processor and query-time embed()."""
from pathlib import Path

import asyncio

import numpy as np
import pytest

from container.docproc.processor import DocumentProcessor
from container.search.query_embedding import embed_query_features, split_embed_arguments
from deploy.models import ensure_models
from searchlib.errors import DocumentError, InvalidParameterError, SchemaError
from searchlib.indexing import parse_indexing, run_script, script_inputs
from searchlib.schema.application import load_application
from searchlib.tensor import TensorType, tensor_from_json

REPO = Path(__file__).resolve().parents[2]


def run(text, document, field="f", embed=None):
    return run_script(parse_indexing(text), document, field, embed)


def test_concatenation_with_choice_defaults():
    script = '(input title || "") . " " . (input body || "") | summary'
    assert run(script, {"title": "a", "body": "b"}) == {"f": "a b"}
    assert run(script, {"title": "a"}) == {"f": "a "}
    assert script_inputs(parse_indexing(script)) == {"title", "body"}


def test_null_concatenation_writes_nothing():
    assert run('input title . " x" | summary', {}) == {}


def test_statements_named_outputs_and_converters():
    script = '{ input title | lowercase | summary title_lc; input year | to_int | attribute year; }'
    assert run(script, {"title": "AbC", "year": "1999"}) == {"title_lc": "abc", "year": 1999}


def test_arithmetic_and_literals():
    assert run("input a * 2 + 1 | attribute", {"a": 3}) == {"f": 7}
    assert run('"x" | summary', {}) == {"f": "x"}


def test_embed_receives_embedder_id_target_field_and_text():
    calls = []
    out = run('input title | embed tok | attribute', {"title": "hi"}, "tokens",
              lambda e, f, v, a, packed=False: calls.append((e, f, v, a)) or [1, 2])
    assert calls == [("tok", "tokens", "hi", ())] and out == {"tokens": [1, 2]}


def test_same_field_cannot_receive_different_values():
    with pytest.raises(DocumentError, match="different values"):
        run('input a | attribute | lowercase | index', {"a": "X"})


def test_unsupported_expression_is_a_schema_error():
    with pytest.raises(SchemaError, match="not supported"):
        parse_indexing("input a | optimize_predicate | attribute")


@pytest.fixture(scope="module")
def package():
    ensure_models(REPO / "schemas")
    return load_application(REPO / "schemas")


def _reference_ids(text: str, size: int) -> list[int]:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(REPO / "schemas/models/cross-encoder/tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    ids = tokenizer.encode(text, add_special_tokens=False).ids[:size]
    return ids + [0] * (size - len(ids))


def _cells(value) -> list[int]:
    """The token ids of a fed tensor value (the container sends dense cells as hex)."""
    assert isinstance(value["values"], str)
    return tensor_from_json(value, "tensor<float>(d0[512])").dense_values.astype(int).tolist()


def test_document_processor_computes_tokens_once_in_the_container(package):
    processor = DocumentProcessor(package)
    fields = asyncio.run(processor.put("doc", {"title": "Hello World", "text": "tokenizers split words"}))
    assert fields["title"] == "Hello World"
    values = _cells(fields["tokens"])
    assert len(values) == 512 and values == _reference_ids("Hello World tokenizers split words", 512)
    assert 101 not in values[:10]  # no special tokens: tokenInputIds adds them


def test_long_documents_are_truncated_to_the_tensor_size(package):
    fields = asyncio.run(DocumentProcessor(package).put("doc", {"title": "word " * 1000}))
    assert len(_cells(fields["tokens"])) == 512 and 0 not in _cells(fields["tokens"])


def test_users_may_not_feed_synthetic_fields(package):
    with pytest.raises(DocumentError):
        asyncio.run(DocumentProcessor(package).put("doc", {"title": "x", "tokens": {"values": [1]}}))


def test_update_recomputes_tokens_when_one_input_is_assigned(package):
    """As Vespa's ScriptExpression: the statement runs when the update has at least one of its inputs;
    the others read as null (here `|| ""`), not as the stored values."""
    processor = DocumentProcessor(package)
    both = asyncio.run(processor.update("doc", {"title": {"assign": "a"}, "text": {"assign": "b"}}))
    assert _cells(both["tokens"]["assign"])[:2] == _reference_ids("a b", 2)
    title_only = asyncio.run(processor.update("doc", {"title": {"assign": "a"}}))
    assert _cells(title_only["tokens"]["assign"])[:2] == _reference_ids("a", 1) + [0]
    assert "tokens" not in asyncio.run(processor.update("doc", {"path": {"assign": "/p"}}))


def test_query_embed_with_id_quoted_text_and_parameter(package):
    profile = package.schemas["doc"].rank_profiles["bert-ranker"]
    out = embed_query_features(package, profile, {"query(q_tokens)": 'embed(tokenizer, "semantic search")'}, {})
    assert str(out["query(q_tokens)"].type) == "tensor<float>(d0[32])"
    assert out["query(q_tokens)"].dense_values.tolist() == _reference_ids("semantic search", 32)
    by_param = embed_query_features(package, profile, {"query(q_tokens)": "embed(tokenizer, @query)"},
                                    {"model.queryString": "semantic search"})
    assert by_param["query(q_tokens)"] == out["query(q_tokens)"]


def test_query_embed_errors(package):
    profile = package.schemas["doc"].rank_profiles["bert-ranker"]
    with pytest.raises(InvalidParameterError, match="Can't find embedder 'nope'"):
        embed_query_features(package, profile, {"query(q_tokens)": 'embed(nope, "x")'}, {})
    with pytest.raises(InvalidParameterError, match="embedder id is required"):
        embed_query_features(package, profile, {"query(q_tokens)": 'embed("x")'}, {})  # two embedders here
    with pytest.raises(InvalidParameterError, match="must declare"):
        embed_query_features(package, package.schemas["doc"].rank_profiles["bm25"],
                             {"query(q_tokens)": 'embed(tokenizer, "x")'}, {})


def test_split_embed_arguments():
    assert split_embed_arguments('embed(e5, "a, b")', ["e5"]) == ("e5", '"a, b"')
    assert split_embed_arguments("embed(@query)", ["e5"]) == (None, "@query")
    assert split_embed_arguments("embed(some text)", ["e5"]) == (None, "some text")


def test_bi_encoder_embedding_is_normalized_and_deterministic(package):
    from container.embedding.registry import get_embedder

    embedder = get_embedder(package, "bge")
    vectors = embedder.embed_many(["muscle fatigue", "stock market", "muscle tiredness"],
                                  TensorType.parse("tensor<float>(x[384])"))
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert vectors[0] @ vectors[2] > vectors[0] @ vectors[1]
    vector_type = TensorType.parse("tensor<float>(x[384])")
    # a document is embedded as it is; a query gets bge's query instruction prepended (services.xml)
    assert np.allclose(embedder.embed("muscle fatigue", vector_type, context="document").dense_values,
                       vectors[0], atol=1e-3)
    assert not np.allclose(embedder.embed("muscle fatigue", vector_type).dense_values, vectors[0], atol=1e-3)
