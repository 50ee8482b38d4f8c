"""Every schema in the reference documents parses; the complete ones also compile.

Snippets are cut out of /work/shared/reference (or the copy beside the repo) by brace matching.
The documents use a few placeholders (`…`, `{..}`, `[name]`) that are not schema syntax; each
substitution is listed next to its snippet.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from searchlib.errors import SchemaError
from searchlib.schema.application import application_from_text
from searchlib.schema.parser import parse_schema

_CANDIDATES = [Path(__file__).resolve().parents[3] / "shared" / "reference", Path("/work/shared/reference")]
REFERENCE = next((p for p in _CANDIDATES if p.is_dir()), _CANDIDATES[-1])


def _read(name: str) -> str:
    path = REFERENCE / name
    if not path.exists():
        pytest.fail(f"reference document {path} is missing")
    return html.unescape(path.read_text(encoding="utf-8"))


def _block(text: str, start_marker: str, occurrence: int = 0) -> str:
    """The text from the `occurrence`-th `start_marker` to its matching closing brace."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(start_marker, start + 1)
    depth = 0
    for pos in range(start, len(text)):
        if text[pos] == "{":
            depth += 1
        elif text[pos] == "}":
            depth -= 1
            if depth == 0:
                return text[start : pos + 1]
    raise AssertionError(f"unbalanced block after {start_marker!r}")


def _wrap(body: str, fields: str = "") -> str:
    return f"schema wrap {{\n    document wrap {{\n{fields}\n    }}\n{body}\n}}\n"


# -- phased-ranking.md -----------------------------------------------------------------------------

def test_phased_ranking_title_freshness_parses_and_compiles() -> None:
    text = _read("phased-ranking.md")
    snippet = _block(text, "schema myapp {", 0).replace("…", "")  # `…` stands for elided content
    app = application_from_text(snippet, name="myapp.sd", check_expressions=False)  # fields elided
    profile = app.schemas["myapp"].rank_profiles["title-freshness"]
    assert profile.first_phase.expression.text == "bm25(title) + 3*freshness(timestamp)"
    assert profile.second_phase.expression.text == 'xgboost("my-model.json")'
    assert profile.second_phase.rerank_count == 50


def _global_model_schema() -> str:
    text = _read("phased-ranking.md")
    return _block(text, "schema myapp {", 1).replace("…", "")


def test_phased_ranking_global_model_parses() -> None:
    decl = parse_schema(_global_model_schema(), "myapp.sd")
    profile = decl.rank_profiles[0]
    assert profile.name == "with-global-model"
    assert profile.inputs["query(per_query_vector)"].type_spec == "tensor<float>(d0[32])"
    assert profile.onnx_models["my_ranking_model"].inputs == (
        ("model_input_1", "per_doc_input"), ("model_input_2", "query(per_query_vector)"))
    assert profile.onnx_models["my_ranking_model"].outputs == (("model_output_1", "out"),)
    assert profile.functions["per_doc_input"].expression.text == "rename(attribute(per_doc_vector), x, d0)"
    assert profile.phases["global-phase"].rerank_count == 50
    assert profile.match_features.features == ["my_expensive_function"]
    # `expression: # some expensive computation ...` is a comment: the function body is empty
    assert profile.functions["my_expensive_function"].expression.text == ""


def test_phased_ranking_global_model_empty_function_is_a_located_compile_error() -> None:
    source = _global_model_schema()
    with pytest.raises(SchemaError) as raised:
        application_from_text(source, name="myapp.sd")
    line = next(i for i, l in enumerate(source.splitlines(), 1) if "# some expensive" in l)
    assert raised.value.location.line == line
    assert f"myapp.sd:{line}:" in str(raised.value)
    assert "empty expression in function 'my_expensive_function'" in str(raised.value)


