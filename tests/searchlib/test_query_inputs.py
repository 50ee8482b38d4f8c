"""The rule of searchlib/query_inputs.py over the default package, the input_defaults test package
and small packages written here: which declared inputs a query must give, and when it need not."""
from __future__ import annotations

import shutil

import pytest

from searchlib.query_inputs import MISSING_INPUTS, inputs_read, missing_input
from searchlib.schema.application import load_application
from tests.container.in_process import APPS
from tests.integration.conftest import DEFAULT_APP

EMBEDDING = "field embedding type tensor<float>(x[2]) {\n indexing: attribute\n }"


@pytest.fixture(scope="module")
def default_app():
    return load_application(DEFAULT_APP)


@pytest.fixture(scope="module")
def music_app():
    return load_application(APPS / "input_defaults")


def reads(application, schema: str, profile: str) -> list[tuple[str, str]]:
    found = application.schemas[schema]
    return [(read.feature, read.via) for read in inputs_read(application, found, found.rank_profiles[profile])]


def missing(application, profile: str, given=(), nearest=(), properties=None, schema: str | None = None):
    found = application.schemas[schema or next(iter(application.schemas))]
    return missing_input(application, found, found.rank_profiles[profile], set(given), set(nearest), properties or {})


def package(tmp_path, fields: str, profiles: str, files: dict | None = None):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "doc.sd").write_text(
        f"schema doc {{\n document doc {{\n field text type string {{\n indexing: index\n }}\n {fields}\n }}\n"
        f"{profiles}\n}}\n")
    for name, source in (files or {}).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, tmp_path / name)
    return load_application(tmp_path)


def test_what_the_default_packages_profiles_read(default_app) -> None:
    for profile in ("bm25", "bm25-title-boost", "default"):
        assert reads(default_app, "doc", profile) == []  # a scalar input only
    assert reads(default_app, "doc", "semantic") == reads(default_app, "doc", "hybrid") == [
        ("query(q)", "closeness(field,embedding)")]
    assert reads(default_app, "doc", "bert-ranker") == [("query(q_tokens)", "query(q_tokens)")]  # via the ONNX inputs
    assert reads(default_app, "doc", "hybrid-ce") == [("query(q_tokens)", "query(q_tokens)"),
                                                      ("query(q)", "closeness(field,embedding)")]


def test_phases_count_and_reported_features_do_not(music_app) -> None:
    assert sorted(reads(music_app, "music", "rank_albums")) == [("query(e)", "query(e)"),
                                                                ("query(user_profile)", "query(user_profile)")]
    assert reads(music_app, "music", "reports_e") == []


def test_a_closeness_needs_a_nearest_neighbor_over_its_field_whether_or_not_the_input_is_given(default_app) -> None:
    message = missing(default_app, "semantic")
    assert message.startswith("Rank profile 'semantic' reads closeness(field,embedding), the same for every hit "
                              "without a nearestNeighbor over 'embedding' in the query, whether or not 'query(q)' is "
                              "given: add nearestNeighbor(embedding, q)")
    assert missing(default_app, "semantic", given={"query(q)"}) == message  # the silent zero all the same
    assert missing(default_app, "semantic", nearest={"embedding"}) is None  # its own tensor is checked as such
    assert message.endswith(f"ranking.properties.{MISSING_INPUTS}=default")


def test_the_opt_out_from_the_query_or_the_profile(default_app, music_app) -> None:
    assert missing(default_app, "bert-ranker", properties={MISSING_INPUTS: "default"}) is None
    for value in ("error", "true", "1"):  # only `default` opts out
        assert "'query(q_tokens)'" in missing(default_app, "bert-ranker", properties={MISSING_INPUTS: value})
    assert missing(music_app, "rank_albums_vespa") is None
    assert missing(music_app, "rank_albums_vespa", properties={MISSING_INPUTS: "error"})


