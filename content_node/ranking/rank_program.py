"""A rank profile compiled once per (schema, profile): the phase expressions, the match- and
summary-features, tree models, and the query-input defaults. Evaluation pulls exactly the features
the expressions reference from a FeatureCalculator, as whole columns over the candidates."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from content_node.matching.feature_api import FeatureName
from content_node.matching.feature_setup import KNOWN_FEATURES as FEATURE_NAMES
from content_node.matching.rank_features import FeatureCalculator
from content_node.ranking.onnx_features import ONNX_FEATURES, OnnxFeatures
from searchlib.expression import CompiledExpression, compile_expression
from searchlib.models import TreeModel, load_tree_model
from searchlib.rank_properties import query_properties
from searchlib.rank_values import parse_input_defaults
from searchlib.schema.constants import load_constant_values
from searchlib.schema.model import FIELD_RANK, RankPhase, RankProfile, Schema
from searchlib.schema.package_paths import tree_model_path

DEFAULT_FIRST_PHASE = "nativeRank"
DEFAULT_RERANK_COUNT = 100
DEFAULT_KEEP_RANK_COUNT = 10000
TREE_MODEL_KINDS = ("xgboost", "lightgbm")


@dataclass(frozen=True, slots=True)
class NamedExpression:
    name: str
    expression: CompiledExpression


@dataclass(frozen=True, slots=True)
class BoundTreeModel:
    """A tree model with one compiled expression per model feature (a rank feature or a function)."""

    model: TreeModel
    inputs: tuple[NamedExpression, ...]


class RankProgram:
    """`extra_match_features` are computed and shipped exactly like `match-features` (the global
    phase asks for the inputs it cannot compute in the container this way: hidden match-features)."""

    def __init__(self, schema: Schema, profile: RankProfile, extra_match_features: Sequence[str] = (), *,
                 package_path: str | Path | None = None) -> None:
        self.schema = schema
        self.profile = profile
        self.package_path = Path(package_path) if package_path else None
        self.query_defaults = parse_input_defaults(profile)
        self.constants = load_constant_values(profile, self.package_path)
        # what the rank features read of the profile: its settings and its `rank f: filter|normal`
        self.feature_settings = {**profile.settings, **{f"{FIELD_RANK}{name}": value
                                                          for name, value in profile.field_rank.items()}}

        first = profile.first_phase
        self.first_phase = self.compile(first.expression.text if first else DEFAULT_FIRST_PHASE, first)
        second = profile.second_phase
        self.second_phase = self.compile(second.expression.text, second) if second else None
        self.match_features = tuple(NamedExpression(n, self.compile(n)) for n in profile.match_features)
        self.hidden_match_features = tuple(NamedExpression(n, self.compile(n)) for n in
                                           dict.fromkeys(extra_match_features) if n not in profile.match_features)
        self.summary_features = tuple(NamedExpression(n, self.compile(n)) for n in profile.summary_features)
        self.models: dict[str, BoundTreeModel] = {}
        self.onnx = OnnxFeatures(profile, self.package_path, self.compile)
        for compiled in self._expressions():
            self._bind_models(compiled)

    def compile(self, text: str, phase: RankPhase | None = None) -> CompiledExpression:
        location = phase.expression.location if phase else self.profile.location
        return compile_expression(text, functions=self.profile.functions, constants=self.constants,
                                  location=location)

    @property
    def all_match_features(self) -> tuple[NamedExpression, ...]:
        return self.match_features + self.hidden_match_features

    @property
    def rerank_count(self) -> int:
        second = self.profile.second_phase
        if second is None:
            return 0
        return second.rerank_count if second.rerank_count is not None else DEFAULT_RERANK_COUNT

    @property
    def keep_rank_count(self) -> int:
        first = self.profile.first_phase
        return first.keep_rank_count if first and first.keep_rank_count is not None else DEFAULT_KEEP_RANK_COUNT

    @property
    def first_phase_drop_limit(self) -> float | None:
        first = self.profile.first_phase
        return first.rank_score_drop_limit if first else None

    @property
    def second_phase_drop_limit(self) -> float | None:
        second = self.profile.second_phase
        return second.rank_score_drop_limit if second else None

    def query_features(self, given: Mapping[str, object]) -> dict[str, object]:
        """Declared defaults overlaid with what the query sent."""
        merged = dict(self.query_defaults)
        merged.update(given)
        return merged

    def rank_properties(self, given: Mapping[str, str]) -> Mapping[str, str]:
        """The profile's rank-properties overlaid with the query's (ranking.properties.*), but for
        those a query may not set (searchlib.rank_properties.query_may_set: the native tables)."""
        given = query_properties(given) if given else given
        if not given:
            return self.profile.rank_properties
        return {**self.profile.rank_properties, **given}

    def evaluate(self, expression: CompiledExpression, calculator: FeatureCalculator, rows: np.ndarray,
                 extra: Mapping[str, object] | None = None) -> object:
        """Evaluate over the candidate rows; `extra` supplies phase features (firstPhase, ...)."""
        features: dict[str, object] = {}
        for name in expression.features:
            if extra and name in extra:
                features[name] = extra[name]
            elif name in self.models:
                features[name] = self._predict(self.models[name], calculator, rows, extra)
            elif name in self.onnx:
                features[name] = self.onnx.value(name, calculator, rows,
                                                 lambda source: self.evaluate(source, calculator, rows, extra))
            else:
                features[name] = calculator.compute(name, rows)
        for name in expression.maybe_features - features.keys():  # `max(t, x)`: x a feature or a dimension
            if extra and name in extra:
                features[name] = extra[name]
            elif FeatureName.parse(name).base in FEATURE_NAMES:
                features[name] = calculator.compute(name, rows)
        return expression.evaluate(features, len(rows))

    # ---- tree models ----

    def _expressions(self) -> list[CompiledExpression]:
        found = [self.first_phase] + ([self.second_phase] if self.second_phase else [])
        return found + [n.expression for n in self.all_match_features + self.summary_features]

    def _bind_models(self, compiled: CompiledExpression) -> None:
        for name in compiled.features:
            feature = FeatureName.parse(name)
            if feature.base in ONNX_FEATURES and name not in self.onnx:
                for source in self.onnx.bind(name, feature):
                    self._bind_models(source)
                continue
            if feature.base not in TREE_MODEL_KINDS or name in self.models:
                continue
            model = load_tree_model(feature.base, model_path(self.package_path, feature.args[0] if feature.args else ""))
            inputs = tuple(NamedExpression(n, self.compile(n)) for n in model.feature_names)
            self.models[name] = BoundTreeModel(model, inputs)
            for named in inputs:
                self._bind_models(named.expression)

    def _predict(self, bound: BoundTreeModel, calculator: FeatureCalculator, rows: np.ndarray,
                 extra: Mapping[str, object] | None) -> np.ndarray:
        columns = {named.name: self.evaluate(named.expression, calculator, rows, extra) for named in bound.inputs}
        return bound.model.predict(columns, len(rows))


def model_path(package_path: Path | None, file: str) -> Path:
    """`xgboost("m.json")` reads `<package>/models/m.json`, never a file outside the package."""
    return tree_model_path(package_path or Path("."), file)
