"""Tensor literals with expression cells (Vespa's dynamic tensors), evaluated over rows."""
from __future__ import annotations

import numpy as np
import pytest

from searchlib.errors import ExpressionError
from searchlib.expression import compile_expression
from searchlib.expression import ast as A
from searchlib.expression.parser import parse_expression


def test_a_literal_of_constants_stays_a_constant() -> None:
    assert isinstance(parse_expression("tensor(x[2]):[1, 2]"), A.Const)


def test_dense_cells_are_per_row_values() -> None:
    compiled = compile_expression("sum(tensor<float>(x[2]):[query(a), 2*attribute(b)] * tensor(x[2]):[10, 100])")
    assert compiled.features == {"query(a)", "attribute(b)"}
    values = compiled.evaluate({"query(a)": 3.0, "attribute(b)": np.array([1.0, 2.0, 3.0])}, 3)
    assert list(values) == [3 * 10 + 2 * 100, 30 + 400, 30 + 600]


def test_two_dimensions_fill_row_major_in_the_types_order() -> None:
    compiled = compile_expression("tensor(x[2],y[2]):[[1, query(q)],[attribute(z), 4]]{x:1,y:0}")
    assert list(compiled.evaluate({"query(q)": 3.0, "attribute(z)": np.array([7.0, 8.0])}, 2)) == [7.0, 8.0]
    compiled = compile_expression("tensor(x[2],y[2]):[[1, query(q)],[attribute(z), 4]]{x:0,y:1}")
    assert list(np.broadcast_to(compiled.evaluate({"query(q)": 3.0, "attribute(z)": np.zeros(2)}, 2), 2)) == [3, 3]


@pytest.mark.parametrize("text", ["tensor(k{}):{a: query(x), b: attribute(y)}",
                                  "tensor(k{}):{{k:a}: query(x), {k:b}: attribute(y)}"])
def test_mapped_cells(text: str) -> None:
    batch = compile_expression(text).evaluate({"query(x)": 3.0, "attribute(y)": np.array([1.0, 2.0])}, 2)
    assert [sorted((c["k"], v) for c, v in batch.row(i).cells()) for i in range(2)] == [
        [("a", 3.0), ("b", 1.0)], [("a", 3.0), ("b", 2.0)]]


@pytest.mark.parametrize("text, message", [
    ("tensor(x[2]):[1, 2, query(a)]", "expected 2 cells"),
    ("tensor(x[2]):[1, foo bar]", "Expected ','"),
    ("tensor(k{}):{{j:a}: query(x)}", "'j' is not the dimension"),
    ("tensor(k{},x[2]):{a: [query(x), 1]}", "indexed or a one-dimension mapped type"),
])
def test_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        compile_expression(text)
