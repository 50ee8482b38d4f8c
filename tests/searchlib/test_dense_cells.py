"""The flat dense forms writes come in (a list of numbers, hex): `dense_cells` reads the cells
`tensor_from_json` reads, and `packed_dense` (the container's form for the nodes) holds the same
cells once rounded to the cell type."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchlib.errors import ExpressionError
from searchlib.tensor import TensorType, dense_cells, dense_hex, packed_dense, quantize, tensor_from_json

TYPES = ["tensor<float>(x[4])", "tensor<double>(x[4])", "tensor<bfloat16>(x[4])", "tensor<int8>(x[4])",
         "tensor<float>(x[2],y[2])"]
numbers = st.one_of(st.integers(-2**40, 2**40), st.floats(allow_nan=False, allow_infinity=False, width=64))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(TYPES), st.lists(numbers, min_size=4, max_size=4), st.booleans(), st.booleans())
def test_dense_cells_are_the_cells_tensor_from_json_reads(type_text, values, as_hex, wrapped):
    tensor_type = TensorType.parse(type_text)
    form = dense_hex(np.asarray(values, dtype=np.float64), tensor_type.cell_type) if as_hex else values
    value = {"values": form} if wrapped or as_hex else form  # hex only as `values`
    with np.errstate(over="ignore", invalid="ignore"):
        expected = tensor_from_json(value, tensor_type).blocks[()].reshape(-1)
        cells = dense_cells(value, tensor_type)
    assert cells is not None and cells.dtype == np.float64
    np.testing.assert_array_equal(cells, expected)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["tensor<float>(x[4])", "tensor<double>(x[4])", "tensor<float>(x[2],y[2])"]),
       st.lists(st.one_of(numbers, st.floats(min_value=3.4e38, max_value=1e300)), min_size=4, max_size=4),
       st.booleans())
def test_packed_dense_holds_the_stored_cells(type_text, values, wrapped):
    tensor_type = TensorType.parse(type_text)
    packed = packed_dense({"values": values} if wrapped else values, tensor_type)
    assert set(packed) == {"values"} and isinstance(packed["values"], str)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(tensor_from_json(packed, tensor_type).blocks[()].reshape(-1),
                                      quantize(np.asarray(values, dtype=np.float64), tensor_type.cell_type))


@pytest.mark.parametrize("value", [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0, True], [[1.0, 2.0], [3.0, 4.0]], "0011",
                                   {"type": "tensor<float>(x[4])", "values": [1, 2, 3, 4]}, {"values": ["1", 2, 3, 4]},
                                   {"cells": [{"address": {"x": 0}, "value": 1}]}, 3.0, None])
def test_other_forms_are_left_to_tensor_from_json(value):
    tensor_type = TensorType.parse("tensor<float>(x[4])")
    assert dense_cells(value, tensor_type) is None
    assert packed_dense(value, tensor_type) is value


@pytest.mark.parametrize("type_text", ["tensor<float>(p{}, x[4])", "tensor<int8>(x[4])", "tensor<bfloat16>(x[4])"])
def test_only_dense_float_and_double_types_are_packed(type_text):
    values = [1.0, 2.0, 3.0, 4.0]
    assert packed_dense(values, TensorType.parse(type_text)) is values


@pytest.mark.parametrize("text", ["3f80000", "3f800000" * 3 + "3f80000g", "3f800000" * 3 + "3f 80000", "é" * 32,
                                  "3f800000" * 3 + " 3f80000"])
def test_hex_cells_that_are_not_hex_are_refused(text):
    tensor_type = TensorType.parse("tensor<float>(x[4])")
    with pytest.raises(ExpressionError, match="must be hex, 8 digits a cell"):
        tensor_from_json({"values": text}, tensor_type)
    assert dense_cells({"values": text}, tensor_type) is None
