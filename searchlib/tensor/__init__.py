"""The tensor language's values: types, tensors, per-row batches, literals and JSON forms."""
from searchlib.tensor.types import CELL_TYPES, DOUBLE, Dimension, TensorType, parse_type
from searchlib.tensor.tensor import Tensor, quantize
from searchlib.tensor.batch import TensorBatch
from searchlib.tensor.literal import parse_tensor_literal
from searchlib.tensor.json_format import dense_cells, dense_hex, packed_dense, tensor_from_json
from searchlib.tensor.writing import format_literal, tensor_to_json

__all__ = ["dense_cells", "dense_hex", "packed_dense", "CELL_TYPES", "DOUBLE", "Dimension", "TensorType", "parse_type", "Tensor", "quantize", "TensorBatch",
           "format_literal", "parse_tensor_literal", "tensor_from_json", "tensor_to_json"]
