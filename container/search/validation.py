"""Query checks against the schemas before anything is sent: unknown fields are a 400 here, not
an error from every content node."""
from __future__ import annotations

from typing import Sequence

from searchlib.errors import InvalidParameterError
from searchlib.hits import is_relevance
from searchlib.query import tree as q
from searchlib.schema.model import Schema


def validate_fields(node: q.QueryNode, schemas: Sequence[Schema]) -> None:
    def known(field: str) -> bool:
        return any(schema.index_fields(field) for schema in schemas)

    def visit(item: q.QueryNode) -> None:
        if isinstance(item, (q.Term, q.Phrase, q.Range, q.NearestNeighbor)):
            if not known(item.field):
                names = ", ".join(s.name for s in schemas)
                raise InvalidParameterError(f"Field '{item.field}' does not exist in schema {names}")
        elif isinstance(item, (q.And, q.Or, q.WeakAnd, q.Rank)):
            for child in item.children:
                visit(child)
        elif isinstance(item, q.Not):
            visit(item.child)

    visit(node)


def validate_sorting(sorting: Sequence[q.SortKey], schemas: Sequence[Schema]) -> None:
    for key in sorting:
        if is_relevance(key.field):
            continue
        if not any(key.field in s.fields and s.fields[key.field].is_attribute for s in schemas):
            raise InvalidParameterError(
                f"Sorting on '{key.field}' is not possible: it is not an attribute field")
