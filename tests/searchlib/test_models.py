"""XGBoost and LightGBM JSON dumps evaluated natively: equal to the libraries' own predictions on
models trained by fixtures/tree_models/generate.py (NaN inputs and categorical splits included)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from searchlib.errors import ExpressionError
from searchlib.models import load_tree_model, parse_lightgbm, parse_xgboost

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tree_models"


def _expected(name: str) -> tuple[dict[str, np.ndarray], np.ndarray]:
    data = json.loads((FIXTURES / f"{name}.expected.json").read_text())
    inputs = np.array([[np.nan if v is None else v for v in row] for row in data["inputs"]])
    return {f: inputs[:, i] for i, f in enumerate(data["features"])}, np.array(data["predictions"])


@pytest.mark.parametrize("name, kind, tolerance", [
    ("xgboost_regression", "xgboost", 1e-6),
    ("xgboost_logistic", "xgboost", 1e-6),
    ("lightgbm_regression", "lightgbm", 1e-9),
])
def test_predictions_equal_the_library(name: str, kind: str, tolerance: float) -> None:
    model = load_tree_model(kind, FIXTURES / f"{name}.json")
    columns, expected = _expected(name)
    assert np.isnan(columns["attribute(a)"]).any()  # the missing-value paths are exercised
    predicted = model.predict(columns, len(expected))
    np.testing.assert_allclose(predicted, expected, atol=tolerance, rtol=0)


def test_lightgbm_fixture_has_categorical_splits() -> None:
    model = load_tree_model("lightgbm", FIXTURES / "lightgbm_regression.json")
    assert any(model.categories)


def test_scalar_inputs_broadcast_over_rows() -> None:
    model = parse_xgboost([{"nodeid": 0, "split": "x", "split_condition": 1.0, "yes": 1, "no": 2, "missing": 2,
                            "children": [{"nodeid": 1, "leaf": -1.0}, {"nodeid": 2, "leaf": 1.0}]}])
    assert model.predict({"x": 0.5}, 3).tolist() == [-1.0, -1.0, -1.0]
    assert model.predict({"x": np.array([0.5, 1.0, np.nan])}, 3).tolist() == [-1.0, 1.0, 1.0]


def test_lightgbm_missing_type_none_treats_nan_as_zero() -> None:
    tree = {"split_feature": 0, "threshold": 0.5, "decision_type": "<=", "default_left": False,
            "missing_type": "None", "left_child": {"leaf_value": 1.0}, "right_child": {"leaf_value": 2.0}}
    model = parse_lightgbm({"feature_names": ["x"], "tree_info": [{"tree_structure": tree}]})
    assert model.predict({"x": np.array([np.nan, 0.7])}, 2).tolist() == [1.0, 2.0]


@pytest.mark.parametrize("content, message", [
    ("{", "not valid JSON"),
    ('{"trees": []}', "must be a JSON array of trees"),
    ('[{"nodeid": 0, "split": "x", "yes": 1, "no": 2, "children": []}]', "malformed XGBoost tree"),
])
def test_bad_xgboost_files_are_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "m.json"
    path.write_text(content)
    with pytest.raises(ExpressionError, match=message):
        load_tree_model("xgboost", path)


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ExpressionError, match="cannot read model file"):
        load_tree_model("lightgbm", tmp_path / "absent.json")
