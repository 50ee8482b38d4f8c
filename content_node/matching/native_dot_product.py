"""nativeDotProduct(f) and nativeDotProduct (Vespa's nativedotproductfeature.cpp): the sum, over the
query terms searching f that match the document, of the term's weight times its match weight - the
weight of the element it matched in a weighted set (the first such element), 1 otherwise. Without a
field, over every field the query's terms search. The reference's example: X = {x:10, y:20, z:30},
query x!2 OR y!4 -> 10*2 + 20*4 = 100.

Attributes: the candidates' values are flattened once (collection_dot_product.flatten) and each
term's predicate is tested once per distinct value. Index fields: a term's hits come from its
postings; a weighted-set index field reads the matched element's weight from the stored value."""
from __future__ import annotations

import numpy as np

from content_node.matching.attribute_terms import term_predicate
from content_node.matching.collection_dot_product import codes_of, flatten
from content_node.matching.core_features import bm25_hits, bm25_term
from content_node.matching.feature_api import Calculator, FeatureName
from content_node.store.inverted_index import element_tokens
from searchlib.query import tree as q


def native_dot_product(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    if feature.args:
        fields = [calc.field_arg(feature, index_required=False)]
    else:
        fields = sorted({name for item in calc.ranked_items if isinstance(item, (q.Term, q.Phrase))
                         for name in calc.schema.index_fields(item.field) if name in calc.schema.fields})
    total = np.zeros(len(candidates), dtype=np.float64)
    for field in fields:
        items = [item for item in calc.ranked_items
                 if isinstance(item, (q.Term, q.Phrase)) and field in calc.schema.index_fields(item.field)]
        if not items:
            continue
        spec = calc.schema.fields[field]
        if spec.is_index:
            total += _index_field(calc, spec, items, candidates)
        elif spec.is_attribute:
            total += _attribute_field(calc, spec, items, candidates)
    return total


def _attribute_field(calc: Calculator, spec, items: list, candidates: np.ndarray) -> np.ndarray:
    flat = flatten(spec, calc.index.attribute(spec.name)[candidates])
    result = np.zeros(len(candidates), dtype=np.float64)
    if not len(flat.keys):
        return result
    distinct, codes = codes_of(flat.keys)
    for item in items:
        if not isinstance(item, q.Term):
            continue
        passes = term_predicate(spec, item.term, item.affix)
        accepted = np.fromiter((passes(key) for key in distinct), dtype=bool, count=len(distinct))
        hit = np.flatnonzero(accepted[codes])
        if not len(hit):
            continue
        rows, first = np.unique(flat.rows[hit], return_index=True)  # the first matched element per row
        weight = flat.weights[hit[first]] if spec.type.kind == "weightedset" else 1.0
        result[rows] += item.weight * weight * calc.in_scope(item, candidates)[rows]
    return result


def _index_field(calc: Calculator, spec, items: list, candidates: np.ndarray) -> np.ndarray:
    result = np.zeros(len(candidates), dtype=np.float64)
    for item in items:
        term = bm25_term(calc, item).term
        rows, _ = bm25_hits(calc, spec.name, term, candidates)
        if not len(rows):
            continue
        if spec.type.kind == "weightedset":
            words = q.item_words(item)
            weight = np.array([_element_weight(calc, spec.name, int(candidates[row]), words) for row in rows])
        else:
            weight = 1.0
        result[rows] += item.weight * weight
    return result


def _element_weight(calc: Calculator, field: str, local_id: int, words: list[str]) -> float:
    """The weight of the first element of a weighted-set index field holding the item's words."""
    value = (calc.index.document(local_id, (field,)) or {}).get(field) or {}
    for tokens, weight in zip(element_tokens(value), value.values()):
        if all(word in tokens for word in words):
            return float(weight)
    return 1.0


NATIVE_DOT_PRODUCT_FEATURES = {"nativeDotProduct": native_dot_product}
