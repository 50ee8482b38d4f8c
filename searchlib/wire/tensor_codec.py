"""Tensor values ⇄ protobuf TensorValue: dense cells as one packed buffer, sparse as cells.

Dense tensors (a query vector, above all) go as raw little-endian bytes: float32 when every cell
is a float32 number exactly (always so for float, bfloat16 and int8 cells, which a Tensor holds
already rounded; checked, so it is lossless for any value), else float64. A 384-cell vector is
then one buffer copy each way, not a list of 384 Python floats (or, earlier, 384 cell messages
with address maps, ~5 ms per node and call). The receiver skips the rounding pass: the cells were
rounded to their type by the sender's Tensor.
`values` (repeated double) is still read, from older senders."""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from protos import content_node_pb2 as pb

_F32, _F64 = np.dtype("<f4"), np.dtype("<f8")


def encode_tensor(value: object) -> pb.TensorValue:
    from searchlib.tensor import Tensor  # the tensor package is optional for scalar-only queries

    if not isinstance(value, Tensor):
        raise TypeError(f"cannot encode feature value of type {type(value).__name__}")
    if value.type.is_dense:
        return _packed(value.type, value.dense_values)
    keys, blocks = value.stack()
    if not keys:
        return pb.TensorValue(type=str(value.type))
    message = _packed(value.type, blocks)
    message.block_labels.extend(label for key in keys for label in key)
    return message


def _packed(tensor_type, cells: np.ndarray) -> pb.TensorValue:
    with np.errstate(over="ignore"):
        narrow = cells.astype(_F32)
    if np.array_equal(narrow, cells, equal_nan=True):  # every cell a float32 number: lossless
        return pb.TensorValue(type=str(tensor_type), float32_cells=narrow.tobytes())
    return pb.TensorValue(type=str(tensor_type), float64_cells=cells.astype(_F64).tobytes())


def decode_tensor(message: pb.TensorValue) -> object:
    from searchlib.tensor import Tensor

    if message.block_labels:
        return _decode_blocks(message)
    if message.float32_cells or message.float64_cells:
        tensor_type = _dense_type(message.type)
        cells = _cells(message)
        if cells.size != math.prod(tensor_type.dense_shape):
            raise ValueError(f"{cells.size} cells do not fit {tensor_type}")
        cells.flags.writeable = False  # a fresh array nobody else holds: the tensor keeps it as is
        return Tensor(tensor_type, {(): cells.reshape(tensor_type.dense_shape)}, rounded=True)
    if message.values:
        return Tensor.dense(message.type, np.asarray(message.values, dtype=np.float64))
    cells = [({k: v for k, v in cell.address.items()}, cell.value) for cell in message.cells]
    return Tensor.from_cells(message.type, cells)


def _cells(message: pb.TensorValue) -> np.ndarray:
    if message.float32_cells:
        return np.frombuffer(message.float32_cells, dtype=_F32).astype(np.float64)
    return np.frombuffer(message.float64_cells, dtype=_F64).astype(np.float64)


def _decode_blocks(message: pb.TensorValue) -> object:
    """Packed blocks of a mapped or mixed tensor: one buffer read, no per-cell work."""
    from searchlib.tensor import Tensor

    tensor_type = _type(message.type)
    n_mapped = len(tensor_type.mapped)
    labels = list(message.block_labels)
    if not n_mapped or len(labels) % n_mapped:
        raise ValueError(f"{len(labels)} block labels do not fit {tensor_type}")
    keys = [tuple(labels[i:i + n_mapped]) for i in range(0, len(labels), n_mapped)]
    cells = _cells(message)
    if cells.size != len(keys) * math.prod(tensor_type.dense_shape):
        raise ValueError(f"{cells.size} cells do not fit {len(keys)} blocks of {tensor_type}")
    return Tensor.stacked(tensor_type, keys, cells.reshape(len(keys), *tensor_type.dense_shape), rounded=True)


@lru_cache(maxsize=256)
def _type(text: str):
    from searchlib.tensor import TensorType

    return TensorType.parse(text)


@lru_cache(maxsize=256)
def _dense_type(text: str):
    """The (immutable) type of a dense tensor on the wire, parsed once per spec."""
    from searchlib.tensor import TensorType

    tensor_type = TensorType.parse(text)
    if not tensor_type.is_dense:
        raise ValueError(f"packed cells for a tensor of type {tensor_type}, which is not dense")
    return tensor_type
