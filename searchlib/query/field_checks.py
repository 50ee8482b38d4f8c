"""Checks of a parsed query that need more than the YQL text: the searched fields' types (Vespa's
IndexFacts) and the container's hit window. One definition for the container (a 400 before
anything is scattered) and for the YQL conformance test, which gives the same checks the field
types of Vespa's own test setup. The messages are Vespa's."""
from __future__ import annotations

from typing import Callable, Iterable, Sequence

from searchlib.query import tree as q
from searchlib.query.vespa_form import vespa_string

# what Vespa's Index.isInteger() covers
INTEGER_KINDS = frozenset({"byte", "int", "long"})


def value_kind(field_kind: str) -> str:
    """'integer', 'string' or the kind itself, for the value type of one field (the element type
    of an array or weighted set)."""
    return "integer" if field_kind in INTEGER_KINDS else field_kind


def in_operator_problem(index: str, kinds: Iterable[str]) -> str | None:
    """`index in (...)` over fields whose value kinds are `kinds` (several for a fieldset): Vespa's
    YqlParser accepts only integer or string fields, and never a fieldset that mixes the two."""
    kinds = {value_kind(kind) for kind in kinds}
    if {"integer", "string"} <= kinds:
        return ("The in operator is not supported for fieldsets with a mix of integer and string fields. "
                f"The fieldset {index} has both")
    if not kinds & {"integer", "string"}:
        return (f"The in operator is only supported for integer and string fields. "
                f"The field {index} is not of these types")
    return None


def nearest_neighbor_problem(node: q.NearestNeighbor) -> str | None:
    """Vespa's parser accepts nearestNeighbor without targetHits; its ValidateNearestNeighborSearcher
    then refuses the query (the item's target is 0)."""
    if node.target_hits < 1:
        return f"{vespa_string(node)} has invalid targetHits {node.target_hits}: Must be >= 1"
    return None


def yql_window_problem(limit: int | None, offset: int | None, max_hits: int, max_offset: int) -> str | None:
    """`limit L offset O` asks for L - O hits from O (Vespa's MinimalQueryInserter: the offset is
    checked first)."""
    if limit is None and offset is None:
        return None
    offset = offset or 0
    if offset > max_offset:
        return f"Requested offset {offset}, but the max offset allowed is {max_offset}."
    hits = limit - offset if limit is not None else 0
    if hits > max_hits:
        return f"Requested {hits} hits returned, but max hits allowed is {max_hits}."
    return None


def in_checker(kinds_of: Callable[[str], Sequence[str]]) -> Callable[[q.QueryNode], str | None]:
    """The `in` check of an item (Vespa's parser makes it); kinds_of(index) gives the field kinds
    an index name covers (empty: unknown, left to the unknown-field check)."""
    def check(item: q.QueryNode) -> str | None:
        if isinstance(item, q.In):
            kinds = kinds_of(item.field)
            return in_operator_problem(item.field, kinds) if kinds else None
        return None
    return check


def nearest_neighbor_check(item: q.QueryNode) -> str | None:
    """Vespa's ValidateNearestNeighborSearcher, which runs after the parser."""
    return nearest_neighbor_problem(item) if isinstance(item, q.NearestNeighbor) else None


def first_problem(node: q.QueryNode, *checks: Callable[[q.QueryNode], str | None]) -> str | None:
    """The first problem any check finds in the tree, depth first."""
    stack = [node]
    while stack:
        item = stack.pop()
        for check in checks:
            problem = check(item)
            if problem is not None:
                return problem
        if isinstance(item, q.Not):
            stack.append(item.child)
        else:
            stack.extend(reversed(getattr(item, "children", ()) or ()))
    return None
