"""Tensor values survive the wire codec: dense ones packed into `values`, others as cells."""
from __future__ import annotations

import numpy as np
import pytest

from searchlib.tensor import Tensor
from searchlib.wire.tensor_codec import decode_tensor, encode_tensor


@pytest.mark.parametrize("tensor_type, values", [
    ("tensor<float>(x[384])", np.random.default_rng(1).normal(size=384)),
    ("tensor(x[2],y[3])", np.arange(6.0).reshape(2, 3)),
    ("tensor<int8>(x[4])", [1, -2, 3, 127]),
    ("tensor()", 2.5),
])
def test_dense_tensors_are_packed_and_round_trip(tensor_type, values):
    tensor = Tensor.dense(tensor_type, values)
    message = encode_tensor(tensor)
    assert not message.cells and len(message.values) == max(np.size(values), 1)
    assert decode_tensor(message) == tensor


def test_mapped_and_mixed_tensors_round_trip_as_cells():
    mapped = Tensor.from_cells("tensor(p{})", [({"p": "a"}, 1.0), ({"p": "b"}, -2.0)])
    mixed = Tensor.from_cells("tensor<float>(p{},x[2])", [({"p": "a", "x": "0"}, 1.0), ({"p": "a", "x": "1"}, 2.0),
                                                          ({"p": "b", "x": "1"}, 3.0)])
    for tensor in (mapped, mixed):
        message = encode_tensor(tensor)
        assert not message.values and message.cells
        assert decode_tensor(message) == tensor


def test_dense_tensor_sent_as_cells_still_decodes():
    tensor = Tensor.dense("tensor(x[3])", [1.0, 0.0, -1.0])
    message = encode_tensor(tensor)
    cells = type(message)(type=message.type)
    for address, value in tensor.cells():
        cells.cells.add(address=address, value=value)
    assert decode_tensor(cells) == tensor
