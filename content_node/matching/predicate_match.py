"""The `predicate(field, ...)` operator over predicate attributes and its `subqueries(field)` rank
feature. Each distinct predicate of the field is evaluated once per query (and once per group of
subqueries that see the same terms: usually one), exactly, by searchlib.predicate; numpy spreads the
64-bit results over the documents. Cost: O(distinct predicates x their size x subquery groups)
Python steps plus O(documents) numpy -- a scan, not Vespa's interval index, which matters only when
most documents hold different predicates."""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from searchlib.errors import InvalidParameterError
from searchlib.predicate import QueryTerms, matched_subqueries
from searchlib.query import tree as q
from searchlib.schema.model import Schema


def subquery_bitmaps(node: q.PredicateQuery, schema: Schema, attribute: Callable[[str], object]) -> np.ndarray:
    """uint64 per local id: the subqueries for which the document's predicate holds (0: none)."""
    spec = schema.fields.get(node.field)
    if spec is None or spec.type.kind != "predicate":
        raise InvalidParameterError(f"predicate(): '{node.field}' is not a predicate field in schema '{schema.name}'")
    values = attribute(node.field)
    classes = QueryTerms(node.features, node.ranges).subquery_classes()
    results = np.array([matched_subqueries(p, classes) for p in values.predicates] + [0], dtype=np.uint64)
    return results[values.ids]  # -1 (unset) picks the trailing 0


def predicate_matches(node: q.PredicateQuery, schema: Schema, attribute: Callable[[str], object]) -> np.ndarray:
    return np.flatnonzero(subquery_bitmaps(node, schema, attribute)).astype(np.int32)


def predicate_items(node: q.QueryNode) -> Iterator[q.PredicateQuery]:
    if isinstance(node, q.PredicateQuery):
        yield node
    elif isinstance(node, (q.And, q.Or, q.WeakAnd, q.Rank)):
        for child in node.children:
            yield from predicate_items(child)
