"""Execution provider selection and CPU fallback; batched inference vs one call per hit."""
import logging
from pathlib import Path

import numpy as np
import pytest

from container.ranking import onnx_models
from searchlib.models import onnx as shared_onnx
from container.ranking.onnx_models import (CPU, CUDA, OnnxModelRunner, OnnxSettings, choose_providers,
                                           cuda_driver_present)
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

    with caplog.at_level(logging.INFO, logger="onnx"):
        runner = OnnxModelRunner(OnnxSettings("m.onnx", gpu_device=0), session_factory=factory,
                                 available_providers=lambda: [CUDA, CPU])
    assert runner.provider == CUDA
    assert sessions[0].requested[0] == (CUDA, {"device_id": "0"})
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_fallback_to_cpu_is_logged_once_when_cuda_does_not_come_up(caplog):
    def factory(path, options, providers):
        return FakeSession(path, options, providers, comes_up_with=[CPU])

    with caplog.at_level(logging.INFO, logger="onnx"):
        runner = OnnxModelRunner(OnnxSettings("m.onnx", gpu_device=0), session_factory=factory,
                                 available_providers=lambda: [CUDA, CPU])
    assert runner.provider == CPU
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "CUDA is not available" in warnings[0] and CPU in warnings[0]


def test_real_session_here_falls_back_to_cpu(cross_encoder, caplog):
    with caplog.at_level(logging.INFO, logger="onnx"):
        runner = OnnxModelRunner(OnnxSettings(cross_encoder, gpu_device=0))
    assert runner.session.get_providers() == [CPU]  # no CUDA libraries or device on this machine
    assert runner.provider == CPU
    # this machine has no CUDA driver: CUDA is not even tried (onnxruntime would print its own errors),
    # and one info line says so; on a machine with the driver but a broken CUDA install it is tried,
    # and the fallback is one warning (test_fallback_to_cpu_is_logged_once_when_cuda_does_not_come_up)
    messages = [r.getMessage() for r in caplog.records]
    if cuda_driver_present():
        assert sum("CUDA is not available" in m for m in messages) == 1
    else:
        assert sum("this machine has no CUDA" in m for m in messages) == 1
        assert all(r.levelno < logging.WARNING for r in caplog.records)


def test_cuda_is_not_listed_without_the_driver(monkeypatch):
    import container.ranking.onnx_models as onnx_models

    monkeypatch.setattr(onnx_models, "cuda_driver_present", lambda: False)
    assert CUDA not in onnx_models._default_available()
    monkeypatch.setattr(onnx_models, "cuda_driver_present", lambda: True)
    import onnxruntime

    assert onnx_models._default_available() == list(onnxruntime.get_available_providers())


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


# ---- the default batch size follows the provider actually used; explicit settings win ----

def _runner(comes_up_with, batch_size=None, gpu_device=0):
    sessions = []

    def factory(path, options, providers):
        sessions.append(FakeSession(path, options, providers, comes_up_with=comes_up_with))
        return sessions[-1]

    runner = OnnxModelRunner(OnnxSettings("m.onnx", gpu_device=gpu_device, batch_size=batch_size),
                             session_factory=factory, available_providers=lambda: [CUDA, CPU])
    return runner, sessions[0]


def test_default_batch_size_is_per_hit_on_cpu_and_32_on_cuda():
    assert onnx_models.default_batch_size(CPU) == 1
    assert onnx_models.default_batch_size(CUDA) == 32
    ids = np.arange(1, 81).reshape(40, 2)
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    on_cuda, cuda_session = _runner([CUDA, CPU])
    assert on_cuda.batch_size() == 32
    on_cuda.run(feeds)
    assert [c["input_ids"].shape[0] for c in cuda_session.calls] == [32, 8]
    fell_back, cpu_session = _runner([CPU])  # gpu-device asked for, CUDA did not come up: the CPU's default
    assert fell_back.batch_size() == 1
    out = fell_back.run(feeds)
    assert len(cpu_session.calls) == 40 and out["logits"].reshape(-1).tolist() == ids.sum(axis=1).tolist()


def test_explicit_batch_size_wins_over_the_provider_default():
    for comes_up_with in ([CUDA, CPU], [CPU]):
        runner, session = _runner(comes_up_with, batch_size=4)
        assert runner.batch_size() == 4 and runner.batch_size(1) == 1  # the caller's, then the settings'
        runner.run({"input_ids": np.ones((10, 3)), "attention_mask": np.ones((10, 3))})
        assert [c["input_ids"].shape[0] for c in session.calls] == [4, 4, 2]


def test_load_model_shares_one_session_whatever_the_batch_size(monkeypatch, tmp_path):
    created = []
    model = tmp_path / "m.onnx"
    model.write_bytes(b"")

    def fake_runner(settings):
        created.append(settings)
        return object()

    monkeypatch.setattr(onnx_models, "OnnxModelRunner", fake_runner)
    monkeypatch.setattr(onnx_models, "_RUNNERS", shared_onnx.RunnerCache())
    first = onnx_models.load_model(OnnxSettings(str(model), batch_size=1))
    assert onnx_models.load_model(OnnxSettings(str(model), batch_size=32)) is first
    assert onnx_models.load_model(OnnxSettings(str(model))) is first
    assert len(created) == 1 and created[0].batch_size is None  # the default is left to the provider


