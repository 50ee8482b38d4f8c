"""Where each global-phase input comes from (vespa-reference §8.3, GlobalPhaseSetup).

Pure and deterministic, so the content node (which must compute the hidden match-features) and
the container (which evaluates the global phase) derive the same answer from the same profile:

- `query(x)`: the query (or the declared default);
- constants: folded into the compiled expressions;
- `relevanceScore`: the hit's relevance after the merge;
- `normalize_linear(x)`, `reciprocal_rank(x[, k])`, `reciprocal_rank_fusion(a, b, ...)`:
  computed across the reranked hits from their inputs (classified the same way);
- `onnx(m)`, `onnx(m).out`, `onnxModel(m)...`: the profile's onnx-model `m`, evaluated in the
  container; its input sources are classified the same way;
- anything else (`attribute(tokens)`, `bm25(title)`, a function listed in match-features, ...):
  a document-side value that the content nodes ship with each hit as a match-feature, *hidden*
  from the rendered `matchfeatures` unless the profile lists it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from searchlib.expression import ast as A
from searchlib.expression import compile_expression
from searchlib.expression.api import CompiledExpression
from searchlib.expression.parser import parse_expression
from searchlib.schema.constants import load_constant_values
from searchlib.schema.model import OnnxModel, RankProfile

DEFAULT_GLOBAL_RERANK_COUNT = 100
NORMALIZER_NAMES = frozenset({"normalize_linear", "reciprocal_rank", "reciprocal_rank_fusion"})
ONNX_FEATURES = frozenset({"onnx", "onnxModel"})
RELEVANCE_SCORE = "relevanceScore"


@dataclass(frozen=True, slots=True)
class NormalizerUse:
    feature: str  # canonical name in the global-phase expression, e.g. normalize_linear(my_fn)
    kind: str  # normalize_linear | reciprocal_rank | reciprocal_rank_fusion
    inputs: tuple[CompiledExpression, ...]
    k: float = 60.0


@dataclass(frozen=True, slots=True)
class OnnxUse:
    feature: str  # e.g. onnx(cross_encoder) or onnx(cross_encoder).logits
    model: OnnxModel
    output: str  # "" = the first output, else an output alias or ONNX output name


@dataclass(frozen=True, slots=True)
class GlobalPhaseSetup:
    expression: CompiledExpression
    default_rerank_count: int
    drop_limit: float | None
    normalizers: tuple[NormalizerUse, ...]
    onnx: tuple[OnnxUse, ...]
    onnx_inputs: Mapping[str, tuple[tuple[str, CompiledExpression], ...]]  # model -> (onnx input, source)
    document_features: tuple[str, ...]  # shipped as match-features (visible or hidden)
    hidden_match_features: tuple[str, ...]  # the subset not listed in the profile's match-features
    query_features: tuple[str, ...]


def global_phase_setup(profile: RankProfile, package_path: str | Path | None = None) -> GlobalPhaseSetup | None:
    """None when the profile has no global phase. `package_path`: where `file:` constants are read."""
    phase = profile.global_phase
    if phase is None:
        return None
    constants = load_constant_values(profile, package_path)
    # Zero-argument functions listed in match-features are reused from the hits, not inlined.
    shipped = {name for name in profile.match_features if name in profile.functions
               and not profile.functions[name].parameters}
    functions = {n: f for n, f in profile.functions.items() if n not in shipped}

    def compile_text(text: str) -> CompiledExpression:
        return compile_expression(text, functions=functions, constants=constants,
                                  location=phase.expression.location)

    expression = compile_text(phase.expression.text)
    normalizers: list[NormalizerUse] = []
    onnx: list[OnnxUse] = []
    onnx_inputs: dict[str, tuple[tuple[str, CompiledExpression], ...]] = {}
    document: dict[str, None] = {}
    query: dict[str, None] = {}

    def classify(features: frozenset[str] | set[str]) -> None:
        for name in sorted(features):
            node = parse_expression(name)
            head = node.name if isinstance(node, A.Feature) else ""
            if name.startswith("query(") or name == RELEVANCE_SCORE:
                if name != RELEVANCE_SCORE:
                    query[name] = None
            elif head in NORMALIZER_NAMES:
                use = _normalizer(name, node, compile_text)
                normalizers.append(use)
                for compiled in use.inputs:
                    classify(compiled.features)
            elif head in ONNX_FEATURES:
                model_name = A.to_text(node.args[0]).strip("\"'") if node.args else ""
                model = profile.onnx_models.get(model_name)
                if model is None:
                    raise _error(f"Unknown onnx-model '{model_name}' in global-phase of '{profile.name}'")
                onnx.append(OnnxUse(name, model, node.output))
                if model_name not in onnx_inputs:
                    sources = tuple((onnx_name, compile_text(source)) for onnx_name, source in model.inputs)
                    onnx_inputs[model_name] = sources
                    for _, compiled in sources:
                        classify(compiled.features)
            else:
                document[name] = None

    classify(expression.features)
    hidden = tuple(n for n in document if n not in profile.match_features)
    rerank = phase.rerank_count if phase.rerank_count is not None else DEFAULT_GLOBAL_RERANK_COUNT
    return GlobalPhaseSetup(expression, rerank, phase.rank_score_drop_limit, tuple(normalizers), tuple(onnx),
                            onnx_inputs, tuple(document), hidden, tuple(query))


def hidden_match_features(profile: RankProfile, package_path: str | Path | None = None) -> tuple[str, ...]:
    """What the content nodes must add to the match-features of this profile's hits."""
    setup = global_phase_setup(profile, package_path)
    return setup.hidden_match_features if setup else ()


def _normalizer(name: str, node: A.Feature, compile_text) -> NormalizerUse:
    kind = node.name
    args = list(node.args)
    k = 60.0
    if kind == "reciprocal_rank":
        if len(args) == 2 and isinstance(args[1], A.Num):
            k = float(args.pop().value)
        if len(args) != 1:
            raise _error(f"reciprocal_rank takes one input and an optional k: '{name}'")
    elif kind == "reciprocal_rank_fusion":
        if len(args) < 2:
            raise _error(f"reciprocal_rank_fusion needs at least 2 inputs: '{name}'")
    elif len(args) != 1:
        raise _error(f"normalize_linear takes one input: '{name}'")
    return NormalizerUse(name, kind, tuple(compile_text(A.to_text(a)) for a in args), k)


def _error(message: str):
    from searchlib.errors import ExpressionError

    return ExpressionError(message)
