"""Grouping in the container: merge the nodes' partial group trees, order and trim them, fill the
hits they list, and render Vespa's grouping JSON:

    {"id": "group:root:0", "relevance": 1.0, "continuation": {"this": ""}, "children": [
      {"id": "grouplist:year", "label": "year", "relevance": 1.0, "children": [
        {"id": "group:long:2015", "value": "2015", "relevance": ..., "fields": {"count()": 7},
         "children": [{"id": "hitlist:hits", "label": "hits", "relevance": 1.0, "children": [hits]}]}]}]}
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable, Mapping

from searchlib.errors import InvalidParameterError
from searchlib.grouping import GroupingOperation, parse_grouping
from searchlib.grouping.model import RELEVANCE, Aggregate
from searchlib.grouping.result import Group, GroupHit, final_value, finalize, merge_groups
from searchlib.hits import LeanHit
from searchlib.schema.model import Schema

_INTEGRAL = ("int", "long", "byte", "bool")
_NUMERIC = ("int", "long", "byte", "bool", "float", "float16", "double")
_GROUPABLE = (*_NUMERIC, "string")


@dataclass(frozen=True, slots=True)
class GroupingResult:
    operation: GroupingOperation
    root: Group
    hit_schema: Mapping[bytes, str]  # which schema each listed hit came from, for the fill
    filled: Mapping[bytes, object] = field(default_factory=dict)  # global id -> ResultHit
    integral_fields: frozenset[str] = frozenset()  # aggregates over these render as integers


def request_text(query) -> str:
    """The grouping of a query: after `|` in the YQL, else the `select` parameter."""
    return query.yql.grouping or query.parameters.get("select", "").strip()


def parse_request(text: str, schemas: Iterable[Schema]) -> GroupingOperation | None:
    """The parsed grouping of a query (None without one): groups by single-value attributes that
    are not tensors, and sum/avg/min/max over numeric attributes."""
    if not text.strip():
        return None
    operation = parse_grouping(text)
    schemas = list(schemas)
    for name, numeric in _attributes_used(operation):
        fields = [s.fields[name] for s in schemas if name in s.fields and s.fields[name].is_attribute]
        if not fields:
            raise InvalidParameterError(f"Grouping on '{name}' is not possible: it is not an attribute field")
        unfit = next((f for f in fields if _kind(f, numeric) not in (_NUMERIC if numeric else _GROUPABLE)), None)
        if unfit is not None:
            what = "sum, avg, min and max need a numeric attribute" if numeric else "it cannot be grouped on"
            raise InvalidParameterError(f"Grouping on '{name}' is not possible: {what}, and it is a "
                                        f"{unfit.type.kind} field")
    return operation


def _kind(field, aggregated: bool) -> str:
    """What grouping reads from the field: an array or weighted set is grouped by its elements."""
    multi_value = field.type.kind in ("array", "weightedset") and field.type.element is not None
    return field.type.element.kind if multi_value and not aggregated else field.type.kind


def _attributes_used(operation: GroupingOperation) -> set[tuple[str, bool]]:
    """(attribute, whether it is aggregated as a number) for every attribute the grouping reads."""
    used = {(operation.group_by, False)} if operation.group_by else set()
    aggregates = [*operation.outputs, *(k.aggregate for k in operation.order)]
    used |= {(a.argument, a.function in ("sum", "avg", "min", "max")) for a in aggregates
             if a.argument and a.argument != RELEVANCE}
    for child in operation.children:
        used |= _attributes_used(child)
    return used


def integral_fields(application) -> frozenset[str]:
    """Fields whose sum/min/max render as integers."""
    return frozenset(name for schema in application.schemas.values()
                     for name, f in schema.fields.items() if f.type.kind in _INTEGRAL)


def hits_to_fill(result: GroupingResult) -> list[tuple[LeanHit, str]]:
    """(hit, schema) of every hit the groups list, for the fill phase."""
    return [(LeanHit(h.global_id, h.relevance, h.distribution_key), result.hit_schema[h.global_id])
            for h in iter_hits(result.root)]


def with_filled(result: GroupingResult, filled: Iterable) -> GroupingResult:
    """`result` with its listed hits filled (ResultHits from the fill phase)."""
    return replace(result, filled={r.hit.global_id: r for r in filled})


def merge(operation: GroupingOperation, partials_by_schema: Mapping[str, Iterable[Group]],
          integral: frozenset[str] = frozenset()) -> GroupingResult:
    """One ordered, trimmed tree from every node's partial tree of every schema."""
    hit_schema: dict[bytes, str] = {}
    partials: list[Group] = []
    for schema, roots in partials_by_schema.items():
        for root in roots:
            partials.append(root)
            for hit in iter_hits(root):
                hit_schema[hit.global_id] = schema
    merged = merge_groups(partials) if partials else Group()
    return GroupingResult(operation, finalize(operation, merged), hit_schema, integral_fields=integral)


