"""The compiler: rank-profile inheritance, built-in profiles, summaries, and located validation errors."""
from __future__ import annotations

import pytest

from searchlib.errors import SchemaError
from searchlib.schema.application import application_from_sources, application_from_text

FIELDS = """
    field title type string { indexing: index | summary
                              index: enable-bm25 }
    field body type string { indexing: index | summary }
    field pop type double { indexing: attribute }
"""


def _schema(body: str, fields: str = FIELDS, outside: str = "") -> str:
    return f"schema s {{\n  document s {{\n{fields}\n  }}\n{outside}\n{body}\n}}\n"


def _compile(body: str, **kwargs):
    return application_from_text(_schema(body, **kwargs), name="s.sd").schemas["s"]


def _error(body: str, **kwargs) -> SchemaError:
    with pytest.raises(SchemaError) as raised:
        _compile(body, **kwargs)
    assert str(raised.value).startswith(f"{raised.value.location}: ")
    assert raised.value.location.file == "schemas/s.sd" and raised.value.location.line > 0
    return raised.value


def test_builtin_profiles() -> None:
    schema = _compile("")
    assert list(schema.rank_profiles) == ["default", "unranked"]
    assert schema.rank_profiles["default"].first_phase is None  # nativeRank
    assert schema.rank_profiles["unranked"].first_phase.expression.text == "0"


def test_child_overrides_and_inherits_everything_else() -> None:
    schema = _compile("""
  constant shared { type: tensor(x[2]) value: [1, 2] }
  rank-profile base {
    inputs { query(w): 2.0  query(q) tensor<float>(x[2]) }
    constants { k: 1.2 }
    function f() { expression: bm25(title) }
    function g() { expression: f * 2 }
    first-phase { expression: f
                  keep-rank-count: 500 }
    second-phase { expression: g
                   rerank-count: 20 }
    match-features: f g
    summary-features: attribute(pop)
    rank-properties { bm25(title).k1: 1.5 }
    num-threads-per-search: 2
    strict: true
  }
  rank-profile child inherits base {
    function g() { expression: f * 3 }
    second-phase { rerank-count: 5 }
    match-features: g
    rank-properties { bm25(title).b: 0.5 }
  }""")
    child = schema.rank_profiles["child"]
    assert child.inherits == ("base",)
    assert child.functions["g"].expression.text == "f * 3"
    assert child.functions["f"].expression.text == "bm25(title)"
    assert child.first_phase.expression.text == "f" and child.first_phase.keep_rank_count == 500
    # the phase's fields inherit one by one: rerank-count overridden, expression kept
    assert child.second_phase.expression.text == "g" and child.second_phase.rerank_count == 5
    assert child.match_features == ("g",)  # replaced, not merged
    assert child.summary_features == ("attribute(pop)",)  # not defined in child: inherited
    assert dict(child.rank_properties) == {"bm25(title).k1": "1.5", "bm25(title).b": "0.5"}
    assert set(child.inputs) == {"query(w)", "query(q)"} and child.inputs["query(w)"].default == "2.0"
    assert set(child.constants) == {"constant(k)", "constant(shared)"}
    assert child.num_threads_per_search == 2 and child.strict
    assert schema.rank_profiles["base"].second_phase.rerank_count == 20


def test_features_inherits_form_appends_to_the_parents_list() -> None:
    schema = _compile("""
  rank-profile a { match-features: bm25(title) }
  rank-profile b inherits a { match-features inherits a { bm25(body) } }
  rank-profile c inherits a { match-features {} }""")
    assert schema.rank_profiles["b"].match_features == ("bm25(title)", "bm25(body)")
    assert schema.rank_profiles["c"].match_features == ()


def test_multiple_inheritance_merges_distinct_elements() -> None:
    schema = _compile("""
  rank-profile a { function fa() { expression: 1 }  inputs { query(x): 1 } }
  rank-profile b { function fb() { expression: 2 }  first-phase { expression: fb } }
  rank-profile c inherits a, b { }""")
    c = schema.rank_profiles["c"]
    assert set(c.functions) == {"fa", "fb"} and "query(x)" in c.inputs
    assert c.first_phase.expression.text == "fb" and c.inherits == ("a", "b")


def test_two_parents_defining_the_same_function_is_an_error() -> None:
    error = _error("""
  rank-profile a { function f() { expression: 1 } }
  rank-profile b { function f() { expression: 2 } }
  rank-profile c inherits a, b { }""")
    assert "inherits function 'f' from both 'a' and 'b'" in error.message
    assert error.location.line == 14 and error.location.column == 27  # at `inherits a, b`


