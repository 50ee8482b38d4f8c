"""Vespa's YQL test corpus (452 strings, ../shared/data/vespa-language-conformance/) through parse_yql.

Valid strings must parse; where the Java test states the tree (`assertParse(yql, "AND a:b c:d")`),
the engine's tree in Vespa's string form (searchlib.query.vespa_form.vespa_string) must equal it;
where it is a VespaSerializer round trip (`parseAndConfirm(expected, yql)`), the tree written back
as YQL (searchlib.query.yql_serializer.yql_where) must equal `expected` exactly.
Invalid strings must be refused with a QueryError that names its line and column.

Every case must pass; the report (`pytest -s`) prints the counts "N of M valid strings parse to
the expected tree; K of L invalid refused", and any case that does not pass with its reason.

Comparison rules, as Vespa's parser tests see the tree: words are not stemmed (stem=False: Vespa
stems in a later searcher), and the comparison ignores letter case (the engine lowercases words
while parsing, Vespa later) and the order of the tokens of WEIGHTEDSET / DOTPRODUCT / WAND items
(`{[1]:"a",[1]:"b"}`: Vespa prints them in its Java HashMap's iteration order, which is no
property of the query). Rows whose Java test gives no tree string count as passing when they
parse; the report counts them separately.

After parsing, the checks the container makes before searching (searchlib.query.field_checks) run
too, as Vespa's searchers do after its parser: the `limit`/`offset` window against Vespa's default
maxHits 400 / maxOffset 1000 and nearestNeighbor's targetHits (for MinimalQueryInserterTestCase, whose
rows run those searchers; the parser tests ask for `limit 600` or no targetHits freely), and `in`
against field types — for YqlParserTestCase's testIn rows those of its IndexFacts
(createIndexFactsForInTest: `field` integer, `string` string, `float` neither, `mixed` a fieldset of
both), elsewhere none (unknown fields).
"""
from __future__ import annotations

import json
import re
from collections import Counter

from searchlib.errors import QueryError, SearchlibError
from searchlib.query.field_checks import first_problem, in_checker, nearest_neighbor_check, yql_window_problem
from searchlib.query.vespa_form import vespa_string
from searchlib.query.yql import parse_yql
from searchlib.query.yql_serializer import yql_where
from tests.searchlib.yql_corpus import YqlCase, yql_cases

# YqlParserTestCase.createIndexFactsForInTest, as field kinds
IN_TEST_FIELDS = {"field": ["int"], "string": ["string"], "float": ["untyped"], "mixed": ["int", "string"]}


def case_key(case: YqlCase) -> str:
    return json.dumps([case.source.split()[0], case.yql], ensure_ascii=False)


def check(case: YqlCase) -> str | None:
    """None when the engine does what the Java test expects, else why not."""
    try:
        parsed = parse_yql(case.yql, parameters=case.parameters, stem=False)
    except QueryError as error:
        if not case.valid:
            return None if error.location is not None else f"refused without a location: {error}"
        return f"refused: {error.message}"
    except SearchlibError as error:
        return f"{type(error).__name__}: {error}"
    in_test = case.source.startswith("YqlParserTestCase.java") and case.source.endswith(" testIn")
    # the parser checks `in` against field types; MinimalQueryInserterTestCase rows also run the searchers
    in_test = case.source.startswith("YqlParserTestCase.java") and case.source.endswith(" testIn")
    checks = [in_checker(lambda index: IN_TEST_FIELDS.get(index, []) if in_test else [])]
    problem = None
    if case.source.startswith("MinimalQueryInserterTestCase.java"):
        checks.append(nearest_neighbor_check)
        problem = yql_window_problem(parsed.limit, parsed.offset, 400, 1000)
    problem = problem or first_problem(parsed.where, *checks)
    if problem is not None:
        return None if not case.valid else f"refused after parsing: {problem}"
    if not case.valid:
        return "accepted although invalid"
    if case.expected_yql is not None:
        return _round_trip_problem(case)
    if case.expected_tree is None:
        return None
    actual = vespa_string(parsed.where)
    if _tokens_unordered(actual.lower()) != _tokens_unordered(case.expected_tree.lower()):
        return f"tree {actual!r}, expected {case.expected_tree!r}"
    return None


