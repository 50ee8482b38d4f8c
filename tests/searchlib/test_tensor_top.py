"""top(n, t), Vespa's tensor function Top (join(t, filter_subspaces(cell_order(t, max) < n, f(s)(s)),
f(a,b)(a*b))): the cases of Vespa's TopTestCase, per row over a batch with a per-row n, the type
rules at load, and the text form."""
from __future__ import annotations

import numpy as np
import pytest

from searchlib.errors import ExpressionError, SchemaError
from searchlib.expression import compile_expression, evaluate_expression
from searchlib.expression.ast import to_text
from searchlib.expression.parser import parse_expression
from searchlib.schema.application import application_from_text
from searchlib.tensor import TensorBatch, parse_tensor_literal

P = "tensor(p{}):{a:7,b:-3,c:12,d:-11,e:-1}"


def test_simple_mapped():
    found = evaluate_expression("top(3, t)", {"t": parse_tensor_literal(P)})
    assert found == parse_tensor_literal("tensor(p{}):{a:7,c:12,e:-1}")


def test_compact_cells_decay_to_float():
    compact = parse_tensor_literal("tensor<bfloat16>(p{}):{a:7,b:-3,c:12,d:-11,e:-1}")
    found = evaluate_expression("top(3, t)", {"t": compact})
    assert found == parse_tensor_literal("tensor<float>(p{}):{a:7,c:12,e:-1}")


def test_more_than_the_cells_keeps_all_and_zero_keeps_none():
    assert evaluate_expression("top(9, t)", {"t": parse_tensor_literal(P)}) == parse_tensor_literal(P)
    assert evaluate_expression("top(0, t)", {"t": parse_tensor_literal(P)}) == parse_tensor_literal("tensor(p{}):{}")


def test_per_row_with_a_per_row_count():
    rows = [parse_tensor_literal(P), parse_tensor_literal("tensor(p{}):{x:1,y:2}")]
    batch = TensorBatch(rows[0].type, rows=rows)
    found = compile_expression("top(n, t)").evaluate({"t": batch, "n": np.array([1.0, 2.0])}, 2)
    assert found.row(0) == parse_tensor_literal("tensor(p{}):{c:12}")
    assert found.row(1) == rows[1]


@pytest.mark.parametrize("text, inputs, message", [
    ("top(t, 3)", {"t": P}, "the first argument should be a number"),
    ("top(2, t)", {"t": "tensor(x[3]):[1,2,3]"}, "the second argument should be a sparse tensor"),
])
def test_wrong_arguments(text, inputs, message):
    with pytest.raises(ExpressionError, match=message):
        evaluate_expression(text, {k: parse_tensor_literal(v) for k, v in inputs.items()})


def test_text_form():
    assert to_text(parse_expression("top(2, attribute(t))")) == "top(2, attribute(t))"


SD = """schema doc {
    document doc {
        field t type tensor(p{}) { indexing: attribute }
        field v type tensor(x[2]) { indexing: attribute }
    }
    rank-profile r {
        first-phase { expression: %s }
    }
}
"""


def test_types_at_load():
    application_from_text(SD % "sum(top(2, attribute(t)))", name="doc.sd")
    with pytest.raises(SchemaError, match="the second argument should be a sparse tensor, not tensor\\(x\\[2\\]\\)"):
        application_from_text(SD % "sum(top(2, attribute(v)))", name="doc.sd")
    with pytest.raises(SchemaError, match="the first argument should be a number, not tensor\\(p\\{\\}\\)"):
        application_from_text(SD % "sum(top(attribute(t), attribute(t)))", name="doc.sd")
