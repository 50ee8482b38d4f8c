"""The global phase (vespa-reference §8.2, ResultReranker/GlobalPhaseRanker), per schema, in the
container: rerank the top `rerank-count` merged hits with the profile's global-phase expression,
rescale the rest below them, apply the drop limit, and hide the hidden match-features.

Document-side inputs come from the hits' match-features (the content nodes computed them; the
container never reads attributes). ONNX models run batched over the reranked hits (batch size and
device defaults: container/ranking/onnx_models.py). Everything here is CPU work: callers run
`rerank` in a thread executor, never on the event loop.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

from container.ranking import normalizers as N
from container.ranking.onnx_models import OnnxModelRunner, OnnxSettings, gpu_device_from_env, load_model
from searchlib.errors import QueryError, SearchlibError
from searchlib.models.onnx import batched_input, output_name, output_value
from searchlib.hits import LeanHit, is_rank_order, sort_hits
from searchlib.rank_values import parse_input_defaults
from searchlib.rescaling import rescale_rest
from searchlib.ranking_setup import GlobalPhaseSetup, global_phase_setup
from searchlib.schema.model import ApplicationPackage, OnnxModel
from searchlib.tensor import Tensor, TensorBatch

log = logging.getLogger("container.global_phase")


@dataclass(frozen=True, slots=True)
class RerankOutcome:
    hits: list[LeanHit]  # all hits, reordered; hidden match-features removed
    dropped: int  # removed by rank-score-drop-limit
    trace: list[str]


class GlobalPhaseRanker:
    """One per container: setups compiled once per (schema, profile), models loaded once."""

    def __init__(self, application: ApplicationPackage,
                 model_loader: Callable[[OnnxSettings], OnnxModelRunner] = load_model) -> None:
        self.application = application
        self._load_model = model_loader
        self._setups: dict[tuple[str, str], GlobalPhaseSetup | None] = {}
        self._defaults: dict[tuple[str, str], dict[str, object]] = {}
        # for onnx-model blocks without gpu-device (read once, at container start)
        self.default_gpu_device = gpu_device_from_env()

    def preload(self) -> None:
        """Load every global-phase ONNX model now (at container start, like Vespa at deploy), so the
        first query does not pay for it. A missing model is logged; queries then report it."""
        for schema_name, schema in self.application.schemas.items():
            for profile_name in schema.rank_profiles:
                try:
                    setup = self.setup(schema_name, profile_name)
                except SearchlibError as error:
                    log.warning("global phase of %s/%s does not compile: %s", schema_name, profile_name, error)
                    continue
                for use in setup.onnx if setup else ():
                    try:
                        self._load_model(self.model_settings(use.model))
                    except Exception as error:  # noqa: BLE001 - a bad model must not stop the container
                        log.warning("global-phase model %s of %s/%s not loaded: %s", use.model.name, schema_name,
                                    profile_name, error)

    def setup(self, schema: str, profile: str) -> GlobalPhaseSetup | None:
        key = (schema, profile)
        if key not in self._setups:
            rank_profile = self.application.schemas[schema].rank_profiles[profile]
            self._setups[key] = global_phase_setup(rank_profile, self.application.path or None)
            self._defaults[key] = parse_input_defaults(rank_profile)
        return self._setups[key]

    def rerank_count(self, schema: str, profile: str, query_override: int | None) -> int:
        """0 without a global phase (the query value is then ignored); else the query's
        ranking.globalPhase.rerankCount, or the profile's rerank-count, or 100."""
        setup = self.setup(schema, profile)
        if setup is None:
            return 0
        return max(query_override, 0) if query_override is not None else setup.default_rerank_count

    def rerank(self, schema: str, profile: str, hits: Sequence[LeanHit], query_features: Mapping[str, object],
               rerank_count: int, trace_level: int = 0, sorting: Sequence = ()) -> RerankOutcome:
        """`hits` in any order; the result is in the order of `sorting` (the rank order, unless a
        zero rerank count lets the query sort otherwise: check_sorting)."""
        setup = self.setup(schema, profile)
        assert setup is not None
        started = time.perf_counter()
        ordered = sort_hits(hits, sorting)
        top, rest = ordered[:rerank_count], ordered[rerank_count:]
        features: dict[str, object] = dict(self._defaults[(schema, profile)])
        features.update(query_features)
        trace: list[str] = []
        new_scores = np.zeros(0)
        if top:
            old_scores = np.array([h.relevance for h in top], dtype=np.float64)
            features["relevanceScore"] = old_scores
            missing = self._document_features(setup, top, features)
            # models first: a normalizer may rank a model's output (reciprocal_rank_fusion(.., onnx))
            for model_name in dict.fromkeys(u.model.name for u in setup.onnx):
                self._run_model(setup, model_name, features, len(top), trace)
            for use in setup.normalizers:
                features[use.feature] = _normalize(use, features, len(top))
            new_scores = np.asarray(setup.expression.evaluate(features, len(top)), dtype=np.float64)
            if new_scores.shape != (len(top),):
                raise ValueError(f"global-phase expression of '{profile}' must produce a number per hit")
            new_scores = np.where(missing, 0.0, new_scores)
            rest_scores = rescale_rest(old_scores, new_scores, np.array([h.relevance for h in rest]))
        else:
            rest_scores = np.array([h.relevance for h in rest], dtype=np.float64)
        hidden = setup.hidden_match_features
        rescored = [_rescored(h, s, hidden) for h, s in zip(top, new_scores)] + \
                   [_rescored(h, s, hidden) for h, s in zip(rest, rest_scores)]
        result = sort_hits(rescored, sorting)
        dropped = 0
        if setup.drop_limit is not None:
            kept = [h for h in result if not h.relevance <= setup.drop_limit]
            dropped, result = len(result) - len(kept), kept
        if trace_level >= 1:
            trace.insert(0, f"global-phase of {schema}/{profile}: reranked {len(top)} of {len(ordered)} hits "
                            f"in {1000 * (time.perf_counter() - started):.1f} ms")
        return RerankOutcome(result, dropped, trace)

    def _document_features(self, setup: GlobalPhaseSetup, top: Sequence[LeanHit],
                           features: dict[str, object]) -> np.ndarray:
        """Columns from the shipped match-features; rows missing one get score 0 (HitRescorer)."""
        missing = np.zeros(len(top), dtype=bool)
        for name in setup.document_features:
            values = [h.match_features.get(name) for h in top]
            absent = np.array([v is None for v in values])
            if absent.any():
                log.warning("global phase: match-feature '%s' missing for %d hits; their score is 0",
                            name, int(absent.sum()))
                missing |= absent
            features[name] = _column(values)
        return missing

    def _run_model(self, setup: GlobalPhaseSetup, model_name: str, features: dict[str, object], rows: int,
                   trace: list[str]) -> None:
        model = next(u.model for u in setup.onnx if u.model.name == model_name)
        settings = self.model_settings(model)
        runner = self._load_model(settings)
        inputs = {onnx_name: batched_input(source.evaluate(features, rows), rows)
                  for onnx_name, source in setup.onnx_inputs[model_name]}
        batch_size = runner.batch_size(settings.batch_size)  # the block's, else by the provider used
        started = time.perf_counter()
        outputs = runner.run(inputs, batch_size)
        trace.append(f"onnx model {model_name}: {rows} hits on {runner.provider}, batch size "
                     f"{batch_size}, {1000 * (time.perf_counter() - started):.1f} ms")
        for use in setup.onnx:
            if use.model.name == model_name:
                features[use.feature] = output_value(outputs[output_name(use.model, use.output, runner.outputs)], rows)

    def model_settings(self, model: OnnxModel) -> OnnxSettings:
        """The block's settings; its gpu-device wins over PHASEDSEARCH_GPU_DEVICE, and a block
        without batch-size leaves it to the provider the session comes up with."""
        path = Path(model.file)
        if not path.is_absolute():
            path = Path(self.application.path) / path
        gpu_device = model.gpu_device if model.gpu_device is not None else self.default_gpu_device
        return OnnxSettings(str(path), gpu_device, model.intraop_threads, model.interop_threads,
                            model.execution_mode, model.batch_size)


