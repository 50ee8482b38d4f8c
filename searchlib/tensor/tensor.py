"""Tensor values: a map from mapped-dimension labels to a dense numpy block of the indexed dimensions.

This is Vespa's own layout for mixed tensors. A dense tensor is one block under the key `()`, a
sparse tensor has blocks of shape `()`. Cell values are stored as float64 already rounded to the
cell type (float32, bfloat16 or int8), so operations compute in doubles and round once at the end,
which is what reproduces Vespa's results exactly.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping

import numpy as np

from searchlib.errors import ExpressionError
from searchlib.tensor.types import DOUBLE, TensorType
from searchlib.tensor.writing import format_literal, tensor_to_json

Address = Mapping[str, "str | int"]


def quantize(values: np.ndarray, cell_type: str) -> np.ndarray:
    """Round float64 values to what the cell type can hold (still as float64)."""
    values = np.asarray(values, dtype=np.float64)
    if cell_type == "double":
        return values
    if cell_type == "float":
        with np.errstate(over="ignore"):
            return values.astype(np.float32).astype(np.float64)
    if cell_type == "bfloat16":  # Vespa's BFloat16 truncates the float32 bit pattern
        with np.errstate(over="ignore"):
            bits = np.ascontiguousarray(values.astype(np.float32)).view(np.uint32) & np.uint32(0xFFFF0000)
        return bits.view(np.float32).astype(np.float64).reshape(values.shape)  # ascontiguousarray makes 0-d 1-d
    if cell_type == "int8":
        with np.errstate(invalid="ignore"):
            return np.clip(np.trunc(np.nan_to_num(values)), -128, 127)
    raise ExpressionError(f"Unknown cell type '{cell_type}'")


class Tensor:
    """An immutable tensor value. `blocks` maps mapped labels (in type order) to dense arrays."""

    __slots__ = ("type", "blocks")

    def __init__(self, tensor_type: TensorType, blocks: Mapping[tuple[str, ...], np.ndarray],
                 *, rounded: bool = False) -> None:
        shape = tensor_type.dense_shape
        frozen: dict[tuple[str, ...], np.ndarray] = {}
        n_mapped = len(tensor_type.mapped)
        for key, block in blocks.items():
            array = np.asarray(block, dtype=np.float64)
            if array.shape != shape:
                raise ExpressionError(f"Tensor block of shape {array.shape} does not fit {tensor_type}")
            if len(key) != n_mapped:
                raise ExpressionError(f"Address {key} does not fit {tensor_type}")
            if not rounded:
                array = quantize(array, tensor_type.cell_type)
            if array.flags.writeable:  # never freeze (or alias) an array the caller may still write
                array = array.copy()
                array.flags.writeable = False
            frozen[tuple(str(k) for k in key)] = array
        if not n_mapped and not frozen:  # a dense tensor always has its one block
            frozen[()] = np.zeros(shape)
            frozen[()].flags.writeable = False
        object.__setattr__(self, "type", tensor_type)
        object.__setattr__(self, "blocks", frozen)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Tensor is immutable")

    # ---- construction
    @staticmethod
    def stacked(tensor_type: TensorType, keys: list[tuple[str, ...]], values: np.ndarray,
                *, rounded: bool = False) -> "Tensor":
        """Blocks given as one array shaped (len(keys), *dense_shape): rounded and frozen once, each
        block a view of it, so operations over many blocks (ColBERT token vectors) make no per-block
        copies. Keys are the mapped labels, as strings, in type order."""
        values = np.asarray(values, dtype=np.float64)
        if values.shape != (len(keys), *tensor_type.dense_shape):
            raise ExpressionError(f"Tensor blocks of shape {values.shape} do not fit {tensor_type}")
        if not tensor_type.mapped:
            return Tensor(tensor_type, {(): values[0]} if keys else {}, rounded=rounded)
        if not rounded and tensor_type.cell_type != "double":
            values = quantize(values, tensor_type.cell_type)  # a fresh array
        elif values.flags.writeable:  # never freeze (or alias) an array the caller may still write
            values = values.copy()
        values.flags.writeable = False
        tensor = object.__new__(Tensor)
        object.__setattr__(tensor, "type", tensor_type)
        object.__setattr__(tensor, "blocks", {key: values[i] for i, key in enumerate(keys)})
        return tensor

    def stack(self) -> tuple[list[tuple[str, ...]], np.ndarray]:
        """(keys, blocks as one array shaped (len(keys), *dense_shape))."""
        keys = list(self.blocks)
        if not keys:
            return keys, np.zeros((0, *self.type.dense_shape))
        return keys, np.stack([self.blocks[k] for k in keys])

    @staticmethod
    def scalar(value: float) -> "Tensor":
        return Tensor(DOUBLE, {(): np.asarray(float(value))})

    @staticmethod
    def dense(tensor_type: TensorType | str, values: Any) -> "Tensor":
        tensor_type = TensorType.parse(tensor_type) if isinstance(tensor_type, str) else tensor_type
        if not tensor_type.is_dense:
            raise ExpressionError(f"{tensor_type} is not a dense type")
        array = np.asarray(values, dtype=np.float64)
        if array.shape != tensor_type.dense_shape:
            if array.size != int(np.prod(tensor_type.dense_shape)):
                raise ExpressionError(f"{array.size} values do not fit {tensor_type}")
            array = array.reshape(tensor_type.dense_shape)
        return Tensor(tensor_type, {(): array})

    @staticmethod
    def from_cells(tensor_type: TensorType | str, cells: Iterable[tuple[Address, float]]) -> "Tensor":
        tensor_type = TensorType.parse(tensor_type) if isinstance(tensor_type, str) else tensor_type
        mapped, indexed = tensor_type.mapped, tensor_type.indexed
        blocks: dict[tuple[str, ...], np.ndarray] = {}
        for address, value in cells:
            if set(address) != set(tensor_type.dimension_names):
                raise ExpressionError(f"Address {dict(address)} does not match {tensor_type}")
            key = tuple(str(address[d.name]) for d in mapped)
            index = tuple(_index(address[d.name], d.size, d.name) for d in indexed)
            block = blocks.get(key)
            if block is None:
                block = blocks[key] = np.zeros(tensor_type.dense_shape)
            block[index] = float(value)
        return Tensor(tensor_type, blocks)

    # ---- access
    def as_float(self) -> float:
        if self.type.rank != 0:
            raise ExpressionError(f"Expected a number, got a {self.type}")
        block = self.blocks.get(())
        return float(block) if block is not None else 0.0

    @property
    def dense_values(self) -> np.ndarray:
        """The cells of a dense tensor as an array shaped by its indexed dimensions."""
        if not self.type.is_dense:
            raise ExpressionError(f"{self.type} is not dense")
        return self.blocks[()]

    def cells(self) -> Iterator[tuple[dict[str, str], float]]:
        """(address, value) in serialization order: blocks as stored, dense parts row-major."""
        mapped, indexed = self.type.mapped, self.type.indexed
        for key, block in self.blocks.items():
            base = {d.name: label for d, label in zip(mapped, key)}
            for index in np.ndindex(*block.shape):
                address = dict(base)
                address.update({d.name: str(i) for d, i in zip(indexed, index)})
                yield {n: address[n] for n in self.type.dimension_names}, float(block[index])

    def to_short_json(self) -> dict[str, Any]:
        """Vespa's short JSON form, as results render tensors (match- and summary-features)."""
        return tensor_to_json(self, short=True)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tensor) or self.type != other.type or self.blocks.keys() != other.blocks.keys():
            return False
        return all(np.array_equal(b, other.blocks[k], equal_nan=True) for k, b in self.blocks.items())

    def __hash__(self) -> int:
        return hash((self.type, tuple(self.blocks)))

    def __repr__(self) -> str:
        return format_literal(self)


def _index(label: Any, size: int, name: str) -> int:
    try:
        index = int(label)
    except (TypeError, ValueError):
        raise ExpressionError(f"Label '{label}' of indexed dimension '{name}' is not an integer") from None
    if not 0 <= index < size:
        raise ExpressionError(f"Label {index} is out of range for dimension {name}[{size}]")
    return index
