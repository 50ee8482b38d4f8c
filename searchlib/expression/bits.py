"""`unpack_bits(t [, cell_type [, big|little]])`: each int8 cell of the innermost indexed dimension
becomes 8 cells of 0/1 (most significant bit first by default), so that dimension grows 8x and the
cells default to float. Binary-quantized embeddings (ColBERT) are scored this way."""
from __future__ import annotations

from typing import Any

import numpy as np

from searchlib.errors import ExpressionError
from searchlib.tensor import Tensor, TensorBatch, TensorType
from searchlib.tensor.types import Dimension

ENDIANS = ("big", "little")


def unpack_bits_type(t: TensorType, cell_type: str = "float") -> TensorType:
    if not t.indexed:
        raise ExpressionError(f"unpack_bits needs an indexed dimension, got {t}")
    if t.cell_type != "int8":
        raise ExpressionError(f"unpack_bits needs int8 cells, got {t}")
    last = t.indexed[-1]
    dims = tuple(Dimension(d.name, d.size * 8) if d.name == last.name else d for d in t.dimensions)
    return TensorType(cell_type, dims)


def _unpack(values: np.ndarray, endian: str) -> np.ndarray:
    """int8 cells (as float64) on the last axis -> 0/1 floats, 8 per cell."""
    as_bytes = np.asarray(values, dtype=np.float64).astype(np.int64).astype(np.int8).view(np.uint8)
    return np.unpackbits(as_bytes, axis=-1, bitorder=endian).astype(np.float64)


def unpack_bits(value: Any, cell_type: str = "float", endian: str = "big") -> Tensor | TensorBatch:
    if endian not in ENDIANS:
        raise ExpressionError(f"unpack_bits: endian must be big or little, got '{endian}'")
    if not isinstance(value, (Tensor, TensorBatch)):
        raise ExpressionError("unpack_bits needs a tensor with int8 cells")
    result_type = unpack_bits_type(value.type, cell_type)
    # the innermost indexed dimension is the last axis of each dense block
    if isinstance(value, Tensor):
        keys, blocks = value.stack()  # every block in one call
        return Tensor.stacked(result_type, keys, _unpack(blocks, endian))
    if value.values is not None:
        return TensorBatch(result_type, values=_unpack(value.values, endian))
    return TensorBatch(result_type, rows=[unpack_bits(row, cell_type, endian) for row in value.rows])
