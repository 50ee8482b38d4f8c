"""The float-activation copy of a dynamically quantized model (deploy/model_conversion.py): graph
surgery on a hand-built quantized graph, idempotent and deterministic files, and the default
cross-encoder's copy on real (query, document) pairs: batch-independent and close to int8."""
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from container.ranking.onnx_models import OnnxModelRunner, OnnxSettings  # noqa: E402
from deploy.model_conversion import (CONVERTER_VERSION, SOURCE_KEY, VERSION_KEY, ConversionError,  # noqa: E402
                                     convert_file, fp32_activations, is_current)
from deploy.models import ensure_models  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
W1 = np.array([[1, -2, 3], [-4, 5, -6], [7, -8, 9], [10, 0, -10]], dtype=np.int8)
W2 = np.array([[2, 0], [0, 3], [-1, 1], [4, -4]], dtype=np.int8)


def quantized_model(zero_point: int = 3) -> "onnx.ModelProto":
    """y1 = x @ W1, y2 = x @ W2 (+ bias) the way dynamic quantization writes them: one
    DynamicQuantizeLinear shared by two MatMulInteger → Cast → Mul(scale) chains."""
    inits = [numpy_helper.from_array(W1, "w1_q"), numpy_helper.from_array(np.array(zero_point, np.int8), "w1_zp"),
             numpy_helper.from_array(np.array(0.05, np.float32), "w1_scale"),
             numpy_helper.from_array(W2, "w2_q"), numpy_helper.from_array(np.array(-2, np.int8), "w2_zp"),
             numpy_helper.from_array(np.array(0.25, np.float32), "w2_scale"),
             numpy_helper.from_array(np.array([0.5, -0.5], np.float32), "bias")]
    nodes = [helper.make_node("DynamicQuantizeLinear", ["x"], ["x_q", "x_scale", "x_zp"], name="dq"),
             helper.make_node("MatMulInteger", ["x_q", "w1_q", "x_zp", "w1_zp"], ["m1"], name="mm1"),
             helper.make_node("Cast", ["m1"], ["m1_f"], to=TensorProto.FLOAT),
             helper.make_node("Mul", ["x_scale", "w1_scale"], ["s1"]),
             helper.make_node("Mul", ["m1_f", "s1"], ["y1"]),
             helper.make_node("MatMulInteger", ["x_q", "w2_q", "x_zp", "w2_zp"], ["m2"], name="mm2"),
             helper.make_node("Cast", ["m2"], ["m2_f"], to=TensorProto.FLOAT),
             helper.make_node("Mul", ["x_scale", "w2_scale"], ["s2"]),
             helper.make_node("Mul", ["m2_f", "s2"], ["y2_nobias"]),
             helper.make_node("Add", ["y2_nobias", "bias"], ["y2"])]
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])],
                              [helper.make_tensor_value_info("y1", TensorProto.FLOAT, ["n", 3]),
                               helper.make_tensor_value_info("y2", TensorProto.FLOAT, ["n", 2])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 7
    return model


def _run(model, x: np.ndarray) -> list[np.ndarray]:
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x.astype(np.float32)})


def test_quantized_chains_become_float_matmuls_on_dequantized_weights():
    model = quantized_model()
    converted = fp32_activations(model)
    ops = [n.op_type for n in converted.graph.node]
    assert ops.count("MatMul") == 2 and ops.count("Add") == 1
    assert not {"DynamicQuantizeLinear", "MatMulInteger", "Cast", "Mul"} & set(ops)
    weights = {t.name: numpy_helper.to_array(t) for t in converted.graph.initializer}
    assert set(weights) == {"w1_q_fp32", "w2_q_fp32", "bias"}  # the int8 tensors are gone
    np.testing.assert_array_equal(weights["w1_q_fp32"], (W1.astype(np.float32) - 3) * np.float32(0.05))
    np.testing.assert_array_equal(weights["w2_q_fp32"], (W2.astype(np.float32) + 2) * np.float32(0.25))
    assert [n.op_type for n in model.graph.node].count("MatMulInteger") == 2  # the input is untouched

    x = np.array([[0.1, -0.2, 0.3, 0.4], [5.0, 1.0, -3.0, 2.0], [0.0, 0.01, 0.02, -0.01]])
    y1, y2 = _run(converted, x)
    np.testing.assert_allclose(y1, x @ weights["w1_q_fp32"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y2, x @ weights["w2_q_fp32"] + [0.5, -0.5], rtol=1e-5, atol=1e-6)
    # float activations: a row's result does not depend on its batch-mates; the int8 graph's does
    alone = _run(converted, x[2:])[0]
    np.testing.assert_array_equal(alone, y1[2:])
    q_batch, q_alone = _run(model, x)[0][2], _run(model, x[2:])[0][0]
    assert np.abs(q_batch - q_alone).max() > 1e-3
    np.testing.assert_allclose(q_alone, alone[0], atol=0.01)  # and it is the same model


def test_per_column_weights_dequantize_column_by_column():
    """bge-small's quantizer writes one scale and zero point per output column (per channel)."""
    model = quantized_model()
    initializers = {t.name: t for t in model.graph.initializer}
    initializers["w1_zp"].CopyFrom(numpy_helper.from_array(np.array([3, -1, 0], np.int8), "w1_zp"))
    initializers["w1_scale"].CopyFrom(numpy_helper.from_array(np.array([0.05, 0.5, 2.0], np.float32), "w1_scale"))
    converted = fp32_activations(model)
    weights = {t.name: numpy_helper.to_array(t) for t in converted.graph.initializer}
    expected = (W1.astype(np.float32) - np.array([3, -1, 0], np.float32)) * np.array([0.05, 0.5, 2.0], np.float32)
    np.testing.assert_array_equal(weights["w1_q_fp32"], expected)
    x = np.array([[0.1, -0.2, 0.3, 0.4], [5.0, 1.0, -3.0, 2.0]])
    np.testing.assert_allclose(_run(converted, x)[0], x @ expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_run(model, x)[0], x @ expected, rtol=0.05, atol=0.1)  # the same model
    initializers["w1_scale"].CopyFrom(numpy_helper.from_array(np.array([0.05, 0.5], np.float32), "w1_scale"))
    with pytest.raises(ConversionError, match="neither per tensor nor per column"):
        fp32_activations(model)


def test_a_model_without_dynamic_quantization_is_refused():
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "plain",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    with pytest.raises(ConversionError, match="no dynamically quantized MatMul"):
        fp32_activations(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)]))