def test_same_function_reached_twice_through_a_diamond_is_fine() -> None:
    schema = _compile("""
  rank-profile root { function f() { expression: 1 } }
  rank-profile a inherits root { }
  rank-profile b inherits root { }
  rank-profile c inherits a, b { first-phase { expression: f } }""")
    assert schema.rank_profiles["c"].functions["f"].expression.text == "1"


def test_the_child_may_resolve_a_parent_conflict_by_defining_its_own() -> None:
    schema = _compile("""
  rank-profile a { function f() { expression: 1 } }
  rank-profile b { function f() { expression: 2 } }
  rank-profile c inherits a, b { function f() { expression: 3 } }""")
    assert schema.rank_profiles["c"].functions["f"].expression.text == "3"


def test_profiles_without_parents_do_not_inherit_a_user_defined_default() -> None:
    # Vespa: a user-defined default replaces the built-in one; nothing inherits it implicitly
    schema = _compile("""
  rank-profile default { function common() { expression: attribute(pop) } }
  rank-profile p { first-phase { expression: bm25(title) } }""")
    assert "common" not in schema.rank_profiles["p"].functions
    assert schema.rank_profiles["default"].first_phase is None


def test_default_inheriting_a_profile_that_names_no_parent_is_no_cycle() -> None:
    schema = _compile("""
  rank-profile graph { function g() { expression: attribute(pop) } first-phase { expression: g } }
  rank-profile default inherits graph { }""")
    assert schema.rank_profiles["default"].first_phase.expression.text == "g"
    assert schema.rank_profiles["graph"].inherits == ()


def test_default_inherits_default_means_the_builtin_default() -> None:
    schema = _compile("""
  rank-profile default inherits default { function f() { expression: 1 } }
  rank-profile unranked inherits unranked { function u() { expression: 2 } }""")
    assert "f" in schema.rank_profiles["default"].functions
    assert schema.rank_profiles["default"].first_phase is None  # the built-in's nativeRank
    assert schema.rank_profiles["unranked"].first_phase.expression.text == "0"


def test_a_profile_inheriting_its_own_name_gets_the_parent_schemas_profile() -> None:
    app = application_from_sources({
        "schemas/base.sd": """schema base { document base { field pop type int { indexing: attribute } }
  rank-profile p { function f() { expression: attribute(pop) } first-phase { expression: f } } }""",
        "schemas/child.sd": """schema child inherits base { document child inherits base { }
  rank-profile p inherits p { second-phase { expression: f * 2 } } }""",
    })
    child = app.schemas["child"].rank_profiles["p"]
    assert child.first_phase.expression.text == "f" and "f" in child.functions
    assert child.second_phase.expression.text == "f * 2"


def test_schema_level_onnx_model_is_visible_in_every_profile_and_can_be_overridden() -> None:
    schema = _compile("""
  onnx-model m { file: models/a.onnx }
  rank-profile p { }
  rank-profile q { onnx-model m { file: models/b.onnx } }""")
    assert schema.rank_profiles["p"].onnx_models["m"].file == "models/a.onnx"
    assert schema.rank_profiles["default"].onnx_models["m"].file == "models/a.onnx"
    assert schema.rank_profiles["q"].onnx_models["m"].file == "models/b.onnx"


def test_nested_rank_profile_is_named_outer_dot_inner_and_inherits_outer() -> None:
    schema = _compile("""
  rank-profile outer {
    function f() { expression: 1 }
    rank-profile inner { first-phase { expression: f } }
  }""")
    inner = schema.rank_profiles["outer.inner"]
    assert inner.inherits == ("outer",) and "f" in inner.functions


def test_default_summary_and_custom_summaries() -> None:
    schema = _compile("""
  document-summary short {
    summary title {}
    summary snippet { source: body }
    summary documentid { source: documentid }
    from-disk
  }
  document-summary longer inherits short {
    summary body type string {}
    omit-summary-features
  }""")
    default = schema.summaries["default"]
    # the default summary also holds every field of every class (Vespa's document-summaries guide)
    assert [f.name for f in default.fields] == ["sddocname", "documentid", "title", "body", "snippet"]
    short = schema.summaries["short"]
    assert [(f.name, f.sources) for f in short.fields] == [
        ("sddocname", ("sddocname",)), ("title", ("title",)), ("snippet", ("body",)),
        ("documentid", ("documentid",))]
    assert short.from_disk and not short.omit_summary_features
    longer = schema.summaries["longer"]
    assert [f.name for f in longer.fields][-1] == "body" and longer.omit_summary_features


def test_synthetic_fields_follow_document_fields() -> None:
    schema = _compile("", outside="""
  field title_tokens type tensor<float>(d0[8]) { indexing: input title | embed tok | attribute }
  field hits type long { indexing: attribute | summary
                         attribute: mutable }""")
    assert list(schema.fields) == ["title", "body", "pop", "title_tokens", "hits"]
    assert not schema.fields["hits"].in_document and schema.fields["hits"].is_mutable
    assert schema.index_fields("title_tokens") == ("title_tokens",)


