"""Per-row tensors (`TensorBatch`) and the value-level operations the evaluator calls.

A TensorBatch holds one tensor per row (e.g. every candidate's `attribute(embedding)`), all of one
TensorType:
- dense types: `values` is one float64 array shaped `(num_rows, *type.dense_shape)`; map, join,
  reduce, rename, peek and cell_cast run as numpy over the whole batch, so
  `sum(query(q) * attribute(embedding))` is one broadcast multiply and one sum over an axis;
- mapped/mixed types: `rows` holds a Tensor per row and operations loop over rows (slow path).

The functions here take any evaluation value -- float, per-row column (ndarray of shape
(num_rows,)), Tensor or TensorBatch -- and return one.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from searchlib.errors import ExpressionError
from searchlib.tensor import ops
from searchlib.tensor.tensor import Tensor, quantize
from searchlib.tensor.types import DOUBLE, TensorType, decay, join_type, reduce_type


class TensorBatch:
    __slots__ = ("type", "values", "rows")

    def __init__(self, tensor_type: TensorType, values: np.ndarray | None = None,
                 rows: Sequence[Tensor] | None = None) -> None:
        self.type = tensor_type
        if tensor_type.is_dense:
            if values is None:
                values = np.stack([r.dense_values for r in rows]) if rows else np.zeros((0, *tensor_type.dense_shape))
            values = quantize(np.asarray(values, dtype=np.float64), tensor_type.cell_type)
            if values.shape[1:] != tensor_type.dense_shape:
                raise ExpressionError(f"Batch of shape {values.shape} does not fit {tensor_type}")
            self.values, self.rows = values, None
        else:
            if rows is None or any(r.type != tensor_type for r in rows):
                raise ExpressionError(f"A batch of {tensor_type} needs one tensor of that type per row")
            self.values, self.rows = None, tuple(rows)

    @staticmethod
    def dense(tensor_type: TensorType | str, values: np.ndarray) -> "TensorBatch":
        tensor_type = TensorType.parse(tensor_type) if isinstance(tensor_type, str) else tensor_type
        return TensorBatch(tensor_type, values=values)

    @property
    def num_rows(self) -> int:
        return len(self.values) if self.values is not None else len(self.rows)

    def row(self, i: int) -> Tensor:
        if self.values is not None:
            return Tensor(self.type, {(): self.values[i]})
        return self.rows[i]

    def __repr__(self) -> str:
        return f"TensorBatch({self.type}, rows={self.num_rows})"


def from_rows(values: Sequence[Any]) -> Any:
    """Combine per-row results: numbers into a column, tensors into a TensorBatch."""
    if all(not isinstance(v, Tensor) or v.type.rank == 0 for v in values):
        return np.array([v.as_float() if isinstance(v, Tensor) else float(v) for v in values], dtype=np.float64)
    types = {v.type for v in values}
    if len(types) != 1:
        raise ExpressionError(f"Rows computed tensors of different types: {', '.join(map(str, types))}")
    return TensorBatch(types.pop(), rows=list(values))


def _scalar_like(v: Any) -> bool:
    return isinstance(v, (float, int, np.floating, np.ndarray))


def _num_rows(*values: Any) -> int | None:
    for v in values:
        if isinstance(v, TensorBatch):
            return v.num_rows
        if isinstance(v, np.ndarray):
            return len(v)
    return None


def _row(v: Any, i: int) -> Any:
    if isinstance(v, np.ndarray):
        return float(v[i])
    if isinstance(v, TensorBatch):
        return v.row(i)
    return v


def _single(v: Any) -> Any:
    return v.as_float() if isinstance(v, Tensor) and v.type.rank == 0 else v


def _tensor(v: Any) -> Tensor:
    return v if isinstance(v, Tensor) else Tensor.scalar(float(v))


def per_row(fn: Callable[..., Any], *values: Any) -> Any:
    """Slow path: apply a single-row operation row by row."""
    n = _num_rows(*values)
    return from_rows([fn(*(_row(v, i) for v in values)) for i in range(n)])


def _batched(v: Any) -> bool:
    return isinstance(v, TensorBatch) or isinstance(v, np.ndarray)


def _dense_operand(v: Any) -> tuple[TensorType, np.ndarray, int] | None:
    """(type, array, leading row axes) for values the dense batch path handles."""
    if isinstance(v, TensorBatch):
        return (v.type, v.values, 1) if v.values is not None else None
    if isinstance(v, np.ndarray):
        return DOUBLE, v, 1
    if isinstance(v, Tensor):
        return (v.type, v.blocks[()], 0) if v.type.is_dense else None
    return DOUBLE, np.asarray(float(v)), 0


def _batch_result(result_type: TensorType, values: np.ndarray) -> Any:
    return values.reshape(len(values)) if result_type.rank == 0 else TensorBatch(result_type, values=values)


# ---- operations on values

def map_value(v: Any, fn: Callable) -> Any:
    if isinstance(v, Tensor):
        return _single(ops.map_cells(v, fn))
    if isinstance(v, TensorBatch):
        if v.values is not None:
            with np.errstate(all="ignore"):
                values = np.broadcast_to(np.asarray(fn(v.values), dtype=np.float64), v.values.shape)
            return TensorBatch(TensorType(decay(v.type.cell_type), v.type.dimensions), values=values)
        return per_row(lambda t: ops.map_cells(t, fn), v)
    with np.errstate(all="ignore"):
        return fn(v)


def join_values(a: Any, b: Any, fn: Callable) -> Any:
    if not _batched(a) and not _batched(b):
        if _scalar_like(a) and _scalar_like(b):
            with np.errstate(all="ignore"):
                return fn(a, b)
        return _single(ops.join(_tensor(a), _tensor(b), fn))
    left, right = _dense_operand(a), _dense_operand(b)
    if left is None or right is None:
        return per_row(lambda x, y: join_values(x, y, fn), a, b)
    (ta, va, la), (tb, vb, lb) = left, right
    result_type = join_type(ta, tb)
    target = result_type.indexed
    xa, xb = ops.align(va, ta, target, la), ops.align(vb, tb, target, lb)
    xa, xb = (xa if la else xa[None]), (xb if lb else xb[None])
    rows = _num_rows(a, b)
    with np.errstate(all="ignore"):
        values = np.broadcast_to(np.asarray(fn(xa, xb), dtype=np.float64), (rows, *result_type.dense_shape))
    return _batch_result(result_type, values)


def merge_values(a: Any, b: Any, fn: Callable) -> Any:
    if _batched(a) or _batched(b):
        return per_row(lambda x, y: merge_values(x, y, fn), a, b)
    return _single(ops.merge(_tensor(a), _tensor(b), fn))


def reduce_value(v: Any, aggregator: str, dims: Sequence[str]) -> Any:
    if isinstance(v, TensorBatch):
        if v.values is None:
            return per_row(lambda t: ops.reduce(t, aggregator, dims), v)
        dims = tuple(dims) or v.type.dimension_names
        result_type = reduce_type(v.type, dims)
        axes = tuple(1 + i for i, d in enumerate(v.type.indexed) if d.name in dims)
        return _batch_result(result_type, quantize(ops.aggregate(v.values, axes, aggregator), result_type.cell_type))
    if isinstance(v, Tensor):
        return _single(ops.reduce(v, aggregator, dims))
    if dims:
        raise ExpressionError(f"Cannot reduce a number over {', '.join(dims)}")
    return np.ones_like(v) if aggregator == "count" else v  # reducing a number leaves it (count: 1)


def rename_value(v: Any, from_dims: Sequence[str], to_dims: Sequence[str]) -> Any:
    if isinstance(v, TensorBatch):
        if v.values is None:
            return per_row(lambda t: ops.rename(t, from_dims, to_dims), v)
        result_type, _, axis_order = ops.rename_type(v.type, from_dims, to_dims)
        return TensorBatch(result_type, values=np.transpose(v.values, [0, *(1 + a for a in axis_order)]))
    if isinstance(v, Tensor):
        return ops.rename(v, from_dims, to_dims)
    raise ExpressionError("Cannot rename the dimensions of a number")


def concat_values(a: Any, b: Any, dim: str) -> Any:
    if _batched(a) or _batched(b):
        return per_row(lambda x, y: ops.concat(_tensor(x), _tensor(y), dim), a, b)
    return ops.concat(_tensor(a), _tensor(b), dim)


def cell_cast_value(v: Any, cell_type: str) -> Any:
    if isinstance(v, TensorBatch):
        if v.values is None:
            return per_row(lambda t: ops.cell_cast(t, cell_type), v)
        return TensorBatch(TensorType(cell_type, v.type.dimensions), values=v.values)
    if isinstance(v, Tensor):
        return ops.cell_cast(v, cell_type)
    return v


def top_value(n: Any, v: Any) -> Any:
    if isinstance(n, (Tensor, TensorBatch)):
        raise ExpressionError("top: the first argument should be a number, not a tensor")
    if isinstance(v, TensorBatch) or isinstance(n, np.ndarray):
        return per_row(ops.top, v, n)
    if isinstance(v, Tensor):
        return ops.top(v, n)
    raise ExpressionError(f"top: the second argument should be a sparse tensor, not the number {v}")


def cell_order_value(v: Any, order: str) -> Any:
    if isinstance(v, TensorBatch):
        return per_row(lambda t: ops.cell_order(t, order), v)
    if isinstance(v, Tensor):
        return ops.cell_order(v, order)
    return np.zeros_like(v) if isinstance(v, np.ndarray) else 0.0


def peek_value(v: Any, address: Sequence[tuple[str, Any]]) -> Any:
    batched_labels = any(isinstance(x, np.ndarray) and x.ndim == 1 for _, x in address) and _num_rows(v) is not None
    if isinstance(v, TensorBatch) and v.values is not None and not batched_labels and \
            all(isinstance(x, (str, float, int, np.floating)) for _, x in address):
        chosen = ops.resolve_address(v.type, address)
        result_type = TensorType(v.type.cell_type, tuple(d for d in v.type.dimensions if d.name not in chosen))
        index: list[Any] = [slice(None)]
        for d in v.type.indexed:
            if d.name in chosen:
                label = ops._label(chosen[d.name])
                i = int(label) if label.lstrip("-").isascii() and label.lstrip("-").isdigit() else -1
                if not 0 <= i < d.size:
                    return _batch_result(result_type, np.zeros((v.num_rows, *result_type.dense_shape)))
                index.append(i)
            else:
                index.append(slice(None))
        return _batch_result(result_type, v.values[tuple(index)])
    if isinstance(v, TensorBatch) or batched_labels:
        labels = [x for _, x in address]
        return per_row(lambda t, *xs: peek_value(t, [(d, x) for (d, _), x in zip(address, xs)]), v, *labels)
    if not isinstance(v, Tensor):
        raise ExpressionError("Cannot access cells of a number")
    result = ops.peek(v, address)
    return _single(result) if isinstance(result, Tensor) else result


def select_rows(condition: np.ndarray, then: Any, otherwise: Any, num_rows: int) -> Any:
    """`if` with a per-row condition and tensor branches (row by row)."""
    rows = np.arange(num_rows, dtype=np.float64)
    return per_row(lambda i, t, o: t if condition[int(i)] else o, rows, then, otherwise)