# ---- PHASEDSEARCH_GPU_DEVICE: the default gpu-device of onnx models that set none ----

def test_gpu_device_from_env(caplog):
    assert onnx_models.gpu_device_from_env({}) is None
    assert onnx_models.gpu_device_from_env({"PHASEDSEARCH_GPU_DEVICE": ""}) is None
    assert onnx_models.gpu_device_from_env({"PHASEDSEARCH_GPU_DEVICE": "1"}) == 1
    assert onnx_models.gpu_device_from_env({"PHASEDSEARCH_GPU_DEVICE": " -1 "}) == -1
    with caplog.at_level(logging.WARNING, logger="onnx"):
        assert onnx_models.gpu_device_from_env({"PHASEDSEARCH_GPU_DEVICE": "gpu0"}) is None
    assert sum("PHASEDSEARCH_GPU_DEVICE" in r.getMessage() for r in caplog.records) == 1


GPU_SD = """
schema doc {
    document doc {
        field pop type double { indexing: attribute }
    }
    rank-profile own-device {
        onnx-model m {
            file: m.onnx
            input x: attribute(pop)
            gpu-device: 2
        }
        first-phase { expression: attribute(pop) }
        global-phase { expression: sum(onnx(m)) }
    }
    rank-profile env-device {
        onnx-model m2 {
            file: m.onnx
            input x: attribute(pop)
            batch-size: 8
        }
        first-phase { expression: attribute(pop) }
        global-phase { expression: sum(onnx(m2)) }
    }
    rank-profile env-default {
        onnx-model m3 {
            file: m.onnx
            input x: attribute(pop)
        }
        first-phase { expression: attribute(pop) }
        global-phase { expression: sum(onnx(m3)) }
    }
}
"""


def _gpu_app():
    from searchlib.schema.application import application_from_text

    return application_from_text(GPU_SD, name="doc.sd")


@pytest.mark.parametrize("env, expected", [(None, None), ("1", 1), ("-1", -1)])
def test_ranker_takes_the_env_device_only_for_models_without_one(monkeypatch, env, expected):
    from container.ranking.global_phase import GlobalPhaseRanker

    if env is None:
        monkeypatch.delenv("PHASEDSEARCH_GPU_DEVICE", raising=False)
    else:
        monkeypatch.setenv("PHASEDSEARCH_GPU_DEVICE", env)
    ranker = GlobalPhaseRanker(_gpu_app())
    models = {m.name: m for p in ranker.application.schemas["doc"].rank_profiles.values()
              for m in p.onnx_models.values()}
    assert ranker.model_settings(models["m"]).gpu_device == 2  # the profile's gpu-device wins
    settings = ranker.model_settings(models["m2"])
    assert settings.gpu_device == expected and settings.batch_size == 8


def test_env_device_falls_back_to_cpu_with_one_log_line_and_per_hit_batches(monkeypatch, caplog):
    from container.ranking.global_phase import GlobalPhaseRanker
    from searchlib.hits import LeanHit

    monkeypatch.setenv("PHASEDSEARCH_GPU_DEVICE", "0")
    requested = []

    class PopSession(FakeSession):
        def get_inputs(self):
            return [_Io("x", "tensor(float)")]

        def run(self, names, feeds):
            self.calls.append(feeds)
            return [feeds["x"].astype(np.float32) * 10]

    def loader(settings):
        requested.append(settings)
        return OnnxModelRunner(settings, session_factory=lambda p, o, providers: PopSession(p, o, providers, [CPU]),
                               available_providers=lambda: [CUDA, CPU])

    ranker = GlobalPhaseRanker(_gpu_app(), model_loader=loader)
    hits = [LeanHit(bytes([n]) * 12, float(n), 0, {"attribute(pop)": float(n)}) for n in (1, 2, 3)]
    with caplog.at_level(logging.INFO, logger="onnx"):
        outcome = ranker.rerank("doc", "env-default", hits, {}, 3, trace_level=1)
    assert requested[0].gpu_device == 0 and requested[0].batch_size is None
    assert [h.relevance for h in outcome.hits] == [30.0, 20.0, 10.0]
    assert sum("CUDA is not available" in r.getMessage() for r in caplog.records) == 1
    assert any(f"on {CPU}, batch size 1," in line for line in outcome.trace)


def test_preload_compiles_every_global_phase_and_opens_each_model_before_the_first_query():
    """At container start (issue #18): the first query of a profile then loads and compiles nothing."""
    from container.ranking.global_phase import GlobalPhaseRanker

    loaded = []
    ranker = GlobalPhaseRanker(_gpu_app(), model_loader=lambda settings: loaded.append(settings))
    ranker.preload()
    profiles = {("doc", p) for p in ("own-device", "env-device", "env-default")}
    assert profiles <= set(ranker._setups) and all(ranker._setups[key] is not None for key in profiles)
    assert sorted(s.gpu_device == 2 for s in loaded) == [False, False, True]  # one load per model
