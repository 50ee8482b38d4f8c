"""XGBoost and LightGBM models give the libraries' own predictions (raw margins) within 1e-6, on
data generated here: NaN inputs, categorical splits, and values placed just around every split
condition, where float32 (XGBoost) against float64 (LightGBM) comparison decides the branch."""
from __future__ import annotations

import json

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb

from searchlib.models import parse_lightgbm, parse_xgboost

FEATURES = ["attribute(a)", "attribute(b)", "bm25(title)", "attribute(cat)"]
TOLERANCE = 1e-6


def _data(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 4)) * 3
    x[:, 3] = rng.integers(0, 6, size=rows)  # a small-integer category
    x[rng.random(rows) < 0.1, 0] = np.nan
    x[rng.random(rows) < 0.05, 1] = np.nan
    y = np.sin(np.nan_to_num(x[:, 0])) + 0.5 * np.nan_to_num(x[:, 1]) ** 2 + (x[:, 3] == 2) + 0.1 * x[:, 2]
    return x, y


def _around(base: np.ndarray, thresholds: dict[int, list[float]]) -> np.ndarray:
    """Rows whose feature sits on, just below and just above each split condition (in float64),
    plus NaN, negative and fractional categories."""
    rows = []
    for column, values in thresholds.items():
        for t in values:
            for v in (t, np.nextafter(t, -np.inf), np.nextafter(t, np.inf), t - 1e-9 * max(abs(t), 1.0),
                      t + 1e-9 * max(abs(t), 1.0), float(np.float32(t)) - 1e-12):
                row = base[len(rows) % len(base)].copy()
                row[column] = v
                rows.append(row)
    extra = base[:8].copy()
    extra[:, 3] = [np.nan, -1.0, 2.5, 2.0, 0.0, 5.9, 1e9, -0.5]
    return np.vstack([base, np.array(rows), extra])


def _xgboost_thresholds(trees: list) -> dict[int, list[float]]:
    found: dict[int, list[float]] = {}

    def visit(node: dict) -> None:
        if "split" in node:
            found.setdefault(FEATURES.index(node["split"]), []).append(float(node["split_condition"]))
            for child in node["children"]:
                visit(child)

    for tree in trees:
        visit(tree)
    return found


@pytest.mark.parametrize("objective, base_score", [("reg:squarederror", 0.0), ("binary:logistic", 0.5)])
def test_xgboost_scores_equal_the_library(objective: str, base_score: float) -> None:
    x, y = _data(800, 1)
    labels = y if objective.startswith("reg") else (y > np.median(y)).astype(float)
    names = [f"f{i}" for i in range(4)]
    # base score 0 (regression) / 0.5 (logistic: margin 0): the engine, like Vespa, adds none
    booster = xgb.train({"max_depth": 5, "eta": 0.3, "base_score": base_score, "objective": objective,
                         "nthread": 1}, xgb.DMatrix(x, label=labels, feature_names=names), num_boost_round=40)
    trees = [json.loads(t) for t in booster.get_dump(dump_format="json")]
    _rename(trees, dict(zip(names, FEATURES)))
    test_x = _around(_data(300, 2)[0], _xgboost_thresholds(trees))
    expected = booster.predict(xgb.DMatrix(test_x, feature_names=names), output_margin=True)
    model = parse_xgboost(trees)
    predicted = model.predict({f: test_x[:, i] for i, f in enumerate(FEATURES)}, len(test_x))
    np.testing.assert_allclose(predicted, expected, atol=TOLERANCE, rtol=0)


@pytest.mark.parametrize("missing", ["nan", "zero", "none"])
def test_lightgbm_scores_equal_the_library(missing: str) -> None:
    x, y = _data(800, 3)
    params = {"objective": "regression", "num_leaves": 16, "learning_rate": 0.2, "verbose": -1,
              "min_data_in_leaf": 5, "num_threads": 1, "use_missing": missing != "none",
              "zero_as_missing": missing == "zero"}
    if missing == "zero":
        x[np.random.default_rng(4).random(len(x)) < 0.1, 1] = 0.0
    booster = lgb.train(params, lgb.Dataset(x, label=y, feature_name=[f"f{i}" for i in range(4)],
                                            categorical_feature=[3]), num_boost_round=40)
    dump = booster.dump_model()
    dump["feature_names"] = FEATURES
    test_x = _around(_data(300, 4)[0], _lightgbm_thresholds(dump))
    test_x[::17, 1] = 0.0
    expected = booster.predict(test_x, raw_score=True)
    model = parse_lightgbm(dump)
    assert any(model.categories)
    predicted = model.predict({f: test_x[:, i] for i, f in enumerate(FEATURES)}, len(test_x))
    np.testing.assert_allclose(predicted, expected, atol=TOLERANCE, rtol=0)


def _lightgbm_thresholds(dump: dict) -> dict[int, list[float]]:
    found: dict[int, list[float]] = {}

    def visit(node: dict) -> None:
        if "split_feature" in node:
            if node.get("decision_type") == "<=":
                found.setdefault(int(node["split_feature"]), []).append(float(node["threshold"]))
            visit(node["left_child"])
            visit(node["right_child"])

    for info in dump["tree_info"]:
        visit(info["tree_structure"])
    return found


def _rename(trees: list, names: dict[str, str]) -> None:
    def visit(node: dict) -> None:
        if "split" in node:
            node["split"] = names[node["split"]]
        for child in node.get("children", []):
            visit(child)

    for tree in trees:
        visit(tree)
