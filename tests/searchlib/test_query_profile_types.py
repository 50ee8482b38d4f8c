"""Query-profile types declare query feature types for every rank profile
(searchlib/schema/query_profile_types.py), as neuralnet in Vespa's schema tests does."""
from __future__ import annotations

from pathlib import Path

import pytest

from searchlib.errors import SchemaError
from searchlib.rank_values import parse_input_defaults, parse_query_features
from searchlib.schema.application import load_application
from searchlib.tensor import Tensor

SD = """schema doc {
  document doc {
    field pop type double { indexing: attribute }
  }
  constant w {
    type: tensor(x[2])
    value: [1, 2]
  }
  rank-profile p {
    function weights(p) { expression: if(query(p) == 0, constant(p), query(p)) }
    first-phase { expression: sum(weights(w)) * attribute(pop) }
  }
  rank-profile own {
    inputs { query(w) tensor(x[2]): [5, 5] }
    first-phase { expression: sum(query(w)) }
  }
}
"""
TYPE = """<query-profile-type id="root">
  <field name="ranking.features.query(w)" type="tensor(x[2])" />
  <field name="maxHits" type="integer" />
</query-profile-type>
"""


def package(root: Path, types_dir: str, type_text: str = TYPE) -> Path:
    (root / "schemas").mkdir(parents=True)
    (root / "schemas" / "doc.sd").write_text(SD)
    (root / types_dir).mkdir(parents=True)
    (root / types_dir / "root.xml").write_text(type_text)
    return root


def test_a_declared_query_tensor_is_an_input_of_every_profile(tmp_path) -> None:
    app = load_application(package(tmp_path, "search/query-profiles/types"))
    profile = app.schemas["doc"].rank_profiles["p"]
    assert profile.inputs["query(w)"].type_spec == "tensor(x[2])"
    assert app.schemas["doc"].rank_profiles["own"].inputs["query(w)"].default == "[5, 5]"  # its own wins
    given = parse_query_features(profile, {"query(w)": "[3, 4]"})
    assert given["query(w)"] == Tensor.dense("tensor(x[2])", [3.0, 4.0])  # parsed by the declared type
    unset = parse_input_defaults(profile)  # not given: zeros, as Vespa (and no 400 for a missing input)
    assert unset["query(w)"] == Tensor.dense("tensor(x[2])", [0.0, 0.0])
    assert profile.inputs["query(w)"].default is not None


def test_without_the_type_the_function_does_not_type_check(tmp_path) -> None:
    with pytest.raises(SchemaError, match="both alternatives of if"):
        load_application(package(tmp_path, "elsewhere"))


def test_vespas_test_layout_is_read_in_derive_mode_only(tmp_path) -> None:
    root = package(tmp_path, "query-profiles/types")
    assert "query(w)" in load_application(root, derive_only=True).schemas["doc"].rank_profiles["p"].inputs
    with pytest.raises(SchemaError, match="both alternatives of if"):
        load_application(root)


def test_a_feature_type_that_is_no_number_or_tensor_is_refused(tmp_path) -> None:
    bad = TYPE.replace('type="tensor(x[2])"', 'type="string"')
    with pytest.raises(SchemaError, match="type 'string' is no tensor or number type") as raised:
        load_application(package(tmp_path, "search/query-profiles/types", bad))
    assert raised.value.location.file.endswith("root.xml")
