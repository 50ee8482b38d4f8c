"""Tensor types, literals, JSON forms and the operations the conformance suite does not cover."""
import math

import numpy as np
import pytest

from searchlib.errors import ExpressionError
from searchlib.expression import evaluate_expression as E
from searchlib.tensor import (Tensor, TensorType, format_literal, parse_tensor_literal, parse_type,
                              tensor_from_json, tensor_to_json)
from searchlib.tensor.types import join_type

MIXED = "tensor(k{},x[2]):{a:[1,2],b:[3,4]}"


@pytest.mark.parametrize("text, canonical", [
    ("tensor(y[3], x{})", "tensor(x{},y[3])"),
    ("tensor<float>(x[384])", "tensor<float>(x[384])"),
    ("tensor<double>(x[2])", "tensor(x[2])"),
    ("tensor<int8>(d0[2],d1[8])", "tensor<int8>(d0[2],d1[8])"),
    ("double", "double"),
    ("tensor<float>()", "double"),
])
def test_type_parse_and_format(text, canonical):
    assert str(parse_type(text)) == canonical


@pytest.mark.parametrize("bad", ["tensor(x[3]", "tensor<half>(x[2])", "tensor(x[3],x{})", "tensor(1x[2])"])
def test_bad_types(bad):
    with pytest.raises(ExpressionError):
        parse_type(bad)


def test_cell_type_rules():
    f, d, b = parse_type("tensor<float>(x[2])"), parse_type("tensor(x[2])"), parse_type("tensor<bfloat16>(x[2])")
    assert join_type(f, f).cell_type == "float"
    assert join_type(f, d).cell_type == "double"
    assert join_type(f, TensorType()).cell_type == "float"  # a rank-0 operand does not count
    assert join_type(b, b).cell_type == "float"  # bfloat16 decays in join
    assert join_type(parse_type("tensor(x[3])"), parse_type("tensor(x[5])")).dense_shape == (3,)


@pytest.mark.parametrize("text", [
    "tensor(x{},y{}):{{x:a,y:b}:1.0,{x:c,y:d}:2.0}",
    "tensor(x[2],y[3]):[[1,2,3],[4,5,6]]",
    "tensor(x[2],y[3]):[1,2,3,4,5,6]",
    "tensor(key{}):{k1:1.0, k2:2.0}",
    MIXED,
    "tensor(k{},x[2]):{{k:a}:[1,2],{k:b}:[3,4]}",
    "tensor(x{}):{}",
    'tensor(x{}):{"a b":1, "c,d":2}',
])
def test_literal_forms_round_trip(text):
    t = parse_tensor_literal(text)
    assert parse_tensor_literal(format_literal(t)) == t
    assert parse_tensor_literal(format_literal(t, short=True)) == t
    assert tensor_from_json(tensor_to_json(t)) == t
    assert tensor_from_json(tensor_to_json(t, short=True)) == t


def test_literal_values():
    t = parse_tensor_literal("tensor(x[2],y[3]):[[1,2,3],[4,5,6]]")
    assert t.dense_values.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert parse_tensor_literal("[1,2,3]", "tensor(x[3])").dense_values.tolist() == [1, 2, 3]
    assert parse_tensor_literal("{a:1,b:2}", "tensor(k{})") == parse_tensor_literal("tensor(k{}):{a:1,b:2}")
    assert parse_tensor_literal("tensor<int8>(x[3]):FF0011").dense_values.tolist() == [-1, 0, 17]
    assert parse_tensor_literal("3.5").as_float() == 3.5
    assert math.isnan(parse_tensor_literal("tensor(x[1]):[nan]").dense_values[0])


def test_number_lists_read_in_one_pass_accept_every_number_form():
    text = "[ 1 , -2.5e1,+.5, 3., Infinity, -inf, NaN ,1E-3 ]"
    values = parse_tensor_literal(text, "tensor(x[8])").dense_values
    assert values[:4].tolist() == [1, -25, 0.5, 3] and values[4] == math.inf and values[5] == -math.inf
    assert math.isnan(values[6]) and values[7] == 0.001
    nested = parse_tensor_literal("[ [1, 2] ,[3,4 ]]", "tensor(x[2],y[2])").dense_values
    assert nested.tolist() == [[1, 2], [3, 4]]


