"""attributeMatch(f), foreach(...) and queryTermDocumentFrequency(f), as Vespa's blueprints
(searchlib/features: attributematchfeature.cpp, foreachfeature.cpp,
query_term_document_frequency_feature.cpp).

attributeMatch(f): over the query terms that search attribute f (numbers equal, strings equal
ignoring case, any element of an array or weighted set). Outputs, n = terms searching f:
  queryCompleteness = matches / n; fieldCompleteness = matches / value count (weighted set:
  totalWeight / sum of the document's weights), both at most 1; completeness (the default output) =
  queryCompleteness * (1 - i + i * fieldCompleteness), i = `attributeMatch(f).fieldCompletenessImportance`
  (0.05); weight = matched term weight / the weight of every query term; significance likewise;
  importance = their mean; matches; totalWeight, averageWeight, maxWeight of the matched weighted-set
  elements; normalizedWeight = min(1, totalWeight / (maxWeight property (256) * n));
  normalizedWeightedWeight = min(1, sum(element weight * term weight) / (256 * attribute term weight)).
foreach(dimension, variable, feature, condition, operation): the feature with the variable replaced
by each term number 0..`foreach.maxTerms`-1 (16), each index field or each attribute-only field,
values kept when the condition (`true`, `<a`, `>a`) holds, combined by sum, product, average,
max, min or count (Vespa's start values: product 1, max -DBL_MAX, min DBL_MAX).
"""
from __future__ import annotations

import re
from typing import Callable

import numpy as np

from content_node.matching.attribute_terms import as_number, numeric_bounds, within
from content_node.matching.core_features import item_statistics, significance as significance_of
from content_node.matching.feature_api import Calculator, FeatureName
from content_node.matching.term_data import query_terms
from searchlib.errors import InvalidParameterError
from searchlib.java_numbers import parse_double
from searchlib.query import tree as q
from searchlib.rank_properties import count, number
from searchlib.tensor import Tensor

DEFAULT_MAX_WEIGHT = 256.0
DEFAULT_FIELD_COMPLETENESS_IMPORTANCE = 0.05
DEFAULT_FOREACH_MAX_TERMS = 16
_DBL_MAX = np.finfo(np.float64).max
ATTRIBUTE_MATCH_OUTPUTS = ("completeness", "queryCompleteness", "fieldCompleteness", "normalizedWeight",
                           "normalizedWeightedWeight", "weight", "significance", "importance", "matches",
                           "totalWeight", "averageWeight", "maxWeight")


def _element_matches(value: object, term: str, numeric: bool) -> float | None:
    """The weight of the element of `value` that `term` matches (1 outside weighted sets), or None."""
    if numeric:  # exact: int64 column values, JSON ints and weighted-set key strings alike
        bounds = numeric_bounds(term)  # a number or a range term (`f < 5` ranks as the term `<5`)
        if bounds is None:
            return None
        same = lambda element: within(as_number(element), *bounds)  # noqa: E731
    else:
        lowered = term.lower()
        same = lambda element: isinstance(element, str) and element.lower() == lowered  # noqa: E731
    if isinstance(value, dict):
        return next((float(w) for k, w in value.items() if same(k)), None)
    if isinstance(value, list):
        return 1.0 if any(same(element) for element in value) else None
    return 1.0 if value is not None and same(value) else None


