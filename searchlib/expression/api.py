"""Public entry points: compile an expression once, evaluate it over feature columns many times."""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping, Union

import numpy as np

from searchlib.errors import ExpressionError, SourceLocation
from searchlib.expression import ast as A
from searchlib.expression.compiler import bind, external_features
from searchlib.expression.evaluator import Context, RowView, _NeedsPerRow, evaluate
from searchlib.expression.parser import parse_expression
from searchlib.tensor import Tensor, TensorBatch
from searchlib.tensor.batch import from_rows

FeatureValue = Union[float, np.ndarray, Tensor, TensorBatch]
_EMPTY: Mapping = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class CompiledExpression:
    """A bound expression: user functions inlined, constants folded in as values.

    `features` are the canonical names of the external rank features it reads. For `max(t, x)` /
    `min(t, x)` the bare name `x` is a dimension when `t` has one of that name; otherwise it is
    read as a feature (`maybe_features`).
    """

    text: str
    root: A.Node
    features: frozenset[str]
    maybe_features: frozenset[str] = frozenset()
    location: SourceLocation | None = None

    def evaluate(self, features: Mapping[str, FeatureValue], num_rows: int) -> np.ndarray | Tensor | TensorBatch:
        """Scalar results: float64 array of shape (num_rows,). Tensor results: a Tensor when it is the
        same for every row, else a TensorBatch."""
        value = self._run(features, num_rows)
        if isinstance(value, Tensor):
            if value.type.rank:
                return value
            value = value.as_float()
        if isinstance(value, np.ndarray) and value.shape == (num_rows,):
            return value.astype(np.float64, copy=False)
        if isinstance(value, TensorBatch):
            return value
        return np.full(num_rows, float(value))

    def evaluate_value(self, features: Mapping[str, FeatureValue]) -> float | Tensor:
        """Evaluate once (one row, all inputs constant): a float or a Tensor."""
        value = self._run(features, 1)
        if isinstance(value, TensorBatch):
            return value.row(0)
        if isinstance(value, np.ndarray):
            return float(value.reshape(-1)[0])
        if isinstance(value, Tensor):
            return value.as_float() if value.type.rank == 0 else value
        return float(value)

    def _run(self, features: Mapping[str, FeatureValue], num_rows: int) -> Any:
        try:
            try:
                return evaluate(self.root, Context(features, num_rows, self.text))
            except _NeedsPerRow:  # a lambda body read a per-row value: evaluate row by row
                return from_rows([self._one_row(RowView(features, i)) for i in range(num_rows)])
        except ExpressionError as e:
            if e.location is None and self.location is not None:
                raise ExpressionError(e.message, self.location) from None
            raise

    def _one_row(self, features: Mapping[str, Any]) -> Any:
        value = evaluate(self.root, Context(features, 1, self.text))
        if isinstance(value, np.ndarray):
            return float(value.reshape(-1)[0])
        return value.row(0) if isinstance(value, TensorBatch) else value


def compile_expression(text: str, *, functions: Mapping[str, Any] = _EMPTY, constants: Mapping[str, Any] = _EMPTY,
                       location: SourceLocation | None = None) -> CompiledExpression:
    """Parse and bind. `functions`: name -> RankFunction (searchlib.schema.model); `constants`:
    name or `constant(name)` -> Tensor | float. Raises ExpressionError with a located message."""
    root = bind(text, functions, constants, location)
    return CompiledExpression(text, root, external_features(root), _maybe_features(root), location)


def _maybe_features(node: A.Node) -> frozenset[str]:
    found: set[str] = set()

    def walk(n: A.Node) -> None:
        if isinstance(n, A.MinMaxOrReduce):
            found.add(n.other.canonical)
        for child in A.children(n):
            walk(child)

    walk(node)
    return frozenset(found)


def evaluate_expression(text: str, inputs: Mapping[str, FeatureValue] = _EMPTY) -> float | Tensor:
    """Convenience for one-off evaluation (CLI, tests): compile and evaluate once."""
    return compile_expression(text).evaluate_value(inputs)


def canonical_feature_name(text: str) -> str:
    """`attribute( pop )` -> `attribute(pop)`; `fieldMatch(title) . completeness` -> `fieldMatch(title).completeness`."""
    node = parse_expression(text)
    if not isinstance(node, A.Feature):
        raise ExpressionError(f"'{text}' is not a rank feature reference")
    return node.canonical
