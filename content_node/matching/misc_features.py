"""Smaller rank features: age, averageFieldLength, num_docs_indexed, random, rawScore, textSimilarity,
match (searchlib/schema/match_feature.py) and the nativeRank components (nativeFieldMatch,
nativeProximity, nativeAttributeMatch).

textSimilarity(f) is Vespa's (content_node.matching.text_similarity). nativeFieldMatch is the
documented nativeRank simplification; nativeProximity is the mean over the fields of fieldMatch's
proximity with each phrase one term (as Vespa's native features read the term data, a phrase's
pair distance from its last word); nativeAttributeMatch is Vespa's (native_attribute_match).
"""
from __future__ import annotations

import zlib
from typing import Callable

import numpy as np

from content_node.matching.core_features import attribute, field_weight, native_rank
from content_node.matching.feature_api import Calculator, FeatureName
from content_node.matching.string_items import element_weights, value_predicate
from content_node.matching.text_features import field_match_outputs
from content_node.matching.text_similarity import text_similarity
from content_node.matching.weighted_tokens import token_scores
from searchlib.errors import InvalidParameterError
from searchlib.query import tree as q
from searchlib.schema.match_feature import match_inputs, match_problem

WEIGHT_TABLE_MAX = 255.0  # nativeAttributeMatch's default weightTable linear(1,0) has 256 entries


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


def native_field_match(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    return native_rank(calc, feature, candidates)


def native_proximity(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    fields = feature.args or tuple(name for name, f in calc.schema.fields.items() if f.is_index)
    if not fields:
        return np.zeros(len(candidates))
    return sum(field_match_outputs(calc, f, candidates, split=False)["proximity"] for f in fields) / len(fields)


def native_attribute_match(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    """Vespa's nativeAttributeMatch over the attribute fields (those named, else every attribute
    without an index): each (query term, attribute it searches) pair with a non-zero term weight tw
    and field weight fw adds weightTable(w) * fw * tw / max(weightTable) where the term matched, w
    being the matched element's weight (a weighted set's, else 1); the sum is divided by the sum of
    fw * tw over all pairs. The weight table is the default linear(1,0): w clamped to [-255, 255];
    `nativeRank.useTableNormalization: false` divides by 1 instead of the table's maximum."""
    tables = [key for key in calc.rank_properties if key.startswith("nativeAttributeMatch.weightTable")]
    if tables:
        raise InvalidParameterError(f"not supported: {tables[0]} (only the default weight table linear(1,0))")
    normalization = 1.0 if calc.rank_properties.get("nativeRank.useTableNormalization") == "false" \
        else WEIGHT_TABLE_MAX
    names = feature.args or tuple(name for name, f in calc.schema.fields.items() if f.is_attribute and not f.is_index)
    total = np.zeros(len(candidates), dtype=np.float64)
    divisor = 0.0
    for item in calc.ranked_items:
        term_weight = float(getattr(item, "weight", 100))
        for field in calc.schema.index_fields(item.field) if term_weight else ():
            spec = calc.schema.fields[field]
            weight = field_weight(calc, field)
            if field not in names or not spec.is_attribute or spec.is_index or not weight or isinstance(item, q.Phrase):
                continue
            divisor += weight * term_weight
            elements = element_weights(spec, calc.index.attribute(field)[candidates], value_predicate(spec, item)) \
                * calc.in_scope(item, candidates)
            total += np.clip(elements, -WEIGHT_TABLE_MAX, WEIGHT_TABLE_MAX) * weight * term_weight / normalization
    return total / divisor if divisor else total


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
    "nativeFieldMatch": native_field_match,
    "nativeProximity": native_proximity,
    "nativeAttributeMatch": native_attribute_match,
    "rawScore": raw_score,
}
