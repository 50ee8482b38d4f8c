"""Tensor primitives on Tensor values: map, join, merge, reduce, rename, concat, peek, cell_cast, cell_order.

Cell functions (`fn`) take and return float64 numpy arrays, so a lambda body is evaluated once over
all cells. Sparse joins pair blocks by their common mapped labels and then call `fn` once over the
stacked pairs. The dense helpers (`align`, `aggregate`) take a number of leading row axes so the
batch module can reuse them for per-row tensors.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Sequence

import numpy as np

from searchlib.errors import ExpressionError
from searchlib.tensor.tensor import Tensor, quantize
from searchlib.tensor.types import (DOUBLE, Dimension, TensorType, decay, join_type, reduce_type,
                                    unify_cells)

CellFn = Callable[..., Any]


def dense(tensor_type: TensorType, values: np.ndarray) -> Tensor:
    return Tensor.dense(tensor_type, values)


def align(array: np.ndarray, source: TensorType, target: Sequence[Dimension], lead: int = 0) -> np.ndarray:
    """View a block (with `lead` row axes first) so it broadcasts against blocks of `target` dims."""
    sizes = {d.name: d.size for d in target}
    index = (slice(None),) * lead + tuple(slice(0, sizes.get(d.name, d.size)) for d in source.indexed)
    array = array[index]
    have = {d.name: array.shape[lead + i] for i, d in enumerate(source.indexed)}
    return array.reshape(array.shape[:lead] + tuple(have.get(d.name, 1) for d in target))


def _call(fn: CellFn, *arrays: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    with np.errstate(all="ignore"):
        result = np.asarray(fn(*arrays), dtype=np.float64)
    return np.broadcast_to(result, shape)


def map_cells(t: Tensor, fn: CellFn, cell_type: str | None = None) -> Tensor:
    result_type = TensorType(cell_type or decay(t.type.cell_type), t.type.dimensions)
    if not t.blocks:
        return Tensor(result_type, {})
    keys, stacked = t.stack()
    return Tensor.stacked(result_type, keys, _call(fn, stacked, shape=stacked.shape))


def _pairs(a: TensorType, b: TensorType, result: TensorType, a_blocks: dict, b_blocks: dict):
    """Block pairs whose common mapped labels agree, with the result's mapped key."""
    keys, ia, ib = _pair_indexes(a, b, result, list(a_blocks), list(b_blocks))
    a_values, b_values = list(a_blocks.values()), list(b_blocks.values())
    for key, i, j in zip(keys, ia, ib):
        yield key, a_values[i], b_values[j]


def _pair_indexes(a: TensorType, b: TensorType, result: TensorType, a_keys: list, b_keys: list):
    """(result keys, index into a_keys, index into b_keys) of the block pairs whose common mapped
    labels agree: a's blocks in order, each with b's matching blocks in order."""
    a_names, b_names = [d.name for d in a.mapped], [d.name for d in b.mapped]
    common = [n for n in a_names if n in b_names]
    a_pos, b_pos = [a_names.index(n) for n in common], [b_names.index(n) for n in common]
    take = [(0, a_names.index(d.name)) if d.name in a_names else (1, b_names.index(d.name)) for d in result.mapped]
    by_common: dict[tuple, list[int]] = defaultdict(list)
    for j, kb in enumerate(b_keys):
        by_common[tuple(kb[i] for i in b_pos)].append(j)
    keys, ia, ib = [], [], []
    for i, ka in enumerate(a_keys):
        for j in by_common.get(tuple(ka[p] for p in a_pos), ()):
            pair = (ka, b_keys[j])
            keys.append(tuple(pair[side][pos] for side, pos in take))
            ia.append(i)
            ib.append(j)
    return keys, np.asarray(ia, dtype=np.intp), np.asarray(ib, dtype=np.intp)


