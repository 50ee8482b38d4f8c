"""Query checks against the schemas before anything is sent: unknown fields are a 400 here, not
an error from every content node."""
from __future__ import annotations

from typing import Sequence

from searchlib.errors import InvalidParameterError, quote_input
from searchlib.hits import is_relevance
from searchlib.query import tree as q
from searchlib.query.field_checks import in_checker, nearest_neighbor_check
from searchlib.schema.geo_fields import is_position
from searchlib.schema.model import Schema
from searchlib.sort_functions import resolve_sort


# field kinds searched only by their own operator (which searches only them)
_OWN_OPERATORS = {"position": (q.GeoLocation, "geoLocation or geoBoundingBox"),
                  "predicate": (q.PredicateQuery, "predicate()")}


_OPERATOR_OF_TYPE: dict[type, str | None] = {}


def _own_operator(item_type: type) -> str | None:
    """The field kind only this query item type searches (once per type: a query has many terms)."""
    if item_type not in _OPERATOR_OF_TYPE:
        _OPERATOR_OF_TYPE[item_type] = next((kind for kind, (t, _) in _OWN_OPERATORS.items()
                                             if issubclass(item_type, t)), None)
    return _OPERATOR_OF_TYPE[item_type]


def validate_fields(node: q.QueryNode, schemas: Sequence[Schema], streaming: bool = False) -> None:
    """`streaming`: every schema searched is in mode="streaming", where prefix matches any field."""
    def known(field: str) -> bool:
        return any(schema.index_fields(field) for schema in schemas)

    def tensor(field: str) -> bool:
        return any(s.fields[f].type.kind == "tensor" for s in schemas for f in s.index_fields(field) if f in s.fields)

    def own_operator_kind(field: str) -> str | None:
        """'position' or 'predicate' for fields only their own operator searches."""
        for s in schemas:
            for f in s.index_fields(field):
                spec = s.fields.get(f)
                if spec is not None and (is_position(spec) or spec.type.kind == "predicate"):
                    return "predicate" if spec.type.kind == "predicate" else "position"
        return None

    checked: dict[str, tuple[bool, str | None, bool]] = {}  # a query names few fields, many times

    def facts(field: str) -> tuple[bool, str | None, bool]:
        found = checked.get(field)
        if found is None:
            found = checked[field] = (known(field), own_operator_kind(field), tensor(field))
        return found

    def check_field(item: q.QueryNode) -> None:
        is_known, field_kind, is_tensor = facts(item.field)
        if not is_known:
            raise unknown(item.field)
        operator = _own_operator(type(item))
        if operator is not None and field_kind != operator:
            raise InvalidParameterError(f"Field '{quote_input(item.field, 60)}' is not a {operator} field: "
                                        f"{_OWN_OPERATORS[operator][1]} searches {operator} fields")
        if field_kind is not None and operator is None:
            raise InvalidParameterError(f"Field '{item.field}' is a {field_kind} field: it is searched with "
                                        f"{_OWN_OPERATORS[field_kind][1]}")
        if isinstance(item, (q.Term, q.Phrase, q.Near, q.Equiv)) and is_tensor:
            raise InvalidParameterError(f"Field '{item.field}' is a tensor field: it is searched with "
                                        "nearestNeighbor, not with terms")
        if not streaming and isinstance(item, q.Term) and item.affix == "prefix":
            check_prefix(item.field)

    def check_prefix(index: str) -> None:
        """Vespa's QueryValidator: a prefix item searches attributes only (an index's dictionary is
        looked up by whole words), the index winning over the attribute of a field with both. Vespa
        judges a fieldset by one field of it; one whose fields disagree is refused here whole, never
        prefix-matched in some fields and whole-word-matched in others."""
        specs = [s.fields[f] for s in schemas for f in s.index_fields(index) if f in s.fields]
        if not specs:
            return
        if len({spec.is_attribute and not spec.is_index for spec in specs}) > 1:
            raise InvalidParameterError(f"'{quote_input(index, 60)}' mixes attribute and index fields: Prefix "
                                        "matching is not supported")
        spec = specs[0]
        if not spec.is_attribute:
            raise InvalidParameterError(
                f"'{quote_input(index, 60)}' is not an attribute field: Prefix matching is not supported")
        if spec.is_index:
            raise InvalidParameterError(f"'{quote_input(index, 60)}' is an index field: Prefix matching is "
                                        "not supported even when it is also an attribute")

    def unknown(field: str) -> InvalidParameterError:
        names = ", ".join(s.name for s in schemas)
        return InvalidParameterError(f"Field '{quote_input(field, 60)}' does not exist in schema {names}")

    def kinds_of(index: str) -> list[str]:
        return [_value_kind(s.fields[f]) for s in schemas for f in s.index_fields(index) if f in s.fields]

    # One walk, depth first in query order (first_problem's): a field's problem anywhere is the
    # error, else the first problem the item checks find. Fields inside a sameElement name parts
    # of its field, so only the sameElement's own field is checked there.
    in_check = in_checker(kinds_of)
    problem = None
    passed: set[tuple[str, type, str]] = set()  # the field rules read only the field, item type and affix
    stack: list[tuple[q.QueryNode, bool]] = [(node, True)]
    while stack:
        item, fields_checked = stack.pop()
        if isinstance(item, q.FIELD_ITEMS):
            key = (item.field, type(item), getattr(item, "affix", ""))
            if fields_checked and key not in passed:
                check_field(item)
                passed.add(key)
            if problem is None:
                problem = in_check(item) or nearest_neighbor_check(item)  # a problem is a message
        elif isinstance(item, q.Not):
            stack.append((item.child, fields_checked))
        elif isinstance(item, q.SameElement):
            if fields_checked and not known(item.field):
                raise unknown(item.field)
            stack.extend((child, False) for child in reversed(item.children))
        elif isinstance(item, (q.And, q.Or, q.WeakAnd, q.Rank)):
            stack.extend((child, fields_checked) for child in reversed(item.children))
    if problem is not None:
        raise InvalidParameterError(problem)


