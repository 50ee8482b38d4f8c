"""The container's binding of the shared ONNX runner (searchlib.models.onnx) to onnxruntime: the
global phase and the embedders load their models here, once per process."""
from __future__ import annotations

from typing import Callable, Sequence

from searchlib.models import onnx as shared
from searchlib.models.onnx import (CPU, CUDA, CUDA_BATCH_SIZE, CPU_BATCH_SIZE, GPU_DEVICE_ENV, METRICS,
                                   OnnxSettings, choose_providers, cuda_driver_present, default_batch_size,
                                   gpu_device_from_env)


def _runtime():
    import onnxruntime

    return onnxruntime


def _default_available() -> list[str]:
    return shared.available_providers(_runtime(), cuda_driver_present())


class OnnxModelRunner(shared.OnnxModelRunner):
    def __init__(self, settings: OnnxSettings, *, session_factory: Callable | None = None,
                 available_providers: Callable[[], Sequence[str]] | None = None) -> None:
        super().__init__(settings, _runtime(), session_factory=session_factory,
                         available_providers=available_providers or _default_available)


_RUNNERS = shared.RunnerCache()


def load_model(settings: OnnxSettings) -> OnnxModelRunner:
    """Once per process per (file, session settings); the batch size is the caller's, per run."""
    return _RUNNERS.get(settings, lambda s: OnnxModelRunner(s))


__all__ = ["CPU", "CUDA", "CPU_BATCH_SIZE", "CUDA_BATCH_SIZE", "GPU_DEVICE_ENV", "METRICS", "OnnxModelRunner",
           "OnnxSettings", "choose_providers", "cuda_driver_present", "default_batch_size", "gpu_device_from_env",
           "load_model"]
