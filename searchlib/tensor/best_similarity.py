"""`reduce(reduce(q * d, sum, inner...), max|min|sum, outer...)` in one matrix product: ColBERT's
max_sim (`sum(reduce(sum(query(qt) * unpack_bits(attribute(dt)), x), max, dt), qt)`) and its
paragraph form (colbert-long). Vespa's content nodes optimize this shape the same way (its
BestSimilarityFunction / MixedInnerProduct): the generic path would build one block per
(query token, document token) pair.

Applies when the query side is one tensor (the same for every row) and the document side is a
tensor or a per-row batch, both with the same indexed dimensions, which are the ones summed, and
mapped dimensions that do not overlap; `outer` are mapped dimensions of the document side. All
rows' document blocks are stacked into one matrix: one matmul for every candidate and query
token, one `reduceat` for the outer aggregation. Returns None when the shape does not apply.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from searchlib.tensor.batch import TensorBatch
from searchlib.tensor.tensor import Tensor, quantize
from searchlib.tensor.types import TensorType, join_type, reduce_type

_REDUCERS = {"max": np.maximum, "min": np.minimum, "sum": np.add}


def best_similarity(left: Any, right: Any, inner: Sequence[str], aggregator: str, outer: Sequence[str]) -> Any:
    if aggregator not in _REDUCERS:
        return None
    query_left = isinstance(left, Tensor) and isinstance(right, (Tensor, TensorBatch))
    query, docs = (left, right) if query_left else (right, left)
    if not isinstance(query, Tensor) or not isinstance(docs, (Tensor, TensorBatch)):
        return None
    if isinstance(docs, TensorBatch) and docs.rows is None:
        return None
    q_type, d_type = query.type, docs.type
    if not q_type.mapped or not d_type.mapped or q_type.indexed != d_type.indexed:
        return None
    if {d.name for d in q_type.indexed} != set(inner) or len(inner) != len(q_type.indexed):
        return None
    q_mapped, d_mapped = {d.name for d in q_type.mapped}, {d.name for d in d_type.mapped}
    if q_mapped & d_mapped or not set(outer) <= d_mapped or not outer:
        return None
    joined = join_type(q_type, d_type) if query_left else join_type(d_type, q_type)
    result_type = reduce_type(reduce_type(joined, tuple(inner)), tuple(outer))
    rows = [docs] if isinstance(docs, Tensor) else list(docs.rows)
    results = _rows(query, rows, d_type, result_type, outer, aggregator, query_left)
    return results[0] if isinstance(docs, Tensor) else TensorBatch(result_type, rows=results)


def _rows(query: Tensor, rows: list[Tensor], d_type: TensorType, result_type: TensorType,
          outer: Sequence[str], aggregator: str, query_left: bool) -> list[Tensor]:
    q_keys, q_values = query.stack()
    width = int(np.prod(d_type.dense_shape))
    kept = [i for i, d in enumerate(d_type.mapped) if d.name not in outer]
    group_of: dict[tuple, int] = {}  # (row, kept document labels) -> group, in first-seen order
    group_ids, d_blocks, row_groups = [], [], [[] for _ in rows]
    for r, row in enumerate(rows):
        keys, values = row.stack()
        if not keys:
            continue
        d_blocks.append(values.reshape(len(keys), width))
        if not kept:  # every outer dimension reduced (max_sim): one group per row
            group_ids.append(np.full(len(keys), len(group_of)))
            group_of[(r, ())] = len(group_of)
            row_groups[r].append(())
            continue
        ids = []
        for key in keys:
            group_key = (r, tuple(key[i] for i in kept))
            group = group_of.get(group_key)
            if group is None:
                group = group_of[group_key] = len(group_of)
                row_groups[r].append(group_key[1])
            ids.append(group)
        group_ids.append(np.asarray(ids))
    if not d_blocks or not q_keys:
        return [Tensor(result_type, {}) for _ in rows]
    with np.errstate(all="ignore"):
        scores = q_values.reshape(len(q_keys), width) @ np.concatenate(d_blocks).T
        scores = quantize(scores, result_type.cell_type)  # each dot product is a cell of the inner reduce
        ids = np.concatenate(group_ids)
        order = np.argsort(ids, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(ids[order]) != 0])
        best = _REDUCERS[aggregator].reduceat(scores[:, order], starts, axis=1)  # (query blocks, groups)
    names = [d.name for d in result_type.mapped]
    q_names = [d.name for d in query.type.mapped]
    d_names = [d_type.mapped[i].name for i in kept]
    out, first = [], 0
    for labels in row_groups:
        keys, columns = [], []
        pairs = [(qi, gi) for qi in range(len(q_keys)) for gi in range(len(labels))] if query_left else \
            [(qi, gi) for gi in range(len(labels)) for qi in range(len(q_keys))]
        for qi, gi in pairs:
            address = dict(zip(q_names, q_keys[qi])) | dict(zip(d_names, labels[gi]))
            keys.append(tuple(address[n] for n in names))
            columns.append((qi, first + gi))
        first += len(labels)
        if not keys:
            out.append(Tensor(result_type, {}))
            continue
        qi, gi = np.asarray(columns).T
        out.append(Tensor.stacked(result_type, keys, best[qi, gi].reshape(len(keys), *result_type.dense_shape)))
    return out
