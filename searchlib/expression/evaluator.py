"""The one evaluator: walks a bound tree once per call, with numpy over whole columns.

A value during evaluation is one of
- a float: the same for every row;
- an np.ndarray: a per-row scalar column of shape (num_rows,) -- or, inside lambda bodies and
  tensor generators, an array of cell values (the same code evaluates both);
- a Tensor: the same for every row;
- a TensorBatch: one tensor per row (see searchlib.tensor.batch).
Scalar operators on tensors are joins/maps, as in Vespa. Nothing here loops over rows, except the
documented slow path for per-row tensors that are not dense (and generators reading per-row values).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from searchlib.errors import ExpressionError
from searchlib.expression import ast as A
from searchlib.expression.builtins import apply_binary, apply_unary, string_hash
from searchlib.tensor import Tensor, TensorBatch, TensorType
from searchlib.tensor import ops as T
from searchlib.tensor import batch as B
from searchlib.expression.token_functions import TOKEN_FUNCTIONS, evaluate_token_function
from searchlib.expression.bits import unpack_bits
from searchlib.tensor.best_similarity import best_similarity


class _NeedsPerRow(Exception):
    """A per-row value was read where only constant values are vectorized (generator bodies)."""


class Context:
    __slots__ = ("features", "num_rows", "vars", "grid", "source")

    def __init__(self, features: Mapping[str, Any], num_rows: int, source: str) -> None:
        self.features = features
        self.num_rows = num_rows
        self.vars: dict[str, Any] = {}
        self.grid = False  # inside a generator/lambda body: per-row values cannot be mixed in
        self.source = source

    def error(self, message: str) -> ExpressionError:
        return ExpressionError(f"{message} in expression '{self.source.strip()}'")


def is_scalar(value: Any) -> bool:
    return isinstance(value, (float, int, np.ndarray, np.floating))


def normalize_feature(value: Any, num_rows: int, name: str) -> Any:
    if isinstance(value, (bool, int, float, np.floating, np.integer)):
        return float(value)
    if isinstance(value, np.ndarray):
        if value.shape != (num_rows,):
            raise ExpressionError(f"Feature '{name}' has shape {value.shape}, expected ({num_rows},)")
        return value.astype(np.float64, copy=False)
    if isinstance(value, Tensor):
        return value.as_float() if value.type.rank == 0 else value
    if isinstance(value, TensorBatch):
        if value.num_rows != num_rows:
            raise ExpressionError(f"Feature '{name}' has {value.num_rows} rows, expected {num_rows}")
        return value
    raise ExpressionError(f"Feature '{name}' has an unsupported value type {type(value).__name__}")


def evaluate(node: A.Node, ctx: Context) -> Any:
    return _DISPATCH[type(node)](node, ctx)


def _num(node: A.Num, ctx: Context) -> float:
    return node.value


def _str(node: A.Str, ctx: Context) -> float:
    return string_hash(node.value)


def _const(node: A.Const, ctx: Context) -> Any:
    value = node.value
    if isinstance(value, Tensor):
        return value.as_float() if value.type.rank == 0 else value
    return float(value)


def _var(node: A.Var, ctx: Context) -> Any:
    try:
        return ctx.vars[node.name]
    except KeyError:
        raise ctx.error(f"Unbound variable '{node.name}'") from None


def _feature(node: A.Feature, ctx: Context) -> Any:
    name = node.canonical
    if name not in ctx.features:
        raise ctx.error(f"Missing rank feature '{name}'")
    value = normalize_feature(ctx.features[name], ctx.num_rows, name)
    if ctx.grid and isinstance(value, (np.ndarray, TensorBatch)) and ctx.num_rows != 1:
        raise _NeedsPerRow()
    if ctx.grid and isinstance(value, np.ndarray):
        return float(value[0])
    if ctx.grid and isinstance(value, TensorBatch):
        return _const(A.Const(value.row(0)), ctx)
    return value


def unary(name: str, value: Any) -> Any:
    if is_scalar(value):
        return apply_unary(name, value)
    fn = lambda x: apply_unary(name, x)  # noqa: E731
    return B.map_value(value, fn)


def binary(name: str, left: Any, right: Any) -> Any:
    if is_scalar(left) and is_scalar(right):
        return apply_binary(name, left, right)
    return B.join_values(left, right, lambda a, b: apply_binary(name, a, b))


def _neg(node: A.Neg, ctx: Context) -> Any:
    return unary("neg", evaluate(node.operand, ctx))


def _not(node: A.Not, ctx: Context) -> Any:
    return unary("not", evaluate(node.operand, ctx))


def _binary(node: A.Binary, ctx: Context) -> Any:
    left = evaluate(node.left, ctx)
    right = evaluate(node.right, ctx)
    try:
        return binary(node.op, left, right)
    except ExpressionError as e:
        raise ctx.error(f"{e.message}: in '{A.to_text(node)}'") from None


def _call(node: A.Call, ctx: Context) -> Any:
    if node.name == "unpack_bits":  # options are names, not values
        try:
            return unpack_bits(evaluate(node.args[0], ctx), node.args[1].value, node.args[2].value)
        except ExpressionError as e:
            raise ctx.error(f"{e.message}: in '{A.to_text(node)}'") from None
    args = [evaluate(a, ctx) for a in node.args]
    if node.name in TOKEN_FUNCTIONS:
        return evaluate_token_function(node.name, args, ctx.num_rows)
    try:
        return unary(node.name, args[0]) if len(args) == 1 else binary(node.name, args[0], args[1])
    except ExpressionError as e:
        raise ctx.error(f"{e.message}: in '{A.to_text(node)}'") from None


def _if(node: A.If, ctx: Context) -> Any:
    condition = evaluate(node.condition, ctx)
    if isinstance(condition, (Tensor, TensorBatch)):  # as Vespa's content nodes: the sum of its cells
        condition = B.reduce_value(condition, "sum", ())
    if isinstance(condition, (float, int, np.floating)):
        return evaluate(node.then if condition != 0.0 else node.otherwise, ctx)
    if not isinstance(condition, np.ndarray):
        raise ctx.error(f"The condition of if must be a number, got a tensor: '{A.to_text(node.condition)}'")
    then, otherwise = evaluate(node.then, ctx), evaluate(node.otherwise, ctx)
    if is_scalar(then) and is_scalar(otherwise):
        return np.where(condition != 0.0, then, otherwise).astype(np.float64)
    return B.select_rows(condition != 0.0, then, otherwise, ctx.num_rows)


def _in(node: A.In, ctx: Context) -> Any:
    operand = evaluate(node.operand, ctx)
    items = [evaluate(i, ctx) for i in node.items]
    if not all(is_scalar(i) for i in items):
        raise ctx.error("The items of 'in [...]' must be numbers")

    def member(x):
        x = np.asarray(x, dtype=np.float64)
        hit = np.zeros(x.shape, dtype=bool)
        for item in items:
            hit = hit | (x == item)
        return hit.astype(np.float64)

    return member(operand) if is_scalar(operand) else B.map_value(operand, member)


def _min_max(node: A.MinMaxOrReduce, ctx: Context) -> Any:
    operand = evaluate(node.operand, ctx)
    name = node.other.canonical
    is_dimension = isinstance(operand, (Tensor, TensorBatch)) and name in operand.type.dimension_names
    if is_dimension and name not in ctx.features:
        return B.reduce_value(operand, node.name, (name,))
    return binary(node.name, operand, evaluate(node.other, ctx))


def lambda_fn(fn: A.Lambda, ctx: Context) -> Callable:
    def call(*arrays):
        inner = Context(ctx.features, ctx.num_rows, ctx.source)
        inner.grid = True
        inner.vars = dict(zip(fn.params, arrays))
        result = evaluate(fn.body, inner)
        if not is_scalar(result):
            raise ctx.error(f"A lambda must compute a number, in '{A.to_text(fn)}'")
        return result
    return call


def _tensor_op(node: A.Node, ctx: Context) -> Any:
    try:
        return _tensor_op_unchecked(node, ctx)
    except ExpressionError as e:
        if "in '" in e.message or " in expression " in e.message:
            raise
        raise ctx.error(f"{e.message}: in '{A.to_text(node)}'") from None


def _tensor_op_unchecked(node: A.Node, ctx: Context) -> Any:
    match node:
        case A.TensorMap(operand=o, fn=fn):
            value = evaluate(o, ctx)
            f = lambda_fn(fn, ctx)
            return f(value) if is_scalar(value) else B.map_value(value, f)
        case A.TensorJoin(left=l, right=r, fn=fn, merge=merge):
            left, right = evaluate(l, ctx), evaluate(r, ctx)
            f = lambda_fn(fn, ctx)
            if merge:
                return B.merge_values(left, right, f)
            return f(left, right) if is_scalar(left) and is_scalar(right) else B.join_values(left, right, f)
        case A.TensorReduce(operand=A.TensorReduce(operand=A.Binary(op="*", left=l, right=r), aggregator="sum",
                                                   dimensions=inner), aggregator=agg, dimensions=outer) if inner:
            left, right = evaluate(l, ctx), evaluate(r, ctx)
            fused = best_similarity(left, right, inner, agg, outer)  # max_sim: one matmul
            if fused is not None:
                return fused
            return B.reduce_value(B.reduce_value(binary("*", left, right), "sum", inner), agg, outer)
        case A.TensorReduce(operand=o, aggregator=agg, dimensions=dims):
            return B.reduce_value(evaluate(o, ctx), agg, dims)
        case A.TensorRename(operand=o, from_dims=f, to_dims=t):
            return B.rename_value(evaluate(o, ctx), f, t)
        case A.TensorConcat(left=l, right=r, dimension=d):
            return B.concat_values(evaluate(l, ctx), evaluate(r, ctx), d)
        case A.CellCast(operand=o, cell_type=c):
            return B.cell_cast_value(evaluate(o, ctx), c)
        case A.CellOrder(operand=o, order=order):
            return B.cell_order_value(evaluate(o, ctx), order)
        case A.Top(count=n, operand=o):
            return B.top_value(evaluate(n, ctx), evaluate(o, ctx))
        case A.Peek(operand=o, address=address):
            value = evaluate(o, ctx)
            resolved = tuple((d, v if isinstance(v, str) else evaluate(v, ctx)) for d, v in address)
            return B.peek_value(value, resolved)
        case A.TensorGenerate(type_spec=spec, body=body):
            return _generate(TensorType.parse(spec), body, ctx)
    raise ctx.error(f"Cannot evaluate {type(node).__name__}")


def _generate(tensor_type: TensorType, body: A.Node, ctx: Context) -> Any:
    def cells(row_ctx: Context):
        inner = Context(row_ctx.features, row_ctx.num_rows, ctx.source)
        inner.grid = True
        shape = tensor_type.dense_shape
        grid = np.indices(shape, dtype=np.float64) if shape else np.zeros((0,))
        inner.vars = {d.name: grid[i] for i, d in enumerate(tensor_type.dimensions)}
        values = evaluate(body, inner)
        if not is_scalar(values):
            raise ctx.error("A tensor generator must compute a number per cell")
        return T.dense(tensor_type, np.broadcast_to(np.asarray(values, dtype=np.float64), shape))

    try:
        return cells(ctx)
    except _NeedsPerRow:  # slow path: the generator reads per-row features
        return B.from_rows([cells(Context(RowView(ctx.features, i), 1, ctx.source))
                            for i in range(ctx.num_rows)])


class RowView(Mapping):
    """The features of one row, for the per-row slow path."""

    def __init__(self, features: Mapping[str, Any], row: int) -> None:
        self.features, self.row = features, row

    def __getitem__(self, key: str) -> Any:
        value = self.features[key]
        if isinstance(value, np.ndarray):
            return np.asarray(value[self.row:self.row + 1], dtype=np.float64)
        if isinstance(value, TensorBatch):
            return B.from_rows([value.row(self.row)])
        return value

    def __contains__(self, key: object) -> bool:
        return key in self.features

    def __iter__(self):
        return iter(self.features)

    def __len__(self) -> int:
        return len(self.features)


_DISPATCH: dict[type, Callable[[Any, Context], Any]] = {
    A.Num: _num, A.Str: _str, A.Const: _const, A.Var: _var, A.Feature: _feature,
    A.Neg: _neg, A.Not: _not, A.Binary: _binary, A.Call: _call, A.If: _if, A.In: _in,
    A.MinMaxOrReduce: _min_max,
    **{t: _tensor_op for t in (A.TensorMap, A.TensorJoin, A.TensorReduce, A.TensorRename, A.TensorConcat,
                               A.CellCast, A.CellOrder, A.Top, A.Peek, A.TensorGenerate)},
}

