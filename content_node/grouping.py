"""Grouping on one content node: partial group trees over every matched document, vectorized.

Group values come from attributes: single values, or each value of an array or weighted set (a
document is then in several groups); documents without a value for the grouped attribute (NaN /
unset) are left out of that level. Aggregates of all groups of a level are
computed at once (bincount / fmin.reduceat over rows sorted by group). Every group is returned;
order and max are applied by the container after merging (searchlib/grouping/result.py).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from content_node.matching.attribute_terms import as_number, element_kind, is_multi_value, values_of
from searchlib.errors import InvalidParameterError
from searchlib.grouping.model import RELEVANCE, Aggregate, GroupingOperation
from searchlib.grouping.result import COUNT_SUFFIX, Group, GroupHit, GroupList
from searchlib.numbers import INT64_MAX, UNSET_INTEGER, as_floats, present
from searchlib.schema.model import Schema

_INTEGRAL = ("int", "long", "byte", "bool")


class _Documents:
    """The matched documents of one query: local ids, relevance and global id per row."""

    def __init__(self, index, schema: Schema, local_ids: np.ndarray, relevance: np.ndarray,
                 global_ids: Sequence[bytes]) -> None:
        self.index, self.schema = index, schema
        self.local_ids, self.relevance, self.global_ids = local_ids, relevance, global_ids
        self._columns: dict[str, np.ndarray] = {}
        self._hit_order: np.ndarray | None = None

    def hit_order(self) -> np.ndarray:
        """Per row, its position in hit order (relevance descending, NaN last, then global id)."""
        if self._hit_order is None:
            width = len(self.global_ids[0]) if len(self.global_ids) else 1  # global ids have one length
            gids = np.array(self.global_ids, dtype=f"S{width}")  # fixed width: byte order as bytes
            relevance = np.where(np.isnan(self.relevance), -np.inf, self.relevance)
            order = np.lexsort((gids, -relevance))
            self._hit_order = np.empty(len(order), dtype=np.int64)
            self._hit_order[order] = np.arange(len(order))
        return self._hit_order

    def column(self, name: str) -> np.ndarray:
        """Values per matched row (float64 for numbers, object for strings)."""
        if name == RELEVANCE:
            return self.relevance
        if name not in self._columns:
            field = self.schema.fields.get(name)
            if field is None or not field.is_attribute:
                raise InvalidParameterError(f"Grouping on '{name}' is not possible: it is not an attribute field")
            if element_kind(field) not in (*_INTEGRAL, "float", "float16", "double", "string"):
                raise InvalidParameterError(
                    f"Grouping on '{name}' is not possible: it is a {field.type} attribute")
            self._columns[name] = self.index.attribute(name)[self.local_ids]
        return self._columns[name]

    def is_integral(self, name: str) -> bool:
        field = self.schema.fields.get(name)
        return field is not None and element_kind(field) in _INTEGRAL

    def is_multi_value(self, name: str) -> bool:
        field = self.schema.fields.get(name)
        return field is not None and is_multi_value(field)

    def element_kind(self, name: str) -> str:
        return element_kind(self.schema.fields[name])


def run(operation: GroupingOperation, index, schema: Schema, local_ids: np.ndarray,
        relevance: np.ndarray, global_ids: Sequence[bytes], distribution_key: int = 0) -> Group:
    """The partial root group for `operation` over the matched rows."""
    documents = _Documents(index, schema, local_ids, relevance, global_ids)
    rows = np.arange(len(local_ids))
    root = Group()
    root.aggregates.update(_aggregates_one(documents, operation.outputs, rows))
    _expand(documents, operation, root, rows, distribution_key)
    return root


def _expand(documents: _Documents, operation: GroupingOperation, group: Group, rows: np.ndarray,
            key: int) -> None:
    """Lists and hits `operation` adds to `group` (mirrored by result._finalize)."""
    if operation.group_by is None and operation.hit_list is not None:
        limit = operation.limit if operation.limit is not None else len(rows)
        ranks = documents.hit_order()[rows]
        if 0 < limit < len(rows):  # ranks are distinct, so partitioning is exact
            top = np.argpartition(ranks, limit - 1)[:limit]
            top = top[np.argsort(ranks[top])]
        else:
            top = np.argsort(ranks)[:limit]
        best = rows[top]
        group.hits = [GroupHit(documents.global_ids[i], float(documents.relevance[i]), key) for i in best.tolist()]
    if operation.group_by is not None:
        group.lists.append(_group_list(documents, operation, rows, key))
    for child in operation.children:
        if child.kind == "all":
            group.aggregates.update(_aggregates_one(documents, child.outputs, rows))
            _expand(documents, child, group, rows, key)


def _group_list(documents: _Documents, operation: GroupingOperation, rows: np.ndarray, key: int) -> GroupList:
    name = operation.group_by
    values = documents.column(name)[rows]
    if documents.is_multi_value(name):  # a document is in the group of each of its values
        rows, values = _elements(rows, values, documents.element_kind(name))
    if values.dtype.kind in "fi":  # int64 for integers: exact groups beyond 2^53
        held = present(values)
    else:
        held = np.not_equal(values, None)  # string attributes hold str or None
    rows, values = rows[held], values[held]
    if values.dtype.kind not in "fi":
        values = values.astype(str)
    distinct, inverse = np.unique(values, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    sorted_rows, sorted_groups = rows[order], inverse[order]
    starts = np.searchsorted(sorted_groups, np.arange(len(distinct)))
    aggregates = _aggregates_many(documents, operation.aggregates_needed(), sorted_rows, sorted_groups, starts,
                                  len(distinct))
    integral = documents.is_integral(name)
    each_children = [c for c in operation.children if c.kind == "each"]
    ends = np.append(starts[1:], len(sorted_rows))
    groups = []
    for g, value in enumerate(distinct.tolist()):
        group = Group(int(value) if integral else value, {k: _scalar(v[g]) for k, v in aggregates.items()})
        if any(c.group_by is not None or c.hit_list is not None or c.children for c in each_children):
            member_rows = sorted_rows[starts[g]:ends[g]]
            for child in each_children:
                _expand(documents, child, group, member_rows, key)
        groups.append(group)
    return GroupList(name, groups)


def _elements(rows: np.ndarray, values: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(row, value) per distinct value of each row's array or weighted set (integers as int64)."""
    pairs = [(row, value) for row, document in zip(rows.tolist(), values.tolist())
             for value in dict.fromkeys(values_of(document))]
    if kind in ("int", "long", "byte"):
        numbers = [(row, number) for row, value in pairs if isinstance(number := as_number(value), int)]
        return (np.array([row for row, _ in numbers], dtype=rows.dtype),
                np.array([number for _, number in numbers], dtype=np.int64))
    expanded_rows = np.array([row for row, _ in pairs], dtype=rows.dtype)
    if kind != "string":
        return expanded_rows, np.array([as_number(value) for _, value in pairs], dtype=np.float64)
    expanded = np.empty(len(pairs), dtype=object)
    expanded[:] = [value if isinstance(value, str) else None for _, value in pairs]
    return expanded_rows, expanded


