"""`attribute(f)` of a tensor field as a per-row tensor batch (e.g. the `tokens` token ids that the
global phase asks for as a hidden match-feature). Unset rows read as the empty tensor (zeros)."""
from __future__ import annotations

import numpy as np

from searchlib.schema.model import Field
from searchlib.tensor import Tensor, TensorBatch, TensorType, tensor_from_json


def tensor_attribute_column(spec: Field, raw_values: np.ndarray) -> TensorBatch:
    tensor_type = TensorType.parse(spec.type.tensor_type)
    if tensor_type.is_dense:
        values = np.zeros((len(raw_values), *tensor_type.dense_shape), dtype=np.float64)
        for row, raw in enumerate(raw_values):
            if raw is not None:
                values[row] = tensor_from_json(raw, tensor_type).dense_values
        return TensorBatch.dense(tensor_type, values)
    empty = Tensor.from_cells(tensor_type, [])
    return TensorBatch(tensor_type, rows=[tensor_from_json(r, tensor_type) if r is not None else empty
                                          for r in raw_values])
