"""Word settings Vespa's YQL parser takes: `{normalizeCase: false}` keeps a word's case (on a word,
an annotated group's words, userInput's words); `{usePositionData: false}`, which this engine does
not run (every term is ranked with its positions), is a located 400 before searching - never
accepted and ignored - while the parser itself takes it as Vespa's does."""
from __future__ import annotations

import pytest

from container.search.query import QueryError, build_query
from searchlib.query.tree import Term
from searchlib.query.yql import parse_yql
from searchlib.schema.application import application_from_text

SD = """schema doc {
    document doc {
        field title type string { indexing: index | summary }
    }
}
"""
SELECT = "select * from sources * where "


def where(condition: str) -> object:
    return parse_yql(SELECT + condition).where


def test_normalize_case_false_keeps_the_case_as_written() -> None:
    assert where('title contains "Gamma"') == Term("title", "gamma")
    assert where('title contains ({normalizeCase: false}"Gamma")') == Term("title", "Gamma")
    assert where('title contains ({normalizeCase: true}"Gamma")') == Term("title", "gamma")
    grouped = where('{normalizeCase: false}(title contains "Gamma" and title contains "Delta")')
    assert [child.term for child in grouped.children] == ["Gamma", "Delta"]  # read up the tree, as Vespa
    assert [t.term for t in where('{normalizeCase: false, defaultIndex: "title"}userInput("New york")').children] \
        == ["New", "york"]


@pytest.mark.parametrize("condition, column", [
    ('title contains ({usePositionData: false}"gamma")', 48),
    ('{usePositionData: false}userInput("gamma")', 32),
    ('title contains "a" and {usePositionData: false}(title contains "gamma")', 55),
])
def test_use_position_data_false_is_a_located_400(condition: str, column: int) -> None:
    assert parse_yql(SELECT + condition).refused[1:] == (1, column)  # parsed, as Vespa's parser does
    app = application_from_text(SD, name="doc.sd")
    with pytest.raises(QueryError, match=r"\{usePositionData: false\} is not supported") as error:
        build_query({"yql": SELECT + condition}, app)
    assert (error.value.location.line, error.value.location.column) == (1, column)


def test_use_position_data_true_is_the_default() -> None:
    app = application_from_text(SD, name="doc.sd")
    query = build_query({"yql": SELECT + 'title contains ({usePositionData: true}"gamma")'}, app)
    assert query.yql.where == Term("title", "gamma") and query.yql.refused is None
