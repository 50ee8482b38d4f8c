"""The rule of searchlib/query_inputs.py over the default package and the input_defaults test
package: which declared inputs a query must give, and when it need not."""
from __future__ import annotations

import pytest

from searchlib.query_inputs import MISSING_INPUTS, inputs_read, missing_input
from searchlib.schema.application import load_application
from tests.container.in_process import APPS
from tests.integration.conftest import DEFAULT_APP


@pytest.fixture(scope="module")
def doc():
    return load_application(DEFAULT_APP).schemas["doc"]


@pytest.fixture(scope="module")
def music():
    return load_application(APPS / "input_defaults").schemas["music"]


def reads(schema, profile: str) -> list[tuple[str, str]]:
    return [(read.feature, read.via) for read in inputs_read(schema.rank_profiles[profile], schema)]


def test_what_the_default_packages_profiles_read(doc) -> None:
    assert reads(doc, "bm25") == reads(doc, "bm25-title-boost") == reads(doc, "default") == []  # a scalar input only
    assert reads(doc, "semantic") == reads(doc, "hybrid") == [("query(q)", "closeness(field,embedding)")]
    assert reads(doc, "bert-ranker") == [("query(q_tokens)", "query(q_tokens)")]  # through the ONNX model's inputs
    assert reads(doc, "hybrid-ce") == [("query(q_tokens)", "query(q_tokens)"), ("query(q)", "closeness(field,embedding)")]


def test_phases_count_and_reported_features_do_not(music) -> None:
    assert reads(music, "rank_albums") == [("query(user_profile)", "query(user_profile)"), ("query(e)", "query(e)")]
    assert reads(music, "reports_e") == []


def test_a_closeness_reads_its_input_only_without_a_nearest_neighbor_over_its_field(doc) -> None:
    semantic = doc.rank_profiles["semantic"]
    message = missing_input(semantic, doc, {}, set(), {})
    assert message.startswith("Rank profile 'semantic' reads the query input 'query(q)' (through "
                              "closeness(field,embedding), and the query has no nearestNeighbor over embedding)")
    assert missing_input(semantic, doc, {"query(q)": object()}, set(), {}) is None
    assert missing_input(semantic, doc, {}, {"embedding"}, {}) is None  # its own tensor is checked as such


def test_the_opt_out_from_the_query_or_the_profile(doc, music) -> None:
    assert missing_input(doc.rank_profiles["bert-ranker"], doc, {}, set(), {MISSING_INPUTS: "default"}) is None
    assert "'query(q_tokens)'" in missing_input(doc.rank_profiles["bert-ranker"], doc, {}, set(), {MISSING_INPUTS: "error"})
    assert missing_input(music.rank_profiles["rank_albums_vespa"], music, {}, set(), {}) is None
    assert missing_input(music.rank_profiles["rank_albums_vespa"], music, {}, set(), {MISSING_INPUTS: "error"})


def test_several_inputs_of_the_fields_vector_type_any_one_will_do(tmp_path) -> None:
    """commerce-product-ranking's shape: q_title and q_description both fit title_embedding."""
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "product.sd").write_text("""schema product {
    document product {
        field title_embedding type tensor<float>(d0[4]) {
            indexing: attribute
        }
    }
    rank-profile semantic_title {
        inputs {
            query(q_title) tensor<float>(d0[4])
            query(q_description) tensor<float>(d0[4])
            query(scale) double
        }
        first-phase {
            expression: query(scale) * closeness(field, title_embedding)
        }
    }
}
""")
    product = load_application(tmp_path).schemas["product"]
    profile = product.rank_profiles["semantic_title"]
    assert "'query(q_title)'" in missing_input(profile, product, {}, set(), {})
    assert missing_input(profile, product, {"query(q_description)": object()}, set(), {}) is None
    assert missing_input(profile, product, {}, {"title_embedding"}, {}) is None
