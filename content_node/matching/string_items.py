"""fuzzy() and `matches` over string attributes, single or multi-value (each distinct value is
tested once; searchlib.query.string_match has the rules), and `in (...)` over integer and string
fields."""
from __future__ import annotations

from typing import Callable

import numpy as np

from content_node.matching.attribute_terms import (
    as_number, documents_where, element_kind, is_cased, is_multi_value, term_predicate)
from searchlib.errors import InvalidParameterError
from searchlib.numbers import UNSET_INTEGER, present
from searchlib.query import tree as q
from searchlib.query.string_match import compile_regex, fuzzy_match
from searchlib.schema.model import Field, Schema


def string_item_matches(node: q.Fuzzy | q.Regex, fields: tuple[str, ...], schema: Schema,
                        column_of: Callable[[str], np.ndarray]) -> list[np.ndarray]:
    """Sorted local ids per field of the documents whose value passes the item."""
    found = []
    for field in fields:
        spec = schema.fields[field]
        if not (spec.is_attribute and element_kind(spec) == "string"):
            operator = "fuzzy()" if isinstance(node, q.Fuzzy) else "'matches'"
            raise InvalidParameterError(
                f"{operator} searches string attribute fields; '{field}' is not one")
        passes = _predicate(node, is_cased(spec))
        found.append(documents_where(column_of(field), lambda value: isinstance(value, str) and passes(value)))
    return found


def value_predicate(spec: Field, item: q.Term | q.Fuzzy | q.Regex) -> Callable[[object], bool]:
    """Whether one value of the attribute `spec` matches the ranked item (a word or numeric term,
    any alternative of an equiv, a fuzzy or regex item)."""
    if isinstance(item, (q.Fuzzy, q.Regex)):
        passes = _predicate(item, is_cased(spec))
        return lambda value: isinstance(value, str) and passes(value)
    tests = [term_predicate(spec, word, item.affix) for word in q.equiv_alternatives(item.term) or (item.term,)]
    return lambda value: any(test(value) for test in tests)


def element_weights(spec: Field, values: np.ndarray, passes: Callable[[object], bool]) -> np.ndarray:
    """Per document, the weight of its first value that passes (a weighted set's weight, else 1),
    0 where none does: the element weight Vespa's attribute iterators unpack."""
    weights = np.zeros(len(values), dtype=np.float64)
    for row, value in enumerate(values.tolist()):
        if isinstance(value, dict):
            weights[row] = next((float(w) for key, w in value.items() if passes(key)), 0.0)
        elif is_multi_value(spec) and isinstance(value, (list, tuple)):
            weights[row] = 1.0 if any(passes(element) for element in value) else 0.0
        elif value is not None and not (isinstance(value, float) and value != value) and passes(value):
            weights[row] = 1.0
    return weights


def _predicate(node: q.Fuzzy | q.Regex, cased: bool) -> Callable[[str], bool]:
    """`match: cased` attributes compare letter case, the others ignore it."""
    if isinstance(node, q.Fuzzy):
        return lambda value: fuzzy_match(value, node.term, node.max_edit_distance, node.prefix_length,
                                         node.prefix, cased)
    pattern = compile_regex(node.pattern, cased)
    return lambda value: pattern.search(value) is not None


def in_matches(node: q.In, fields: tuple[str, ...], schema: Schema,
               column_of: Callable[[str], np.ndarray],
               postings_of: Callable[[str, str], object]) -> list[np.ndarray]:
    """Sorted local ids per field of the documents holding one of the values: integer attributes
    (single, array or weighted set) by equality, string attributes as `contains` would match each
    value, indexed string fields by their words."""
    found = []
    for field in fields:
        spec = schema.fields[field]
        kind = element_kind(spec)
        if node.numeric and spec.is_attribute and kind in _INTEGER_KINDS:
            wanted_set = frozenset(int(v) for v in node.values)  # exact: Python ints
            column = column_of(field)
            if is_multi_value(spec):
                found.append(documents_where(column, lambda value: as_number(value) in wanted_set))
            else:  # int64 columns compare exactly; a value no int64 holds matches nothing
                wanted = np.array([v for v in wanted_set if UNSET_INTEGER < v < 2**63], dtype=np.int64)
                found.append(np.flatnonzero(np.isin(column, wanted) & present(column)).astype(np.int32))
        elif not node.numeric and kind == "string" and spec.is_index:
            ids = [postings_of(field, value).doc_ids for value in node.values]
            found.append(np.unique(np.concatenate(ids)).astype(np.int32) if ids else np.empty(0, np.int32))
        elif not node.numeric and kind == "string" and spec.is_attribute:
            passes = [term_predicate(spec, value) for value in node.values]
            found.append(documents_where(column_of(field), lambda value: any(p(value) for p in passes)))
        else:
            wanted_type = "integer" if node.numeric else "string"
            raise InvalidParameterError(
                f"The in operator with {wanted_type} values needs {wanted_type} fields: '{field}' is "
                f"{spec.type}{' (not an attribute)' if node.numeric and not spec.is_attribute else ''}")
    return found


_INTEGER_KINDS = ("int", "long", "byte")
