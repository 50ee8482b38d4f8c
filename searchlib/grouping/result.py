"""Group trees: a content node's partial result, merged across nodes, then ordered and trimmed.

Partial aggregates are kept so that merging is exact: count/sum add, min/max take the extreme
(NaN = no value), avg is carried as a sum plus the count of values ("avg(x)" and "avg(x)#n").
Nodes return every group (no per-node max), so order(-count()) with max(n) gives the same groups
on one node as on many; hit lists inside groups are a per-node top-k by relevance, which merges
exactly into the global top-k.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from searchlib.grouping.model import GROUP_VALUE, RELEVANCE, Aggregate, GroupingOperation, OrderKey
from searchlib.hits import hit_sort_key

COUNT_SUFFIX = "#n"
DEFAULT_ORDER = (OrderKey(Aggregate("max", RELEVANCE), True),)


@dataclass(slots=True)
class GroupHit:
    global_id: bytes
    relevance: float
    distribution_key: int = 0


@dataclass(slots=True)
class Group:
    value: object = None  # None for the root group; int, float or str otherwise
    aggregates: dict[str, int | float] = field(default_factory=dict)  # int: sum/min/max over integers, exact
    lists: list["GroupList"] = field(default_factory=list)
    hits: list[GroupHit] = field(default_factory=list)


@dataclass(slots=True)
class GroupList:
    label: str
    groups: list[Group] = field(default_factory=list)


def final_value(group: Group, aggregate: Aggregate) -> float:
    """The aggregate's value for a merged group (NaN when there were no values)."""
    key = aggregate.label
    if aggregate.function == "avg":
        count = group.aggregates.get(key + COUNT_SUFFIX, 0.0)
        return group.aggregates.get(key, 0.0) / count if count else math.nan
    default = 0.0 if aggregate.function in ("count", "sum") else math.nan
    return group.aggregates.get(key, default)


def merge_groups(partials: list[Group]) -> Group:
    """One group from the same group of several nodes (lists matched by position, groups by value)."""
    merged = Group(partials[0].value)
    for partial in partials:
        for key, value in partial.aggregates.items():
            merged.aggregates[key] = _combine(key, merged.aggregates.get(key), value)
        merged.hits.extend(partial.hits)
    list_count = max(len(p.lists) for p in partials)
    for position in range(list_count):
        lists = [p.lists[position] for p in partials if position < len(p.lists)]
        by_value: dict[object, list[Group]] = {}
        for group_list in lists:
            for group in group_list.groups:
                by_value.setdefault(_value_key(group.value), []).append(group)
        merged.lists.append(GroupList(lists[0].label, [merge_groups(same) for same in by_value.values()]))
    return merged


def finalize(operation: GroupingOperation, root: Group) -> Group:
    """Apply each operation's order and max to a merged tree (in place), returning the root."""
    _finalize(operation, root, iter(root.lists))
    return root


def _finalize(operation: GroupingOperation, group: Group, lists) -> None:
    """Walks the operations in the order content_node/grouping.py appended the lists."""
    if operation.group_by is None and operation.hit_list is not None:
        group.hits.sort(key=hit_sort_key)  # the rank order (searchlib.hits)
        limit = operation.limit
        if limit is not None:
            del group.hits[limit:]
    if operation.group_by is not None:
        group_list = next(lists)
        group_list.groups.sort(key=lambda g: _order_tuple(g, operation.order or DEFAULT_ORDER))
        limit = operation.limit
        if limit is not None:
            del group_list.groups[limit:]
        for sub in group_list.groups:
            sub_lists = iter(sub.lists)
            for child in operation.children:
                if child.kind == "each":
                    _finalize(child, sub, sub_lists)
    for child in operation.children:
        if child.kind == "all":
            _finalize(child, group, lists)


def _order_tuple(group: Group, keys) -> tuple:
    parts: list = []
    for key in keys:
        if key.aggregate.function == GROUP_VALUE:
            parts.append(_Directed(_value_key(group.value), key.descending))
            continue
        value = final_value(group, key.aggregate)
        parts.append((1, 0.0) if math.isnan(value) else (0, -value if key.descending else value))
    parts.append(_value_key(group.value))
    return tuple(parts)


class _Directed:
    """A sort key that can be reversed whatever its type (strings included)."""

    __slots__ = ("key", "descending")

    def __init__(self, key: tuple, descending: bool) -> None:
        self.key, self.descending = key, descending

    def __lt__(self, other: "_Directed") -> bool:
        return other.key < self.key if self.descending else self.key < other.key

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Directed) and self.key == other.key


def _value_key(value: object) -> tuple:
    return (0, value, "") if isinstance(value, (int, float)) else (1, 0, str(value))


def _combine(key: str, current: int | float | None, value: int | float) -> int | float:
    if current is None:
        return value
    if key.startswith(("min(", "max(")):
        if math.isnan(current):
            return value
        if math.isnan(value):
            return current
        return min(current, value) if key.startswith("min(") else max(current, value)
    return current + value
