"""Smaller rank features: age, averageFieldLength, num_docs_indexed, random, rawScore, textSimilarity
(Vespa's: content_node.matching.text_similarity) and match (searchlib/schema/match_feature.py).
"""
from __future__ import annotations

import zlib
from typing import Callable

import numpy as np

from content_node.matching.core_features import attribute, field_weight
from content_node.matching.feature_api import Calculator, FeatureName
from content_node.matching.text_similarity import text_similarity
from content_node.matching.weighted_tokens import token_scores
from searchlib.errors import InvalidParameterError
from searchlib.query import tree as q
from searchlib.schema.match_feature import match_inputs, match_problem


def age(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    """Seconds since the document's timestamp attribute, from the query's now."""
    timestamps = attribute(calc, FeatureName("attribute", feature.args, ""), candidates)
    return np.maximum(calc.now - timestamps, 0.0)


def average_field_length(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> float:
    return float(calc.index.average_field_length(calc.field_arg(feature, index_required=True)))


def num_docs_indexed(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> float:
    return float(calc.index.doc_count)


def random(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    """Uniform in [0, 1), the same for a document within one query (seeded by the query's now)."""
    seed = zlib.crc32(repr(calc.now).encode())
    return np.random.default_rng(seed).random(int(candidates.max(initial=-1)) + 1)[candidates]


def raw_score(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    """rawScore(f): the dot products of the query's dotProduct and wand items searching f."""
    field = feature.args[0] if feature.args else ""
    if field not in calc.schema.fields:
        raise InvalidParameterError(f"rawScore({field}): no field '{field}' in schema '{calc.schema.name}'")
    total = np.zeros(len(candidates), dtype=np.float64)
    limit = calc.index.local_id_limit
    for item in _items(calc.query):
        if item.operator != "weightedSet" and field in calc.schema.index_fields(item.field):
            _, score = token_scores(item, (field,), calc.schema, limit, calc.index.attribute, calc.postings)
            total += score[candidates]
    return total


def _items(node: q.QueryNode) -> list[q.WeightedTokens]:
    if isinstance(node, q.WeightedTokens):
        return [node]
    if isinstance(node, (q.And, q.Or, q.Rank, q.WeakAnd)):
        return [item for child in node.children for item in _items(child)]
    return []  # negated items never rank


def match(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray | float:
    """Vespa's MatchExecutor: the field-weighted average of the match scores of the fields that
    matched (score > 0); `.totalWeight` their weight sum; `.weight.f` field f's weight."""
    problem = match_problem(calc.schema, feature.output) if not feature.args else "match takes no arguments"
    if problem is not None:
        raise InvalidParameterError(problem)
    weights = {name: field_weight(calc, name) for name, _ in match_inputs(calc.schema)}
    if feature.output.startswith("weight."):
        return weights[feature.output[7:]]
    total = np.zeros(len(candidates), dtype=np.float64)
    weight_sum = np.zeros(len(candidates), dtype=np.float64)
    for name, source in match_inputs(calc.schema):
        score = np.broadcast_to(np.asarray(calc.compute(source, candidates), dtype=np.float64), total.shape)
        matched = score > 0.0
        total += np.where(matched, weights[name] * score, 0.0)
        weight_sum += np.where(matched, weights[name], 0.0)
    if feature.output == "totalWeight":
        return weight_sum
    return np.divide(total, weight_sum, out=np.zeros_like(total), where=weight_sum > 0.0)


MISC_FEATURES: dict[str, Callable[..., object]] = {
    "match": match,
    "age": age,
    "averageFieldLength": average_field_length,
    "num_docs_indexed": num_docs_indexed,
    "random": random,
    "textSimilarity": text_similarity,
    "rawScore": raw_score,
}