def iter_hits(group: Group) -> Iterable[GroupHit]:
    yield from group.hits
    for group_list in group.lists:
        for sub in group_list.groups:
            yield from iter_hits(sub)


def render(result: GroupingResult, render_result_hit: Callable[[object], dict]) -> dict:
    """`render_result_hit` renders a filled ResultHit as a normal hit."""
    renderer = _Renderer(result.integral_fields, lambda hit: render_result_hit(result.filled[hit.global_id]))
    root = {"id": "group:root:0", "relevance": 1.0, "continuation": {"this": ""}}
    fields = renderer.fields(result.root, result.operation.outputs)
    if fields:
        root["fields"] = fields
    children = renderer.children(result.operation, result.root, iter(result.root.lists))
    if children:
        root["children"] = children
    return root


class _Renderer:
    """Walks the operations in the order content_node/grouping.py built the lists."""

    def __init__(self, integral: set[str], render_hit: Callable[[GroupHit], dict]) -> None:
        self.integral, self.render_hit = integral, render_hit

    def children(self, operation: GroupingOperation, group: Group, lists) -> list[dict]:
        rendered: list[dict] = []
        if operation.group_by is None and operation.hit_list is not None and group.hits:
            rendered.append({"id": "hitlist:hits", "relevance": 1.0, "label": "hits",
                             "children": [self.render_hit(h) for h in group.hits]})
        if operation.group_by is not None:
            group_list = next(lists)
            each = [c for c in operation.children if c.kind == "each"]
            rendered.append({"id": f"grouplist:{group_list.label}", "relevance": 1.0, "label": group_list.label,
                             "children": [self.group(sub, each) for sub in group_list.groups]})
        for child in operation.children:
            if child.kind == "all":
                rendered.extend(self.children(child, group, lists))
        return rendered

    def group(self, group: Group, each: list[GroupingOperation]) -> dict:
        best = final_value(group, Aggregate("max", RELEVANCE))
        rendered: dict = {"id": f"group:{_type_name(group.value)}:{_value_text(group.value)}",
                          "relevance": best if math.isfinite(best) else 0.0, "value": _value_text(group.value)}
        fields = {}
        for child in each:
            fields.update(self.fields(group, child.outputs))
        if fields:
            rendered["fields"] = fields
        lists = iter(group.lists)
        children = [c for child in each for c in self.children(child, group, lists)]
        if children:
            rendered["children"] = children
        return rendered

    def fields(self, group: Group, outputs: Iterable[Aggregate]) -> dict:
        fields = {}
        for aggregate in outputs:
            value = final_value(group, aggregate)
            whole = aggregate.function == "count" or (
                aggregate.function in ("sum", "min", "max") and aggregate.argument in self.integral)
            if math.isnan(value):
                fields[aggregate.label] = "NaN"
            else:
                fields[aggregate.label] = int(value) if whole else value
        return fields


def _type_name(value: object) -> str:
    if isinstance(value, int):
        return "long"
    return "double" if isinstance(value, float) else "string"


def _value_text(value: object) -> str:
    return str(value)
