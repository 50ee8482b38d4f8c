"""Bad YQL: always a QueryError with a message that names the position, never another exception."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from searchlib.errors import ErrorCode, QueryError
from searchlib.query.yql import parse_yql


@pytest.mark.parametrize(
    ("yql", "message", "column"),
    [
        ("select * from sources * limit 5", "Expected 'where' but found 'limit'", 25),
        ("select * from sources *", "Expected 'where' but found the end of the query", 24),
        ("select * sources * where true", "Expected 'from' but found 'sources'", 10),
        ("select * from sources * where title contains", "Expected a string", 45),
        ('select * from sources * where title contains "x', "Unterminated string", 46),
        ("select * from sources * where title contains @q", "Could not find query parameter 'q'", 46),
        ("select * from sources * where title foo", "Expected 'contains' or a comparison", 37),
        ("select * from sources * where true limit -1", "'limit' must be a non-negative integer", 42),
        ("select * from sources * where true limit 1.5", "'limit' must be a non-negative integer", 42),
        ("select * from sources * where true limit 5 limit 6", "found 'limit'", 44),
        ("select * from sources * where true |", "Expected a grouping expression", 37),
        ("select * from sources * where title matches \"(x\"", "Invalid regular expression", 45),
        ("select * from sources * where year in (1, 'b')", "either integers or strings, not both", 43),
        ('select * from sources * where title contains text("a")', "'text' is not supported", 46),
        ('select * from sources * where p contains ({elementFilter:-1}sameElement(a contains "b"))',
         "element id must be non-negative, got: -1", 61),
        ("select * from sources * where foo(1)", "'foo' is not a known function", 31),
        ('select * from sources * where nonEmpty(a contains "x" and b contains "+-!")',
         "Searching for empty string inside nonEmpty()", 31),
        ("select * from sources * where a contains \"x\" or nonEmpty(userQuery())", "Got NullItem inside nonEmpty()", 49),
        ('select * from sources * where nonEmpty(phrase_ok contains phrase("a", "!"))',
         "Searching for empty string inside nonEmpty()", 31),
        ("select * from sources * where {targetHits:\"a\"}weakAnd(a contains \"b\")", "must be an integer", 47),
        ('select * from sources * where {bounds:"half"}range(y, 1, 2)', "must be one of", 46),
        ("select * from sources * where year > 99999999999999999999", "64-bit", 38),
        ("select * from sources * where year > 5 $", "Unexpected character '$'", 40),
        ("select * from sources * where ({targetHits:0}nearestNeighbor(e, q))", "at least 1", 46),
        ("", "The query is empty", 1),
    ],
)
def test_error_names_the_problem_and_the_column(yql: str, message: str, column: int) -> None:
    with pytest.raises(QueryError) as raised:
        parse_yql(yql)
    error = raised.value
    assert error.message.startswith("Could not create query from YQL: ")
    assert message in error.message
    assert error.location is not None and error.location.column == column
    assert f"column {column}" in error.message
    assert error.code is ErrorCode.ILLEGAL_QUERY


def test_multi_line_errors_name_the_line() -> None:
    with pytest.raises(QueryError) as raised:
        parse_yql("select *\nfrom sources *\nwhere foo bar")
    assert raised.value.location is not None
    assert (raised.value.location.line, raised.value.location.column) == (3, 11)
    assert "line 3, column 11" in raised.value.message


def test_deep_nesting_is_a_query_error_not_a_recursion_error() -> None:
    deep = "(" * 5000 + "true" + ")" * 5000
    with pytest.raises(QueryError, match="nests deeper"):
        parse_yql(f"select * from sources * where {deep}")
    with pytest.raises(QueryError, match="nests deeper"):
        parse_yql("select * from sources * where " + "!" * 5000 + "true")
    with pytest.raises(QueryError, match="nest deeper"):
        parse_yql("select * from sources * where {a:" + "[" * 5000 + "]" * 5000 + "}true")


def test_enormous_number_literal_is_a_query_error() -> None:
    with pytest.raises(QueryError, match="out of range"):
        parse_yql("select * from sources * where x > 1" + "0" * 6000 + "L")


YQL_WORDS = st.sampled_from([
    "select", "*", "from", "sources", "where", "and", "or", "!", "(", ")", "{", "}", "[", "]", ",", ":",
    "contains", "title", '"word"', '"two words"', "'q'", "@q", "@missing", "userQuery()", "userInput(",
    "weakAnd(", "rank(", "range(", "nearestNeighbor(", "phrase(", "targetHits", "10", "-5", "1.5",
    "5L", "Infinity", "=", "<", ">=", "true", "false", "order", "by", "asc", "desc", "limit",
    "offset", "timeout", "|", ";", "label", "stem", "bounds", '"open"', "e", "q", "@",
])


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_random_text_raises_only_query_error(text: str) -> None:
    for candidate in (text, f"select * from sources * where {text}"):
        try:
            parse_yql(candidate, parameters={"q": "x y", "query": "a b"})
        except QueryError:
            pass


@settings(max_examples=600, deadline=None)
@given(st.lists(YQL_WORDS, max_size=25))
def test_random_yql_like_token_soup_raises_only_query_error(words: list[str]) -> None:
    try:
        parse_yql(" ".join(words), parameters={"q": "x y", "query": "a b"})
    except QueryError:
        pass
    try:
        parse_yql("select * from sources * where " + " ".join(words), parameters={"q": "10"})
    except QueryError:
        pass
