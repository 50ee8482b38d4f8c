"""Word settings Vespa's YQL parser takes: `{normalizeCase: false}` keeps a word's case (on a word,
an annotated group's words, userInput's words); `{usePositionData: false}` marks a word or phrase
(its own, a group's, userInput's) to rank without positions (tree.Term.positions), and is a
located 400 in near/onear/equiv/alternatives, which carry no such flag - never accepted and ignored."""
from __future__ import annotations

import re

import pytest

from container.search.query import QueryError, build_query
from searchlib.query.tree import Phrase, Term
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


@pytest.mark.parametrize("condition", [
    'title contains ({usePositionData: false}"gamma")',
    '{usePositionData: false}(title contains "a" and title contains "gamma")',
    '{usePositionData: false, defaultIndex: "title"}userInput("gamma")',
])
def test_use_position_data_false_marks_the_words(condition: str) -> None:
    app = application_from_text(SD, name="doc.sd")
    words = [node for node in _leaves(build_query({"yql": SELECT + condition}, app).yql.where)]
    assert words and all(isinstance(w, Term) and not w.positions for w in words)
    assert where('title contains "a" and title contains ({usePositionData: false}"b")').children[0].positions
    phrase = where('title contains ({usePositionData: false}phrase("a", "b"))')
    assert isinstance(phrase, Phrase) and not phrase.positions


def _leaves(node: object) -> list[object]:
    children = getattr(node, "children", None)
    return [leaf for child in children for leaf in _leaves(child)] if children else [node]


@pytest.mark.parametrize("condition, column, operator", [
    ('title contains near(({usePositionData: false}"gamma"), "a")', 76, "near(), onear() and equiv()"),
    ('title contains ({usePositionData: false}onear("gamma", "a"))', 71, "onear()"),
    ('{usePositionData: false}(title contains equiv("gamma", "a"))', 71, "equiv()"),
])
def test_use_position_data_false_where_positions_are_not_per_word_is_a_located_400(
        condition: str, column: int, operator: str) -> None:
    app = application_from_text(SD, name="doc.sd")
    with pytest.raises(QueryError, match=re.escape(f"{{usePositionData: false}} is not supported in {operator}")) \
            as error:
        build_query({"yql": SELECT + condition}, app)
    assert (error.value.location.line, error.value.location.column) == (1, column)


def test_use_position_data_true_is_the_default() -> None:
    app = application_from_text(SD, name="doc.sd")
    query = build_query({"yql": SELECT + 'title contains ({usePositionData: true}"gamma")'}, app)
    assert query.yql.where == Term("title", "gamma") and query.yql.where.positions
