"""Tensor values ⇄ protobuf TensorValue: dense cells packed in row-major order, sparse as cells."""
from __future__ import annotations

from protos import content_node_pb2 as pb


def encode_tensor(value: object) -> pb.TensorValue:
    from searchlib.tensor import Tensor  # the tensor package is optional for scalar-only queries

    if not isinstance(value, Tensor):
        raise TypeError(f"cannot encode feature value of type {type(value).__name__}")
    return pb.TensorValue(type=str(value.type), cells=[
        pb.TensorCell(address={k: str(v) for k, v in address.items()}, value=float(cell))
        for address, cell in value.cells()])


def decode_tensor(message: pb.TensorValue) -> object:
    from searchlib.tensor import Tensor

    cells = [({k: v for k, v in cell.address.items()}, cell.value) for cell in message.cells]
    return Tensor.from_cells(message.type, cells)
