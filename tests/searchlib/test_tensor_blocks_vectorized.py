"""Mapped and mixed tensors are joined, reduced and bit-unpacked over all their blocks at once (one
numpy call, not one per block pair): the results equal a plain cell-by-cell reference written
from the definitions of join and reduce, for random tensors with mapped and indexed dimensions."""
from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
import pytest

from searchlib.expression import compile_expression
from searchlib.tensor import Tensor, TensorBatch, TensorType
from searchlib.tensor import ops
from searchlib.wire.tensor_codec import decode_tensor, encode_tensor

rng = np.random.default_rng(18)


def random_tensor(spec: str, labels: dict[str, list[str]], integers: bool = False) -> Tensor:
    t = TensorType.parse(spec)
    cells = []
    mapped_choices = [labels[d.name] for d in t.mapped]
    for key in itertools.product(*mapped_choices):
        if rng.uniform() < 0.25:  # leave some blocks out
            continue
        for index in itertools.product(*(range(d.size) for d in t.indexed)):
            address = dict(zip((d.name for d in t.mapped), key)) | dict(zip((d.name for d in t.indexed), map(str, index)))
            value = float(rng.integers(-128, 128)) if integers else float(rng.normal())
            cells.append((address, value))
    return Tensor.from_cells(t, cells)


def cell_map(t: Tensor) -> dict[tuple, float]:
    return {tuple(sorted(a.items())): v for a, v in t.cells()}


def reference_join_multiply(a: Tensor, b: Tensor) -> dict[tuple, float]:
    out = {}
    for (ka, va), (kb, vb) in itertools.product(cell_map(a).items(), cell_map(b).items()):
        da, db = dict(ka), dict(kb)
        if all(da[n] == db[n] for n in da.keys() & db.keys()):
            out[tuple(sorted((da | db).items()))] = va * vb
    return out


def reference_reduce(cells: dict[tuple, float], aggregator: str, dims: set[str]) -> dict[tuple, float]:
    groups = defaultdict(list)
    for key, value in cells.items():
        groups[tuple((n, v) for n, v in key if n not in dims)].append(value)
    fn = {"sum": sum, "max": max, "min": min, "avg": lambda v: sum(v) / len(v), "count": len,
          "prod": lambda v: float(np.prod(v)), "median": lambda v: float(np.median(v))}[aggregator]
    return {k: float(fn(v)) for k, v in groups.items()}


LABELS = {"qt": [str(i) for i in range(5)], "dt": [str(i) for i in range(7)], "p": ["a", "b", "c"]}


@pytest.mark.parametrize("spec_a, spec_b", [
    ("tensor(qt{},x[4])", "tensor(dt{},x[4])"),           # ColBERT: no common mapped dimension
    ("tensor(p{},qt{},x[3])", "tensor(p{},dt{},x[3])"),   # a common mapped dimension
    ("tensor(p{},x[2],y[3])", "tensor(qt{},y[3])"),       # indexed dimensions on one side only
    ("tensor(p{})", "tensor(p{},x[2])"),
    ("tensor(x[3])", "tensor(dt{},x[3])"),
])
def test_join_multiply_equals_the_cell_by_cell_reference(spec_a, spec_b):
    a, b = random_tensor(spec_a, LABELS), random_tensor(spec_b, LABELS)
    got = cell_map(ops.join(a, b, lambda x, y: x * y))
    want = reference_join_multiply(a, b)
    assert got.keys() == want.keys()
    assert [got[k] for k in want] == pytest.approx(list(want.values()), rel=1e-12)


@pytest.mark.parametrize("aggregator", ["sum", "max", "min", "avg", "count", "prod", "median"])
@pytest.mark.parametrize("dims", [("x",), ("dt",), ("dt", "x"), ("qt",), ("qt", "dt", "x")])
def test_reduce_equals_the_cell_by_cell_reference(aggregator, dims):
    t = random_tensor("tensor(qt{},dt{},x[3])", LABELS)
    got = cell_map(ops.reduce(t, aggregator, dims))
    want = reference_reduce(cell_map(t), aggregator, set(dims))
    assert got.keys() == want.keys()
    assert [got[k] for k in want] == pytest.approx(list(want.values()), rel=1e-12)


