"""Tensor values survive the wire codec: dense ones as one packed buffer, others as cells."""
from __future__ import annotations

import numpy as np
import pytest

from searchlib.tensor import Tensor
from searchlib.wire.tensor_codec import decode_tensor, encode_tensor


@pytest.mark.parametrize("tensor_type, values, width", [
    ("tensor<float>(x[384])", np.random.default_rng(1).normal(size=384), 4),
    ("tensor<bfloat16>(x[3])", [1.0 / 3, -2.5e30, 7.0], 4),
    ("tensor(x[2],y[3])", np.arange(6.0).reshape(2, 3) / 7, 8),
    ("tensor(x[3])", [0.5, -2.0, 1e300], 8),
    ("tensor(x[3])", [0.5, -2.0, 3.0], 4),  # double cells that are float32 numbers: still exact
    ("tensor<int8>(x[4])", [1, -2, 3, 127], 4),
    ("tensor()", 2.5, 4),
    ("tensor()", 0.1, 8),
])
def test_dense_tensors_are_packed_and_round_trip_exactly(tensor_type, values, width):
    tensor = Tensor.dense(tensor_type, values)
    message = encode_tensor(tensor)
    packed = message.float32_cells or message.float64_cells
    assert not message.cells and not message.values
    assert len(packed) == width * max(np.size(values), 1)  # float32 only where that is exact
    decoded = decode_tensor(message)
    assert decoded == tensor and decoded.type == tensor.type
    assert decoded.dense_values.dtype == np.float64 and not decoded.dense_values.flags.writeable


def test_special_float_cells_survive_packing():
    tensor = Tensor.dense("tensor<float>(x[4])", [float("nan"), float("inf"), -0.0, 1e-45])
    decoded = decode_tensor(encode_tensor(tensor))
    assert decoded == tensor and np.signbit(decoded.dense_values[2])


def test_dense_tensor_from_an_older_sender_decodes():
    tensor = Tensor.dense("tensor<float>(x[3])", [0.1, 0.2, 0.3])
    message = type(encode_tensor(tensor))(type=str(tensor.type), values=tensor.dense_values.tolist())
    assert decode_tensor(message) == tensor


def test_packed_cells_of_the_wrong_size_are_refused():
    message = encode_tensor(Tensor.dense("tensor<float>(x[3])", [1.0, 2.0, 3.0]))
    message.type = "tensor<float>(x[4])"
    with pytest.raises(ValueError, match="3 cells do not fit"):
        decode_tensor(message)


def test_mapped_and_mixed_tensors_round_trip_as_packed_blocks():
    mapped = Tensor.from_cells("tensor(p{})", [({"p": "a"}, 1.0), ({"p": "b"}, -2.0)])
    mixed = Tensor.from_cells("tensor<float>(p{},x[2])", [({"p": "a", "x": "0"}, 1.0), ({"p": "a", "x": "1"}, 2.0),
                                                          ({"p": "b", "x": "1"}, 3.0)])
    for tensor in (mapped, mixed):
        message = encode_tensor(tensor)
        assert not message.values and not message.cells and message.block_labels
        assert decode_tensor(message) == tensor


def test_dense_tensor_sent_as_cells_still_decodes():
    tensor = Tensor.dense("tensor(x[3])", [1.0, 0.0, -1.0])
    message = encode_tensor(tensor)
    cells = type(message)(type=message.type)
    for address, value in tensor.cells():
        cells.cells.add(address=address, value=value)
    assert decode_tensor(cells) == tensor


def test_mixed_tensor_sent_as_cells_still_decodes_and_bad_blocks_are_refused():
    tensor = Tensor.from_cells("tensor(p{},x[2])", [({"p": "a", "x": "0"}, 1.0), ({"p": "b", "x": "1"}, 2.0)])
    message = encode_tensor(tensor)
    cells = type(message)(type=message.type)
    for address, value in tensor.cells():
        cells.cells.add(address=address, value=value)
    assert decode_tensor(cells) == tensor
    message.block_labels.append("c")  # three blocks named, two blocks of cells sent
    with pytest.raises(ValueError, match="4 cells do not fit 3 blocks"):
        decode_tensor(message)
