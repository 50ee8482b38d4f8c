"""The container's document processor running the indexing language: chunks embedded one per
element into a mapped dimension, pack_bits after embed, converters on document fields, and what
the feed then carries (checked by parsing it as the content node does)."""
from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from container.docproc.processor import DocumentProcessor
from searchlib.documents import validate_document
from searchlib.errors import DocumentError
from searchlib.schema.application import application_from_text
from searchlib.tensor import tensor_from_json

SCHEMA = """schema doc {
    document doc {
        field title type string { indexing: input title | normalize | lowercase | summary | index }
        field text type string { indexing: summary | index }
        field tagline type string { indexing: summary }
        field date type string { indexing: summary }
    }
    field chunks type array<string> { indexing: input text | chunk sentence | summary | index }
    field chunk_vectors type tensor<float>(p{}, x[4]) {
        indexing: input text | chunk sentence | embed fake p | attribute
    }
    field bits type tensor<int8>(x[1]) { indexing: input text | embed fake | pack_bits | attribute }
    field tags type array<string> { indexing: input tagline | split "," | for_each { trim } | summary | attribute }
    field stamp type long { indexing: input date | to_epoch_second | summary | attribute }
    field title_hash type int { indexing: input title | hash | summary | attribute }
}
"""


class FakeEmbedder:
    """Embeds a text as its first characters' codes minus 100 (so some cells are negative)."""

    id = "fake"

    def __init__(self):
        self.calls = []

    def embed_many(self, texts, tensor_type, context="document"):
        self.calls.append((list(texts), str(tensor_type)))
        size = tensor_type.indexed[0].size
        return np.array([[ord(c) - 100 for c in (t * size)[:size]] for t in texts], dtype=np.float64)


@pytest.fixture()
def processed():
    application = application_from_text(SCHEMA, name="doc.sd")
    embedder = FakeEmbedder()
    processor = DocumentProcessor(application, lambda app, component_id: embedder)
    fields = asyncio.run(processor.put("doc", {
        "title": "Crème Brûlée", "text": "Ab cd. Ef gh.", "tagline": " x , y,z ", "date": "2023-12-24T17:00:43Z"}))
    return application.schemas["doc"], fields, embedder


def test_embed_of_an_array_gives_one_block_per_chunk(processed):
    schema, fields, embedder = processed
    assert fields["chunks"] == ["Ab cd.", " Ef gh."]
    tensor = tensor_from_json(fields["chunk_vectors"], "tensor<float>(p{}, x[4])")
    assert {label: cells.tolist() for label, cells in tensor.blocks.items()} == \
        {("0",): [ord(c) - 100 for c in "Ab c"], ("1",): [ord(c) - 100 for c in " Ef "]}
    assert (["Ab cd.", " Ef gh."], "tensor<float>(x[4])") in embedder.calls
    validate_document(schema, fields, allow_synthetic=True)  # what the content node accepts


def test_pack_bits_after_embed_embeds_eight_cells_per_int8(processed):
    schema, fields, embedder = processed
    assert (["Ab cd. Ef gh."], "tensor<float>(x[8])") in embedder.calls
    # "Ab cd. E" - 100: A=-35 b=-2 ' '=-68 c=-1 d=0 .=-54 ' '=-68 E=-31: no cell > 0 → 0
    assert tensor_from_json(fields["bits"], "tensor<int8>(x[1])").dense_values.tolist() == [0]


def test_converters_on_document_and_synthetic_fields(processed):
    schema, fields, _ = processed
    assert fields["title"] == "creme brulee"  # a document field's script transforms its own value
    assert fields["tags"] == ["x", "y", "z"]
    assert fields["stamp"] == 1703437243
    assert isinstance(fields["title_hash"], int) and -(1 << 31) <= fields["title_hash"] < (1 << 31)
    assert fields["text"] == "Ab cd. Ef gh."  # store-only scripts leave the value as fed


def test_update_of_a_document_field_reruns_its_script():
    application = application_from_text(SCHEMA, name="doc.sd")
    processor = DocumentProcessor(application, lambda app, component_id: FakeEmbedder())
    out = asyncio.run(processor.update("doc", {"title": {"assign": "ÉTÉ"}, "tagline": {"assign": "a,b"}}))
    assert out["title"] == {"assign": "ete"} and out["tags"] == {"assign": ["a", "b"]}


def test_a_bad_value_is_a_document_error():
    application = application_from_text(SCHEMA, name="doc.sd")
    processor = DocumentProcessor(application, lambda app, component_id: FakeEmbedder())
    with pytest.raises(DocumentError, match="ISO-8601"):
        asyncio.run(processor.put("doc", {"title": "x", "date": "not a date"}))


TOKEN_SCHEMA = """schema doc {
    document doc {
        field text type string { indexing: summary | index }
    }
    field per_token type tensor<float>(chunk{}, dt{}, x[2]) {
        indexing: input text | chunk sentence | embed tokens chunk | attribute
    }
    field sparse type tensor<float>(chunk{}, t{}) {
        indexing: input text | chunk sentence | embed tokens | attribute
    }
    field whole type tensor<float>(t{}) { indexing: input text | embed tokens | attribute }
}
"""


class TokenEmbedder:
    """dt{}, x[2]: a vector (code, position) per character of the first two; t{}: word → length."""

    def embed(self, text, tensor_type, context="query"):
        from searchlib.tensor import Tensor

        if tensor_type.indexed:
            return Tensor(tensor_type, {(str(i),): [ord(c), i] for i, c in enumerate(text.strip()[:2])})
        return Tensor(tensor_type, {(w.strip("."),): float(len(w.strip("."))) for w in text.split()})