def _rescored(hit: LeanHit, score: float, hidden: Sequence[str]) -> LeanHit:
    shown = {k: v for k, v in hit.match_features.items() if k not in hidden} if hidden else hit.match_features
    return replace(hit, relevance=float(score), match_features=shown)


def _column(values: list) -> object:
    present = next((v for v in values if v is not None), None)
    if isinstance(present, Tensor):
        if present.type.is_dense:
            zeros = np.zeros(present.type.dense_shape)
            return TensorBatch.dense(present.type, np.stack(
                [v.dense_values if v is not None else zeros for v in values]))
        empty = Tensor.from_cells(present.type, [])
        return TensorBatch(present.type, rows=[v if v is not None else empty for v in values])
    return np.array([float(v) if v is not None else 0.0 for v in values], dtype=np.float64)


def _normalize(use, features: Mapping[str, object], rows: int) -> np.ndarray:
    columns = [np.asarray(c.evaluate(features, rows), dtype=np.float64) for c in use.inputs]
    if use.kind == "normalize_linear":
        return N.normalize_linear(columns[0])
    if use.kind == "reciprocal_rank":
        return N.reciprocal_rank(columns[0], use.k)
    return N.reciprocal_rank_fusion(columns)


def check_sorting(ranker: GlobalPhaseRanker, query) -> None:
    """Sorting is allowed with a global phase only in the rank order (absent, or relevance descending)."""
    if is_rank_order(query.sorting):
        return
    if any(ranker.rerank_count(s, query.profile, query.global_phase_rerank_count) for s in query.schemas):
        raise QueryError("Sorting is not supported with global phase")


def hits_to_fetch(ranker: GlobalPhaseRanker, query, schema: str, wanted: int) -> int:
    """max(offset + hits, rerankCount): the nodes must return enough hits to rerank."""
    return max(wanted, ranker.rerank_count(schema, query.profile, query.global_phase_rerank_count))