def join(a: Tensor, b: Tensor, fn: CellFn) -> Tensor:
    """All block pairs in one call of `fn`: each side's blocks stacked once, then gathered."""
    result_type = join_type(a.type, b.type)
    target, shape = result_type.indexed, result_type.dense_shape
    a_keys, a_values = a.stack()
    b_keys, b_values = b.stack()
    keys, ia, ib = _pair_indexes(a.type, b.type, result_type, a_keys, b_keys)
    if not keys:
        return Tensor(result_type, {})
    left = align(a_values, a.type, target, lead=1)[ia]
    right = align(b_values, b.type, target, lead=1)[ib]
    return Tensor.stacked(result_type, keys, _call(fn, left, right, shape=(len(keys), *shape)))


def merge(a: Tensor, b: Tensor, fn: CellFn) -> Tensor:
    if a.type.dimensions != b.type.dimensions:
        raise ExpressionError(f"merge needs tensors of the same dimensions, got {a.type} and {b.type}")
    result_type = TensorType(decay(unify_cells(a.type, b.type)), a.type.dimensions)
    blocks = dict(a.blocks)
    for key, block in b.blocks.items():
        blocks[key] = _call(fn, blocks[key], block, shape=block.shape) if key in blocks else block
    return Tensor(result_type, blocks)


def aggregate(values: np.ndarray, axes: tuple[int, ...], aggregator: str) -> np.ndarray:
    """Reduce `values` over `axes` with one of Vespa's aggregators."""
    if not axes:
        return values
    with np.errstate(all="ignore"):
        if aggregator == "sum":
            return values.sum(axis=axes)
        if aggregator == "avg":
            return values.mean(axis=axes)
        if aggregator == "prod":
            return values.prod(axis=axes)
        if aggregator == "max":
            return values.max(axis=axes)
        if aggregator == "min":
            return values.min(axis=axes)
        if aggregator == "count":
            count = int(np.prod([values.shape[a] for a in axes]))
            return np.full(np.delete(np.array(values.shape), axes), float(count))
        if aggregator == "median":
            kept = [a for a in range(values.ndim) if a not in axes]
            moved = np.transpose(values, kept + list(axes))
            flat = moved.reshape(moved.shape[:len(kept)] + (-1,))
            return np.median(flat, axis=-1)
    raise ExpressionError(f"Unknown aggregator '{aggregator}'")


_GROUP_REDUCERS = {"sum": np.add, "avg": np.add, "count": np.add, "prod": np.multiply,
                   "max": np.maximum, "min": np.minimum}


def reduce(t: Tensor, aggregator: str, dims: Sequence[str] = ()) -> Tensor:
    """Each block over the reduced indexed dims in one call, then blocks with the same kept
    labels combined in one `reduceat` (median, which does not compose, groups block by block)."""
    dims = tuple(dims) or t.type.dimension_names
    result_type = reduce_type(t.type, tuple(dims)) if t.type.rank else DOUBLE
    mapped = t.type.mapped
    keep = [i for i, d in enumerate(mapped) if d.name not in dims]
    axes = tuple(1 + i for i, d in enumerate(t.type.indexed) if d.name in dims)
    keys, values = t.stack()
    if not keys:
        return Tensor(result_type, {(): np.asarray(0.0)} if result_type.rank == 0 else {})  # empty: 0
    group_of: dict[tuple, int] = {}
    groups = np.asarray([group_of.setdefault(tuple(k[i] for i in keep), len(group_of)) for k in keys])
    group_keys = list(group_of)
    if aggregator == "median" and len(group_keys) < len(keys):
        blocks = [aggregate(values[groups == g], (0, *axes), aggregator) for g in range(len(group_keys))]
        return Tensor.stacked(result_type, group_keys, np.stack(blocks))
    if aggregator == "count":  # cells per block, summed over the group below
        size = float(np.prod([values.shape[a] for a in axes]))
        per_block = np.full(np.delete(np.array(values.shape), axes), size)
    else:
        per_block = aggregate(values, axes, aggregator)
    if len(group_keys) == len(keys):  # no mapped dimension reduced: one block per result block
        return Tensor.stacked(result_type, group_keys, per_block)
    order = np.argsort(groups, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(groups[order]) != 0])
    with np.errstate(all="ignore"):
        combined = _GROUP_REDUCERS[aggregator].reduceat(per_block[order], starts, axis=0)
        if aggregator == "avg":  # blocks have equal sizes: the mean of the block means
            combined = combined / np.bincount(groups).reshape((-1,) + (1,) * (combined.ndim - 1))
    return Tensor.stacked(result_type, group_keys, combined)


