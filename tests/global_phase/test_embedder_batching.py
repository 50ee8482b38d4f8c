"""The hugging-face-embedder's batched path (`embed_many(..., batch_size=n)`): texts sorted by token
count, one ONNX call per batch padded to its longest text, rows returned in the caller's order.

On a float-activation model (a tiny hand-built encoder whose tokens see a masked mean of the whole
sequence, so wrong padding or a wrong mask would show) batches equal one text per call within 1e-4.
The default bge-small-en is dynamically quantized int8: activations are quantized with one range
per ONNX call, so a text's embedding moves with its batch-mates and padding. The last test measures
how much (cosine to the one-by-one vector above 0.98; the lowest, 0.983, is a one-word text padded
in its batch; |diff| up to 0.026), and that the nearest neighbours among the texts stay the same."""
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from container.embedding.embedder import HuggingFaceEmbedder  # noqa: E402
from deploy.models import ensure_models  # noqa: E402
from searchlib.tensor import TensorType  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
VOCAB, WIDTH = 30522, 8
VECTOR = TensorType.parse(f"tensor<float>(x[{WIDTH}])")
TEXTS = ["a", "muscle fatigue after long exercise", "stock market", "the quick brown fox jumps over the lazy dog",
         "photosynthesis", "statins lower cholesterol and reduce the risk of heart attacks in older adults",
         "x y", "melatonin regulates sleep"]


@pytest.fixture(scope="module")
def tokenizer_path() -> str:
    return str(ensure_models(REPO / "schemas") / "bge-small-en" / "tokenizer.json")


def tiny_encoder(path: Path) -> None:
    """hidden = tanh((E[ids] + masked_mean(E[ids])) @ W): float activations, context through the mask."""
    rng = np.random.default_rng(11)
    inits = [numpy_helper.from_array(rng.normal(size=(VOCAB, WIDTH)).astype(np.float32), "table"),
             numpy_helper.from_array(rng.normal(size=(WIDTH, WIDTH)).astype(np.float32), "w"),
             numpy_helper.from_array(np.array([1], np.int64), "axis1")]
    nodes = [helper.make_node("Gather", ["table", "input_ids"], ["tokens"]),
             helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
             helper.make_node("Unsqueeze", ["mask_f", "axis2"], ["mask3"]),
             helper.make_node("Mul", ["tokens", "mask3"], ["masked"]),
             helper.make_node("ReduceSum", ["masked", "axis1"], ["total"], keepdims=1),
             helper.make_node("ReduceSum", ["mask3", "axis1"], ["count"], keepdims=1),
             helper.make_node("Div", ["total", "count"], ["context"]),
             helper.make_node("Add", ["tokens", "context"], ["mixed"]),
             helper.make_node("MatMul", ["mixed", "w"], ["projected"]),
             helper.make_node("Tanh", ["projected"], ["last_hidden_state"])]
    inits.append(numpy_helper.from_array(np.array([2], np.int64), "axis2"))
    graph = helper.make_graph(
        nodes, "tiny-encoder",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "seq", WIDTH])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # what every onnxruntime we support loads
    onnx.save(model, str(path))


class CountingSession:
    def __init__(self, session) -> None:
        self.session, self.calls = session, []

    def run(self, outputs, feed):
        self.calls.append(feed["input_ids"].shape)
        return self.session.run(outputs, feed)


def embedder(model: str, tokenizer: str, pooling: str) -> HuggingFaceEmbedder:
    config = {"transformer-model": model, "tokenizer-model": tokenizer, "pooling-strategy": pooling,
              "normalize": "true", "max-tokens": "16"}
    encoder = HuggingFaceEmbedder("e", config, lambda reference: reference)
    encoder.runner.session = CountingSession(encoder.runner.session)
    return encoder


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_float_model_batches_equal_one_text_per_call(tmp_path, tokenizer_path, pooling):
    tiny_encoder(tmp_path / f"tiny-{pooling}.onnx")
    encoder = embedder(str(tmp_path / f"tiny-{pooling}.onnx"), tokenizer_path, pooling)
    one_by_one = encoder.embed_many(TEXTS, VECTOR)
    assert len(encoder.runner.session.calls) == len(TEXTS)
    encoder.runner.session.calls.clear()
    batched = encoder.embed_many(TEXTS, VECTOR, batch_size=3)
    assert np.max(np.abs(batched - one_by_one)) < 1e-4
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0)
    # ceil(8 / 3) calls over the texts sorted by token count (the longest cut at max-tokens 16),
    # each padded only to the longest text of its batch
    shapes = encoder.runner.session.calls
    assert [rows for rows, _ in shapes] == [3, 3, 2]
    lengths = sorted(len(e.ids) for e in encoder.tokenizer.encode_batch(TEXTS))
    assert [width for _, width in shapes] == [lengths[2], lengths[5], lengths[7]]


def test_empty_input_gives_no_rows(tmp_path, tokenizer_path):
    tiny_encoder(tmp_path / "tiny.onnx")
    encoder = embedder(str(tmp_path / "tiny.onnx"), tokenizer_path, "mean")
    assert encoder.embed_many([], VECTOR, batch_size=4).shape == (0, WIDTH)
    assert encoder.runner.session.calls == []


def test_int8_bge_batches_move_embeddings_a_little(tokenizer_path):
    models = ensure_models(REPO / "schemas")
    config = {"transformer-model": str(models / "bge-small-en" / "model.onnx"), "tokenizer-model": tokenizer_path,
              "pooling-strategy": "cls", "normalize": "true"}
    encoder = HuggingFaceEmbedder("bge", config, lambda reference: reference)
    vector = TensorType.parse("tensor<float>(x[384])")
    one_by_one = encoder.embed_many(TEXTS, vector)
    batched = encoder.embed_many(TEXTS, vector, batch_size=4)
    cosine = np.sum(one_by_one * batched, axis=1)
    print(f"int8 bge-small, batches of 4 vs one text per call: max |diff| "
          f"{np.max(np.abs(batched - one_by_one)):.2e}, min cosine {cosine.min():.5f}")
    assert cosine.min() > 0.98
    # the neighbours a text finds among the others do not change
    assert np.array_equal(np.argsort(-(one_by_one @ one_by_one.T), axis=1)[:, :3],
                          np.argsort(-(batched @ batched.T), axis=1)[:, :3])