def test_phased_ranking_normalizers_compile_on_top_of_global_model() -> None:
    text = _read("phased-ranking.md")
    base = _global_model_schema().replace("# some expensive computation better done on content nodes",
                                          "attribute(per_doc_vector){x:0}")
    normalizers = _block(text, "rank-profile with-normalizers")
    source = base.rstrip()[:-1] + normalizers + "\n}\n"
    schema = application_from_text(source, name="myapp.sd", check_expressions=False).schemas["myapp"]
    profile = schema.rank_profiles["with-normalizers"]
    assert profile.global_phase.rerank_count == 200
    assert "normalize_linear(my_bm25_sum)" in profile.global_phase.expression.text
    # inherited from with-global-model: the onnx model, inputs, functions and match-features
    assert "my_ranking_model" in profile.onnx_models
    assert "query(per_query_vector)" in profile.inputs
    assert set(profile.functions) >= {"per_doc_input", "my_bm25_sum", "my_model_out"}
    assert profile.match_features == ("my_expensive_function",)
    assert profile.first_phase.expression.text == "bm25(title)"


def test_phased_ranking_music_schema_compiles_with_mutable_attributes() -> None:
    text = _read("phased-ranking.md")
    schema = application_from_text(_block(text, "schema music {"), name="music.sd").schemas["music"]
    assert schema.fields["match_count"].is_mutable and not schema.fields["match_count"].in_document
    assert schema.fields["category_scores"].type.tensor_type == "tensor<float>(cat{})"
    track = schema.rank_profiles["rank_albums_track"]
    assert [op.attribute for ops in track.mutate.values() for op in ops] == [
        "match_count", "first_phase_count", "second_phase_count", "summary_count"]
    assert track.mutate["on-match"][0].operator == "+=" and track.mutate["on-match"][0].value == 1.0
    assert track.summary_features == ("attribute(year)",)  # inherited from rank_albums
    assert track.second_phase.rerank_count == 1
    reset = schema.rank_profiles["rank_albums_reset_on_summary"]
    assert reset.mutate["on-match"][0].operator == "="
    assert schema.fieldsets["default"].fields == ("artist", "album")


def test_phased_ranking_initialised_mutable_field_and_statistics_summary() -> None:
    text = _read("phased-ranking.md")
    field = _block(text, "field match_count type long {", 1)
    summary = _block(text, "document-summary rank_phase_statistics {")
    extra = "\n".join(f"field {n} type long {{ indexing: attribute | summary\n attribute: mutable }}"
                      for n in ("first_phase_count", "second_phase_count", "summary_count"))
    source = _wrap(field + "\n" + extra + "\n" + summary,
                   fields="field id type string { indexing: summary | attribute }")  # "assuming an id field"
    schema = application_from_text(source, name="wrap.sd").schemas["wrap"]
    assert schema.fields["match_count"].indexing.startswith("7 | to_long | attribute | summary")
    stats = schema.summaries["rank_phase_statistics"]
    assert [f.name for f in stats.fields] == ["sddocname", "id", "match_count", "first_phase_count",
                                              "second_phase_count", "summary_count"]


# -- cross-encoders.md -----------------------------------------------------------------------------

def test_cross_encoder_document_with_tokens_field() -> None:
    text = _read("cross-encoders.md")
    snippet = _block(text, "schema my_document {", 0).replace("{..}", "{ indexing: summary | index }")
    schema = application_from_text(snippet, name="my_document.sd").schemas["my_document"]
    tokens = schema.fields["tokens"]
    assert tokens.type.tensor_type == "tensor<float>(d0[512])"
    assert tokens.input_fields == ("title", "body") and tokens.is_attribute and not tokens.in_document


@pytest.mark.parametrize("profile_name", ["bert-ranker", "roberta-ranker", "max-paragraph-into-cross-encoder"])
def test_cross_encoder_rank_profiles_parse(profile_name: str) -> None:
    text = _read("cross-encoders.md")
    decl = parse_schema(_wrap(_block(text, f"rank-profile {profile_name}")), "wrap.sd")
    profile = decl.rank_profiles[0]
    assert profile.phases["global-phase"].rerank_count == 25
    assert profile.phases["global-phase"].expression.text == "onnx(cross_encoder){d0:0,d1:0}"
    assert profile.inherits[0].name == "default"


