"""`sameElement` and terms/ranges over multi-value attributes (array attributes, the struct-field
attributes of arrays of structs and maps: searchlib.struct_values derives their values).

`persons contains sameElement(name contains "a", age > 30)` matches a document when one element i
has persons.name[i] = "a" and persons.age[i] > 30: the struct-field columns of one field hold one
list per document, element i of each read from the same struct (or map entry). Attribute matching
is the one rule of attribute_terms (whole values, case and accents as the field's match mode). Conditions are tested on the documents
that hold each plain condition in some element (one pass over the rows per condition), then element by
element in Python.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Sequence

import numpy as np

from content_node.matching.attribute_terms import (
    attribute_term_matches, multi_value_range, term_predicate, value_in_range,
)
from searchlib.errors import InvalidParameterError
from searchlib.query import tree as q
from searchlib.schema.model import Schema

_SUPPORTED = "terms, comparisons and range() combined with and, or, ! and rank()"


def same_element_matches(node: q.SameElement, schema: Schema, column_of: Callable[[str], np.ndarray],
                         alive: np.ndarray) -> np.ndarray:
    """Sorted local ids of the documents with an element passing every child of `node`."""
    fields = {leaf: _element_field(node.field, leaf, schema) for leaf in _leaf_fields(node.children)}
    columns = {name: column_of(name) for name in set(fields.values())}
    terms = {id(term): term_predicate(schema.fields[fields[term.field]], term.term, term.affix)
             for term in _leaves(node.children) if isinstance(term, q.Term)}
    limit = min((len(column) for column in columns.values()), default=0)
    candidates = np.flatnonzero(np.asarray(alive[:limit], dtype=bool))
    for child in node.children:  # a document needs each plain condition in some element: narrow first
        if isinstance(child, (q.Term, q.Range)) and len(candidates):
            column = columns[fields[child.field]][candidates]
            hit = (attribute_term_matches(schema.fields[fields[child.field]], column, child.term, child.affix)
                   if isinstance(child, q.Term) else multi_value_range(column, replace(child, hit_limit=0)))
            candidates = candidates[hit]
    wanted = set(node.element_filter)
    found = []
    for doc in candidates:
        values = {name: column[doc] for name, column in columns.items()}
        size = max((len(v) for v in values.values() if isinstance(v, list)), default=0)
        for i in range(size):
            if wanted and i not in wanted:
                continue

            def value(leaf_field: str) -> Any:
                row = values[fields[leaf_field]]
                return row[i] if isinstance(row, list) and i < len(row) else None

            if all(_holds(child, value, terms) for child in node.children):
                found.append(doc)
                break
    return np.asarray(found, dtype=np.int32)


def _element_field(field: str, leaf: str, schema: Schema) -> str:
    name = f"{field}.{leaf}" if leaf else field
    spec = schema.fields.get(name)
    if spec is None:
        raise InvalidParameterError(f"sameElement: field '{field}' has no struct-field '{leaf}' in schema "
                                    f"'{schema.name}'" if leaf else f"Field '{field}' does not exist in schema "
                                    f"'{schema.name}'")
    if not spec.is_attribute or spec.type.kind != "array" or spec.type.element is None:
        what = f"struct-field '{name}'" if leaf else f"field '{name}'"
        raise InvalidParameterError(f"sameElement needs {what} to be an attribute holding one value per "
                                    f"element (struct-field {leaf or name} {{ indexing: attribute }})")
    return name


def _leaf_fields(children: Sequence[q.QueryNode]) -> set[str]:
    found: set[str] = set()
    for child in children:
        if isinstance(child, (q.Term, q.Range)):
            found.add(child.field)
        elif isinstance(child, (q.And, q.Or, q.Rank)):
            found |= _leaf_fields(child.children)
        elif isinstance(child, q.Not):
            found |= _leaf_fields((child.child,))
        else:
            raise InvalidParameterError(f"{type(child).__name__} is not supported inside sameElement (it takes "
                                        f"{_SUPPORTED})")
    return found


def _leaves(children: Sequence[q.QueryNode]) -> list[q.QueryNode]:
    found: list[q.QueryNode] = []
    for child in children:
        if isinstance(child, (q.Term, q.Range)):
            found.append(child)
        elif isinstance(child, (q.And, q.Or, q.Rank)):
            found += _leaves(child.children)
        elif isinstance(child, q.Not):
            found += _leaves((child.child,))
    return found


def _holds(node: q.QueryNode, value: Callable[[str], Any], terms: dict[int, Callable[[object], bool]]) -> bool:
    if isinstance(node, q.Term):
        found = value(node.field)
        return found is not None and terms[id(node)](found)
    if isinstance(node, q.Range):
        return value_in_range(value(node.field), node)
    if isinstance(node, q.And):
        return all(_holds(child, value, terms) for child in node.children)
    if isinstance(node, q.Or):
        return any(_holds(child, value, terms) for child in node.children)
    if isinstance(node, q.Rank):
        return _holds(node.children[0], value, terms)
    return not _holds(node.child, value, terms)  # q.Not (_leaf_fields allowed nothing else)
