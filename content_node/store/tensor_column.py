"""Dense tensor attributes (`tensor<float>(d0[512])`, `tensor<float>(x[384])`) as one flat cell
arena, parsed once at write time.

Each document's cells are stored up to its last non-zero cell (the token ids of a 300-token
document in a 512-cell tensor take 300 cells; embeddings take all of theirs), in the narrowest
dtype that holds every stored cell exactly: token ids (integers in 0..65535, the usual
cross-encoder input) take 2 bytes a cell instead of 4, and the arena widens to the declared cell
type the first time a value needs it. Documents without a value cost one offset. Space of
replaced values is reclaimed by compacting once it is half the arena. Readers get a
`DenseTensorRows` view that ranking turns into a tensor batch without per-document objects.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from content_node.store.arrays import ensure_capacity
from searchlib.schema.model import Field
from searchlib.tensor import TensorType, dense_cells, dense_hex, tensor_from_json

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
    """Rows of a dense tensor attribute: row i's stored cells are `arena[starts[i]:][:lengths[i]]`
    (the rest of the row is zero); `starts[i]` is -1 when unset. Selecting rows copies no cells."""
    type: TensorType
    arena: np.ndarray  # flat cells, narrow or declared dtype
    starts: np.ndarray  # int64 per row
    lengths: np.ndarray  # int32 per row

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, rows: Any) -> "DenseTensorRows":
        return DenseTensorRows(self.type, self.arena, np.atleast_1d(self.starts[rows]),
                               np.atleast_1d(self.lengths[rows]))

    @property
    def present(self) -> np.ndarray:
        return self.starts >= 0

    def values(self) -> np.ndarray:
        """float64 cells, shaped (rows, *dense_shape), as tensor batches hold them."""
        cells = int(np.prod(self.type.dense_shape))
        out = np.zeros((len(self.starts), cells), dtype=np.float64)
        lengths = np.where(self.present, self.lengths, 0).astype(np.int64)
        total = int(lengths.sum())
        if total:  # one gather for every stored cell of every row
            row = np.repeat(np.arange(len(lengths)), lengths)
            first = np.cumsum(lengths) - lengths
            column = np.arange(total) - np.repeat(first, lengths)
            out[row, column] = self.arena[np.repeat(self.starts, lengths) + column]
        return out.reshape(len(self.starts), *self.type.dense_shape)

    def json(self, row: int) -> dict[str, Any] | None:
        """The stored value in the feed's short form, None when unset."""
        if self.starts[row] < 0:
            return None
        return {"values": self[row].values().reshape(-1).tolist()}

    def hex_json(self, row: int) -> dict[str, Any] | None:
        """The stored value in the short form with hex cells: lossless at the cell type and far
        cheaper to write and read than a list of numbers (snapshots of a 384-float field)."""
        if self.starts[row] < 0:
            return None
        return {"values": dense_hex(self[row].values().reshape(-1), self.type.cell_type)}


