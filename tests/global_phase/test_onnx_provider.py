"""Execution provider selection and CPU fallback; batched inference vs one call per hit."""
import logging
from pathlib import Path

import numpy as np
import pytest

from container.ranking import onnx_models
from container.ranking.onnx_models import CPU, CUDA, OnnxModelRunner, OnnxSettings, choose_providers
from deploy.models import ensure_models

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cross_encoder() -> str:
    return str(ensure_models(REPO / "schemas") / "cross-encoder" / "model.onnx")


class _Io:
    def __init__(self, name, type_="tensor(int64)"):
        self.name, self.type = name, type_


class FakeSession:
    """Answers like an InferenceSession that came up with the providers it was given."""

    def __init__(self, path, options, providers, comes_up_with=None):
        self.requested = providers
        self.providers = comes_up_with or [p[0] if isinstance(p, tuple) else p for p in providers]
        self.calls = []

    def get_providers(self):
        return self.providers

    def get_inputs(self):
        return [_Io("input_ids"), _Io("attention_mask")]

    def get_outputs(self):
        return [_Io("logits", "tensor(float)")]

    def run(self, names, feeds):
        self.calls.append({k: v.copy() for k, v in feeds.items()})
        return [feeds["input_ids"].sum(axis=1, keepdims=True).astype(np.float32)]


def test_choose_providers_prefers_cuda_only_with_a_gpu_device():
    assert choose_providers(0, [CUDA, CPU]) == [(CUDA, {"device_id": "0"}), CPU]
    assert choose_providers(1, [CUDA, CPU])[0] == (CUDA, {"device_id": "1"})
    assert choose_providers(None, [CUDA, CPU]) == [CPU]
    assert choose_providers(-1, [CUDA, CPU]) == [CPU]
    assert choose_providers(0, [CPU]) == [CPU]


def test_cuda_used_when_the_session_comes_up_with_it(caplog):
    sessions = []

    def factory(path, options, providers):
        sessions.append(FakeSession(path, options, providers))
        return sessions[-1]

    with caplog.at_level(logging.INFO, logger="container.onnx"):
        runner = OnnxModelRunner(OnnxSettings("m.onnx", gpu_device=0), session_factory=factory,
                                 available_providers=lambda: [CUDA, CPU])
    assert runner.provider == CUDA
    assert sessions[0].requested[0] == (CUDA, {"device_id": "0"})
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_fallback_to_cpu_is_logged_once_when_cuda_does_not_come_up(caplog):
    def factory(path, options, providers):
        return FakeSession(path, options, providers, comes_up_with=[CPU])

    with caplog.at_level(logging.INFO, logger="container.onnx"):
        runner = OnnxModelRunner(OnnxSettings("m.onnx", gpu_device=0), session_factory=factory,
                                 available_providers=lambda: [CUDA, CPU])
    assert runner.provider == CPU
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "CUDA is not available" in warnings[0] and CPU in warnings[0]


def test_real_session_here_falls_back_to_cpu(cross_encoder, caplog):
    with caplog.at_level(logging.INFO, logger="container.onnx"):
        runner = OnnxModelRunner(OnnxSettings(cross_encoder, gpu_device=0))
    assert runner.session.get_providers() == [CPU]  # no CUDA libraries or device on this machine
    assert runner.provider == CPU
    assert sum("CUDA is not available" in r.getMessage() for r in caplog.records) == 1


def test_batches_are_trimmed_to_the_longest_sequence_but_batch_size_one_is_not():
    session = FakeSession("m", None, [CPU])
    runner = OnnxModelRunner(OnnxSettings("m.onnx", batch_size=2), session_factory=lambda *a: session,
                             available_providers=lambda: [CPU])
    ids = np.array([[101, 5, 102, 0, 0, 0], [101, 6, 7, 102, 0, 0], [101, 102, 0, 0, 0, 0]])
    mask = (ids != 0).astype(np.int64)
    out = runner.run({"input_ids": ids, "attention_mask": mask})
    assert out["logits"].reshape(-1).tolist() == [208, 216, 203]
    assert [c["input_ids"].shape for c in session.calls] == [(2, 4), (1, 2)]
    session.calls.clear()
    runner.run({"input_ids": ids, "attention_mask": mask}, batch_size=1)
    assert [c["input_ids"].shape for c in session.calls] == [(1, 6)] * 3


def test_metrics_count_rows_per_provider():
    before = onnx_models.METRICS.snapshot().get(f"onnx.rows.{CPU}", 0)
    session = FakeSession("m", None, [CPU])
    runner = OnnxModelRunner(OnnxSettings("m.onnx"), session_factory=lambda *a: session,
                             available_providers=lambda: [CPU])
    runner.run({"input_ids": np.ones((3, 2)), "attention_mask": np.ones((3, 2))})
    assert onnx_models.METRICS.snapshot()[f"onnx.rows.{CPU}"] == before + 3
