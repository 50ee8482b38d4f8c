"""ONNX models, shared by the container (global phase, embedders) and the content nodes (first and
second phase, functions, match-features): one session per (file, settings) per process, execution
provider selection with CPU fallback, and batched inference padded only to the longest sequence.

searchlib stays pure: it never imports onnxruntime. Each process binds this module to its
onnxruntime (container/ranking/onnx_models.py, content_node/ranking/onnx_features.py) by handing the
runtime module to OnnxModelRunner.

Provider selection (vespa-reference §3.4): with `gpu-device: N` the CUDA provider on device N is
tried first; when the session comes up without it (no CUDA libraries or device — onnxruntime-gpu
lists the provider as available either way) we say so in one log line and run on the CPU.

Batching: Vespa evaluates global-phase models with batch size 1, one call per hit. We stack the
per-hit inputs (each `d0[1]`, the batch dimension) into batches of `batch_size` rows and, when the
model takes an attention mask, cut the trailing columns that are padding in every row of the batch.
For models with float activations this gives the per-hit scores (within float rounding); models
with dynamically quantized activations (the default int8 cross-encoder) see their quantization
range depend on the batch, so `batch-size: 1` in the onnx-model block gives Vespa's exact scores.

Batch size: `batch-size: n` in the onnx-model block wins. Without it the batch size follows the
provider the session actually came up with: 1 on the CPU (measured faster there for the default
int8 cross-encoder, and exact; BENCHMARKS.md), 32 on CUDA.

GPU device: the onnx-model block's `gpu-device` wins; for a model that does not set one, the
container's environment variable PHASEDSEARCH_GPU_DEVICE (set by the Kubernetes overlays: 0 on the
GPU image, -1 = CPU) is the default; without either the model runs on the CPU.
"""
from __future__ import annotations

import logging
import math
import os
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

log = logging.getLogger("onnx")

CPU = "CPUExecutionProvider"
CUDA = "CUDAExecutionProvider"
GPU_DEVICE_ENV = "PHASEDSEARCH_GPU_DEVICE"
CPU_BATCH_SIZE = 1  # per hit: on CPU not slower than batches for the int8 model, and exact
CUDA_BATCH_SIZE = 32

_ONNX_DTYPES = {"tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(float)": np.float32,
                "tensor(double)": np.float64, "tensor(bool)": np.bool_}


@dataclass(frozen=True, slots=True)
class OnnxSettings:
    path: str
    gpu_device: int | None = None
    intraop_threads: int | None = None
    interop_threads: int | None = None
    execution_mode: str | None = None  # sequential | parallel
    batch_size: int | None = None  # None: by the provider used (default_batch_size)


class Metrics:
    """Process-wide counters, served on /state/v1/metrics."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.values: dict[str, int] = {}

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self.values[name] = self.values.get(name, 0) + amount

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.values)


METRICS = Metrics()


def choose_providers(gpu_device: int | None, available: Sequence[str]) -> list:
    """The providers to ask onnxruntime for, best first."""
    if gpu_device is not None and gpu_device >= 0 and CUDA in available:
        return [(CUDA, {"device_id": str(gpu_device)}), CPU]
    return [CPU]


def default_batch_size(provider: str) -> int:
    """Hits per ONNX call when the onnx-model block sets no batch-size: by the provider used."""
    return CUDA_BATCH_SIZE if provider == CUDA else CPU_BATCH_SIZE


def gpu_device_from_env(environ: Mapping[str, str] | None = None) -> int | None:
    """PHASEDSEARCH_GPU_DEVICE as the default gpu-device (None when unset; -1 means the CPU)."""
    value = (os.environ if environ is None else environ).get(GPU_DEVICE_ENV, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        log.warning("%s=%r is not a device number; ignored", GPU_DEVICE_ENV, value)
        return None


def available_providers(runtime, driver_present: bool) -> list[str]:
    """onnxruntime-gpu lists CUDA whether or not the machine can run it; without the CUDA driver
    it cannot, and trying prints onnxruntime's own errors on every start, so it is left out."""
    listed = list(runtime.get_available_providers())
    return listed if driver_present else [p for p in listed if p != CUDA]


