"""The .sd parser: field bodies, types, rank-profile elements, and located syntax errors."""
from __future__ import annotations

import pytest

from searchlib.errors import SchemaError, SourceLocation
from searchlib.schema.parser import indexing_outputs, input_fields, parse_schema
from searchlib.schema.types import TypeSpecError, canonical_tensor_type


def _schema(body: str, fields: str = "") -> str:
    return f"schema s {{\n  document s {{\n{fields}\n  }}\n{body}\n}}\n"


def _field(text: str):
    return parse_schema(_schema("", text), "s.sd").fields[0]


@pytest.mark.parametrize("spec, canonical", [
    ("tensor<float>(x[384])", "tensor<float>(x[384])"),
    ("tensor(x[3])", "tensor(x[3])"),
    ("tensor<double>(x[3])", "tensor(x[3])"),
    ("tensor<bfloat16>(p{}, d0[512])", "tensor<bfloat16>(d0[512],p{})"),
    ("tensor<int8>( dt{} ,x[16])", "tensor<int8>(dt{},x[16])"),
    ("tensor()", "tensor()"),
])
def test_tensor_types_are_canonical(spec: str, canonical: str) -> None:
    assert canonical_tensor_type(spec) == canonical


@pytest.mark.parametrize("spec", ["tensor<half>(x[3])", "tensor(x[3], x[4])", "tensor(x[a])", "tensor x"])
def test_bad_tensor_types_are_rejected(spec: str) -> None:
    with pytest.raises(TypeSpecError):
        canonical_tensor_type(spec)


def test_field_types() -> None:
    fields = parse_schema(_schema("", """
    field a type array<string> { indexing: summary | index }
    field b type weightedset<string> { indexing: attribute }
    field c type tensor<float>(y{}, x[2]) { indexing: attribute }
    field d type long { indexing: attribute }
    field e type bool { indexing: attribute }
    """), "s.sd").fields
    assert [str(f.type) for f in fields] == [
        "array<string>", "weightedset<string>", "tensor<float>(x[2],y{})", "long", "bool"]
    assert fields[0].type.element.kind == "string"


def test_indexing_outputs_and_inputs_are_derived_from_the_script() -> None:
    assert indexing_outputs("summary | index", "f") == {"summary", "index"}
    assert indexing_outputs('input a . " | index" | attribute', "f") == {"attribute"}
    assert indexing_outputs("input t | lowercase | summary t_lc; input y | attribute y", "t_lc") == {"summary"}
    assert input_fields('(input title || "") . " " . (input body || "") | embed tok | attribute') == ("title", "body")


def test_field_body_elements() -> None:
    field = _field("""
    field title type string {
        indexing: summary | index   # the title
        index: enable-bm25
        match: word
        weight: 200
        stemming: none
        bolding: on
        rank-type: identity
        alias: headline
        summary: dynamic
        rank: filter
    }""")
    assert field.is_index and field.is_summary and not field.is_attribute
    assert field.bm25_enabled and field.match == "word" and field.weight == 200 and field.rank_filter
    assert field.aliases == ("headline",)
    assert field.settings["stemming"] == "none" and field.summaries[0].dynamic
    assert field.settings["rank-type"] == "identity" and field.summaries[0].bolding


def test_indexing_block_and_attribute_block() -> None:
    field = _field("""
    field year type int {
        indexing {
            input year | attribute;
            input year | summary;
        }
        attribute {
            fast-search
            paged
        }
        rank { filter }
    }""")
    assert field.is_attribute and field.is_summary and not field.is_index
    assert field.attribute_properties == {"fast-search", "paged"}
    assert field.rank_filter and field.match == "word"


def test_match_exact_implies_filter_unless_rank_normal() -> None:
    exact = _field('field a type string { indexing: index\n match { exact  exact-terminator: "@%" } }')
    assert exact.match == "exact" and exact.rank_filter and exact.settings["match.exact-terminator"] == '"@%"'
    normal = _field("field a type string { indexing: index\n match: exact\n rank: normal }")
    assert normal.match == "exact" and not normal.rank_filter


def test_hnsw_defaults_and_settings() -> None:
    default = _field("field e type tensor<float>(x[4]) { indexing: attribute | index }")
    assert default.hnsw.max_links_per_node == 16 and default.hnsw.neighbors_to_explore_at_insert == 200
    tuned = _field("""field e type tensor<float>(x[4]) {
        indexing: attribute | index
        attribute { distance-metric: dotproduct }
        index { hnsw { max-links-per-node: 8  neighbors-to-explore-at-insert: 50 } }
    }""")
    assert (tuned.hnsw.max_links_per_node, tuned.hnsw.neighbors_to_explore_at_insert) == (8, 50)
    assert tuned.distance_metric == "dotproduct"


def test_expressions_keep_text_and_location() -> None:
    decl = parse_schema(_schema("""
  rank-profile p {
    function f(a, b) {
      expression {
        a * (b +
             1)   # a comment
      }
    }
    first-phase { expression: if (attribute(x) > 0, {a:1}, 2) }
    second-phase { expression: sum(
        attribute(t)) }
  }"""), "s.sd")
    profile = decl.rank_profiles[0]
    body = profile.functions["f"].expression
    assert body.text.startswith("a * (b +") and "comment" not in body.text and body.text.endswith("1)")
    assert (body.location.line, body.location.column) == (9, 9)
    assert body.location_at(body.text.index("1)")) == SourceLocation("s.sd", 10, 14)
    first = profile.phases["first-phase"].expression
    assert first.text == "if (attribute(x) > 0, {a:1}, 2)"
    assert (first.location.line, first.location.column) == (13, 31)
    assert profile.phases["second-phase"].expression.text == "sum(\n        attribute(t))"
    assert profile.functions["f"].parameters == ("a", "b")


