"""Dense tensor attributes (`tensor<float>(d0[512])`, `tensor<float>(x[384])`) as one cell matrix
by local id, parsed once at write time.

The matrix uses the narrowest dtype that holds every stored cell exactly: token ids (integers in
0..65535, the common cross-encoder input) take 2 bytes a cell instead of 4, and the column widens
to the declared cell type the first time a value needs it. Readers get a `DenseTensorRows` view
that ranking turns into a tensor batch without touching per-document Python objects.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from content_node.store.arrays import ensure_capacity
from searchlib.schema.model import Field
from searchlib.tensor import TensorType, quantize, tensor_from_json

_DECLARED = {"double": np.float64, "float": np.float32, "bfloat16": np.float32, "int8": np.int8}
_NARROW = np.uint16  # exact for integral cells in 0..65535 (token ids)
_UNSET = -1


def is_dense_tensor(field: Field) -> bool:
    if field.type.kind != "tensor" or not field.type.tensor_type:
        return False
    try:
        return TensorType.parse(field.type.tensor_type).is_dense
    except Exception:  # noqa: BLE001 - a type the tensor library cannot read stays a raw value
        return False


@dataclass(frozen=True, slots=True)
class DenseTensorRows:
    """Rows of a dense tensor attribute: `slots[i]` is row i's row in `cells`, -1 when unset
    (unset rows read as all-zero cells). Selecting rows copies no cells."""
    type: TensorType
    cells: np.ndarray  # (slots, *type.dense_shape), narrow or declared dtype
    slots: np.ndarray  # int32 per row

    def __len__(self) -> int:
        return len(self.slots)

    def __getitem__(self, rows: Any) -> "DenseTensorRows":
        return DenseTensorRows(self.type, self.cells, np.atleast_1d(self.slots[rows]))

    @property
    def present(self) -> np.ndarray:
        return self.slots >= 0

    def values(self) -> np.ndarray:
        """float64 cells, shaped (rows, *dense_shape), as tensor batches hold them."""
        out = np.zeros((len(self.slots), *self.cells.shape[1:]), dtype=np.float64)
        present = self.present
        out[present] = self.cells[self.slots[present]]
        return out

    def json(self, row: int) -> dict[str, Any] | None:
        """The stored value in the feed's short form, None when unset."""
        slot = int(self.slots[row])
        if slot < 0:
            return None
        return {"values": self.cells[slot].reshape(-1).astype(np.float64).tolist()}


class DenseTensorColumn:
    """Cells only for documents that have a value: a field most documents lack costs a slot
    number per document, not a row of cells."""
    numeric = False
    mutable = False
    unset = None

    def __init__(self, field: Field) -> None:
        self.name = field.name
        self.type = TensorType.parse(field.type.tensor_type)
        self._cell_count = int(np.prod(self.type.dense_shape))
        self._declared = _DECLARED.get(self.type.cell_type, np.float32)
        narrow = self.type.cell_type in ("float", "double", "bfloat16")
        self._cells = np.zeros((0, *self.type.dense_shape), dtype=_NARROW if narrow else self._declared)
        self._slots = np.zeros(0, dtype=np.int32)  # per local id; -1 = unset
        self._used = 0  # slots handed out so far
        self._free: list[int] = []

    def set(self, local_id: int, value: Any) -> None:
        self._slots = ensure_capacity(self._slots, local_id + 1, _UNSET)
        slot = int(self._slots[local_id])
        if value is None:
            if slot >= 0:
                self._free.append(slot)
                self._slots[local_id] = _UNSET
            return
        cells = self._parse(value)
        if self._cells.dtype == _NARROW and not _fits_narrow(cells):
            self._cells = self._cells.astype(self._declared)
        if slot < 0:
            slot = self._take_slot()
            self._slots[local_id] = slot
        self._cells[slot] = cells

    def get(self, local_id: int) -> dict[str, Any] | None:
        return self.values(local_id + 1).json(local_id)

    def values(self, limit: int) -> DenseTensorRows:
        self._slots = ensure_capacity(self._slots, limit, _UNSET)
        return DenseTensorRows(self.type, self._cells, self._slots[:limit])

    @property
    def nbytes(self) -> int:
        return self._cells.nbytes + self._slots.nbytes

    def _take_slot(self) -> int:
        if self._free:
            return self._free.pop()
        if self._used == len(self._cells):  # grow by 1.25×: rows of cells are big
            capacity = max(64, self._used + self._used // 4)
            cells = np.zeros((capacity, *self._cells.shape[1:]), dtype=self._cells.dtype)
            cells[: self._used] = self._cells
            self._cells = cells
        self._used += 1
        return self._used - 1

    def _parse(self, value: Any) -> np.ndarray:
        flat = value.get("values") if isinstance(value, dict) and len(value) == 1 else value
        if isinstance(flat, list) and flat and not isinstance(flat[0], list):
            cells = np.asarray(flat, dtype=np.float64)
            if cells.size == self._cell_count:
                return quantize(cells, self.type.cell_type).reshape(self.type.dense_shape)
        return tensor_from_json(value, self.type).dense_values.reshape(self.type.dense_shape)


def _fits_narrow(cells: np.ndarray) -> bool:
    return bool(np.all((cells >= 0) & (cells <= 65535) & (cells == np.round(cells))))
