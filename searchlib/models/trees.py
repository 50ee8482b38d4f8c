"""Gradient-boosted tree models (XGBoost and LightGBM JSON dumps) evaluated over whole columns.

Every tree of a model is flattened into one set of node arrays; evaluation walks all trees for all
rows at once, one level per step (a numpy gather per level), so the cost is O(depth) numpy calls no
matter how many rows or trees. The prediction is the sum of the reached leaves, as in Vespa: no
base score is added, and a logistic objective needs `sigmoid(xgboost("m.json"))`.

Split semantics, as the libraries predict (tests/searchlib/test_tree_libraries.py):
- XGBoost: `value < split_condition` goes to `yes`; a missing value (NaN) follows `missing`. XGBoost
  holds features and split conditions as float32 and compares them so: a value that rounds to a
  float32 condition is not below it, even when its float64 is.
- LightGBM numerical (float64): `value <= threshold` goes left; NaN follows `default_left`, except
  `missing_type: None`, where NaN is treated as 0, and `Zero`, where |value| <= 1e-35 is missing too.
  Categorical (`==`): the value truncated to an integer in the `||`-separated categories goes left;
  NaN and negative values go right. Inputs with |value| <= 1e-35 are read as 0 (LightGBM's
  kZeroThreshold), and the trees' values are summed in float64.
- XGBoost sums the trees' leaves in tree order in float32; so does this module for XGBoost models
  (Vespa sums in double: up to ~1e-5 apart from XGBoost's own predictions at magnitudes ~30).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from searchlib.errors import ExpressionError

_LESS, _LESS_EQUAL, _IN_SET = 0, 1, 2
_LIGHTGBM_ZERO = float(np.float32(1e-35))  # LightGBM's kZeroThreshold (a float): |value| at most this is 0


@dataclass(frozen=True, slots=True)
class TreeModel:
    """All trees of one model, flattened. Node arrays are indexed by global node id; `roots` holds
    each tree's root node id. Leaves have `feature == -1`, and loop to themselves."""

    kind: str  # "xgboost" | "lightgbm"
    feature_names: tuple[str, ...]
    roots: np.ndarray
    feature: np.ndarray  # int64 index into feature_names; -1 for leaves
    threshold: np.ndarray
    test: np.ndarray  # _LESS | _LESS_EQUAL | _IN_SET
    yes: np.ndarray
    no: np.ndarray
    missing: np.ndarray  # where NaN goes
    nan_as_zero: np.ndarray  # bool: NaN is replaced by 0 before the test
    zero_as_missing: np.ndarray  # bool: 0 follows `missing` like NaN (LightGBM missing_type Zero)
    leaf_value: np.ndarray
    categories: tuple[frozenset[float], ...]  # per node, for _IN_SET tests
    max_depth: int

    def predict(self, columns: Mapping[str, np.ndarray | float], num_rows: int) -> np.ndarray:
        """Sum of leaf values per row; `columns` holds a column (or a scalar) per feature name."""
        matrix = np.empty((num_rows, max(len(self.feature_names), 1)), dtype=np.float64)
        for i, name in enumerate(self.feature_names):
            matrix[:, i] = np.asarray(columns[name], dtype=np.float64)
        return self.predict_matrix(matrix)

    def predict_matrix(self, matrix: np.ndarray) -> np.ndarray:
        if self.kind == "xgboost":  # XGBoost compares float32 features (its thresholds are float32 already)
            matrix = matrix.astype(np.float32).astype(np.float64)
        else:  # LightGBM reads |value| <= kZeroThreshold as an absent value, i.e. 0
            matrix = np.where(np.abs(matrix) <= _LIGHTGBM_ZERO, 0.0, matrix)
        rows = matrix.shape[0]
        nodes = np.broadcast_to(self.roots, (rows, len(self.roots))).copy()
        row_index = np.arange(rows)[:, None]
        in_set_nodes = np.flatnonzero(self.test == _IN_SET)
        for _ in range(self.max_depth):
            feature = self.feature[nodes]
            inner = feature >= 0
            if not inner.any():
                break
            values = matrix[row_index, np.maximum(feature, 0)]
            values = np.where(self.nan_as_zero[nodes] & np.isnan(values), 0.0, values)
            threshold = self.threshold[nodes]
            test = self.test[nodes]
            with np.errstate(invalid="ignore"):
                go_yes = np.where(test == _LESS, values < threshold, values <= threshold)
            for node in in_set_nodes:  # categorical splits are rare: one isin per such node
                at = nodes == node
                if at.any():
                    with np.errstate(invalid="ignore"):
                        go_yes[at] = np.isin(np.trunc(values[at]), list(self.categories[node])) & (values[at] >= 0)
            is_missing = np.isnan(values) | (self.zero_as_missing[nodes] & (values == 0.0))
            step = np.where(is_missing, self.missing[nodes],
                            np.where(go_yes, self.yes[nodes], self.no[nodes]))
            nodes = np.where(inner, step, nodes)
        leaves = self.leaf_value[nodes]
        if self.kind == "xgboost" and leaves.shape[1]:  # XGBoost adds the trees in order, in float32
            return np.cumsum(leaves.astype(np.float32), axis=1, dtype=np.float32)[:, -1].astype(np.float64)
        return leaves.sum(axis=1)


