"""The grouping language parser, and partial group trees: merging the trees of any split of the
documents over nodes gives exactly the tree of all documents on one node."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from content_node import grouping
from searchlib.errors import QueryError
from searchlib.grouping import Aggregate, OrderKey, parse_grouping
from searchlib.grouping.model import DEFAULT_MAX, UNLIMITED
from searchlib.grouping.result import finalize, merge_groups
from searchlib.schema.model import Field, FieldType, Schema


def test_parses_the_reference_example():
    op = parse_grouping("all(group(year) max(10) order(-count()) each(output(count()) max(3) "
                        "each(output(summary()))))")
    assert (op.kind, op.group_by, op.max, op.order) == ("all", "year", 10, (OrderKey(Aggregate("count"), True),))
    each = op.children[0]
    assert each.kind == "each" and each.outputs == (Aggregate("count"),) and each.max == 3
    assert each.hit_list is each.children[0] and each.children[0].summary == ""


def test_parses_outputs_order_keys_and_limits():
    op = parse_grouping("all(group(brand) max(inf) order(+avg(price), -sum(year)) "
                        "each(output(sum(year), avg(price), min(price), max(relevance())) each(output(summary(short)))))")
    assert op.max == UNLIMITED and op.limit is None
    assert op.order == (OrderKey(Aggregate("avg", "price")), OrderKey(Aggregate("sum", "year"), True))
    assert [a.label for a in op.children[0].outputs] == ["sum(year)", "avg(price)", "min(price)", "max(relevance())"]
    assert op.children[0].children[0].summary == "short"
    assert parse_grouping("all(group(a) each(output(count())))").limit == DEFAULT_MAX


@pytest.mark.parametrize("text, message", [
    ("all(group(a) each(output(count()))", "ended"),
    ("all(group(a) each(output(median(x))))", "unsupported aggregator 'median'"),
    ("all(group(a) frobnicate(1))", "unsupported grouping clause 'frobnicate'"),
    ("group(a)", "expected 'all(' or 'each('"),
    ("all(group(a) order(b) each(output(count())))", "order(b) needs group(b)"),
    ("all(group(a)) extra", "unexpected 'extra'"),
    ("all(group(a) max(x))", "expected a number"),
])
def test_malformed_grouping_is_a_query_error(text, message):
    with pytest.raises(QueryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_grouping(text)


SCHEMA = Schema("s", "s", {
    "brand": Field("brand", FieldType("string"), is_attribute=True),
    "year": Field("year", FieldType("int"), is_attribute=True),
    "price": Field("price", FieldType("double"), is_attribute=True)})


class _Columns:
    def __init__(self, columns: dict[str, np.ndarray]) -> None:
        self.columns = columns

    def attribute(self, name: str) -> np.ndarray:
        return self.columns[name]


REQUESTS = [
    "all(output(count(), sum(year), avg(price)) group(brand) max(3) order(-count()) "
    "each(output(count(), sum(year), avg(price), min(price), max(price)) max(2) each(output(summary()))))",
    "all(group(year) order(-max(price), year) each(output(count()) all(group(brand) max(2) order(-brand) "
    "each(output(min(year))))))",
    "all(group(price) max(inf) each(output(count())))",
]

_documents = st.lists(st.tuples(st.sampled_from(["a", "b", "c", None]), st.integers(1990, 1994),
                                st.one_of(st.none(), st.sampled_from([1.5, 2.0, 7.25]))),
                      min_size=0, max_size=40)


@settings(max_examples=60, deadline=None)
@given(documents=_documents, nodes=st.integers(1, 4), seed=st.integers(0, 1000), request=st.sampled_from(REQUESTS))
def test_merging_any_split_over_nodes_equals_one_node(documents, nodes, seed, request):
    op = parse_grouping(request)
    index = _Columns({
        "brand": np.array([d[0] for d in documents], dtype=object),
        "year": np.array([float(d[1]) for d in documents]),
        "price": np.array([math.nan if d[2] is None else d[2] for d in documents])})
    rows = np.arange(len(documents))
    relevance = np.random.default_rng(seed).integers(0, 5, len(documents)).astype(np.float64)
    gids = [i.to_bytes(4, "big") for i in rows.tolist()]
    single = finalize(op, grouping.run(op, index, SCHEMA, rows, relevance, gids))
    owner = np.random.default_rng(seed + 1).integers(0, nodes, len(documents))
    partials = [grouping.run(op, index, SCHEMA, rows[owner == n], relevance[owner == n],
                             [gids[i] for i in rows[owner == n].tolist()]) for n in range(nodes)]
    merged = finalize(op, merge_groups(partials))
    assert _comparable(merged) == _comparable(single)


def _comparable(group) -> tuple:
    aggregates = tuple(sorted((k, None if math.isnan(v) else round(v, 9)) for k, v in group.aggregates.items()))
    return (group.value, aggregates, tuple((h.global_id, h.relevance) for h in group.hits),
            tuple((l.label, tuple(_comparable(g) for g in l.groups)) for l in group.lists))


def test_counts_and_aggregates_of_one_node():
    op = parse_grouping("all(group(brand) order(brand) each(output(count(), avg(price), min(price))))")
    index = _Columns({"brand": np.array(["b", "a", "b", None], dtype=object),
                      "year": np.zeros(4), "price": np.array([1.0, math.nan, 3.0, 5.0])})
    root = finalize(op, grouping.run(op, index, SCHEMA, np.arange(4), np.zeros(4), [b"1", b"2", b"3", b"4"]))
    groups = root.lists[0].groups
    assert [g.value for g in groups] == ["a", "b"]  # the document without a brand is in no group
    assert groups[0].aggregates["count()"] == 1 and math.isnan(groups[0].aggregates["min(price)"])
    assert groups[1].aggregates["avg(price)"] / groups[1].aggregates["avg(price)#n"] == 2.0