def cuda_driver_present() -> bool:
    import ctypes

    try:
        ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    return True


class OnnxModelRunner:
    def __init__(self, settings: OnnxSettings, runtime, *,
                 session_factory: Callable | None = None,
                 available_providers: Callable[[], Sequence[str]] | None = None) -> None:
        """`runtime`: the process's onnxruntime module."""
        ort = runtime
        self.settings = settings
        options = ort.SessionOptions()
        options.log_severity_level = 3  # onnxruntime's own CUDA-load errors; we log the outcome once
        cpus = os.cpu_count() or 1
        options.intra_op_num_threads = settings.intraop_threads or math.ceil(cpus / 4)
        options.inter_op_num_threads = settings.interop_threads or math.ceil(cpus / 4)
        options.execution_mode = (ort.ExecutionMode.ORT_PARALLEL if settings.execution_mode == "parallel"
                                  else ort.ExecutionMode.ORT_SEQUENTIAL)
        available = (available_providers or (lambda: _available(ort)))()
        requested = choose_providers(settings.gpu_device, available)
        wants_gpu = settings.gpu_device is not None and settings.gpu_device >= 0
        if wants_gpu and len(requested) > 1:
            ort.set_default_logger_severity(3)
        make_session = session_factory or (lambda path, opts, providers: ort.InferenceSession(
            path, sess_options=opts, providers=providers))
        self.session = make_session(settings.path, options, requested)
        used = list(self.session.get_providers())
        self.provider = CUDA if CUDA in used else CPU
        if wants_gpu and CUDA not in available:
            log.info("onnx model %s: gpu-device %d requested, but this machine has no CUDA; using %s",
                     Path(settings.path).name, settings.gpu_device, CPU)
        elif wants_gpu and self.provider != CUDA:
            log.warning("onnx model %s: gpu-device %d requested but CUDA is not available; using %s",
                        Path(settings.path).name, settings.gpu_device, CPU)
        else:
            log.info("onnx model %s: using %s", Path(settings.path).name, self.provider)
        self.inputs = {i.name: _ONNX_DTYPES.get(i.type, np.float32) for i in self.session.get_inputs()}
        self.outputs = [o.name for o in self.session.get_outputs()]
        # a model whose inputs have a fixed batch dimension of 1 takes one row per call
        shapes = [getattr(i, "shape", None) for i in self.session.get_inputs()]
        self.rows_per_call_fixed = any(s and isinstance(s[0], int) and s[0] == 1 for s in shapes)
        self._mask_inputs = [n for n in self.inputs if "mask" in n.lower()]
        METRICS.add(f"onnx.sessions.{self.provider}")

    def batch_size(self, requested: int | None = None) -> int:
        """The explicit batch size (the caller's, else the settings'), else the provider's default."""
        return max(1, requested or self.settings.batch_size or default_batch_size(self.provider))

    def run(self, inputs: Mapping[str, np.ndarray], batch_size: int | None = None) -> dict[str, np.ndarray]:
        """`inputs`: ONNX input name -> array with the rows (hits) on axis 0. Returns each output
        with the rows on axis 0, evaluated in batches."""
        batch_size = self.batch_size(batch_size)
        rows = next(iter(inputs.values())).shape[0]
        parts: dict[str, list[np.ndarray]] = {name: [] for name in self.outputs}
        for start in range(0, rows, batch_size):
            batch = {name: np.asarray(values[start:start + batch_size], dtype=self.inputs.get(name, np.float32))
                     for name, values in inputs.items()}
            if batch_size > 1:  # batch size 1 is Vespa's exact per-hit, fixed-length evaluation
                batch = self._trim_padding(batch)
            started = time.perf_counter()
            for name, value in zip(self.outputs, self.session.run(self.outputs, batch)):
                parts[name].append(np.asarray(value))
            METRICS.add(f"onnx.inference_us.{self.provider}", int((time.perf_counter() - started) * 1e6))
            METRICS.add(f"onnx.batches.{self.provider}")
        METRICS.add(f"onnx.rows.{self.provider}", rows)
        return {name: np.concatenate(chunks, axis=0) if chunks else np.zeros((0,))
                for name, chunks in parts.items()}

    def _trim_padding(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Cut sequence columns that are masked out in every row (padding at the end)."""
        if not self._mask_inputs or any(v.ndim != 2 for v in batch.values()):
            return batch
        width = {v.shape[1] for v in batch.values()}
        if len(width) != 1:
            return batch
        attended = np.zeros(width.pop(), dtype=bool)
        for name in self._mask_inputs:
            if name in batch:
                attended |= (batch[name] != 0).any(axis=0)
        used = int(np.flatnonzero(attended)[-1]) + 1 if attended.any() else 1
        return {name: np.ascontiguousarray(v[:, :used]) for name, v in batch.items()}


def _available(runtime) -> list[str]:
    return available_providers(runtime, cuda_driver_present())


class RunnerCache:
    """One runner per process per (file, session settings); the batch size is the caller's, per run."""

    def __init__(self) -> None:
        self._runners: dict[OnnxSettings, OnnxModelRunner] = {}
        self._lock = threading.Lock()

    def get(self, settings: OnnxSettings, create: Callable[[OnnxSettings], OnnxModelRunner]) -> OnnxModelRunner:
        settings = replace(settings, batch_size=None)
        with self._lock:
            runner = self._runners.get(settings)
            if runner is None:
                if not Path(settings.path).is_file():
                    raise FileNotFoundError(f"ONNX model file '{settings.path}' not found "
                                            "(run `phasedsearch models fetch` for the default models)")
                runner = self._runners[settings] = create(settings)
            return runner


# ---- per-row inputs and outputs (one row per hit or candidate document) ----

def batched_input(value: object, rows: int) -> np.ndarray:
    """A per-row input of type (d0[1], ...) as one array with the rows on axis 0; a value shared by
    all rows (a query tensor, a constant) is repeated."""
    from searchlib.tensor import Tensor, TensorBatch

    if isinstance(value, TensorBatch):
        array = value.values if value.values is not None else np.stack([r.dense_values for r in value.rows])
    elif isinstance(value, Tensor):
        array = np.broadcast_to(value.dense_values[None], (rows, *value.dense_values.shape))
    else:
        return np.broadcast_to(np.asarray(value, dtype=np.float64), (rows,)).reshape(rows, 1)
    if array.ndim >= 3 and array.shape[1] == 1:  # d0[1] is the batch dimension of one row
        array = array[:, 0]
    return array


def output_name(model, output: str, runner_outputs: Sequence[str]) -> str:
    """The ONNX output `onnx(m).output` names: the first without one, else an alias or ONNX name."""
    if not output:
        return runner_outputs[0]
    for onnx_name, alias in model.outputs:
        if output in (alias, onnx_name):
            return onnx_name
    if output in runner_outputs:
        return output
    raise ValueError(f"onnx model '{model.name}' has no output '{output}'")


def output_value(array: np.ndarray, rows: int):
    """Per-row output tensor<float>(d0[1], d1[..], ...) — the batch dimension of one row kept."""
    from searchlib.tensor import TensorBatch
    from searchlib.tensor.types import TensorType

    per_row = array.reshape(rows, 1, *array.shape[1:])
    dims = ",".join(f"d{i}[{n}]" for i, n in enumerate(per_row.shape[1:]))
    return TensorBatch.dense(TensorType.parse(f"tensor<float>({dims})"), per_row.astype(np.float64))
