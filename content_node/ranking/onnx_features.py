"""ONNX models in first-phase, second-phase, functions, match- and summary-features, evaluated on
the content node as Vespa's `onnx(m)` / `onnxModel(m)` rank features.

One session per model file per process (searchlib.models.onnx: provider choice, CUDA with CPU
fallback and its log line), and one session.run per model per phase per query: the inputs of all
the phase's candidates are stacked on the batch dimension (a model whose inputs fix that dimension
at 1 is run once per candidate instead). Inputs come from the onnx-model block's `input` lines
(attributes, query inputs, functions, constants); without them each ONNX input is read from the
function or feature of the same name, as in Vespa. An output is per candidate
tensor<float>(d0[1], ...), the batch dimension of one document kept.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from content_node.matching.feature_api import FeatureName
from searchlib.errors import InvalidParameterError
from searchlib.expression import CompiledExpression
from searchlib.models import onnx as shared
from searchlib.schema.model import OnnxModel, RankProfile
from searchlib.schema.package_paths import confined_path

ONNX_FEATURES = ("onnx", "onnxModel", "onnx_vespa")


def _runtime():
    import onnxruntime

    return onnxruntime


class OnnxModelRunner(shared.OnnxModelRunner):
    def __init__(self, settings: shared.OnnxSettings) -> None:
        super().__init__(settings, _runtime(),
                         available_providers=lambda: shared.available_providers(_runtime(),
                                                                                shared.cuda_driver_present()))


_RUNNERS = shared.RunnerCache()  # the process's sessions, shared by every profile and query


def load_model(settings: shared.OnnxSettings) -> shared.OnnxModelRunner:
    return _RUNNERS.get(settings, OnnxModelRunner)


@dataclass(frozen=True, slots=True)
class BoundOnnxModel:
    model: OnnxModel
    settings: shared.OnnxSettings
    inputs: tuple[tuple[str, CompiledExpression], ...]  # (ONNX input name, source)


class OnnxFeatures:
    """The onnx features of one rank profile; `compile` compiles a source expression in the profile."""

    def __init__(self, profile: RankProfile, package_path: Path | None,
                 compile: Callable[[str], CompiledExpression]) -> None:
        self.profile = profile
        self.package_path = package_path
        self._compile = compile
        self.models: dict[str, BoundOnnxModel] = {}
        self.features: dict[str, tuple[str, str]] = {}  # feature name -> (model name, output)
        self._default_gpu_device = shared.gpu_device_from_env()
        # per query (calculator): model -> (rows, outputs), so several outputs share one run
        self._runs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __contains__(self, name: str) -> bool:
        return name in self.features

    def bind(self, name: str, feature: FeatureName) -> list[CompiledExpression]:
        """Register an onnx feature; returns the input sources compiled for a model seen first here."""
        model_name = feature.args[0].strip("\"'") if feature.args else ""
        model = self.profile.onnx_models.get(model_name)
        if model is None:
            raise InvalidParameterError(f"{name}: no onnx-model '{model_name}' in rank-profile '{self.profile.name}'")
        self.features[name] = (model_name, feature.output)
        if model_name in self.models:
            return []
        settings = self._settings(model)
        runner = load_model(settings)  # with the program (first query of the profile), not mid-phase
        sources = model.inputs or tuple((n, n) for n in runner.inputs)
        inputs = tuple((onnx_name, self._compile(source.strip("\"'"))) for onnx_name, source in sources)
        self.models[model_name] = BoundOnnxModel(model, settings, inputs)
        return [compiled for _, compiled in inputs]

    def value(self, name: str, calculator: object, rows: np.ndarray,
              evaluate: Callable[[CompiledExpression], object]) -> object:
        model_name, output = self.features[name]
        runner = load_model(self.models[model_name].settings)
        outputs = self._outputs(model_name, runner, calculator, rows, evaluate)
        return shared.output_value(outputs[shared.output_name(self.models[model_name].model, output,
                                                              runner.outputs)], len(rows))

    def _outputs(self, model_name: str, runner: shared.OnnxModelRunner, calculator: object, rows: np.ndarray,
                 evaluate: Callable[[CompiledExpression], object]) -> dict[str, np.ndarray]:
        runs = self._runs.setdefault(calculator, {})
        cached = runs.get(model_name)
        if cached is not None and (cached[0] is rows or np.array_equal(cached[0], rows)):
            return cached[1]
        bound = self.models[model_name]
        count = len(rows)
        inputs = {onnx_name: shared.batched_input(evaluate(source), count) for onnx_name, source in bound.inputs}
        if count == 0:
            outputs = {n: np.zeros((0,)) for n in runner.outputs}
        else:
            outputs = runner.run(inputs, 1 if runner.rows_per_call_fixed else count)
        runs[model_name] = (rows, outputs)
        return outputs

    def _settings(self, model: OnnxModel) -> shared.OnnxSettings:
        path = confined_path(self.package_path or Path("."), model.file, model.location,
                             f"onnx-model '{model.name}'")
        gpu_device = model.gpu_device if model.gpu_device is not None else self._default_gpu_device
        return shared.OnnxSettings(str(path), gpu_device, model.intraop_threads, model.interop_threads,
                                   model.execution_mode, model.batch_size)