def _value_kind(spec) -> str:
    element = spec.type.element
    return element.kind if spec.type.kind in ("array", "weightedset") and element is not None else spec.type.kind


_SORTABLE = ("string", "int", "long", "byte", "float", "float16", "double", "bool")


def validate_sorting(sorting: Sequence[q.SortKey], schemas: Sequence[Schema]) -> None:
    """Sort keys name single-value attributes: numbers, strings and bools (what a node can sort)."""
    for key in sorting:
        if is_relevance(key.field):
            continue
        fields = [s.fields[key.field] for s in schemas if key.field in s.fields]
        if not fields or not any(f.is_attribute for f in fields):
            raise InvalidParameterError(
                f"Sorting on '{quote_input(key.field, 60)}' is not possible: it is not an attribute field")
        unsortable = next((f for f in fields if f.type.kind not in _SORTABLE), None)
        if unsortable is not None:
            raise InvalidParameterError(
                f"Sorting on '{key.field}' is not possible: a {unsortable.type.kind} field cannot be sorted on")


def resolve_sorting(sorting: Sequence[q.SortKey], schemas: Sequence[Schema],
                    query_locale: str | None) -> tuple[q.SortKey, ...]:
    """Each string sort key with its function (raw, lowercase or uca), as Vespa's
    ValidateSortingSearcher resolves it from the attribute's `sorting` settings and the query's
    locale (model.locale); numbers and relevance sort as they are."""
    resolved = []
    for key in sorting:
        field = next((s.fields[key.field] for s in schemas if key.field in s.fields), None)
        if field is None or field.type.kind != "string" or is_relevance(key.field):
            resolved.append(key)
            continue
        sort = resolve_sort(key.function, key.strength, key.locale, field.sorting, query_locale)
        resolved.append(q.SortKey(key.field, key.ascending, sort.function, sort.strength, sort.locale))
    return tuple(resolved)


def check_depth(node: q.QueryNode, limit: int) -> None:
    """The query tree may nest at most `limit` levels: the nodes' gRPC decoder refuses deeper
    messages, and that must be this query's 400, not a node failure."""
    stack = [(node, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            raise InvalidParameterError(f"The query is nested deeper than {limit} levels (query-tree-depth)")
        if isinstance(item, (q.And, q.Or, q.WeakAnd, q.Rank, q.SameElement)):
            stack.extend((child, depth + 1) for child in item.children)
        elif isinstance(item, q.Not):
            stack.append((item.child, depth + 1))
