"""ONNX models in first-phase, second-phase, functions and match-features on the content node: small
graphs built here (onnx.helper), scores checked against numpy, one session.run per model per phase."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import logging

from ranking_support import RankingBed
from searchlib.models.onnx import CPU, METRICS
from searchlib.tensor import parse_tensor_literal

W = np.array([[2.0], [-1.0]], dtype=np.float32)
B = np.array([0.5], dtype=np.float32)


def linear_model(path: Path, batch: int | str) -> None:
    """y[batch, 1] = x[batch, 2] @ W + B."""
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])],
        "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 1])],
        [helper.make_tensor("w", TensorProto.FLOAT, [2, 1], W.flatten()),
         helper.make_tensor("b", TensorProto.FLOAT, [1], B)])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), str(path))


def dot_model(path: Path) -> None:
    """score[batch, 1] = sum(doc * query) over the last axis; two outputs (score, doubled)."""
    graph = helper.make_graph(
        [helper.make_node("Mul", ["doc", "query"], ["product"]),
         helper.make_node("ReduceSum", ["product"], ["score"], axes=[1], keepdims=1),
         helper.make_node("Add", ["score", "score"], ["doubled"])],
        "dot",
        [helper.make_tensor_value_info("doc", TensorProto.FLOAT, ["batch", 2]),
         helper.make_tensor_value_info("query", TensorProto.FLOAT, ["batch", 2])],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["batch", 1]),
         helper.make_tensor_value_info("doubled", TensorProto.FLOAT, ["batch", 1])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], ir_version=8), str(path))


SD = """schema doc {
    document doc {
        field vec type tensor<float>(x[2]) { indexing: attribute }
        field pop type double { indexing: attribute }
    }
    onnx-model linear {
        file: models/linear.onnx
        input "x": attribute(vec)
    }
    rank-profile on_gpu {
        onnx-model linear_gpu {
            file: models/linear.onnx
            input "x": attribute(vec)
            gpu-device: 0
        }
        first-phase { expression: sum(onnx(linear_gpu)) }
    }
    rank-profile onnx_phases {
        inputs { query(q) tensor<float>(d0[1], d1[2]) }
        onnx-model dot {
            file: models/dot.onnx
            input "doc": my_doc
            input "query": query(q)
            output "doubled": twice
        }
        onnx-model fixed {
            file: models/fixed.onnx
            input "x": attribute(vec)
        }
        function my_doc() { expression: attribute(vec) }
        function linear_score() { expression: sum(onnx(linear)) }
        first-phase { expression: linear_score + attribute(pop) }
        second-phase {
            rerank-count: 2
            expression: sum(onnx(dot).score) + sum(onnx(dot).twice)
        }
        match-features: linear_score onnx(dot).score sum(onnx(fixed).y)
    }
}
"""
VECS = np.array([[1.0, 2.0], [3.0, 1.0], [0.5, 0.5], [4.0, 0.0]])
POPS = [0.0, 1.0, 2.0, 3.0]
QUERY = np.array([1.0, 3.0])


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    package = tmp_path_factory.mktemp("package")
    (package / "models").mkdir()
    linear_model(package / "models" / "linear.onnx", "batch")
    linear_model(package / "models" / "fixed.onnx", 1)
    dot_model(package / "models" / "dot.onnx")
    docs = [{"vec": {"values": list(v)}, "pop": p} for v, p in zip(VECS, POPS)]
    bed = RankingBed(SD, docs, tmp_path_factory.mktemp("db"), package_path=package)
    yield bed
    bed.close()


def test_onnx_in_first_and_second_phase_matches_numpy(bed) -> None:
    q = parse_tensor_literal("[[1, 3]]", "tensor<float>(d0[1], d1[2])")
    batches = lambda: METRICS.snapshot().get(f"onnx.batches.{CPU}", 0)  # noqa: E731
    before = batches()
    outcome = bed.search("onnx_phases", query_features={"query(q)": q}, hits=4)
    linear = (VECS @ W.astype(np.float64)).ravel() + B[0] + np.array(POPS)  # 2.5, 6.5, 3.0, 11.5
    first_order = np.argsort(-linear)
    dot = VECS @ QUERY
    expected = {int(i): 3 * dot[i] for i in first_order[:2]}  # score + doubled for the 2 reranked
    got = {int(bed.ids[h.global_id].rsplit(":", 1)[1]): h.relevance for h in outcome.hits}
    for doc, score in expected.items():
        assert got[doc] == pytest.approx(score, rel=1e-6)
    for doc in first_order[2:]:
        assert got[int(doc)] < min(expected.values()) or got[int(doc)] == pytest.approx(linear[doc])
    features = {int(bed.ids[h.global_id].rsplit(":", 1)[1]): h.match_features for h in outcome.hits}
    for doc, f in features.items():
        assert f["linear_score"] == pytest.approx(VECS[doc] @ W[:, 0] + B[0], rel=1e-6)
        assert f["sum(onnx(fixed).y)"] == pytest.approx(VECS[doc] @ W[:, 0] + B[0], rel=1e-6)
        score = f["onnx(dot).score"]
        assert np.asarray(score.dense_values).ravel() == pytest.approx([dot[doc]], rel=1e-6)
    # first phase: linear over 4 candidates in one run; second phase: dot over 2 in one run;
    # match-features: linear and dot once each over the 4 hits, fixed (batch fixed at 1) once per hit
    assert batches() - before == 1 + 1 + 2 + 4


def test_gpu_device_falls_back_to_the_cpu_with_one_log_line(bed, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="onnx"):
        program = bed.program("on_gpu")
    runner = next(iter(program.onnx.models.values()))
    assert runner.settings.gpu_device == 0
    messages = [r.getMessage() for r in caplog.records if "linear.onnx" in r.getMessage()]
    assert len(messages) == 1 and ("no CUDA" in messages[0] or "CUDA is not available" in messages[0])
    ranked = bed.ranked("on_gpu")
    expected = sorted(((VECS[i] @ W[:, 0] + B[0]) for i in range(len(VECS))), reverse=True)
    assert [r for _, r in ranked] == pytest.approx(expected, rel=1e-6)