def _round_trip_problem(case: YqlCase) -> str | None:
    """VespaSerializerTestCase.parseAndConfirm: the tree serialized back to YQL equals the expected
    string exactly. Parsed with the words as Vespa's parser leaves them (unstemmed, case kept)."""
    where = parse_yql(case.yql, parameters=case.parameters, stem=False, fold_case=False).where
    written = yql_where(where)
    return None if written == case.expected_yql else f"serialized {written!r}, expected {case.expected_yql!r}"


def _tokens_unordered(tree: str) -> str:
    """The tree with the tokens of every `{[w]:"t",...}` list sorted."""
    return re.sub(r"\{(\[[^{}]*)\}", lambda m: "{" + ",".join(sorted(m.group(1).split(","))) + "}", tree)


def test_corpus_is_complete() -> None:
    cases = yql_cases()
    assert (len(cases), sum(case.valid for case in cases)) == (452, 419)
    assert sum(case.expected_tree is not None for case in cases) >= 160
    serializer_rows = [case for case in cases if case.source.startswith("VespaSerializerTestCase.java")]
    assert len(serializer_rows) == sum(case.expected_yql is not None for case in serializer_rows) == 116


def test_yql_conformance_report() -> None:
    cases = yql_cases()
    outcomes = {case_key(case): (case, check(case)) for case in cases}
    valid = [(case, problem) for case, problem in outcomes.values() if case.valid]
    invalid = [(case, problem) for case, problem in outcomes.values() if not case.valid]
    with_tree = [(case, problem) for case, problem in valid if case.expected_tree is not None]
    round_trips = [(case, problem) for case, problem in valid if case.expected_yql is not None]
    passing = {key for key, (_, problem) in outcomes.items() if problem is None}

    print("\nYQL conformance, cases that do not pass yet:")
    reasons: Counter[str] = Counter()
    for case, problem in outcomes.values():
        if problem is not None:
            print(f"  {case.source}: {case.yql[:120]!r}\n      {problem[:200]}")
            reasons[problem.split(" at ")[0].split(",")[0][:70]] += 1
    print("Most common reasons:")
    for reason, count in reasons.most_common(25):
        print(f"  {count:4d}  {reason}")
    print(
        f"{sum(p is None for _, p in valid)} of {len(valid)} valid strings parse to the expected tree "
        f"({sum(p is None for _, p in with_tree)} of {len(with_tree)} with a tree in the Java test, "
        f"{sum(p is None for _, p in round_trips)} of {len(round_trips)} VespaSerializer round trips "
        f"to the expected YQL, the rest checked for acceptance); "
        f"{sum(p is None for _, p in invalid)} of {len(invalid)} invalid refused"
    )

    failing = [f"{case.source}: {problem}" for case, problem in outcomes.values() if problem is not None]
    assert not failing, "cases that do not pass:\n" + "\n".join(failing[:20])
    assert len(passing) == len(outcomes) == 452


def test_checker_detects_a_wrong_tree_and_an_accepted_invalid_string() -> None:
    case = next(c for c in yql_cases() if c.expected_tree == "title:madonna")
    wrong = YqlCase(case.yql, case.parameters, True, case.source, "title:saint")
    assert check(case) is None
    assert "expected 'title:saint'" in check(wrong)
    accepted = YqlCase(case.yql, case.parameters, False, case.source, None)
    assert check(accepted) == "accepted although invalid"
    round_trip = next(c for c in yql_cases() if c.expected_yql == 'rank(a contains "A", b contains "B")')
    assert check(round_trip) is None
    lowered = YqlCase(round_trip.yql, round_trip.parameters, True, round_trip.source, None,
                      'rank(a contains "a", b contains "b")')
    assert "expected 'rank(a contains \"a\"" in check(lowered)