def test_float_cells_are_rounded_and_formatted_shortest():
    t = parse_tensor_literal("tensor<float>(x[1]):[0.1]")
    assert t.dense_values[0] == float(np.float32(0.1))
    assert format_literal(t) == "tensor<float>(x[1]):{{x:0}:0.1}"


@pytest.mark.parametrize("text, problem", [
    ("tensor(x[3]):[1,2]", "Expected 3 values"),
    ("tensor(x[2]):[1,2] junk", "Unexpected text"),
    ("[1,2]", "needs a dense tensor type"),
    ("tensor(x{}):{a:}", "Expected a number"),
    ("tensor(x[3]):[1,,2]", "Expected a number at position 4 "),
    ("tensor(x[2]):[1 2]", "Expected ']' at position 4 "),
    ("tensor(x[2]):[1e,2]", "Expected ']' at position 3 "),
    ("tensor(x[2]):[1,2", "Expected ']'"),
    ("tensor(x[2],y[2]):[[1,2],[3]]", "Expected 4 values"),
    ("tensor(x[2]):{{x:5}:1}", "out of range"),
])
def test_bad_literals(text, problem):
    with pytest.raises(ExpressionError, match=problem):
        parse_tensor_literal(text)


def test_json_forms():
    dense = tensor_from_json({"type": "tensor(x[2],y[2])", "values": [[1, 2], [3, 4]]})
    assert tensor_to_json(dense, short=True) == {"type": "tensor(x[2],y[2])", "values": [[1.0, 2.0], [3.0, 4.0]]}
    mapped = tensor_from_json({"cells": {"a": 1, "b": 2}}, "tensor(k{})")
    assert tensor_to_json(mapped, short=True) == {"type": "tensor(k{})", "cells": {"a": 1.0, "b": 2.0}}
    long = tensor_from_json({"type": "tensor(k{})", "cells": [{"address": {"k": "a"}, "value": 1}]})
    assert tensor_to_json(long) == {"type": "tensor(k{})", "cells": [{"address": {"k": "a"}, "value": 1.0}]}
    mixed = tensor_from_json({"blocks": {"a": [1, 2]}}, "tensor(k{},x[2])")
    assert tensor_to_json(mixed, short=True) == {"type": "tensor(k{},x[2])", "blocks": {"a": [1.0, 2.0]}}
    assert tensor_from_json({"values": "3FF0000000000000"}, "tensor(x[1])").dense_values.tolist() == [1.0]
    assert tensor_from_json([1, 2, 3], "tensor(x[3])").dense_values.tolist() == [1, 2, 3]


def test_peek_and_slices():
    t = parse_tensor_literal(MIXED)
    assert E("t{k:b,x:1}", {"t": t}) == 4.0
    assert E("t{k:zz,x:1}", {"t": t}) == 0.0  # a missing cell reads as 0
    assert E("t{k:a}", {"t": t}) == parse_tensor_literal("tensor(x[2]):[1,2]")
    d = parse_tensor_literal("tensor(x[3]):[5,6,7]")
    assert E("t[2]", {"t": d}) == 7.0 and E("t{x:(1+1)}", {"t": d}) == 7.0
    assert E("t{b}", {"t": parse_tensor_literal("tensor(k{}):{a:1,b:2}")}) == 2.0