def test_convert_file_is_deterministic_idempotent_and_follows_its_source(tmp_path):
    source = tmp_path / "model.onnx"
    source.write_bytes(quantized_model().SerializeToString())
    first, second = tmp_path / "a.onnx", tmp_path / "b.onnx"
    assert convert_file(source, first) and convert_file(source, second)
    assert first.read_bytes() == second.read_bytes()
    recorded = {p.key: p.value for p in onnx.load(str(first)).metadata_props}
    assert recorded[VERSION_KEY] == CONVERTER_VERSION and len(recorded[SOURCE_KEY]) == 64
    stamp = first.stat().st_mtime_ns
    assert is_current(source, first) and not convert_file(source, first)  # up to date: skipped
    assert first.stat().st_mtime_ns == stamp
    source.write_bytes(quantized_model(zero_point=1).SerializeToString())  # other bytes: rebuilt
    assert not is_current(source, first) and convert_file(source, first)
    weights = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(first)).graph.initializer}
    np.testing.assert_array_equal(weights["w1_q_fp32"], (W1.astype(np.float32) - 1) * np.float32(0.05))
    first.write_bytes(b"garbage")
    assert not is_current(source, first) and convert_file(source, first)
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*.part"))


# ---- the default cross-encoder's float-activation copy, on real (query, document) pairs ----

QUERY = "what causes muscle fatigue"
DOCS = ["Muscle fatigue is caused by lactic acid and metabolic changes in skeletal muscle during exercise.",
        "Stock markets fell sharply on Tuesday after the central bank raised interest rates.",
        "Fatigue " * 150,
        "Exercise physiology: how skeletal muscle adapts to endurance training and resistance training."]


@pytest.fixture(scope="module")
def pairs():
    from tokenizers import Tokenizer

    models = ensure_models(REPO / "schemas")
    tokenizer = Tokenizer.from_file(str(models / "cross-encoder/tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    q = tokenizer.encode(QUERY, add_special_tokens=False).ids[:32]
    ids, types = np.zeros((len(DOCS), 256), np.int64), np.zeros((len(DOCS), 256), np.int64)
    for row, doc in enumerate(DOCS):  # tokenInputIds / tokenTypeIds at length 256
        d = tokenizer.encode(doc, add_special_tokens=False).ids[:512]
        seq, typ = ([101] + q + [102] + d + [102])[:256], ([0] * (len(q) + 2) + [1] * (len(d) + 1))[:256]
        ids[row, :len(seq)], types[row, :len(typ)] = seq, typ
    return models, {"input_ids": ids, "attention_mask": (ids != 0).astype(np.int64), "token_type_ids": types}


def test_default_cross_encoder_copy_has_float_activations(pairs):
    models, _ = pairs
    converted = onnx.load(str(models / "cross-encoder/model-fp32act.onnx"))
    ops = [n.op_type for n in converted.graph.node]
    assert "DynamicQuantizeLinear" not in ops and "MatMulInteger" not in ops
    assert ops.count("MatMul") == 98  # 74 dequantized weight matmuls + 24 attention matmuls
    assert is_current(models / "cross-encoder/model.onnx", models / "cross-encoder/model-fp32act.onnx")


def test_default_cross_encoder_copy_is_batch_independent_and_close_to_int8(pairs):
    models, inputs = pairs
    fp32 = OnnxModelRunner(OnnxSettings(str(models / "cross-encoder/model-fp32act.onnx")))
    int8 = OnnxModelRunner(OnnxSettings(str(models / "cross-encoder/model.onnx")))
    batched = fp32.run(inputs, batch_size=4)["logits"].reshape(-1)  # trimmed to the longest row
    per_hit = fp32.run(inputs, batch_size=1)["logits"].reshape(-1)  # fixed length 256, one call each
    np.testing.assert_allclose(batched, per_hit, atol=1e-3)
    reference = int8.run(inputs, batch_size=1)["logits"].reshape(-1)
    assert np.abs(per_hit - reference).max() < 1.0  # measured on scifact: 0.63 at most (BENCHMARKS.md)
    assert int(np.argmax(per_hit)) == int(np.argmax(reference)) == 0
    assert per_hit[0] > per_hit[1] and reference[0] > reference[1]
