"""A rank profile compiled once per (schema, profile): the phase expressions, the match- and
summary-features, and the query-input defaults. Evaluation pulls exactly the features the
expressions reference from a FeatureCalculator, as whole columns over the candidates."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from content_node.matching.rank_features import FeatureCalculator
from searchlib.expression import CompiledExpression, compile_expression
from searchlib.schema.model import RankPhase, RankProfile, Schema
from searchlib.rank_values import parse_constant_values, parse_input_defaults

DEFAULT_FIRST_PHASE = "nativeRank"
DEFAULT_RERANK_COUNT = 100
DEFAULT_KEEP_RANK_COUNT = 10000


@dataclass(frozen=True, slots=True)
class NamedExpression:
    name: str
    expression: CompiledExpression


class RankProgram:
    def __init__(self, schema: Schema, profile: RankProfile) -> None:
        self.schema = schema
        self.profile = profile
        self.query_defaults = parse_input_defaults(profile)
        constants = parse_constant_values(profile)

        def compile_text(text: str, phase: RankPhase | None = None) -> CompiledExpression:
            location = phase.expression.location if phase else profile.location
            return compile_expression(text, functions=profile.functions, constants=constants,
                                      location=location)

        first = profile.first_phase
        self.first_phase = compile_text(first.expression.text if first else DEFAULT_FIRST_PHASE, first)
        second = profile.second_phase
        self.second_phase = compile_text(second.expression.text, second) if second else None
        self.match_features = tuple(NamedExpression(n, compile_text(n)) for n in profile.match_features)
        self.summary_features = tuple(NamedExpression(n, compile_text(n)) for n in profile.summary_features)

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


def evaluate(expression: CompiledExpression, calculator: FeatureCalculator, rows: np.ndarray,
             extra: Mapping[str, object] | None = None) -> object:
    """Evaluate over the given candidate rows; `extra` supplies phase features like firstPhase."""
    features: dict[str, object] = {}
    for name in expression.features:
        if extra and name in extra:
            features[name] = extra[name]
        else:
            features[name] = calculator.compute(name, rows)
    return expression.evaluate(features, len(rows))