def test_cross_encoder_bert_ranker_compiles_once_first_phase_is_filled_in() -> None:
    text = _read("cross-encoders.md")
    body = _block(text, "rank-profile bert-ranker").replace("#depends on the retriever used", "bm25(title)")
    fields = "field title type string { indexing: index | summary\n index: enable-bm25 }"
    profile = application_from_text(_wrap(body, fields), name="wrap.sd").schemas["wrap"].rank_profiles["bert-ranker"]
    model = profile.onnx_models["cross_encoder"]
    assert model.file == "models/model.onnx" and model.gpu_device == 0
    assert model.inputs == (("input_ids", "my_input_ids"), ("attention_mask", "my_attention_mask"),
                            ("token_type_ids", "my_token_type_ids"))
    assert profile.functions["my_input_ids"].expression.text == "tokenInputIds(256, query(q_tokens), attribute(tokens))"
    assert profile.inputs["query(q_tokens)"].type_spec == "tensor<float>(d0[32])"


def test_cross_encoder_empty_first_phase_is_rejected_with_its_location() -> None:
    text = _read("cross-encoders.md")
    source = _wrap(_block(text, "rank-profile roberta-ranker"))
    with pytest.raises(SchemaError, match=r"wrap\.sd:\d+:\d+: empty expression in first-phase"):
        application_from_text(source, name="wrap.sd")


def test_cross_encoder_multi_vector_schema() -> None:
    text = _read("cross-encoders.md")
    # the document writes `array<string>string {..}`: a typo for `array<string> { ... }`
    snippet = _block(text, "schema my_document {", 1).replace("array<string>string {..}",
                                                              "array<string> { indexing: summary | index }")
    schema = application_from_text(snippet, name="my_document.sd").schemas["my_document"]
    assert schema.fields["paragraphs"].type.kind == "array"
    assert schema.fields["tokens"].type.tensor_type == "tensor<float>(d0[512],p{})"
    assert schema.fields["embedding"].type.tensor_type == "tensor<float>(p{},x[768])"


def test_cross_encoder_services_snippet_is_malformed_xml_and_says_where() -> None:
    text = _read("cross-encoders.md")
    container = text[text.index("<container"): text.index("</container>") + len("</container>")]
    container = container.replace("..", "")
    services = f"<services>\n{container}\n</services>"
    with pytest.raises(SchemaError, match=r"services\.xml:\d+:\d+: services\.xml is not well-formed"):
        application_from_text("schema a { document a {} }", services_xml=services, name="a.sd")


# -- vespa-reference.md ----------------------------------------------------------------------------

def test_reference_appendix_a_passage_schema() -> None:
    text = _read("vespa-reference.md")
    appendix = text[text.index("## Appendix A"):]
    services = appendix[appendix.index("<services"): appendix.index("</services>") + len("</services>")]
    app = application_from_text(_block(appendix, "schema passage {"), services_xml=services, name="passage.sd")
    schema = app.schemas["passage"]
    embedding = schema.fields["e5_embedding"]
    assert embedding.hnsw.max_links_per_node == 32 and embedding.hnsw.neighbors_to_explore_at_insert == 400
    assert embedding.distance_metric == "angular"
    assert schema.fields["colbert_embeddings"].type.tensor_type == "tensor<int8>(dt{},x[16])"
    profile = schema.rank_profiles["e5-colbert-cross-encoder-rrf"]
    assert profile.inputs["query(qt)"].type_spec == "tensor<float>(qt{},x[128])"
    assert profile.onnx_models["ranker"].gpu_device == 0  # schema-level model, visible in the profile
    assert profile.second_phase.rerank_count == 1000 and profile.global_phase.rerank_count == 12
    assert profile.match_features == ("colbert_max_sim", "e5_cos_sim")
    assert app.content.id == "msmarco" and app.content.redundancy == 2 and len(app.content.nodes) == 2
    assert app.content.threads_per_search == 4
    assert app.components["tokenizer"].config["model"] == "models/tokenizer.json"
    assert app.components["e5_embedding_model"].config["prepend.query"] == "query:"


def test_reference_appendix_b_music_schema_parses() -> None:
    text = _read("vespa-reference.md")
    appendix = text[text.index("## Appendix B"):]
    snippet = _block(appendix, "schema music {").replace("} ... }", "} }")  # `...` elides fields
    decl = parse_schema(snippet, "music.sd")
    assert [p.name for p in decl.rank_profiles] == ["rank_albums_track", "reset"]
    rank_albums = "rank-profile rank_albums { first-phase { expression: attribute(match_count) } }\n"
    schema = application_from_text(snippet.rstrip()[:-1] + rank_albums + "}", name="music.sd").schemas["music"]
    assert schema.rank_profiles["reset"].mutate["on-match"][0].value == 0.0
    assert [f.name for f in schema.summaries["rank_phase_statistics"].fields] == [
        "sddocname", "match_count", "first_phase_count"]