def rename_type(t: TensorType, from_dims: Sequence[str], to_dims: Sequence[str]) -> tuple[TensorType, list, list]:
    names = t.dimension_names
    for name in from_dims:
        if name not in names:
            raise ExpressionError(f"Cannot rename '{name}': not a dimension of {t}")
    mapping = dict(zip(from_dims, to_dims))
    new_dims = [Dimension(mapping.get(d.name, d.name), d.size) for d in t.dimensions]
    result = TensorType(t.cell_type, tuple(new_dims))
    old_mapped = [mapping.get(d.name, d.name) for d in t.mapped]
    old_indexed = [mapping.get(d.name, d.name) for d in t.indexed]
    return (result, [old_mapped.index(d.name) for d in result.mapped],
            [old_indexed.index(d.name) for d in result.indexed])


def rename(t: Tensor, from_dims: Sequence[str], to_dims: Sequence[str]) -> Tensor:
    result_type, key_order, axis_order = rename_type(t.type, from_dims, to_dims)
    return Tensor(result_type, {tuple(k[i] for i in key_order): np.transpose(b, axis_order)
                                for k, b in t.blocks.items()}, rounded=True)


def _with_dimension(t: Tensor, dim: str) -> Tensor:
    existing = t.type.dimension(dim)
    if existing is not None:
        if not existing.indexed:
            raise ExpressionError(f"Cannot concat along mapped dimension '{dim}'")
        return t
    new_type = TensorType(t.type.cell_type if t.type.rank else "double", t.type.dimensions + (Dimension(dim, 1),))
    axis = [d.name for d in new_type.indexed].index(dim)
    return Tensor(new_type, {k: np.expand_dims(b, axis) for k, b in t.blocks.items()}, rounded=True)


def concat(a: Tensor, b: Tensor, dim: str) -> Tensor:
    a2, b2 = _with_dimension(a, dim), _with_dimension(b, dim)
    size_a, size_b = a2.type.dimension(dim).size, b2.type.dimension(dim).size
    strip = lambda t: TensorType("double", tuple(d for d in t.dimensions if d.name != dim))  # noqa: E731
    rest = join_type(strip(a2.type), strip(b2.type))
    result_type = TensorType(unify_cells(a.type, b.type), rest.dimensions + (Dimension(dim, size_a + size_b),))
    axis = [d.name for d in result_type.indexed].index(dim)

    def target(size: int) -> tuple[Dimension, ...]:
        return tuple(Dimension(d.name, size) if d.name == dim else d for d in result_type.indexed)

    target_a, target_b = target(size_a), target(size_b)
    blocks = {}
    for key, block_a, block_b in _pairs(a2.type, b2.type, result_type, a2.blocks, b2.blocks):
        left = np.broadcast_to(align(block_a, a2.type, target_a), tuple(d.size for d in target_a))
        right = np.broadcast_to(align(block_b, b2.type, target_b), tuple(d.size for d in target_b))
        blocks[key] = np.concatenate([left, right], axis=axis)
    return Tensor(result_type, blocks)


def cell_cast(t: Tensor, cell_type: str) -> Tensor:
    result_type = TensorType(cell_type, t.type.dimensions)
    return Tensor(result_type, {k: quantize(b, result_type.cell_type) for k, b in t.blocks.items()})


def cell_order(t: Tensor, order: str) -> Tensor:
    """Rank of every cell, 0 for the best; ties keep serialization order, NaN ranks last."""
    keys = list(t.blocks)
    if not keys:
        return Tensor(TensorType(decay(t.type.cell_type), t.type.dimensions), {})
    flat = np.concatenate([t.blocks[k].ravel() for k in keys])
    sort_key = np.where(np.isnan(flat), np.inf, -flat if order == "max" else flat)
    ranks = np.empty(flat.size)
    ranks[np.argsort(sort_key, kind="stable")] = np.arange(flat.size)
    blocks, start = {}, 0
    for k in keys:
        size = t.blocks[k].size
        blocks[k] = ranks[start:start + size].reshape(t.blocks[k].shape)
        start += size
    return Tensor(TensorType(decay(t.type.cell_type), t.type.dimensions), blocks)


