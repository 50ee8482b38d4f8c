"""Vespa's nativeAttributeMatch (nativeattributematchfeature.cpp) over the attribute fields (those
named, else every attribute without an index) whose weight is not 0: each (query term, attribute it
searches) pair with a term weight tw != 0 and field weight fw adds
    weightTable[w] * fw * tw / max(weightTable)
where the term matched, w being the matched element's weight (a weighted set's, else 1; the table
is symmetric: -weightTable[-w] for w < 0, and |w| past the end reads the last entry); the sum is
divided by the sum of fw * tw over all pairs. The table is `linear(1,0)` unless the rank properties
or the field's rank type name another (native_tables.py); `nativeRank.useTableNormalization: false`
divides by 1 instead of the table's maximum. A phrase never matches an attribute.
"""
from __future__ import annotations

import numpy as np

from content_node.matching.core_features import field_weight
from content_node.matching.feature_api import Calculator, FeatureName
from content_node.matching.native_tables import field_rank_type, field_table, lookup, use_table_normalization
from content_node.matching.string_items import element_weights, value_predicate
from searchlib.query import tree as q


def native_attribute_match(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    return native_attribute_score(calc, attribute_fields(calc, feature.args), candidates)


def attribute_fields(calc: Calculator, names: tuple[str, ...]) -> tuple[str, ...]:
    """The attribute fields without an index among `names` (FieldType::ATTRIBUTE), all for none."""
    fields = calc.schema.fields
    wanted = names or tuple(fields)
    return tuple(name for name in wanted if name in fields and fields[name].is_attribute
                 and not fields[name].is_index)


def native_attribute_score(calc: Calculator, names: tuple[str, ...], candidates: np.ndarray) -> np.ndarray:
    total = np.zeros(len(candidates), dtype=np.float64)
    divisor = 0.0
    tables: dict[str, tuple[np.ndarray, float]] = {}
    for item in calc.ranked_items:
        term_weight = float(getattr(item, "weight", 100))
        for field in calc.schema.index_fields(item.field) if term_weight else ():
            weight = field_weight(calc, field)
            if field not in names or not weight or isinstance(item, q.Phrase):
                continue
            if field not in tables:
                tables[field] = _weight_table(calc, field)
            table, max_sum = tables[field]
            divisor += weight * term_weight
            spec = calc.schema.fields[field]
            elements = element_weights(spec, calc.index.attribute(field)[candidates], value_predicate(spec, item)) \
                * calc.in_scope(item, candidates)
            matched = np.flatnonzero(elements)  # (an element of weight 0 counts as no match)
            w = np.rint(elements[matched]).astype(np.int64)
            total[matched] += np.sign(w) * lookup(table, np.abs(w)) * weight * term_weight / max_sum
    return total / divisor if divisor else total


def _weight_table(calc: Calculator, field: str) -> tuple[np.ndarray, float]:
    spec = calc.schema.fields[field]
    rank_type = field_rank_type(calc.settings, spec.settings, field, True, "nativeAttributeMatch", "weightTable")
    table = field_table(calc.rank_properties, rank_type, "nativeAttributeMatch", "weightTable", field)
    max_sum = (float(table.max()) or 1.0) if use_table_normalization(calc.rank_properties) else 1.0
    return table, max_sum