class _Builder:
    def __init__(self, kind: str, feature_names: list[str] | None = None) -> None:
        self.kind = kind
        self.names: list[str] = list(feature_names or [])
        self.index: dict[str, int] = {n: i for i, n in enumerate(self.names)}
        self.columns: dict[str, list[Any]] = {k: [] for k in (
            "feature", "threshold", "test", "yes", "no", "missing", "nan_as_zero", "zero_as_missing", "leaf_value", "categories")}
        self.max_depth = 1

    def feature_index(self, name: str) -> int:
        if name not in self.index:
            self.index[name] = len(self.names)
            self.names.append(name)
        return self.index[name]

    def new_node(self) -> int:
        for values in self.columns.values():
            values.append(None)
        return len(self.columns["feature"]) - 1

    def set(self, node: int, **values: Any) -> None:
        for key, value in values.items():
            self.columns[key][node] = value

    def leaf(self, node: int, value: float) -> None:
        self.set(node, feature=-1, threshold=0.0, test=_LESS, yes=node, no=node, missing=node,
                 nan_as_zero=False, zero_as_missing=False, leaf_value=float(value), categories=frozenset())

    def build(self, roots: list[int]) -> TreeModel:
        c = self.columns
        return TreeModel(
            kind=self.kind, feature_names=tuple(self.names), roots=np.array(roots, dtype=np.int64),
            feature=np.array(c["feature"], dtype=np.int64), threshold=np.array(c["threshold"], dtype=np.float64),
            test=np.array(c["test"], dtype=np.int8), yes=np.array(c["yes"], dtype=np.int64),
            no=np.array(c["no"], dtype=np.int64), missing=np.array(c["missing"], dtype=np.int64),
            nan_as_zero=np.array(c["nan_as_zero"], dtype=bool),
            zero_as_missing=np.array(c["zero_as_missing"], dtype=bool),
            leaf_value=np.array(c["leaf_value"], dtype=np.float64),
            categories=tuple(c["categories"]), max_depth=self.max_depth + 1)


def parse_xgboost(trees: Any, source: str = "<xgboost>") -> TreeModel:
    """An XGBoost JSON dump: a list of trees as `Booster.get_dump(dump_format="json")` writes them
    (each tree a dict, or a JSON string of one)."""
    if not isinstance(trees, list):
        raise ExpressionError(f"{source}: an XGBoost model dump must be a JSON array of trees")
    builder = _Builder("xgboost")

    def add(tree: Mapping[str, Any], depth: int) -> int:
        node = builder.new_node()
        builder.max_depth = max(builder.max_depth, depth)
        if "leaf" in tree:
            builder.leaf(node, float(tree["leaf"]))
            return node
        try:
            children = {child["nodeid"]: child for child in tree["children"]}
            yes_id, no_id = tree["yes"], tree["no"]
            missing_id = tree.get("missing", yes_id)
            feature = builder.feature_index(str(tree["split"]))
            threshold = float(np.float32(tree.get("split_condition", 0.0)))  # a float32 in XGBoost
            yes = add(children[yes_id], depth + 1)
            no = add(children[no_id], depth + 1)
        except (KeyError, TypeError) as error:
            raise ExpressionError(f"{source}: malformed XGBoost tree node {tree.get('nodeid')}: {error}") from None
        builder.set(node, feature=feature, threshold=threshold, test=_LESS, yes=yes, no=no,
                    missing=yes if missing_id == yes_id else no, nan_as_zero=False, zero_as_missing=False,
                    leaf_value=0.0,
                    categories=frozenset())
        return node

    roots = [add(json.loads(t) if isinstance(t, str) else t, 0) for t in trees]
    return builder.build(roots)


def parse_lightgbm(model: Any, source: str = "<lightgbm>") -> TreeModel:
    """A LightGBM JSON dump (`Booster.dump_model()`): `feature_names` and `tree_info`."""
    if not isinstance(model, Mapping) or "tree_info" not in model:
        raise ExpressionError(f"{source}: a LightGBM model dump must be a JSON object with 'tree_info'")
    names = list(model.get("feature_names") or [])
    builder = _Builder("lightgbm", names)

    def add(tree: Mapping[str, Any], depth: int) -> int:
        node = builder.new_node()
        builder.max_depth = max(builder.max_depth, depth)
        if "leaf_value" in tree:
            builder.leaf(node, float(tree["leaf_value"]))
            return node
        try:
            index = int(tree["split_feature"])
            feature = builder.feature_index(names[index]) if index < len(names) else builder.feature_index(
                f"Column_{index}")
            decision = tree.get("decision_type", "<=")
            categorical = decision == "=="
            categories = frozenset(float(c) for c in str(tree["threshold"]).split("||")) if categorical \
                else frozenset()
            threshold = 0.0 if categorical else float(tree["threshold"])
            left = add(tree["left_child"], depth + 1)
            right = add(tree["right_child"], depth + 1)
        except (KeyError, TypeError, ValueError) as error:
            raise ExpressionError(f"{source}: malformed LightGBM tree node: {error}") from None
        missing_type = str(tree.get("missing_type", "None"))
        default_left = bool(tree.get("default_left", True))
        builder.set(node, feature=feature, threshold=threshold,
                    test=_IN_SET if categorical else _LESS_EQUAL, yes=left, no=right,
                    missing=right if categorical else left if default_left else right,
                    nan_as_zero=missing_type == "None" and not categorical,
                    zero_as_missing=missing_type == "Zero" and not categorical,
                    leaf_value=0.0, categories=categories)
        return node

    roots = [add(info["tree_structure"], 0) for info in model["tree_info"]]
    return builder.build(roots)


def load_tree_model(kind: str, path: str | Path) -> TreeModel:
    """Read an `xgboost` or `lightgbm` JSON dump from disk."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ExpressionError(f"{kind}: cannot read model file '{path}': {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ExpressionError(f"{kind}: model file '{path}' is not valid JSON: {error}") from None
    if kind == "xgboost":
        return parse_xgboost(data, str(path))
    if kind == "lightgbm":
        return parse_lightgbm(data, str(path))
    raise ExpressionError(f"unknown tree model kind '{kind}'")