class DenseTensorColumn:
    numeric = False
    mutable = False
    unset = None

    def __init__(self, field: Field) -> None:
        self.name = field.name
        self.type = TensorType.parse(field.type.tensor_type)
        self._cell_count = int(np.prod(self.type.dense_shape))
        self._declared = _DECLARED.get(self.type.cell_type, np.float32)
        narrow = self.type.cell_type in ("float", "double", "bfloat16")
        self._arena = np.zeros(0, dtype=_NARROW if narrow else self._declared)
        self._used = 0  # cells of the arena in use (live or garbage)
        self._garbage = 0
        self._starts = np.zeros(0, dtype=np.int64)  # per local id; -1 = unset
        self._lengths = np.zeros(0, dtype=np.int32)

    def set(self, local_id: int, value: Any) -> None:
        self._starts = ensure_capacity(self._starts, local_id + 1, _UNSET)
        self._lengths = ensure_capacity(self._lengths, local_id + 1, 0)
        if self._starts[local_id] >= 0:
            self._garbage += int(self._lengths[local_id])
        self._starts[local_id], self._lengths[local_id] = _UNSET, 0
        if value is not None:
            cells = self._parse(value)
            stored = cells[: int(np.flatnonzero(cells)[-1]) + 1] if cells.any() else cells[:0]
            if self._arena.dtype == _NARROW and not _fits_narrow(stored):
                self._arena = self._arena.astype(self._declared)
            self._starts[local_id], self._lengths[local_id] = self._append(stored), len(stored)
        if self._garbage > 4096 and 2 * self._garbage > self._used:
            self._compact()

    def get(self, local_id: int) -> dict[str, Any] | None:
        return self.values(local_id + 1).json(local_id)

    def holds(self, local_id: int, value: Any) -> bool:
        """True if `value` (None: no value) is exactly what `local_id` stores already."""
        start = int(self._starts[local_id]) if local_id < len(self._starts) else _UNSET
        if value is None or start < 0:
            return value is None and start < 0
        cells = self._parse(value)
        length = int(self._lengths[local_id])
        return not cells[length:].any() and np.array_equal(cells[:length], self._arena[start: start + length])

    def values(self, limit: int) -> DenseTensorRows:
        self._starts = ensure_capacity(self._starts, limit, _UNSET)
        self._lengths = ensure_capacity(self._lengths, limit, 0)
        return DenseTensorRows(self.type, self._arena[: self._used], self._starts[:limit], self._lengths[:limit])

    @property
    def nbytes(self) -> int:
        return self._arena.nbytes + self._starts.nbytes + self._lengths.nbytes

    def export_image(self, limit: int) -> dict[str, np.ndarray]:
        """Under the DocumentDB lock: the used arena by reference (cells below `_used` are never
        written again: appends go past it, widening and compaction make a new array) and copies
        of the rows below `limit`."""
        rows = self.values(limit)
        return {"arena": rows.arena, "starts": rows.starts.copy(), "lengths": rows.lengths.copy(),
                "garbage": np.array([self._garbage], dtype=np.int64)}

    def load_image(self, arrays: dict[str, np.ndarray], limit: int) -> None:
        arena, starts, lengths = arrays["arena"], arrays["starts"].astype(np.int64), arrays["lengths"].astype(np.int32)
        if arena.dtype not in (np.dtype(_NARROW), np.dtype(self._declared)) or arena.ndim != 1 \
                or len(starts) != limit or len(lengths) != limit \
                or int(np.where(starts >= 0, starts + lengths, 0).max(initial=0)) > len(arena) \
                or int(lengths.max(initial=0)) > self._cell_count:
            raise ValueError(f"tensor rows of {self.name} do not fit its arena")
        self._arena, self._used, self._garbage = arena.copy(), len(arena), int(arrays["garbage"][0])
        self._starts, self._lengths = starts, lengths

    def _append(self, cells: np.ndarray) -> int:
        start = self._used
        if start + len(cells) > len(self._arena):  # grow by 1.25×: the arena is the big array
            grown = np.zeros(max(start + len(cells), len(self._arena) * 5 // 4, 4096), dtype=self._arena.dtype)
            grown[:start] = self._arena[:start]
            self._arena = grown
        self._arena[start: start + len(cells)] = cells
        self._used += len(cells)
        return start

    def _compact(self) -> None:
        rows = DenseTensorRows(self.type, self._arena[: self._used], self._starts, self._lengths)
        stored = np.flatnonzero(rows.present)
        lengths = self._lengths[stored].astype(np.int64)
        sources = [self._arena[s: s + n] for s, n in zip(self._starts[stored].tolist(), lengths.tolist())]
        self._arena = np.concatenate(sources) if sources else self._arena[:0].copy()
        self._starts[stored] = np.cumsum(lengths) - lengths
        self._used, self._garbage = len(self._arena), 0

    def _parse(self, value: Any) -> np.ndarray:
        """The value's cells, flat, quantized to the cell type (float64)."""
        flat = value.get("values") if isinstance(value, dict) and len(value) == 1 else value
        if isinstance(flat, np.ndarray) and flat.shape == (self._cell_count,):
            return flat  # read back from a snapshot segment: already at the cell type
        cells = dense_cells(value, self.type)  # the flat forms (a list, hex) without a Tensor
        return cells if cells is not None else tensor_from_json(value, self.type).dense_values.reshape(-1)


def _fits_narrow(cells: np.ndarray) -> bool:
    return bool(np.all((cells >= 0) & (cells <= 65535) & (cells == np.round(cells))))