def test_chunks_into_token_level_and_sparse_embedders():
    application = application_from_text(TOKEN_SCHEMA, name="doc.sd")
    processor = DocumentProcessor(application, lambda app, component_id: TokenEmbedder())
    fields = asyncio.run(processor.put("doc", {"text": "Ab cd. Efg."}))
    per_token = tensor_from_json(fields["per_token"], "tensor<float>(chunk{}, dt{}, x[2])")
    assert {k: v.tolist() for k, v in per_token.blocks.items()} == {
        ("0", "0"): [65, 0], ("0", "1"): [98, 1], ("1", "0"): [69, 0], ("1", "1"): [102, 1]}
    sparse = tensor_from_json(fields["sparse"], "tensor<float>(chunk{}, t{})")
    assert {k: float(v) for k, v in sparse.blocks.items()} == {("0", "Ab"): 2, ("0", "cd"): 2, ("1", "Efg"): 3}
    whole = tensor_from_json(fields["whole"], "tensor<float>(t{})")
    assert {k: float(v) for k, v in whole.blocks.items()} == {("Ab",): 2, ("cd",): 2, ("Efg",): 3}
    validate_document(application.schemas["doc"], fields, allow_synthetic=True)


def test_if_chooses_what_the_processor_writes():
    """Vespa's config-model test `advanced`: `if (input a == "foo") { "bar" | index b; } else { ... }`."""
    application = application_from_text("""schema doc {
    document doc {
        field src type string { indexing: summary }
        field n type int { indexing: summary }
    }
    field product type string {
        indexing {
            if (input src == "foo") { "bar" | index product | summary product; }
            else { "baz" | index product | summary product; };
        }
    }
    field size type string { indexing: if (input n >= 10) { "large" | summary size | attribute size; } }
}
""", name="doc.sd")
    processor = DocumentProcessor(application, lambda app, component_id: None)
    foo = asyncio.run(processor.put("doc", {"src": "foo", "n": 10}))
    other = asyncio.run(processor.put("doc", {"src": "food", "n": 9}))
    assert (foo["product"], foo["size"]) == ("bar", "large")
    assert other["product"] == "baz" and "size" not in other


SELECTING = """schema sel {
    document sel {
        field a type string { indexing: summary }
        field b type string { indexing: summary }
        field c type string { indexing: summary }
    }
    field picked type string { indexing: select_input { a: lowercase | summary picked; b: summary picked; } }
    field joined type string { indexing: input c | select_input { a: summary joined; b: summary joined; } }
}
"""


@pytest.mark.parametrize("assigned, recomputed", [
    ({"b": "B"}, {"picked": "B"}),  # one of select_input's fields is enough (Vespa runs it with what it has)
    ({"a": "A", "b": "B"}, {"picked": "a"}),
    ({"c": "C"}, {}),  # an `input` must still be assigned, and one of the cases
    ({"b": "B", "c": "C"}, {"picked": "B", "joined": "B"}),
])
def test_an_update_runs_select_input_with_the_fields_it_assigns(assigned, recomputed):
    processor = DocumentProcessor(application_from_text(SELECTING, name="sel.sd"))
    operations = asyncio.run(processor.update("sel", {name: {"assign": value} for name, value in assigned.items()}))
    assert {name: op["assign"] for name, op in operations.items() if name not in assigned} == recomputed


STAMPED = """schema st {
    document st {
        field title type string { indexing: summary | index }
    }
    field modified type long { indexing: now | attribute | summary }
    field created type long { indexing: guard { now | attribute | summary } }
}
"""


def test_a_statement_without_input_runs_on_a_partial_update_unless_guarded():
    """Vespa's ScriptExpression runs a statement with no input fields on every update, so an unguarded
    `now | attribute modified` is set again by a partial update; `guard { }` keeps it to puts."""
    processor = DocumentProcessor(application_from_text(STAMPED, name="st.sd"))
    before = time.time()
    put = asyncio.run(processor.put("st", {"title": "a"}))
    assert before - 1 <= put["modified"] <= time.time() and before - 1 <= put["created"] <= time.time()
    operations = asyncio.run(processor.update("st", {"title": {"assign": "b"}}))
    assert before - 1 <= operations["modified"]["assign"] <= time.time()
    assert "created" not in operations


VESPA_UPDATE_RULES = """schema up {
    document up {
        field title type string { indexing: summary | index }
        field a type string { indexing: summary }
        field b type string { indexing: summary }
        field touched type long { indexing: now | attribute | summary }
        field shout type string { indexing: lowercase | summary }
    }
    field either type string { indexing: (input a || input b) | summary either }
}
"""


@pytest.mark.parametrize("assigned, recomputed", [
    ({"title": "t"}, {"touched"}),  # a document field's statement with no input runs on every update
    ({"b": "B"}, {"touched", "either"}),  # one of a statement's inputs is enough (Vespa: at least one)
    ({"shout": "X"}, {"touched", "shout"}),  # `lowercase` reads the field's own value: only when assigned
])
def test_an_update_runs_the_statements_vespa_runs(assigned, recomputed):
    processor = DocumentProcessor(application_from_text(VESPA_UPDATE_RULES, name="up.sd"))
    operations = asyncio.run(processor.update("up", {name: {"assign": value} for name, value in assigned.items()}))
    assert {name for name in operations if name not in assigned or name == "shout"} == recomputed
    if "either" in recomputed:
        assert operations["either"] == {"assign": "B"}
    if "shout" in recomputed:
        assert operations["shout"] == {"assign": "x"}
