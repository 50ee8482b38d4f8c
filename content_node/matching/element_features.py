"""Features per element of an array (or weighted set) of strings, as Vespa's
elementwise_bm25_executor.cpp and element_similarity_feature.cpp compute them.

The positions in the index do not say which element they fall in, so these features read the
candidates' stored values and tokenize each element as the index does (inverted_index.element_tokens);
use them in second phase or on few candidates.

elementwise(bm25(f), dim, cell_type = double): tensor<cell_type>(dim{}), one cell per element
(labelled by its index) in which some query term searching f occurs: the sum over those terms of
idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * element length / average element length)), with
`bm25(f).k1`, `.b`, `.averageElementLength` (also under the elementwise feature's own name).
A phrase or equiv is one term, as in bm25(f) (elementwise_bm25_executor.cpp reads the item's
positions per element and its document frequency): a phrase counts where it starts within the
element, an equiv its alternatives' distinct positions. (With an element-gap a phrase may span
elements in matching; here it is counted only within one element.)

elementSimilarity(f): per element with a match, from its terms (a phrase or equiv one, where it
starts) greedily taken in position order
(each term once, later positions only): p = mean proximity score of the steps (1 - ((d-1)/8)^2, 0
past 8; one match: of the element length), o = share of steps in query order (one match: 1 if the
query has one term), q = matched term weight / all terms' weight, f = matches / element length, w
= the element's weight (1 in arrays). Outputs: `max((0.35*p+0.15*o+0.30*q+0.20*f)*w)` by default,
others from `elementSimilarity(f).output.<name>: aggregator(expression)` (max, avg or sum).

elementCompleteness(f) (element_completeness_feature.cpp): over the elements where some query term
(weight != 0) searching f occurs, with m = terms matched there, l = the element's length, w its
weight (1 in arrays): queryCompleteness = matched terms' weight / all terms' weight, fieldCompleteness
= min(m, l) / l, completeness = fieldCompleteness * c + queryCompleteness * (1 - c) with c =
`elementCompleteness(f).fieldCompletenessImportance` (0.5); the outputs are those of the first element
with the highest completeness * w, all 0 when none is above 0 (so negative weights give 0).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from content_node.matching.core_features import bm25_term, document_frequency, known_idf
from content_node.matching.feature_api import Calculator, FeatureName
from content_node.matching.term_data import query_terms
from content_node.store.inverted_index import element_tokens
from searchlib.errors import ExpressionError, InvalidParameterError
from searchlib.expression import compile_expression
from searchlib.query import tree as q
from searchlib.rank_properties import number
from searchlib.ranking.formulas import BM25_B, BM25_K1, bm25_score, proximity_step_score
from searchlib.schema.collection_feature_types import ELEMENT_COMPLETENESS_OUTPUTS
from searchlib.tensor import Tensor, TensorBatch, TensorType

DEFAULT_SIMILARITY = "max((0.35*p+0.15*o+0.30*q+0.20*f)*w)"
CELL_TYPES = ("double", "float", "bfloat16", "int8")
_AGGREGATORS: dict[str, Callable[[np.ndarray], float]] = {
    "max": lambda v: float(v.max()), "avg": lambda v: float(v.mean()), "sum": lambda v: float(v.sum())}


def _elements(calc: Calculator, field: str, candidates: np.ndarray) -> list[list[tuple[list[str], float]]]:
    """Per candidate: (tokens, weight) of each element of the stored value."""
    result = []
    for local_id in candidates:
        document = calc.index.document(int(local_id), (field,)) or {}
        value = document.get(field)
        if value is None:
            result.append([])
            continue
        tokens = element_tokens(value)
        weights = [float(w) for w in value.values()] if isinstance(value, dict) else [1.0] * len(tokens)
        result.append(list(zip(tokens, weights)))
    return result


def _field_terms(calc: Calculator, field: str) -> list[tuple[tuple[tuple[str, ...], ...], float]]:
    """(the alternatives of each query term searching `field`, each a tuple of words, its weight),
    in term(n) order: a phrase or equiv is one term, as elementSimilarity reads each term's match
    data (element_similarity_feature.cpp VectorizedQueryTerms: a phrase's where it starts)."""
    return [(tuple(q.phrase_words(word) or (word,) for word in q.equiv_alternatives(t.text) or (t.text,)), t.weight)
            for t in query_terms(calc) if t.text and field in calc.schema.index_fields(t.index_name) and t.weight != 0]


def elementwise(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> TensorBatch:
    if len(feature.args) not in (2, 3):
        raise InvalidParameterError("elementwise takes (feature, dimension[, cell type])")
    inner = FeatureName.parse(feature.args[0])
    if inner.base != "bm25" or inner.output:
        raise InvalidParameterError(f"elementwise: '{feature.args[0]}' is not a feature with elementwise support "
                                    "(bm25(field))")
    cell_type = feature.args[2] if len(feature.args) == 3 else "double"
    if cell_type not in CELL_TYPES:
        raise InvalidParameterError(f"elementwise: '{cell_type}' is not a valid tensor cell type")
    field = calc.field_arg(inner, index_required=True)
    dimension = feature.args[1]
    name = f"elementwise(bm25({field}),{dimension},{cell_type})"
    properties = calc.rank_properties

    def setting(key: str, default: float) -> float:
        return number(properties, default, f"{name}.{key}", f"bm25({field}).{key}")

    k1, b = setting("k1", BM25_K1), setting("b", BM25_B)
    average = setting("averageElementLength", 0.0) or calc.index.average_field_length(field, per_element=True) or 1.0
    terms = _bm25_terms(calc, field)
    tensor_type = TensorType.parse(f"tensor{'' if cell_type == 'double' else f'<{cell_type}>'}({dimension}{{}})")
    rows = []
    for elements in _elements(calc, field, candidates) if terms else [[]] * len(candidates):
        cells = []
        for index, (tokens, _) in enumerate(elements):
            score, found = 0.0, False
            for alternatives, idf in terms:
                tf = _occurrences(tokens, alternatives)
                if tf:
                    score += bm25_score(idf, tf, len(tokens), k1, b, average)
                    found = True
            if found:
                cells.append(({dimension: str(index)}, score))
        rows.append(Tensor.from_cells(tensor_type, cells))
    return TensorBatch(tensor_type, rows=rows)


def _bm25_terms(calc: Calculator, field: str) -> list[tuple[tuple[tuple[str, ...], ...], float]]:
    """(the alternatives of each query item searching `field`, each a tuple of words, its idf):
    a phrase or equiv is one term, with bm25(f)'s document frequency (core_features)."""
    terms = []
    for item in calc.ranked_items:
        if isinstance(item, (q.Term, q.Phrase)) and field in calc.schema.index_fields(item.field) \
                and item.weight != 0:  # fuzzy and regex items search no index
            term = bm25_term(calc, item)
            idf = term.given
            if idf is None:
                idf = known_idf(calc.index, document_frequency(calc.index, term), calc.index.doc_count)
            if idf is not None:
                alternatives = q.equiv_alternatives(term.term) or (term.term,)
                terms.append((tuple(q.phrase_words(word) or (word,) for word in alternatives), idf))
    return terms


def _starts(tokens: list[str], alternatives: tuple[tuple[str, ...], ...]) -> set[int]:
    """Where one query item occurs in an element: where a phrase starts; an equiv's alternatives
    at distinct positions (its merged positions, which elementwise bm25 reads)."""
    return {i for words in alternatives for i in range(len(tokens) - len(words) + 1)
            if tuple(tokens[i:i + len(words)]) == words}


def _occurrences(tokens: list[str], alternatives: tuple[tuple[str, ...], ...]) -> int:
    return len(_starts(tokens, alternatives))


def _element_scores(tokens: list[str], terms: list[tuple[tuple[tuple[str, ...], ...], float]],
                    total_weight: float) -> tuple | None:
    """(p, o, q, f) of one element, or None when no term occurs in it."""
    positions = [_starts(tokens, alternatives) for alternatives, _ in terms]
    occurrences = sorted((pos, index) for index, found in enumerate(positions) for pos in found)
    if not occurrences:
        return None
    first_pos, first_index = occurrences[0]
    used = {first_index}
    last_pos, last_index = first_pos, first_index
    matched, weight_sum, proximity_sum, in_order = 1, terms[first_index][1], 0.0, 0
    for pos, index in occurrences[1:]:
        if index in used or pos <= last_pos:
            continue
        proximity_sum += proximity_step_score(pos - last_pos)
        in_order += index > last_index
        used.add(index)
        last_pos, last_index = pos, index
        matched += 1
        weight_sum += terms[index][1]
    length = max(len(tokens), matched)
    if matched < 2:
        p, o = proximity_step_score(length), 1.0 if len(terms) == 1 else 0.0
    else:
        p, o = proximity_sum / (matched - 1), in_order / (matched - 1)
    return p, o, weight_sum / total_weight, matched / length


def element_similarity(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    field = calc.field_arg(feature, index_required=True)
    output = feature.output or "default"
    spec = calc.rank_properties.get(f"elementSimilarity({field}).output.{output}",
                                    DEFAULT_SIMILARITY if output == "default" else None)
    if spec is None:
        raise InvalidParameterError(f"elementSimilarity({field}) has no output '{output}' "
                                    f"(set elementSimilarity({field}).output.{output})")
    aggregator, expression = _output_spec(spec, field)
    terms = _field_terms(calc, field)
    total_weight = sum(w for _, w in terms)
    result = np.zeros(len(candidates))
    if not terms:
        return result
    for row, elements in enumerate(_elements(calc, field, candidates)):
        scored = [(scores, weight) for tokens, weight in elements
                  if (scores := _element_scores(tokens, terms, total_weight)) is not None]
        if not scored:
            continue
        columns = np.array([[*scores, weight] for scores, weight in scored]).T
        values = expression.evaluate(dict(zip("poqfw", columns)), len(scored))
        result[row] = _AGGREGATORS[aggregator](np.broadcast_to(np.asarray(values, dtype=np.float64),
                                                               (len(scored),)))
    return result


def _output_spec(spec: str, field: str):
    text = spec.strip()
    head, _, rest = text.partition("(")
    if head.strip() not in _AGGREGATORS or not rest.endswith(")"):
        raise InvalidParameterError(f"elementSimilarity({field}): output '{spec}' must be max(...), avg(...) "
                                    "or sum(...) of an expression over p, o, q, f, w")
    try:
        expression = compile_expression(rest[:-1])
    except ExpressionError as error:  # the query's or profile's text: a bad parameter
        raise InvalidParameterError(f"elementSimilarity({field}): output '{spec[:60]}': {error.message}") from None
    unknown = expression.features - set("poqfw")
    if unknown:
        raise InvalidParameterError(f"elementSimilarity({field}): output '{spec}' reads {sorted(unknown)}; "
                                    "only p, o, q, f and w are defined")
    return head.strip(), expression


def element_completeness(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    field = calc.field_arg(feature, index_required=True)
    output = feature.output or "completeness"
    if output not in ELEMENT_COMPLETENESS_OUTPUTS:
        raise InvalidParameterError(f"elementCompleteness({field}) has no output '{output}'")
    importance = number(calc.rank_properties, 0.5, f"elementCompleteness({field}).fieldCompletenessImportance")
    best = calc.memo(("elementCompleteness", field, importance, candidates.tobytes()),
                     lambda: _best_elements(calc, field, importance, candidates))
    return best[ELEMENT_COMPLETENESS_OUTPUTS.index(output)]


def _best_elements(calc: Calculator, field: str, importance: float, candidates: np.ndarray) -> np.ndarray:
    """The four outputs (rows) per candidate (columns): the elements' matches are found per element,
    their scores and each candidate's best element in numpy."""
    terms = _field_terms(calc, field)
    outputs = np.zeros((4, len(candidates)))
    if not terms:
        return outputs
    total_weight = float(sum(weight for _, weight in terms))
    rows, matched, weights, lengths, element_weights = [], [], [], [], []
    for row, elements in enumerate(_elements(calc, field, candidates)):
        for tokens, element_weight in elements:
            hits = [weight for alternatives, weight in terms if _starts(tokens, alternatives)]
            if hits:
                rows.append(row)
                matched.append(len(hits))
                weights.append(sum(hits))
                lengths.append(len(tokens))
                element_weights.append(element_weight)
    if not rows:
        return outputs
    rows_array, lengths_array = np.array(rows), np.array(lengths, dtype=np.float64)
    query_completeness = np.array(weights, dtype=np.float64) / total_weight
    field_completeness = np.minimum(np.array(matched, dtype=np.float64), lengths_array) / lengths_array
    completeness = field_completeness * importance + query_completeness * (1.0 - importance)
    element_weight = np.array(element_weights, dtype=np.float64)
    score = completeness * element_weight
    order = np.lexsort((np.arange(len(rows)), -score, rows_array))  # per row: best score, first element
    first = order[np.r_[True, rows_array[order][1:] != rows_array[order][:-1]]]
    first = first[score[first] > 0.0]
    for index, values in enumerate((completeness, field_completeness, query_completeness, element_weight)):
        outputs[index, rows_array[first]] = values[first]
    return outputs


ELEMENT_FEATURES: dict[str, Callable[..., object]] = {
    "elementwise": elementwise,
    "elementSimilarity": element_similarity,
    "elementCompleteness": element_completeness,
}