def test_several_inputs_of_the_fields_vector_type_name_the_first(tmp_path) -> None:
    """commerce-product-ranking's shape: q_title and q_description both fit title_embedding."""
    app = package(tmp_path, "field title_embedding type tensor<float>(d0[4]) {\n indexing: attribute\n }", """
    rank-profile semantic_title {
        inputs {
            query(q_title) tensor<float>(d0[4])
            query(q_description) tensor<float>(d0[4])
            query(scale) double
        }
        first-phase { expression: query(scale) * closeness(field, title_embedding) }
    }
    rank-profile by_distance {
        inputs {
            query(q_title) tensor<float>(d0[4])
        }
        first-phase { expression: 1 / (1 + distance(field, title_embedding)) }
    }""")
    assert reads(app, "doc", "by_distance") == [("query(q_title)", "distance(field,title_embedding)")]
    assert "nearestNeighbor(title_embedding, q_title)" in missing(app, "semantic_title", given={"query(q_description)"})
    assert missing(app, "semantic_title", nearest={"title_embedding"}) is None


def test_reads_are_the_compilers_not_words_in_the_text(tmp_path) -> None:
    """Dimension names, lambda parameters, a field named like a function and a function called
    by a wrong-looking name are not reads; a function's body, however it is called, is."""
    app = package(tmp_path, EMBEDDING + "\n field scored type tensor<float>(x[2]) {\n indexing: attribute\n }", """
    rank-profile words {
        inputs {
            query(q) tensor<float>(x[2])
            query(t) tensor<float>(x[2])
        }
        function x() { expression: sum(query(t)) }
        function e() { expression: sum(query(q)) }
        function scored() { expression: sum(query(t)) }
        first-phase { expression: bm25(text) + reduce(map(attribute(embedding), f(e)(e * 2)), sum, x) + sum(attribute(scored)) }
    }
    rank-profile via_function {
        inputs {
            query(t) tensor<float>(x[2])
        }
        function scored() { expression: sum(query(t) * attribute(embedding)) }
        first-phase { expression: bm25(text) + rankingExpression(scored) }
    }""")
    assert reads(app, "doc", "words") == []
    assert missing(app, "words") is None
    assert reads(app, "doc", "via_function") == [("query(t)", "query(t)")]


def test_an_onnx_model_without_input_lines_reads_the_functions_named_like_its_inputs(tmp_path) -> None:
    """`onnx('m')` (single quotes) with no `input` lines: the model's own inputs, which the
    profile's functions named like them give (as the content node binds them)."""
    model = DEFAULT_APP / "models" / "cross-encoder" / "model.onnx"
    app = package(tmp_path, EMBEDDING, """
    onnx-model m {
        file: models/m.onnx
    }
    rank-profile ranker {
        inputs {
            query(q_tokens) tensor<float>(d0[32])
        }
        function input_ids() { expression: tokenInputIds(64, query(q_tokens), attribute(embedding)) }
        function attention_mask() { expression: tokenAttentionMask(64, query(q_tokens), attribute(embedding)) }
        function token_type_ids() { expression: tokenTypeIds(64, query(q_tokens), attribute(embedding)) }
        first-phase { expression: bm25(text) }
        global-phase { expression: sum(onnx('m')) }
    }""", {"models/m.onnx": model})
    assert reads(app, "doc", "ranker") == [("query(q_tokens)", "query(q_tokens)")]
    assert "'query(q_tokens)'" in missing(app, "ranker")
    assert missing(app, "ranker", given={"query(q_tokens)"}) is None


def test_reads_are_cached_per_package_generation(default_app) -> None:
    from searchlib import query_inputs

    reads(default_app, "doc", "semantic")
    assert ("doc", "semantic") in query_inputs._READS_BY_GENERATION[default_app.generation]


def test_onnx_input_names_from_the_file_and_nothing_from_a_broken_one(tmp_path) -> None:
    from searchlib.models.onnx_graph import onnx_input_names

    model = DEFAULT_APP / "models" / "cross-encoder" / "model.onnx"
    assert onnx_input_names(str(model)) == ("input_ids", "attention_mask", "token_type_ids")  # weights left out
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(model.read_bytes()[:5000])
    assert onnx_input_names(str(broken)) == ()
    assert onnx_input_names(str(tmp_path / "absent.onnx")) == ()