def test_inputs_forms_on_one_line_and_many() -> None:
    decl = parse_schema(_schema("""
  rank-profile p {
    inputs { query(q) tensor<float>(x[3])  myDouble: 0.5  query(x) double: 1 }
    inputs {
      query(v) tensor(x[2]): [1, 2]
      query(w)
    }
  }"""), "s.sd")
    inputs = decl.rank_profiles[0].inputs
    assert inputs["query(q)"].type_spec == "tensor<float>(x[3])" and inputs["query(q)"].default is None
    assert inputs["query(myDouble)"].default == "0.5" and inputs["query(myDouble)"].type_spec == "double"
    assert inputs["query(x)"].default == "1"
    assert inputs["query(v)"].default == "[1, 2]" and inputs["query(v)"].type_spec == "tensor(x[2])"
    assert inputs["query(w)"].type_spec == "double"


def test_features_lists_in_all_forms() -> None:
    decl = parse_schema(_schema("""
  rank-profile a {
    match-features: bm25(title) closeness(field, e)
    summary-features {
       f1
       attribute(year)
    }
  }
  rank-profile b inherits a {
    match-features inherits a { extra }
    summary-features {}
  }"""), "s.sd")
    a, b = decl.rank_profiles
    assert a.match_features.features == ["bm25(title)", "closeness(field,e)"]
    assert a.summary_features.features == ["f1", "attribute(year)"]
    assert [ref.name for ref in b.match_features.inherits] == ["a"] and b.match_features.features == ["extra"]
    assert b.summary_features.features == []


def test_schema_level_constant_and_profile_constants() -> None:
    decl = parse_schema(_schema("""
  constant table {
    file: constants/table.json
    type: tensor<float>(x{})
  }
  rank-profile p {
    constants {
      w: 0.6
      constant(v) tensor(x[2]): [1, 2]
    }
  }"""), "s.sd")
    assert decl.constants["constant(table)"].value == "file:constants/table.json"
    assert decl.constants["constant(table)"].type_spec == "tensor<float>(x{})"
    constants = decl.rank_profiles[0].constants
    assert constants["constant(w)"].value == "0.6" and constants["constant(v)"].type_spec == "tensor(x[2])"


def _error(source: str) -> SchemaError:
    with pytest.raises(SchemaError) as raised:
        parse_schema(source, "bad.sd")
    return raised.value


@pytest.mark.parametrize("source, line, column, message", [
    (_schema("  rank-profile x {\n    foo: 1\n  }"), 6, 5, "unknown element 'foo' in rank-profile 'x'"),
    (_schema("", "    field a type string { colour: red }"), 3, 27, "unknown element 'colour' in field 'a'"),
    (_schema("", "    field a type array<strnig<x>> { }"), 3, 18, "unknown field type 'strnig<x>'"),
    (_schema("  rank-profile x {\n    first-phase { expression: f(1 }\n  }"), 6, 32,
     "unclosed '(' in first-phase of rank-profile 'x': found '}' at bad.sd:6:35"),
    (_schema("  rank-profile x {\n    first-phase { expression: f(1\n  }"), 6, 32, "unclosed '('"),
    (_schema("  rank-profile x {\n    second-phase { rerank-count: many }\n  }"), 6, 20,
     "rerank-count in second-phase of rank-profile 'x' must be an integer"),
    (_schema("  rank-profile x {\n    function f() { expression: 1 }\n    function f() { expression: 2 }\n  }"),
     7, 14, "duplicate function 'f'"),
    (_schema("  rank-profile x {\n    mutate { on-match { a *= 2 } }\n  }"), 6, 25, "invalid mutate operation"),
    (_schema("  rank-profile x {\n    mutate { on-lunch { a += 1 } }\n  }"), 6, 14, "unknown element 'on-lunch'"),
    (_schema("", "    field e type tensor(x[2]) { attribute { distance-metric: manhattan } }"), 3, 45,
     "unknown distance-metric 'manhattan'"),
    (_schema("  fieldset f { fields: a\n    matchy: exact }"), 6, 5, "unknown element 'matchy' in fieldset 'f'"),
    ("schema s {\n  document s {\n", 3, 1, "unclosed '{' in document 's'"),
    (_schema("  onnx-model m { file: a.onnx\n    execution-mode: fast }"), 6, 5, "execution-mode must be"),
    (_schema("  rank-profile x {\n    inputs { constant(c): 1 }\n  }"), 6, 14, "must be a query feature"),
])
def test_syntax_errors_name_file_line_and_column(source: str, line: int, column: int, message: str) -> None:
    error = _error(source)
    assert message in error.message
    assert (error.location.file, error.location.line, error.location.column) == ("bad.sd", line, column)
    assert str(error).startswith(f"bad.sd:{line}:{column}: ")


def test_an_unknown_struct_type_is_refused_when_compiled() -> None:
    """A bare name may be a struct declared later or in an inherited document: the compiler decides."""
    from searchlib.schema.application import application_from_text
    with pytest.raises(SchemaError) as raised:
        application_from_text(_schema("", "    field a type strnig { }"), name="s.sd")
    assert "unknown field type 'strnig' in field 'a'" in str(raised.value)
    assert (raised.value.location.line, raised.value.location.column) == (3, 11)
