"""Tensor values ⇄ protobuf TensorValue: dense cells packed in row-major order, sparse as cells.

Dense tensors go through `values` (a packed repeated double): a 384-cell query vector is then one
array copy each way instead of 384 cell messages with address maps (which cost ~5 ms to encode and
as much to decode, per node and per call, on the query path)."""
from __future__ import annotations

import numpy as np

from protos import content_node_pb2 as pb


def encode_tensor(value: object) -> pb.TensorValue:
    from searchlib.tensor import Tensor  # the tensor package is optional for scalar-only queries

    if not isinstance(value, Tensor):
        raise TypeError(f"cannot encode feature value of type {type(value).__name__}")
    if value.type.is_dense:
        return pb.TensorValue(type=str(value.type), values=value.dense_values.ravel().tolist())
    return pb.TensorValue(type=str(value.type), cells=[
        pb.TensorCell(address={k: str(v) for k, v in address.items()}, value=float(cell))
        for address, cell in value.cells()])


def decode_tensor(message: pb.TensorValue) -> object:
    from searchlib.tensor import Tensor

    if message.values:
        return Tensor.dense(message.type, np.asarray(message.values, dtype=np.float64))
    cells = [({k: v for k, v in cell.address.items()}, cell.value) for cell in message.cells]
    return Tensor.from_cells(message.type, cells)