def test_reference_rank_profile_grammar_section_parses() -> None:
    """§1.6 lists every rank-profile element in one example; fill in its placeholders."""
    text = _read("vespa-reference.md")
    section = text[text.index("### 1.6 Rank profiles"):]
    example = _block(section, "rank-profile [name]")
    example = (example.replace("rank-profile [name] inherits [p1], [p2]", "rank-profile full inherits p1, p2")
               .replace("inherits [name]", "inherits full").replace("{ ... }", "{ }")
               .replace("rank-score-drop-limit: ...", "rank-score-drop-limit: -5")
               .replace("num-search-partitions: ...", "num-search-partitions: 2"))
    decl = parse_schema(_wrap(example), "wrap.sd")
    full, inner = decl.rank_profiles
    assert inner.name == "full.inner"
    assert full.inputs["query(myDouble)"].default == "0.5"
    assert full.inputs["query(myMap)"].type_spec == "tensor(key{})"
    assert full.inputs["query(myMap)"].default == "{key1: 1.0, key2: 2.0}"
    assert full.constants["constant(w)"].value == "0.6"
    assert full.constants["constant(table)"].value == "[1, 2, 3]"
    assert full.constants["constant(big)"].value == "file:constants/big.json.lz4"
    assert full.functions["cheap"].inline and full.functions["otherfeature"].parameters == ("foo",)
    assert full.phases["first-phase"].keep_rank_count == 10000
    assert full.phases["first-phase"].rank_score_drop_limit == 0.0
    assert full.match_features.features == ["my_fn", "bm25(title)", "closeness(field,embedding)"]
    assert full.onnx_models["cross_encoder"].execution_mode == "sequential"
    assert full.onnx_models["cross_encoder"].inputs[1] == ("attention_mask", "my_attention_mask")
    assert full.onnx_models["cross_encoder"].outputs == (("logits", "score"),)
    assert full.num_threads_per_search == 4 and full.strict is True
    assert full.rank_properties == {"bm25(title).k1": "1.5", "nativeRank.proximityWeight": "50"}
    assert full.field_rank == {"title": "filter"}
    assert full.settings["match-phase.max-hits"] == "10000"
    assert full.settings["weakand.stopword-limit"] == "0.6"
    assert full.settings["rank-type.body"] == "identity"
    assert full.ignore_default_rank_features
    assert full.rank_features == ["f1", "f2"]
    assert set(full.mutate) == {"on-match", "on-first-phase", "on-second-phase", "on-summary"}


@pytest.mark.parametrize("marker", [
    "field embedding type tensor<bfloat16>(x[384]) {",
    "field text_embedding type tensor<float>(x[384]) {",
])
def test_reference_field_examples_parse(marker: str) -> None:
    text = _read("vespa-reference.md")
    decl = parse_schema(_wrap(_block(text, marker)), "wrap.sd")
    field = decl.fields[-1]
    assert field.is_index and field.is_attribute and field.hnsw is not None
    assert field.distance_metric in ("angular", "prenormalized-angular")


def test_reference_indexing_block_and_summary_examples() -> None:
    text = _read("vespa-reference.md")
    indexing = _block(text, "indexing {\n    input title")
    summary = _block(text, "document-summary short {")
    fields = ("field title type string { indexing: summary | index }\n"
              "field body type string { indexing: summary | index }\n"
              "field id type string { indexing: summary | attribute }\n"
              "field year type int { indexing: summary | attribute }\n")
    source = _wrap(f"field title_lc type string {{ {indexing} }}\n{summary}", fields)
    schema = application_from_text(source, name="wrap.sd").schemas["wrap"]
    assert schema.fields["title_lc"].input_fields == ("title", "year")
    assert re.search(r"lowercase \| summary title_lc;", schema.fields["title_lc"].indexing)
    short = schema.summaries["short"]
    assert short.from_disk and short.omit_summary_features
    assert [(f.name, f.sources, f.dynamic) for f in short.fields][1:] == [
        ("title", ("title",), False), ("id", ("id",), False), ("snippet", ("body",), True),
        ("documentid", ("documentid",), False)]