def test_merge_cell_cast_generators_and_shortcuts():
    a, b = parse_tensor_literal("tensor(k{}):{a:1,b:2}"), parse_tensor_literal("tensor(k{}):{b:10,c:5}")
    assert E("merge(a,b,f(x,y)(x+y))", {"a": a, "b": b}) == parse_tensor_literal("tensor(k{}):{a:1,b:12,c:5}")
    cast = E("cell_cast(t, float)", {"t": parse_tensor_literal("tensor(x[1]):[0.1]")})
    assert str(cast.type) == "tensor<float>(x[1])" and cast.dense_values[0] == float(np.float32(0.1))
    assert E("tensor(x[3])(x*2)").dense_values.tolist() == [0, 2, 4]
    assert E("range(x[3])").dense_values.tolist() == [0, 1, 2]
    assert E("diag(x[2],y[2])").dense_values.tolist() == [[1, 0], [0, 1]]
    # any number of dimensions (Vespa's Diag, config-model test `tensor`): 1 where all indexes agree
    assert E("diag(x[2],y[2],z[3])").dense_values.tolist() == [[[1, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 1, 0]]]
    assert E("diag(x[3])").dense_values.tolist() == [1, 1, 1]
    assert E("sum(diag(x[3],y[3],z[3]))") == 3.0
    v = parse_tensor_literal("tensor(x[3]):[1,2,3]")
    assert E("sum(v)", {"v": v}) == 6.0 and E("avg(v)", {"v": v}) == 2.0 and E("count(v)", {"v": v}) == 3.0
    assert E("prod(v)", {"v": v}) == 6.0 and E("median(v)", {"v": v}) == 2.0 and E("min(v, x)", {"v": v}) == 1.0
    assert E("argmax(v, x)", {"v": v}).dense_values.tolist() == [0, 0, 1]
    assert E("matmul(v, v, x)", {"v": v}) == 14.0
    assert E("cosine_similarity(v, v, x)", {"v": v}) == pytest.approx(1.0)
    assert E("euclidean_distance(v, v * 2, x)", {"v": v}) == pytest.approx(math.sqrt(14))
    assert E("l2_normalize(v, x)", {"v": v}).dense_values.tolist() == pytest.approx([c / math.sqrt(14) for c in (1, 2, 3)])
    assert sum(E("softmax(v, x)", {"v": v}).dense_values) == pytest.approx(1.0)
    assert E("cell_order(v, max)", {"v": v}).dense_values.tolist() == [2, 1, 0]
    assert str(E("expand(v, y)", {"v": v}).type) == "tensor(x[3],y[1])"
    assert E("tensor(x[3]):[1,2,3] * 2").dense_values.tolist() == [2, 4, 6]


def test_generator_can_read_features_with_computed_indexes():
    tokens = parse_tensor_literal("tensor(d0[3]):[7,8,9]")
    out = E("tensor(d0[1],d1[5])(if(d1 < 1, 101, if(d1 < 4, q{d0:(d1-1)}, 0)))", {"q": tokens})
    assert out.dense_values.tolist() == [[101, 7, 8, 9, 0]]


@pytest.mark.parametrize("text, problem", [
    ("a + b", "mapped in one operand and indexed"),
    ("reduce(b, sum, y)", "Cannot reduce over 'y'"),
    ("rename(b, y, z)", "Cannot rename 'y'"),
    ("merge(a, b, f(x,y)(x))", "same dimensions"),
    ("b{y:1}", "'y' is not a dimension"),
])
def test_type_errors_name_the_expression(text, problem):
    inputs = {"a": parse_tensor_literal("tensor(x{}):{}"), "b": parse_tensor_literal("tensor(x[3]):[1,2,3]")}
    with pytest.raises(ExpressionError, match=problem) as info:
        E(text, inputs)
    assert text in str(info.value)


def test_tensors_are_immutable():
    t = Tensor.dense("tensor(x[2])", [1.0, 2.0])
    with pytest.raises(ValueError):
        t.dense_values[0] = 5.0
    with pytest.raises(AttributeError):
        t.type = None


@pytest.mark.parametrize("cell_type", ["double", "float", "bfloat16", "int8"])
def test_dense_hex_round_trips_through_the_json_short_form(cell_type):
    from searchlib.tensor import dense_hex, tensor_from_json

    values = np.array([1.0, -2.0, 101.0, 0.0])  # exact in every cell type
    text = dense_hex(values, cell_type)
    assert len(text) == 4 * {"double": 16, "float": 8, "bfloat16": 4, "int8": 2}[cell_type]
    back = tensor_from_json({"values": text}, f"tensor<{cell_type}>(x[4])").dense_values
    assert back.tolist() == values.tolist()


def test_numbers_are_written_as_rank_zero_tensors():
    assert tensor_to_json(2.5) == tensor_to_json(Tensor.scalar(2.5)) == {
        "type": "double", "cells": [{"address": {}, "value": 2.5}]}
    assert format_literal(2.5) == format_literal(Tensor.scalar(2.5)) == "2.5"


@pytest.mark.parametrize("cell_type", ["double", "float", "bfloat16", "int8"])
def test_a_sparse_tensor_holds_scalar_blocks_in_every_cell_type(cell_type):
    """A mapped-only tensor's blocks are 0-d: bfloat16 rounding once made them shape (1,), and
    the splade sample app's tensor<bfloat16>(token{}) field then failed to feed."""
    sparse = Tensor(parse_type(f"tensor<{cell_type}>(token{{}})"), {("star",): np.float64(2.0)})
    assert sparse.blocks[("star",)].shape == ()
    assert float(sparse.blocks[("star",)]) == 2.0
