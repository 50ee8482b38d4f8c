"""The corpus rows whose Java test asserts something other than a tree string or a serializer round
trip (item types, annotations, labels, ranks, sources, fields, window, sorting, grouping): those
asserts, from the table in yql_java_asserts.py, checked on the engine's parse. `pytest -s` prints
how many rows are checked and which stay checked for acceptance only (test_yql_conformance)."""
from __future__ import annotations

from dataclasses import is_dataclass

from searchlib.query.tree import terms_of
from searchlib.query.vespa_form import vespa_string
from searchlib.query.yql import parse_yql
from searchlib.query.yql_serializer import yql_statement, yql_where
from tests.searchlib.yql_corpus import YqlCase, yql_cases
from tests.searchlib.yql_java_asserts import CHECKS


def _row_key(case: YqlCase) -> str:
    return case.source.split()[0]


def _resolve(parsed, path: str) -> object:
    if path == "tree":
        return vespa_string(parsed.where)
    if path == "yql":
        return yql_where(parsed.where)
    if path == "statement":
        return yql_statement(parsed)
    value: object = parsed
    for part in path.split("."):
        value = _step(value, part, parsed)
    return value


def _step(value: object, part: str, parsed) -> object:
    if part == "@terms":
        return terms_of(parsed.where)
    if part == "@type":
        return type(value).__name__
    if part == "@len":
        return len(value)
    if part.isdigit():
        return value[int(part)]
    if isinstance(value, dict):
        return value.get(part)
    if isinstance(value, (list, tuple)) and not part.isdigit() and (not value or is_dataclass(value[0])):
        return [_step(item, part, parsed) for item in value]
    found = getattr(value, part)
    return dict(found) if part == "form" else found


def failures(case: YqlCase, checks: tuple[tuple[str, object], ...]) -> list[str]:
    parsed = parse_yql(case.yql, parameters=case.parameters, stem=False, fold_case=False)
    wrong = []
    for path, expected in checks:
        try:
            actual = _resolve(parsed, path)
        except (AttributeError, IndexError, KeyError, TypeError) as error:
            actual = f"<{type(error).__name__}: {error}>"
        if actual != expected:
            wrong.append(f"{path}: {actual!r}, expected {expected!r}")
    return wrong


def test_the_java_asserts_hold() -> None:
    rows = {_row_key(case): case for case in yql_cases() if case.valid}
    unknown = sorted(set(CHECKS) - set(rows))
    assert not unknown, f"table rows that are no valid corpus row: {unknown}"
    other = [case for case in rows.values() if case.expected_tree is None and case.expected_yql is None]
    wrong = {key: failures(rows[key], checks) for key, checks in CHECKS.items()}
    wrong = {key: problems for key, problems in wrong.items() if problems}
    left = [case.source for case in other if _row_key(case) not in CHECKS]
    print(f"\n{len(CHECKS) - len(wrong)} of {len(other)} rows without a tree string pass the other asserts of their "
          f"Java test ({sum(map(len, CHECKS.values()))} checks); {len(left)} checked for acceptance only:")
    for source in left:
        print(f"  {source}")
    assert not wrong, "\n".join(f"{key}: {'; '.join(problems)}" for key, problems in wrong.items())
    assert len(CHECKS) >= 116


def test_a_wrong_expectation_is_reported() -> None:
    case = next(c for c in yql_cases() if _row_key(c) == "YqlParserTestCase.java:384")
    assert failures(case, (("where.label", "merkelapp"),)) == []
    assert failures(case, (("where.label", "other"), ("where.nothing", 1))) == [
        "where.label: 'merkelapp', expected 'other'",
        "where.nothing: \"<AttributeError: 'Term' object has no attribute 'nothing'>\", expected 1"]