def top(t: Tensor, n: Any) -> Tensor:
    """Vespa's top(n, t) = join(t, filter_subspaces(cell_order(t, max) < n, f(s)(s)), f(a,b)(a*b)):
    the cells ranked below n, in a mapped tensor (ties in serialization order, NaN last)."""
    if not isinstance(t, Tensor) or t.type.indexed:
        raise ExpressionError(f"top: the second argument should be a sparse tensor, not {getattr(t, 'type', t)}")
    if isinstance(n, Tensor):
        raise ExpressionError("top: the first argument should be a number, not a tensor")
    ranks = cell_order(t, "max")
    result_type = TensorType(decay(t.type.cell_type), t.type.dimensions)
    kept = [k for k in t.blocks if ranks.blocks[k].item() < float(n)]
    return Tensor(result_type, {k: t.blocks[k].astype(np.float64) for k in kept})


def resolve_address(t: TensorType, address: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """Name every dimension of a peek address; `t[2]` and `t{label}` need a single dimension."""
    resolved: dict[str, Any] = {}
    for dim, value in address:
        if not dim:
            if t.rank != 1:
                raise ExpressionError(f"A short cell address needs a tensor with one dimension, got {t}")
            dim = t.dimensions[0].name
        if t.dimension(dim) is None:
            raise ExpressionError(f"'{dim}' is not a dimension of {t}")
        resolved[dim] = value
    return resolved


def _label(value: Any) -> str:
    if isinstance(value, str):
        return value
    number = float(value)
    return str(int(number)) if number == int(number) else repr(number)


def peek(t: Tensor, address: Sequence[tuple[str, Any]]) -> Tensor | np.ndarray:
    """Cell access or slice. Computed indexes may be arrays (inside generators): then the result is
    an array of cell values, one per index, with 0 for out-of-range cells."""
    chosen = resolve_address(t.type, address)
    if any(isinstance(v, np.ndarray) and v.ndim > 0 for v in chosen.values()):
        return _gather(t, chosen)
    mapped, indexed = t.type.mapped, t.type.indexed
    result_type = TensorType(t.type.cell_type, tuple(d for d in t.type.dimensions if d.name not in chosen))
    select = {i: _label(chosen[d.name]) for i, d in enumerate(mapped) if d.name in chosen}
    keep = [i for i, d in enumerate(mapped) if d.name not in chosen]
    index = []
    for d in indexed:
        if d.name in chosen:
            position = _label(chosen[d.name])
            i = int(position) if position.lstrip("-").isascii() and position.lstrip("-").isdigit() else -1
            if not 0 <= i < d.size:
                return Tensor(result_type, {})  # a missing cell reads as 0 / an empty slice
            index.append(i)
        else:
            index.append(slice(None))
    blocks = {}
    for key, block in t.blocks.items():
        if all(key[i] == label for i, label in select.items()):
            blocks[tuple(key[i] for i in keep)] = block[tuple(index)]
    return Tensor(result_type, blocks, rounded=True)


def _gather(t: Tensor, chosen: dict[str, Any]) -> np.ndarray:
    if set(chosen) != set(t.type.dimension_names):
        raise ExpressionError(f"A computed cell address must name every dimension of {t.type}")
    labels = {d.name: _label(chosen[d.name]) for d in t.type.mapped if not isinstance(chosen[d.name], np.ndarray)}
    if len(labels) != len(t.type.mapped):
        raise ExpressionError("Computed labels of mapped dimensions must be numbers, not per-cell values")
    block = t.blocks.get(tuple(labels[d.name] for d in t.type.mapped))
    arrays = np.broadcast_arrays(*(np.trunc(np.asarray(chosen[d.name], dtype=np.float64)) for d in t.type.indexed))
    if block is None:
        return np.zeros(arrays[0].shape)
    valid = np.ones(arrays[0].shape, dtype=bool)
    for arr, d in zip(arrays, t.type.indexed):
        valid &= (arr >= 0) & (arr < d.size)
    index = tuple(np.where(valid, arr, 0).astype(np.intp) for arr in arrays)
    return np.where(valid, block[index], 0.0)