@pytest.mark.parametrize("body, outside, fields, marker, message", [
    ("  fieldset default { fields: title, nope }", "", FIELDS, 'nope', "fieldset 'default' names unknown field 'nope'"),
    ("  rank-profile p inherits missing { }", "", FIELDS, 'missing', "inherits unknown rank-profile 'missing'"),
    ("  rank-profile p inherits p { }", "", FIELDS, 'inherits p', "cannot inherit itself"),
    ("  rank-profile a inherits b { }\n  rank-profile b inherits a { }", "", FIELDS, 'rank-profile a', "inheritance cycle"),
    ("  document-summary s2 inherits nope { }", "", FIELDS, 'nope', "unknown document-summary 'nope'"),
    ("  document-summary s2 { summary x {} }", "", FIELDS, 'summary x', "refers to unknown field 'x'"),
    ("", "", "    field relevancy type string { indexing: summary }", 'relevancy', "'relevancy' is a reserved name"),
    ("", "", "    field a type string { indexing: summary }\n    field a type int { indexing: attribute }", 'type int', "duplicate field 'a'"),
    ("", "  field title type string { indexing: input title | summary }", FIELDS, 'input title', "duplicate field 'title'"),
    ("", "", "    field n type int { indexing: attribute\n attribute: mutable }", 'field n', "must be declared outside the document block"),
    ("", "  field m type string { indexing: attribute\n attribute: mutable }", FIELDS, 'field m', "must be a single-value numeric attribute"),
    ("  rank-profile p { mutate { on-match { pop += 1 } } }", "", FIELDS, 'on-match', "is not a mutable attribute"),
    ("  rank-profile p { mutate { on-match { nope += 1 } } }", "", FIELDS, 'on-match', "unknown attribute 'nope'"),
    ("  rank-profile p { function f(x) { expression: x }\n match-features: f }", "", FIELDS, 'match-features', "which takes parameters"),
    ("  rank-profile p { second-phase { } }", "", FIELDS, 'second-phase', "has neither an expression nor counts"),
    ("  rank-profile p { first-phase { expression: #todo\n } }", "", FIELDS, '#todo', "empty expression in first-phase"),
    ("  rank-profile a { }\n  rank-profile a { }", "", FIELDS, 'rank-profile a { }\n', "duplicate rank-profile 'a'"),
    ("  rank-profile a { match-features inherits b { x } }\n  rank-profile b { }", "", FIELDS, 'inherits b', "which the profile does not inherit"),
    ("", "  field e type tensor<float>(x[2]) { indexing: input nothing | attribute }", FIELDS, 'nothing', "reads 'input nothing', which is not a document field"),
    ("", "  field e type tensor<float>(x[2]) { indexing: input title | embed | index }", FIELDS, 'embed', "must also be an 'attribute'"),
    ("", "", "    field my-field type int { indexing: attribute }", 'my-field', "invalid field name 'my-field'"),
])
def test_validation_errors_are_located(body: str, outside: str, fields: str, marker: str, message: str) -> None:
    """The error names the line of `marker` (the last line holding it, for duplicates)."""
    error = _error(body, outside=outside, fields=fields)
    assert message in error.message
    source = _schema(body, fields=fields, outside=outside)
    marker_line = source[: source.rindex(marker)].count("\n") + 1
    assert error.location.line == marker_line


def test_schema_and_document_inheritance() -> None:
    app = application_from_sources({
        "schemas/base.sd": """schema base {
  document base { field title type string { indexing: index | summary } }
  fieldset default { fields: title }
  rank-profile text { first-phase { expression: nativeRank(title) } }
}""",
        "schemas/child.sd": """schema child inherits base {
  document child inherits base { field extra type int { indexing: attribute | summary } }
  rank-profile more inherits text { second-phase { expression: attribute(extra) } }
}""",
    })
    child = app.schemas["child"]
    assert list(child.fields) == ["title", "extra"] and child.inherits == ("base",)
    assert child.fieldsets["default"].fields == ("title",)
    assert child.rank_profiles["more"].first_phase.expression.text == "nativeRank(title)"
    assert [f.name for f in child.summaries["default"].fields] == ["sddocname", "documentid", "title", "extra"]


def test_schema_inheriting_without_document_inheritance_is_an_error() -> None:
    with pytest.raises(SchemaError, match=r"schemas/child\.sd:1:8: .*document must also inherit"):
        application_from_sources({
            "schemas/base.sd": "schema base { document base { } }",
            "schemas/child.sd": "schema child inherits base { document child { } }",
        })
