"""tokenInputIds, tokenTypeIds, tokenAttentionMask and customTokenInputIds (vespa-reference §2.1).

Vespa expands these at deploy time into tensor-generate expressions; we bind them to one
vectorized built-in with the same result, cell for cell:

- each input is a tensor with an indexed dimension `d0`; its length is the number of cells > 0,
  and its tokens are the first `length` cells (`a{d0: i}` for i < length);
- the sequence is START a.. SEP b.. SEP ... then 0-padding, generated for positions 0..L-1 only,
  so anything past L is cut off with no SEP re-inserted;
- type ids are 0 up to and including the first SEP, 1 for the later inputs and their SEPs, then 0;
- the attention mask is 1 below 1 + Σ(len_i + 1), else 0;
- the result is tensor<float>(d0[1], d1[L]), d0 being a batch dimension of size 1.

The rewrite applies only with ≥ 2 arguments and when the profile has no function of the same name.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from searchlib.errors import ExpressionError
from searchlib.tensor import Tensor, TensorBatch
from searchlib.tensor.types import TensorType

BERT_START, BERT_SEP = 101.0, 102.0
TOKEN_FUNCTIONS = frozenset({"tokenInputIds", "tokenTypeIds", "tokenAttentionMask", "customTokenInputIds"})


def leading_integer_count(name: str) -> int:
    """How many leading integer-literal arguments the function takes (L, or START, SEP, L)."""
    return 3 if name == "customTokenInputIds" else 1


def output_type(length: int) -> TensorType:
    return TensorType.parse(f"tensor<float>(d0[1],d1[{length}])")


def _token_rows(value: Any, num_rows: int, name: str) -> np.ndarray:
    """An input as a (num_rows, size) float array of its d0 cells."""
    if isinstance(value, (Tensor, TensorBatch)):
        dims = value.type.indexed
        if len(value.type.dimension_names) != 1 or not dims or dims[0].name != "d0":
            raise ExpressionError(f"{name}: inputs must be tensors with one indexed dimension d0, "
                                  f"got {value.type}")
        if isinstance(value, Tensor):
            return np.broadcast_to(value.dense_values.reshape(1, -1), (num_rows, dims[0].size))
        return value.values.reshape(value.num_rows, -1)
    raise ExpressionError(f"{name}: inputs must be tensors with an indexed dimension d0, got a number")


def token_sequences(inputs: Sequence[np.ndarray], length: int, start: float, sep: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(input ids, type ids, attention mask), each (rows, length), for per-row token arrays."""
    rows = inputs[0].shape[0]
    positions = np.arange(length)[None, :]
    ids = np.zeros((rows, length), dtype=np.float64)
    types = np.zeros((rows, length), dtype=np.float64)
    if length > 0:
        ids[:, 0] = start
    cursor = np.ones((rows, 1), dtype=np.int64)  # after the start token
    for i, tokens in enumerate(inputs):
        token_count = np.count_nonzero(tokens > 0, axis=1).reshape(rows, 1)
        relative = positions - cursor
        inside = (relative >= 0) & (relative < token_count)
        if tokens.shape[1]:
            picked = np.take_along_axis(tokens, np.clip(relative, 0, tokens.shape[1] - 1), axis=1)
            ids = np.where(inside, picked, ids)
        ids = np.where(relative == token_count, sep, ids)
        if i > 0:
            types = np.where((relative >= 0) & (relative <= token_count), 1.0, types)
        cursor = cursor + token_count + 1
    mask = (positions < cursor).astype(np.float64)
    return ids, types, mask


def evaluate_token_function(name: str, args: Sequence[Any], num_rows: int) -> Tensor | TensorBatch:
    """`args`: the leading integer literals as floats, then the evaluated inputs."""
    leading = leading_integer_count(name)
    if len(args) < leading + 1:
        raise ExpressionError(f"{name} needs at least {leading + 1} arguments")
    if name == "customTokenInputIds":
        start, sep = float(args[0]), float(args[1])
    else:
        start, sep = BERT_START, BERT_SEP
    length = int(args[leading - 1])
    values = args[leading:]
    batched = any(isinstance(v, TensorBatch) for v in values)
    rows = num_rows if batched else 1
    inputs = [_token_rows(v, rows, name) for v in values]
    ids, types, mask = token_sequences(inputs, length, start, sep)
    result = {"tokenInputIds": ids, "customTokenInputIds": ids, "tokenTypeIds": types,
              "tokenAttentionMask": mask}[name].reshape(rows, 1, length)
    tensor_type = output_type(length)
    if batched:
        return TensorBatch.dense(tensor_type, result)
    return Tensor.dense(tensor_type, result[0])