def _aggregates_one(documents: _Documents, aggregates: Sequence[Aggregate], rows: np.ndarray) -> dict[str, float]:
    many = _aggregates_many(documents, aggregates, rows, np.zeros(len(rows), dtype=np.int64),
                            np.zeros(1, dtype=np.int64), 1)
    return {k: _scalar(v[0]) for k, v in many.items()}


def _aggregates_many(documents: _Documents, aggregates: Sequence[Aggregate], rows: np.ndarray,
                     groups: np.ndarray, starts: np.ndarray, count: int) -> dict[str, np.ndarray]:
    """Partial aggregates per group; `rows` are sorted by `groups`, group g starts at starts[g]."""
    result: dict[str, np.ndarray] = {}
    for aggregate in aggregates:
        label = aggregate.label
        if aggregate.function == "count":
            result[label] = np.bincount(groups, minlength=count).astype(np.float64)
            continue
        column = documents.column(aggregate.argument)[rows]
        if column.dtype.kind == "i" and aggregate.function in ("sum", "min", "max"):
            result[label] = _integer_aggregate(aggregate.function, column, groups, starts, count)
            continue
        values = as_floats(column).astype(np.float64)
        present = ~np.isnan(values)
        if aggregate.function in ("sum", "avg"):
            result[label] = np.bincount(groups, weights=np.where(present, values, 0.0), minlength=count)
            if aggregate.function == "avg":
                result[label + COUNT_SUFFIX] = np.bincount(groups, weights=present.astype(np.float64),
                                                           minlength=count)
        elif len(values) == 0:
            result[label] = np.full(count, np.nan)
        else:
            reduce = np.fmin if aggregate.function == "min" else np.fmax
            result[label] = reduce.reduceat(values, np.minimum(starts, len(values) - 1))
            result[label][np.bincount(groups, minlength=count) == 0] = np.nan
    return result


def _integer_aggregate(function: str, values: np.ndarray, groups: np.ndarray, starts: np.ndarray,
                       count: int) -> np.ndarray:
    """Exact sum/min/max of an int64 column per group, as Python ints (NaN: a group without
    values); a sum wraps at 64 bits as Vespa's does."""
    held = present(values)
    if function == "sum":
        totals = np.zeros(count, dtype=np.int64)
        np.add.at(totals, groups[held], values[held])
        return totals.astype(object)
    if len(values) == 0:
        return np.full(count, np.nan, dtype=object)
    filled = np.where(held, values, INT64_MAX if function == "min" else UNSET_INTEGER)
    reduce = np.minimum if function == "min" else np.maximum
    extremes = reduce.reduceat(filled, np.minimum(starts, len(values) - 1)).astype(object)
    extremes[np.bincount(groups[held], minlength=count) == 0] = np.nan
    return extremes


def _scalar(value: object) -> int | float:
    """An aggregate as the wire carries it: an exact int from an integer column, else a float."""
    return value if isinstance(value, int) else float(value)
