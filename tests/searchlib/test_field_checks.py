"""The query checks that need field types or the container's window (searchlib.query.field_checks),
with Vespa's messages."""
from __future__ import annotations

from searchlib.query.field_checks import (
    first_problem, in_checker, in_operator_problem, nearest_neighbor_check, yql_window_problem,
)
from searchlib.query.yql import parse_yql


def test_in_takes_integer_or_string_fields_never_a_mix() -> None:
    assert in_operator_problem("year", ["int"]) is None
    assert in_operator_problem("tags", ["string"]) is None
    assert in_operator_problem("ids", ["long", "byte"]) is None
    assert in_operator_problem("price", ["float"]) == (
        "The in operator is only supported for integer and string fields. The field price is not of these types")
    assert in_operator_problem("both", ["int", "string"]) == (
        "The in operator is not supported for fieldsets with a mix of integer and string fields. "
        "The fieldset both has both")


def test_first_problem_finds_items_under_not_and_rank() -> None:
    where = parse_yql("select * from sources * where rank(a contains 'x', !(price in (25)))").where
    kinds = {"price": ["double"]}
    assert "The field price" in first_problem(where, in_checker(lambda index: kinds.get(index, [])))
    assert first_problem(where, in_checker(lambda index: []), nearest_neighbor_check) is None


def test_the_yql_window_checks_offset_first_then_hits() -> None:
    assert yql_window_problem(31, 7, 400, 1000) is None
    assert yql_window_problem(None, None, 400, 1000) is None
    assert yql_window_problem(40031, 40000, 400, 1000) == "Requested offset 40000, but the max offset allowed is 1000."
    assert yql_window_problem(40000, 7, 400, 1000) == "Requested 39993 hits returned, but max hits allowed is 400."
    assert yql_window_problem(407, 7, 400, 1000) is None
