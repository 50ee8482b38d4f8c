"""Token functions against hand-computed sequences (vespa-reference §2.1)."""
import numpy as np
import pytest

from searchlib.errors import ExpressionError
from searchlib.expression import compile_expression
from searchlib.schema.model import Expression, RankFunction
from searchlib.tensor import Tensor, TensorBatch

Q = Tensor.dense("tensor<float>(d0[4])", [7, 8, 0, 0])
DOCS = TensorBatch.dense("tensor<float>(d0[5])", np.array([[1, 2, 3, 0, 0], [4, 0, 0, 0, 0]], float))
FEATURES = {"query(q)": Q, "attribute(t)": DOCS}


def run(text, features=FEATURES, rows=2):
    return compile_expression(text).evaluate(features, rows)


def test_input_ids_cls_sep_and_zero_padding():
    value = run("tokenInputIds(10, query(q), attribute(t))")
    assert str(value.type) == "tensor<float>(d0[1],d1[10])"
    assert value.values[0, 0].tolist() == [101, 7, 8, 102, 1, 2, 3, 102, 0, 0]
    assert value.values[1, 0].tolist() == [101, 7, 8, 102, 4, 102, 0, 0, 0, 0]


def test_type_ids_are_one_for_later_inputs_and_their_separators():
    value = run("tokenTypeIds(10, query(q), attribute(t))")
    assert value.values[0, 0].tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 0, 0]
    assert value.values[1, 0].tolist() == [0, 0, 0, 0, 1, 1, 0, 0, 0, 0]


def test_attention_mask_covers_total_length():
    value = run("tokenAttentionMask(10, query(q), attribute(t))")
    assert value.values[0, 0].tolist() == [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]
    assert value.values[1, 0].tolist() == [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]


def test_truncation_drops_tail_and_final_sep_without_reinserting():
    ids = run("tokenInputIds(6, query(q), attribute(t))")
    assert ids.values[0, 0].tolist() == [101, 7, 8, 102, 1, 2]
    mask = run("tokenAttentionMask(6, query(q), attribute(t))")
    assert mask.values[0, 0].tolist() == [1] * 6
    types = run("tokenTypeIds(6, query(q), attribute(t))")
    assert types.values[0, 0].tolist() == [0, 0, 0, 0, 1, 1]


def test_custom_start_and_separator_pad_with_zero():
    value = run("customTokenInputIds(1, 2, 9, query(q), attribute(t))")
    assert value.values[1, 0].tolist() == [1, 7, 8, 2, 4, 2, 0, 0, 0]


def test_length_counts_positive_cells_and_slices_the_prefix():
    # length = number of cells > 0 (here 2), tokens = the first 2 cells, even with a zero inside
    q = Tensor.dense("tensor<float>(d0[4])", [5, 0, 6, 0])
    value = compile_expression("tokenInputIds(6, query(q), query(q))").evaluate_value({"query(q)": q})
    assert value.dense_values.reshape(-1).tolist() == [101, 5, 0, 102, 5, 0]


def test_three_inputs_all_later_inputs_have_type_one():
    a = Tensor.dense("tensor<float>(d0[2])", [11, 0])
    b = Tensor.dense("tensor<float>(d0[2])", [12, 13])
    c = Tensor.dense("tensor<float>(d0[2])", [14, 0])
    feats = {"query(a)": a, "query(b)": b, "query(c)": c}
    expr = compile_expression("tokenInputIds(10, query(a), query(b), query(c))")
    assert expr.evaluate_value(feats).dense_values.reshape(-1).tolist() == [101, 11, 102, 12, 13, 102, 14, 102, 0, 0]
    types = compile_expression("tokenTypeIds(10, query(a), query(b), query(c))").evaluate_value(feats)
    assert types.dense_values.reshape(-1).tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 0, 0]


def test_cell_access_through_functions_like_the_cross_encoder_profile():
    functions = {"my_ids": RankFunction("my_ids", (), Expression("tokenInputIds(8, query(q), attribute(t))"))}
    expr = compile_expression("my_ids{d0:0,d1:4}", functions=functions)
    assert expr.features == {"query(q)", "attribute(t)"}
    assert expr.evaluate(FEATURES, 2).tolist() == [1.0, 4.0]


def test_profile_function_with_the_same_name_wins():
    functions = {"tokenInputIds": RankFunction("tokenInputIds", ("a", "b", "c"), Expression("a + 1"))}
    expr = compile_expression("tokenInputIds(3, 4, 5)", functions=functions)
    assert expr.evaluate_value({}) == 4.0


def test_length_must_be_an_integer_literal():
    with pytest.raises(ExpressionError, match="integer literal"):
        compile_expression("tokenInputIds(query(n), query(q), attribute(t))")


def test_inputs_need_a_d0_dimension():
    x = Tensor.dense("tensor<float>(x[2])", [1, 2])
    with pytest.raises(ExpressionError, match="d0"):
        compile_expression("tokenInputIds(4, query(x), query(x))").evaluate_value({"query(x)": x})