def reference_max_sim(query: Tensor, doc: Tensor) -> float:
    """sum over query tokens of the max over document tokens of the dot product with the
    document token's bits (most significant first), written out cell by cell."""
    total = 0.0
    for q_block in query.blocks.values():
        best = None
        for d_block in doc.blocks.values():
            bits = [(int(byte) >> (7 - k)) & 1 for byte in d_block.astype(int) & 0xFF for k in range(8)]
            score = sum(float(q) * bit for q, bit in zip(q_block, bits))
            best = score if best is None else max(best, score)
        total += best if best is not None else 0.0
    return total


@pytest.mark.parametrize("text", [
    "sum(reduce(sum(query(qt) * unpack_bits(attribute(d)), x), max, dt), qt)",  # one matmul
    "sum(reduce(sum(unpack_bits(attribute(d)) * query(qt), x), max, dt), qt)",
    "sum(reduce(sum(join(query(qt), unpack_bits(attribute(d)), f(a,b)(a*b)), x), max, dt), qt)",  # generic
])
def test_max_sim_over_a_batch_equals_the_reference(text):
    query = random_tensor("tensor<float>(qt{},x[32])", {"qt": [str(i) for i in range(32)]})
    docs = [random_tensor("tensor<int8>(dt{},x[4])", {"dt": [str(i) for i in range(n)]}, integers=True)
            for n in (1, 3, 12, 40)] + [Tensor.from_cells("tensor<int8>(dt{},x[4])", [])]
    batch = TensorBatch(docs[0].type, rows=docs)
    got = compile_expression(text).evaluate({"query(qt)": query, "attribute(d)": batch}, len(docs))
    want = [reference_max_sim(query, d) for d in docs]
    assert got.tolist() == pytest.approx(want, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("aggregator", ["max", "min", "sum"])
def test_paragraph_max_sim_keeps_the_unreduced_document_dimension(aggregator):
    """colbert-long: reduce over token only keeps context{}: the fused path gives, per row, the
    same (context, querytoken) cells as the generic join."""
    query = random_tensor("tensor<float>(qt{},v[8])", {"qt": [str(i) for i in range(6)]})
    labels = {"context": ["0", "1", "2"], "token": [str(i) for i in range(5)]}
    docs = [random_tensor("tensor<float>(context{},token{},v[8])", labels) for _ in range(4)]
    features = {"query(qt)": query, "attribute(d)": TensorBatch(docs[0].type, rows=docs)}
    fused = compile_expression(f"reduce(sum(query(qt) * attribute(d), v), {aggregator}, token)").evaluate(features, 4)
    generic = compile_expression(
        f"reduce(sum(join(query(qt), attribute(d), f(a,b)(a*b)), v), {aggregator}, token)").evaluate(features, 4)
    for i in range(4):
        got, want = cell_map(fused.row(i)), cell_map(generic.row(i))
        assert fused.row(i).type == generic.row(i).type and got.keys() == want.keys()
        # the generic join rounds each product to float32 before summing, the matmul does not
        assert [got[k] for k in want] == pytest.approx(list(want.values()), rel=1e-6, abs=1e-6)


def test_mixed_tensors_cross_the_wire_packed_and_exact():
    for spec in ("tensor<float>(qt{},x[32])", "tensor(p{},qt{},x[3])", "tensor(p{})", "tensor<int8>(dt{},x[4])"):
        t = random_tensor(spec, LABELS | {"qt": [str(i) for i in range(32)]}, integers="int8" in spec)
        message = encode_tensor(t)
        assert not message.cells and message.block_labels
        decoded = decode_tensor(message)
        assert decoded == t and list(decoded.blocks) == list(t.blocks)
