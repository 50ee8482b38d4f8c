"""Numbers in queries are ASCII digits, as Vespa's YQL, geo, selection and tensor parsers read them:
full-width or other Unicode digits (which Python's \\d and int()/float() take) are refused."""
from __future__ import annotations

import pytest

from searchlib import geo
from searchlib.errors import ExpressionError, QueryError
from searchlib.expression import compile_expression
from searchlib.query.parameters import AnnotationValueError, annotation_int, parse_number
from searchlib.query.yql import parse_yql
from searchlib.selection.parser import SelectionError, parse_selection
from searchlib.tensor import parse_tensor_literal

FULL_WIDTH = "１２"


def test_yql_numbers() -> None:
    assert parse_yql("select * from doc where n = 12").where.low == 12
    for yql in (f"select * from doc where n = {FULL_WIDTH}", f"select * from doc where true limit {FULL_WIDTH}"):
        with pytest.raises(QueryError, match="Unexpected character"):
            parse_yql(yql)


def test_annotation_parameters() -> None:
    assert annotation_int({"targetHits": "12"}, "targetHits", 0) == 12
    with pytest.raises(AnnotationValueError):
        annotation_int({"targetHits": FULL_WIDTH}, "targetHits", 0)
    with pytest.raises(AnnotationValueError):
        parse_number(FULL_WIDTH)


def test_geo_coordinates_and_distances() -> None:
    assert geo.parse_distance("12 km") > 0
    with pytest.raises(geo.GeoError):
        geo.parse_distance(f"{FULL_WIDTH} km")
    with pytest.raises(geo.GeoError):
        geo.parse_coordinate_pair(f"N{FULL_WIDTH}", "E1")


def test_tensor_literals() -> None:
    assert parse_tensor_literal("[1,2]", "tensor(x[2])").dense_values.tolist() == [1.0, 2.0]
    with pytest.raises(ExpressionError):
        parse_tensor_literal(f"[{FULL_WIDTH[0]},2]", "tensor(x[2])")


def test_document_selections() -> None:
    assert parse_selection("doc.n == 12").right.value == 12
    with pytest.raises(SelectionError, match="unexpected character"):
        parse_selection(f"doc.n == {FULL_WIDTH}")


@pytest.mark.parametrize("text", ["²", "max(²)", "１２ + 1", "x[²]"])
def test_ranking_expressions(text: str) -> None:
    """'²' passed str.isdigit() in the lexer and failed in float(): a ValueError, not a located error."""
    assert compile_expression("1.5e3 + .5")
    with pytest.raises(ExpressionError, match="Unexpected character"):
        compile_expression(text)