def attribute_match(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    field = calc.field_arg(feature, index_required=False)
    spec = calc.schema.fields[field]
    if not spec.is_attribute:
        raise InvalidParameterError(f"attributeMatch({field}): field '{field}' is not an attribute")
    output = feature.output or "completeness"
    if output not in ATTRIBUTE_MATCH_OUTPUTS:
        raise InvalidParameterError(f"attributeMatch({field}) has no output '{output}'")
    properties = calc.rank_properties
    max_weight = number(properties, DEFAULT_MAX_WEIGHT, f"attributeMatch({field}).maxWeight")
    importance = number(properties, DEFAULT_FIELD_COMPLETENESS_IMPORTANCE,
                        f"attributeMatch({field}).fieldCompletenessImportance")
    weighted_set = spec.type.kind == "weightedset"
    numeric = (spec.type.element or spec.type).is_numeric
    all_terms = [item for item in calc.ranked_items if isinstance(item, q.Term)]
    column = calc.index.attribute(field)
    values = column[candidates]
    n = len(candidates)
    # over every query term, as attributematchfeature.cpp sums QueryTermHelper's terms (a phrase,
    # fuzzy, regex or sameElement item too)
    total_term_weight = float(sum(getattr(item, "weight", 100) for item in calc.ranked_items))
    significances = {id(t): 0.0 for t in all_terms}
    if output in ("significance", "importance"):  # a scan of the column per term: only when asked
        whole_column = column[np.asarray(calc.index.alive, dtype=bool)[: len(column)]]
        for term in all_terms:
            fields = calc.schema.index_fields(term.field)
            if term.document_frequency is None and term.significance is not None:
                significances[id(term)] = term.significance  # given: first for every term, as below
                continue
            if term.document_frequency is not None:  # QueryTermHelper's get_legacy_significance
                df, count = term.document_frequency
            elif field in fields:
                df = sum(_element_matches(v, term.term, numeric) is not None for v in whole_column)
                count = calc.index.doc_count
            else:  # a term on text fields: its item's document frequency
                df, count = item_statistics(calc, term.field, term.term)
            significances[id(term)] = significance_of(df, count)
    mine, attribute_term_weight = [], 0.0
    for term in all_terms:
        fields = calc.schema.index_fields(term.field)
        if any(calc.schema.fields[f].is_attribute and not calc.schema.fields[f].is_index for f in fields):
            attribute_term_weight += term.weight
            if field in fields:
                mine.append(term)
    total_significance = sum(significances.values())
    matches, matched_weight, matched_significance = np.zeros(n), np.zeros(n), np.zeros(n)
    total, maximum, weighted = np.zeros(n), np.zeros(n), np.zeros(n)
    for term in mine:
        weights = [_element_matches(v, term.term, numeric) for v in values]
        hit = np.array([w is not None for w in weights], dtype=bool) & calc.in_scope(term, candidates)
        element = np.array([w if w is not None else 0.0 for w in weights])
        maximum = np.where(hit & (matches == 0), element, np.where(hit, np.maximum(maximum, element), maximum))
        matches += hit
        matched_weight += hit * term.weight
        matched_significance += hit * significances[id(term)]
        total += element * hit
        weighted += element * hit * term.weight
    query_completeness = matches / len(mine) if mine else np.zeros(n)
    if weighted_set:
        weight_sums = np.array([float(sum(v.values())) if isinstance(v, dict) else 0.0 for v in values])
        field_completeness = np.where(total <= 0, 0.0, np.where(weight_sums <= 0, 1.0,
                                                                np.minimum(total / np.where(weight_sums > 0, weight_sums, 1.0), 1.0)))
    else:
        counts = np.array([float(len(v)) if isinstance(v, (list, dict)) else float(v is not None) for v in values])
        field_completeness = np.where(counts > 0, np.minimum(matches / np.maximum(counts, 1.0), 1.0), 0.0)
    weight = matched_weight / total_term_weight if total_term_weight > 0 else np.zeros(n)
    significance = matched_significance / total_significance if total_significance > 0 else np.zeros(n)
    zeros = np.zeros(n)
    outputs: dict[str, Callable[[], np.ndarray]] = {
        "completeness": lambda: query_completeness * (1.0 - importance + importance * field_completeness),
        "queryCompleteness": lambda: query_completeness,
        "fieldCompleteness": lambda: field_completeness,
        "normalizedWeight": lambda: zeros if not weighted_set or not mine else
        np.where(total > 0, np.minimum(total / (max_weight * len(mine)), 1.0), 0.0),
        "normalizedWeightedWeight": lambda: zeros if not weighted_set else np.where(
            weighted > 0, np.minimum(weighted / (max_weight * attribute_term_weight if attribute_term_weight > 0
                                                 else max_weight), 1.0), 0.0),
        "weight": lambda: weight,
        "significance": lambda: significance,
        "importance": lambda: (weight + significance) / 2.0,
        "matches": lambda: matches,
        "totalWeight": lambda: total if weighted_set else zeros,
        "averageWeight": lambda: np.where(matches > 0, total / np.maximum(matches, 1.0), 0.0)
        if weighted_set else zeros,
        "maxWeight": lambda: maximum if weighted_set else zeros,
    }
    return outputs[output]()


_OPERATIONS: dict[str, tuple[float, Callable[[np.ndarray, np.ndarray], np.ndarray]]] = {
    "sum": (0.0, np.add),
    "product": (1.0, np.multiply),
    "max": (-_DBL_MAX, np.maximum),
    "min": (_DBL_MAX, np.minimum),
    "count": (0.0, lambda acc, value: acc + 1.0),
}


def foreach(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    if len(feature.args) != 5:
        raise InvalidParameterError("foreach takes (dimension, variable, feature, condition, operation)")
    dimension, variable, inner, condition, operation = feature.args
    accept = _condition(condition)
    if operation not in _OPERATIONS and operation != "average":
        raise InvalidParameterError(f"foreach: operation must be sum, product, average, max, min or count, "
                                    f"not '{operation}'")
    fields = calc.schema.fields
    if dimension == "terms":
        limit = count(calc.rank_properties, DEFAULT_FOREACH_MAX_TERMS, "foreach.maxTerms")
        # as foreachfeature.cpp: term i for i below both the query's term count and maxTerms
        values = [str(i) for i in range(min(limit, len(calc.ranked_items)))]
    elif dimension == "fields":
        values = [name for name, spec in fields.items() if spec.is_index]
    elif dimension == "attributes":
        values = [name for name, spec in fields.items() if spec.is_attribute and not spec.is_index]
    else:
        raise InvalidParameterError(f"foreach: dimension must be terms, fields or attributes, not '{dimension}'")
    pattern = re.compile(rf"(?<![\w]){re.escape(variable)}(?![\w])")
    start, combine = _OPERATIONS.get(operation, (0.0, np.add))
    result = np.full(len(candidates), start)
    used = np.zeros(len(candidates))
    for value in values:
        column = calc.compute(pattern.sub(value, inner), candidates)
        column = np.broadcast_to(np.asarray(column, dtype=np.float64), (len(candidates),))
        keep = accept(column)
        result = np.where(keep, combine(result, column), result)
        used += keep
    if operation == "average":
        return np.where(used > 0, result / np.maximum(used, 1.0), 0.0)
    return result


def _condition(text: str) -> Callable[[np.ndarray], np.ndarray]:
    if text == "true":
        return lambda column: np.ones(len(column), dtype=bool)
    if len(text) >= 2 and text[0] in "<>":
        try:
            bound = parse_double(text[1:])
        except ValueError:
            bound = None
        if bound is not None:
            return (lambda column: column < bound) if text[0] == "<" else (lambda column: column > bound)
    raise InvalidParameterError(f"foreach: condition must be 'true', '<a' or '>a', not '{text}'")


def query_term_document_frequency(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> Tensor:
    """tensor(term{}): per query term searching f, labelled by its term(n) number, its item's
    document frequency (the one bm25 uses, whichever of the item's fields f is; a phrase's is
    its hit estimate, its rarest word's)."""
    field = calc.field_arg(feature, index_required=True)
    cells = [({"term": str(i)},
              float(item_statistics(calc, term.index_name, term.item, term.document_frequency)[0]))
             for i, term in enumerate(query_terms(calc))
             if field in calc.schema.index_fields(term.index_name)]
    return Tensor.from_cells("tensor(term{})", cells)


COMPOUND_FEATURES: dict[str, Callable[..., object]] = {
    "attributeMatch": attribute_match,
    "foreach": foreach,
    "queryTermDocumentFrequency": query_term_document_frequency,
}
