"""Rank-profile expressions type-check when the application package loads; errors are located."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from searchlib.errors import SchemaError
from searchlib.schema.application import application_from_text, load_application

FIELDS = """
    document doc {
        field title type string { indexing: index | summary }
        field body type string { indexing: index }
        field pop type double { indexing: attribute }
        field ts type long { indexing: attribute }
        field label type string { indexing: attribute }
        field emb type tensor<float>(x[3]) { indexing: attribute }
        field tags type tensor(t{}) { indexing: attribute }
    }
"""


def schema_with(profile_body: str, extra: str = "") -> str:
    return f"schema doc {{{FIELDS}\n    rank-profile p {{\n{profile_body}\n    }}\n{extra}}}\n"


def load(profile_body: str, extra: str = ""):
    return application_from_text(schema_with(profile_body, extra), name="doc.sd")


def error_of(profile_body: str, extra: str = "") -> SchemaError:
    with pytest.raises(SchemaError) as raised:
        load(profile_body, extra)
    return raised.value


def position_of(needle: str, profile_body: str) -> tuple[int, int]:
    """1-based line and column of `needle` in the schema text."""
    for number, line in enumerate(schema_with(profile_body).splitlines(), 1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(needle)


def test_a_valid_profile_with_functions_tensors_and_constants_loads() -> None:
    body = """
        inputs {
            query(q) tensor<float>(x[3])
            query(w): 2.0
        }
        constants {
            scale: 0.5
            constant(m) tensor(x[3]):[1,2,3]
        }
        function dot() { expression: sum(query(q) * attribute(emb)) }
        function twice(v) { expression: 2 * v }
        function text(f) { expression: nativeRank(f) + bm25(f) }
        first-phase { expression: twice(dot) + text(title) + scale * attribute(pop) + sum(constant(m)) }
        second-phase { expression: firstPhase + fieldMatch(title).completeness + freshness(ts) }
        match-features: dot attribute(emb) reduce(attribute(emb), max, x) tags_sum
        summary-features: firstPhase
        function tags_sum() { expression: reduce(attribute(tags), sum) + if(attribute(label) == "a", 1, 0) }
    """
    profile = load(body).schemas["doc"].rank_profiles["p"]
    assert profile.first_phase is not None and "dot" in profile.functions


def test_unknown_rank_feature_is_located_at_the_feature() -> None:
    body = "        first-phase {\n            expression: attribute(pop) + bogus(title)\n        }"
    error = error_of(body)
    line, column = position_of("bogus(title)", body)
    assert (error.location.line, error.location.column) == (line, column)
    assert "rank-profile 'p' of schema 'doc', first-phase" in str(error)
    assert "unknown function or rank feature 'bogus(title)'" in str(error)
    assert str(error).startswith(f"schemas/doc.sd:{line}:{column}:")


def test_error_in_a_function_body_names_the_function_and_points_into_it() -> None:
    body = ("        function inner() {\n            expression: attribute(nope) * 2\n        }\n"
            "        first-phase { expression: inner }")
    error = error_of(body)
    line, column = position_of("attribute(nope)", body)
    assert (error.location.line, error.location.column) == (line, column)
    assert "function 'inner'" in str(error) and "no field 'nope'" in str(error)


def test_wrong_arity_of_a_profile_function() -> None:
    error = error_of("        function f(a, b) { expression: a + b }\n        first-phase { expression: f(1) }")
    assert "function 'f' takes 2 arguments, got 1" in str(error)


def test_wrong_arity_of_a_math_function() -> None:
    error = error_of("        first-phase { expression: pow(attribute(pop)) }")
    assert "pow takes 2 arguments, got 1" in str(error)
    assert error.location.line > 0


def test_recursive_functions_are_an_error() -> None:
    error = error_of("        function a() { expression: b + 1 }\n        function b() { expression: a }\n"
                     "        first-phase { expression: a }")
    assert "recursive" in str(error)


@pytest.mark.parametrize("expression, message", [
    ("bm25(pop)", "field 'pop' is not an index field"),
    ("attribute(title)", "field 'title' is not an attribute"),
    ("freshness(nope)", "no field 'nope'"),
    ("fieldMatch(nope).completeness", "no field 'nope'"),
    ("fieldMatch(title).significantOccurence", "fieldMatch has no output 'significantOccurence'"),
    ("fieldTermMatch(title,0).weigth", "fieldTermMatch has no output 'weigth'"),
    ("constant(missing)", "unknown constant 'missing'"),
    ("firstPhase", "'firstPhase' is not available in first-phase"),
    ("normalize_linear(attribute(pop))", "normalize_linear is only allowed in global-phase"),
    ("onnx(nomodel)", "onnx model 'nomodel' is not declared"),
    ("elementCompleteness(pop)", "not an index field: 'pop'"),
    ("elementCompleteness(title).best", "elementCompleteness has no output 'best'"),
    ("tensorFromStructs(attribute(pop), key, value, float)", "no such attribute 'pop.key'"),
    ("elementwise(bm25(pop), x)", "field 'pop' is not an index field"),
    ("elementSimilarity(pop)", "field 'pop' is not an index field"),
    ("foreach(terms, N, term(N).weight, \"=1\", sum)", "condition must be 'true'"),
    ("foreach(rows, N, term(N).weight, \"true\", sum)", "dimension must be terms"),
    ("rankingExpression(nosuch)", "no function 'nosuch'"),
    ("bm25(title, other: x)", "unexpected argument 'other:x'"),
    ("bm25(title, x)", "unexpected argument 'x'"),
    ("bm25(title, label: a, label: b)", "Argument 'label' is given twice"),
    ("bm25(title, field: body)", "The field is given twice"),
    ("bm25(label: a, title)", "Expected a named argument after a named argument"),
    ("bm25(field: 1)", "Expected a name or a string as the value of 'field'"),
    ("elementSimilarity(title, label: a)", "unexpected argument 'label:a'"),
    ("bm25_for_labels(pop){label:a}", "field 'pop' is not an index field"),
    ("bm25_for_labels(title)", "must produce a number, but produces tensor(label{})"),
])
def test_first_phase_errors(expression: str, message: str) -> None:
    assert message in str(error_of(f"        first-phase {{ expression: {expression} }}"))


@pytest.mark.parametrize("expression, message", [
    ("attribute(emb)", "must produce a number, but produces tensor<float>(x[3])"),
    ("sum(reduce(attribute(emb), sum, y))", "Cannot reduce over 'y'"),
    ("sum(attribute(tags) * attribute(emb){t:1})", "'t' is not a dimension of tensor<float>(x[3])"),
    ("sum(rename(attribute(emb), y, z))", "cannot rename 'y'"),
    ("sum(if(attribute(pop) > 1, attribute(emb), attribute(tags)))", "both alternatives of if"),
    ("sum(rename(attribute(tags), t, x) * attribute(emb))", "mapped in one operand and indexed in the other"),
])
def test_tensor_type_errors(expression: str, message: str) -> None:
    error = error_of(f"        first-phase {{ expression: {expression} }}")
    assert message in str(error)
    assert error.location.line > 0


def test_second_phase_may_read_first_phase_but_not_second_phase() -> None:
    load("        first-phase { expression: attribute(pop) }\n"
         "        second-phase { expression: firstPhase * 2 }")
    error = error_of("        first-phase { expression: attribute(pop) }\n"
                     "        second-phase { expression: secondPhase }")
    assert "'secondPhase' is not available in second-phase" in str(error)


def test_global_phase_allows_normalizers() -> None:
    load("        function s() { expression: bm25(title) }\n"
         "        first-phase { expression: s }\n"
         "        global-phase { expression: normalize_linear(s) + reciprocal_rank(attribute(pop)) }")


def test_strict_profiles_need_declared_query_features() -> None:
    load("        first-phase { expression: query(boost) * attribute(pop) }")
    error = error_of("        strict: true\n        first-phase { expression: query(boost) * attribute(pop) }")
    assert "query(boost) is not declared in inputs" in str(error)


def test_match_features_are_checked() -> None:
    error = error_of("        first-phase { expression: attribute(pop) }\n        match-features: nosuchthing")
    assert "match-features" in str(error) and "nosuchthing" in str(error)


def test_bm25_named_arguments_are_one_canonical_feature() -> None:
    """`bm25(field: f, label: l)`, `bm25(f, label: l)` and `bm25(f, label: "l")` name one feature."""
    app = load("        first-phase { expression: bm25(field: title, label: a) + bm25(title, label: \"a\") }\n"
               "        match-features { bm25(field: \"title\", label: a) bm25(title, label: b) bm25(body) }\n"
               "        summary-features: bm25_for_labels(title) bm25(title,label:\"b\")")
    profile = app.schemas["doc"].rank_profiles["p"]
    assert profile.match_features == ("bm25(title,label:a)", "bm25(title,label:b)", "bm25(body)")
    assert profile.summary_features == ("bm25_for_labels(title)", "bm25(title,label:b)")


def test_inherited_functions_are_checked_in_the_child() -> None:
    extra = ("    rank-profile child inherits p {\n"
             "        first-phase { expression: helper(1) }\n    }\n")
    error = error_of("        function helper() { expression: attribute(pop) }", extra)
    assert "rank-profile 'child'" in str(error) and "takes 0 arguments, got 1" in str(error)


def _package(tmp_path: Path, profile_body: str) -> Path:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "models").mkdir()
    (tmp_path / "schemas" / "doc.sd").write_text(schema_with(profile_body))
    return tmp_path


XGB_TREE = {"nodeid": 0, "depth": 0, "split": "attribute(pop)", "split_condition": 0.5, "yes": 1, "no": 2,
            "missing": 1, "children": [{"nodeid": 1, "leaf": 0.1}, {"nodeid": 2, "leaf": 0.9}]}


def test_tree_model_files_are_loaded_and_their_features_checked(tmp_path: Path) -> None:
    root = _package(tmp_path, '        first-phase { expression: xgboost("m.json") }')
    (root / "models" / "m.json").write_text(json.dumps([XGB_TREE]))
    load_application(root)
    (root / "models" / "m.json").write_text(json.dumps([dict(XGB_TREE, split="f7")]))
    with pytest.raises(SchemaError, match="unknown function or rank feature 'f7'"):
        load_application(root)
    (root / "models" / "m.json").unlink()
    with pytest.raises(SchemaError, match="cannot read model file"):
        load_application(root)


def test_file_constants_load_and_missing_files_fail(tmp_path: Path) -> None:
    body = ("        constants {\n            constant(w) tensor(x[3]): file:constants/w.json\n        }\n"
            "        first-phase { expression: sum(constant(w) * attribute(emb)) }")
    root = _package(tmp_path, body)
    (root / "constants").mkdir()
    (root / "constants" / "w.json").write_text(json.dumps({"values": [1, 2, 3]}))
    from searchlib.schema.constants import load_constant_values
    app = load_application(root)
    values = load_constant_values(app.schemas["doc"].rank_profiles["p"], root)
    assert values["w"].dense_values.tolist() == [1.0, 2.0, 3.0]
    (root / "constants" / "w.json").unlink()
    with pytest.raises(SchemaError, match="cannot read"):
        load_constant_values(app.schemas["doc"].rank_profiles["p"], root)


def test_unpack_bits_type_and_values() -> None:
    from searchlib.expression import evaluate_expression

    assert evaluate_expression("unpack_bits(tensor<int8>(x[2]):[-127, 5])").dense_values.tolist() == [
        1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1]
    little = evaluate_expression("unpack_bits(tensor<int8>(x[1]):[5], float, little)")
    assert little.dense_values.tolist() == [1, 0, 1, 0, 0, 0, 0, 0]
    assert evaluate_expression("sum(unpack_bits(tensor<int8>(d{},x[1]):{a:[3], b:[1]}))") == 3.0
    source = schema_with("        first-phase { expression: unpack_bits(attribute(bits)) }").replace(
        "        field tags", "        field bits type tensor<int8>(x[1]) { indexing: attribute }\n        field tags")
    with pytest.raises(SchemaError, match=r"must produce a number, but produces tensor<float>\(x\[8\]\)"):
        application_from_text(source, name="doc.sd")
    error = error_of("        first-phase { expression: sum(unpack_bits(attribute(emb))) }")
    assert "unpack_bits needs int8 cells" in str(error)


def test_bad_input_defaults_and_constants_fail_at_load() -> None:
    error = error_of("        inputs {\n            query(v) tensor(x[2]): [1, 2, 3]\n        }\n"
                     "        first-phase { expression: sum(query(v)) }")
    assert "default of input query(v)" in str(error) and error.location.line > 0
    error = error_of("        constants {\n            constant(c) tensor(x[2]): [1, oops]\n        }\n"
                     "        first-phase { expression: sum(constant(c)) }")
    assert "constant(c)" in str(error) and error.location.line > 0


def test_global_phase_onnx_models_must_be_declared() -> None:
    error = error_of("        first-phase { expression: attribute(pop) }\n"
                     "        global-phase { expression: sum(onnx(nomodel)) }")
    assert "onnx model 'nomodel' is not declared" in str(error)


def test_a_name_passed_to_a_function_is_substituted_into_its_feature_arguments() -> None:
    body = """        constants { w0 tensor(x[3]): [1, 2, 3] }
        function weights(p) { expression: constant(p) }
        function field_score(f) { expression: fieldMatch(f) }
        first-phase { expression: sum(weights(w0) * attribute(emb)) + field_score(title) }"""
    load(body)  # as Vespa inlines it: constant(w0), fieldMatch(title)
    assert "unknown constant 'nope'" in str(error_of(body.replace("weights(w0)", "weights(nope)")))
    assert "no field 'nofield'" in str(error_of(body.replace("field_score(title)", "field_score(nofield)")))


def test_derive_mode_takes_unknown_names_as_rank_features_deploy_refuses_them(tmp_path) -> None:
    # Vespa's config model derives `classicRank` (rankingexpression, renamedfeatures in its tests);
    # its content nodes refuse it at deploy: so does a package loaded to run
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "doc.sd").write_text(schema_with(
        "        first-phase { expression: classicRank + attribute }\n"
        "        summary-features: rankingExpression(nosuch)"))
    profile = load_application(tmp_path, derive_only=True).schemas["doc"].rank_profiles["p"]
    assert profile.first_phase.expression.text.strip() == "classicRank + attribute"
    with pytest.raises(SchemaError, match="unknown function or rank feature 'classicRank'") as raised:
        load_application(tmp_path)
    assert (raised.value.location.line, raised.value.location.column) == position_of("classicRank", "        first-phase { expression: classicRank + attribute }")


def test_a_tensor_condition_of_if_is_allowed_as_in_vespa() -> None:
    # Vespa's content nodes read a tensor condition as the sum of its cells (Value::as_double)
    load("        first-phase { expression: if(attribute(emb), 1, 0) + if(query(q) == 0, 2, 3) }\n"
         "        inputs { query(q) tensor(x[3]) }")


def test_field_match_takes_a_single_value_field_only() -> None:
    """fieldmatchfeature.h: indexField(ParameterCollection::SINGLE), so Vespa refuses fieldMatch over
    an array at deploy; termDistance and fieldTermMatch take any index field."""
    def profile(features: str) -> str:
        return ("schema doc {\n    document doc {\n        field chunks type array<string> { indexing: index }\n"
                f"    }}\n    rank-profile p {{\n        first-phase {{ expression: {features} }}\n    }}\n}}\n")
    with pytest.raises(SchemaError, match=r"fieldMatch\(chunks\): 'chunks' is not a single-value field") as raised:
        application_from_text(profile("fieldMatch(chunks).proximity"), name="doc.sd")
    assert raised.value.location.line == 6
    application_from_text(profile("termDistance(chunks,0,1).forward + fieldTermMatch(chunks,0).firstPosition"),
                          name="doc.sd")
