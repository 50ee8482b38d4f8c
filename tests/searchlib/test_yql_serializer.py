"""searchlib.query.yql_serializer: the tree back to YQL. The exact strings Vespa's serializer writes
are checked against its own tests in test_yql_conformance (116 parseAndConfirm rows); here, that
every tree the corpus parses into is written as YQL that parses back into the same tree, and the
number and string forms."""
from __future__ import annotations

from dataclasses import replace

import pytest

from searchlib.errors import QueryError
from searchlib.query.tree import And, Near, Not, QueryNode, Range, SameElement, Term
from searchlib.query.yql import parse_yql
from searchlib.query.yql_serializer import java_double, number, quoted, yql_statement, yql_where
from tests.searchlib.yql_corpus import yql_cases

SELECT = "select * from sources * where "


def _vespa_form_loses(node: QueryNode) -> bool:
    """What VespaSerializer's form drops (and so this one): near()'s negative words, and a number
    or boolean of indexed access (`ints[1] = 2`), which has no form inside sameElement(...)."""
    if isinstance(node, Near):
        return bool(node.negative)
    if isinstance(node, SameElement) and any(isinstance(c, Range) and not c.field for c in node.children):
        return True
    children = getattr(node, "children", None) or ((node.child,) if isinstance(node, Not) else ())
    return any(_vespa_form_loses(child) for child in children)


def _reparsed(where: QueryNode, parameters: dict) -> QueryNode:
    return parse_yql(SELECT + yql_where(where), parameters=parameters, stem=False, fold_case=False).where


def test_every_corpus_tree_parses_back_from_its_yql() -> None:
    kept = lossy = 0
    wrong = []
    for case in yql_cases():
        if not case.valid:
            continue
        where = parse_yql(case.yql, parameters=case.parameters, stem=False, fold_case=False).where
        if _vespa_form_loses(where):
            lossy += 1
            continue
        if _reparsed(where, case.parameters) != where:
            wrong.append(f"{case.source}: {yql_where(where)}")
        kept += 1
    print(f"\n{kept - len(wrong)} of {kept} corpus trees parse back from their YQL "
          f"({lossy} more hold what Vespa's form drops)")
    assert not wrong, "\n".join(wrong[:10])
    assert (kept, lossy) == (408, 11)


def _window(parsed) -> tuple[int, int]:
    """(offset, end): Vespa's form writes `offset 0` as nothing and an offset alone with its 10 hits."""
    offset = parsed.offset or 0
    return offset, parsed.limit if parsed.limit is not None else offset + 10


def test_every_corpus_statement_parses_back_from_its_yql() -> None:
    count = 0
    for case in yql_cases():
        if not case.valid:
            continue
        parsed = parse_yql(case.yql, parameters=case.parameters, stem=False, fold_case=False)
        if _vespa_form_loses(parsed.where):
            continue
        again = parse_yql(yql_statement(parsed), parameters=case.parameters, stem=False, fold_case=False)
        assert replace(again, limit=None, offset=None) == replace(parsed, limit=None, offset=None), case.source
        assert _window(again) == _window(parsed), case.source
        count += 1
    assert count == 408


def test_what_vespas_form_drops_is_only_that() -> None:
    where = parse_yql(SELECT + 'f contains near("a", "b", !"c")', stem=False).where
    assert yql_where(where) == 'f contains near("a", "b", "c")'
    assert _reparsed(where, {}) == Near("f", ("a", "b", "c"))


@pytest.mark.parametrize("yql", [
    '!(a contains "x") AND !(b contains "y")',  # no positive part: Vespa's NotItem has no form
    'a contains ({label: "l", distance: 4}near("x", "y"))',  # Vespa shows only the distance
    '{totalTargetHits: 100, minTargetHits: 11}nearestNeighbor(e, q)',
    'title contains ({origin: {original: "x-y", offset: 0, length: 3}}phrase("x", "y"))',
    'f contains near(({origin: {original: "a-b", offset: 0, length: 3}}phrase("a", "b")), "c")',
    'text contains ({normalizeCase: false, accentDrop: false, stem: false}"Café")',
    'f contains phrase("a", ({id: 3, weight: 20}"b"), alternatives({"c": 1.0, "cc": 0.5}))',
    '{filter: true, hitLimit: -5}range(year, 1990, 2000)',
    'year > ({ranked: false}(-5))',
    'wand(tags, {"a": 2, "b": 1})',
])
def test_written_forms_parse_back(yql: str) -> None:
    where = parse_yql(SELECT + yql, stem=False, fold_case=False).where
    assert _reparsed(where, {}) == where


def test_the_forms_of_items() -> None:
    where = parse_yql(SELECT + 'a contains "x" and !(b contains "y") and c contains "z"', stem=False).where
    assert yql_where(where) == '((a contains "x" AND c contains "z")) AND !(b contains "y")'
    assert yql_where(And((Not(Term("a", "x")),))) == '!(a contains "x")'
    assert yql_where(Term("", "true")) == '"true"'  # inside sameElement over an array of primitives
    wand = parse_yql(SELECT + '{targetHits: 7, scoreThreshold: 0.5}wand(tags, {"b": 1, "a": 2})').where
    assert yql_where(wand) == '({targetHits: 7, scoreThreshold: 0.5}wand(tags, {"a": 2, "b": 1}))'
    ints = parse_yql(SELECT + "f in (3000000000, -1, 2)").where
    assert yql_where(ints) == "f in (-1, 2, 3000000000L)"
    geo = parse_yql(SELECT + 'geoLocation(p, 63.5, -10.25, "12.5 km")').where
    assert yql_where(geo) == 'geoLocation(p, 63.5, -10.25, "0.112667 deg")'


def test_numbers_print_as_java_does() -> None:
    assert [java_double(v) for v in (500.0, 0.05, 1e7, 1e-4, -17.0, 123456789.0, 0.001, 2.5e-300)] == [
        "500.0", "0.05", "1.0E7", "1.0E-4", "-17.0", "1.23456789E8", "0.001", "2.5E-300"]
    assert [number(v) for v in (500, -2147483648, 2147483648, True, 0.0)] == [
        "500", "-2147483648", "2147483648L", "true", "0.0"]


def test_strings_are_escaped_as_vespa_does() -> None:
    assert quoted('a"b\'c\\d/e\nf') == '"a\\"b\\\'c\\\\d\\/e\\nf"'
    assert quoted("mᛁ😀") == '"m\\u16C1\\uD83D\\uDE00"'
    escaped = parse_yql(SELECT + f"f contains {quoted('Café/x')}", stem=False).where
    assert escaped.terms == ("cafe", "x") and escaped.form == (("origin", {"original": "Café/x", "offset": 0,
                                                                          "length": 6}),)


def test_an_unknown_node_is_refused() -> None:
    with pytest.raises(TypeError):
        yql_where("not a node")  # type: ignore[arg-type]
    with pytest.raises(QueryError):
        parse_yql(SELECT + "f contains near(")
