"""`attribute(f)` of a tensor field as a per-row tensor batch (e.g. the `tokens` token ids that the
global phase asks for as a hidden match-feature). Unset rows read as the empty tensor (zeros).
Dense attributes arrive as `DenseTensorRows` (cells parsed at write time); other columns hold the
fed JSON values."""
from __future__ import annotations

import numpy as np

from content_node.store.tensor_column import DenseTensorRows
from searchlib.schema.model import Field
from searchlib.tensor import Tensor, TensorBatch, TensorType, tensor_from_json


def tensor_attribute_column(spec: Field, raw_values: np.ndarray | DenseTensorRows) -> TensorBatch:
    tensor_type = TensorType.parse(spec.type.tensor_type)
    if isinstance(raw_values, DenseTensorRows):
        return TensorBatch.dense(tensor_type, raw_values.values())
    if tensor_type.is_dense:
        values = np.zeros((len(raw_values), *tensor_type.dense_shape), dtype=np.float64)
        cells = int(np.prod(tensor_type.dense_shape))
        fast_rows, fast_cells = [], []
        for row, raw in enumerate(raw_values):
            if raw is None:
                continue
            flat = _flat_cells(raw, cells)
            if flat is not None:
                fast_rows.append(row)
                fast_cells.append(flat)
            else:  # a bare string is the hex form of the cells
                values[row] = tensor_from_json({"values": raw} if isinstance(raw, str) else raw,
                                               tensor_type).dense_values
        if fast_rows:  # one conversion for all rows in the common forms
            try:
                values[fast_rows] = np.asarray(fast_cells, dtype=np.float64).reshape(-1, *tensor_type.dense_shape)
            except (TypeError, ValueError):
                for row in fast_rows:
                    values[row] = tensor_from_json(raw_values[row], tensor_type).dense_values
        return TensorBatch.dense(tensor_type, values)
    empty = Tensor.from_cells(tensor_type, [])
    return TensorBatch(tensor_type, rows=[tensor_from_json(r, tensor_type) if r is not None else empty
                                          for r in raw_values])


def _flat_cells(raw: object, cells: int) -> list | None:
    """The cell list of the common `{"values": [...]}` / bare-list forms (read in one numpy call
    for all rows); None for the other forms (cells lists, nested lists, hex strings)."""
    flat = raw.get("values") if isinstance(raw, dict) and len(raw) == 1 else raw
    if isinstance(flat, list) and len(flat) == cells and (not flat or not isinstance(flat[0], list)):
        return flat
    return None
