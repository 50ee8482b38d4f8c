"""Which declared query inputs a query must give (issue 22): the one rule, checked by the container
when it plans a query, before anything is embedded or any content node is asked.

Vespa ranks an input the query leaves out as its default, else 0 or an empty tensor of its type.
That silently ranks by nothing when the input is the query's embedding (a text query on a dense
profile: every closeness 0, hits in document order). So here, when the profile's first, second or
global phase reads them (as the expression compiler binds them: functions inlined, the sources of
the ONNX models and normalizers they call included; match- and summary-features only report, so
they do not count), a query is a 400 naming the profile that
- leaves out a declared TENSOR input without a default that a phase names as `query(x)`, or
- has no nearestNeighbor over a field `f` whose `closeness(field, f)` / `distance(field, f)` a
  phase reads, when a declared tensor input without a default has `f`'s vector type (its indexed
  dimensions): the closeness is then 0 for every hit whether or not that input is given, so the
  advice is to add nearestNeighbor(f, x).
Scalar inputs keep Vespa's 0 (boosts and weights rely on it), and so does everything when the
profile's or the query's rank property `phasedsearch.missingInputs` is `default`
(`rank-properties { phasedsearch.missingInputs: default }` or
`ranking.properties.phasedsearch.missingInputs=default`; any other value keeps the 400). A default
in `inputs`, or the input in the query, opts out for one input. A read under an `if` counts as a
read (the rule does not evaluate conditions): such a profile opts out.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, Iterator, Mapping

from searchlib.errors import ExpressionError, SchemaError
from searchlib.expression import ast as A
from searchlib.expression import compile_expression, parse_expression
from searchlib.models.onnx_graph import onnx_input_names
from searchlib.schema.feature_types import NORMALIZERS, ONNX_FEATURES
from searchlib.schema.model import ApplicationPackage, RankProfile, Schema
from searchlib.schema.package_paths import confined_path
from searchlib.tensor import TensorType

MISSING_INPUTS = "phasedsearch.missingInputs"  # "default": Vespa's default values, never a 400
_VECTOR_FEATURES = frozenset({"closeness", "distance"})


@dataclass(frozen=True, slots=True)
class InputRead:
    feature: str  # "query(q)"
    via: str  # what reads it: "query(q)", "closeness(field,embedding)" or "distance(field,embedding)"
    field: str | None = None  # via a closeness over this field: a 400 without a nearestNeighbor over it


def inputs_read(application: ApplicationPackage, schema: Schema, profile: RankProfile) -> tuple[InputRead, ...]:
    """The declared tensor inputs without a default that the profile's phases read, once per
    package generation."""
    reads = _READS_BY_GENERATION.get(application.generation)
    if reads is None:
        if len(_READS_BY_GENERATION) > 8:  # earlier deployments' packages: let them go
            _READS_BY_GENERATION.clear()
        reads = _READS_BY_GENERATION[application.generation] = {}
    key = (schema.name, profile.name)
    found = reads.get(key)
    if found is None:
        found = reads[key] = _inputs_read(application.path, schema, profile)
    return found


_READS_BY_GENERATION: dict[str, dict[tuple[str, str], tuple[InputRead, ...]]] = {}


def missing_input(application: ApplicationPackage, schema: Schema, profile: RankProfile, given: Collection[str],
                  nearest_neighbor_fields: Collection[str], query_properties: Mapping[str, str]) -> str | None:
    """The message of the 400 for the first input read the query does not give, else None.
    (Every quoted part stays short: the HTTP edge's shorten_quotes cuts long ones.)"""
    reads = inputs_read(application, schema, profile)
    if not reads or _opted_out(profile.rank_properties, query_properties):
        return None
    opt_out = f"or opt out with ranking.properties.{MISSING_INPUTS}=default"
    for read in reads:
        if read.field is None and read.feature not in given:
            return (f"Rank profile '{profile.name}' reads the query input '{read.feature}', which the query does "
                    f"not give and which has no default (Vespa would rank with an empty tensor): set "
                    f"input.{read.feature}=..., use a query profile that does, {opt_out}")
        if read.field is not None and read.field not in nearest_neighbor_fields:
            name = read.feature[len("query("):-1]
            return (f"Rank profile '{profile.name}' reads {read.via}, the same for every hit without a "
                    f"nearestNeighbor over '{read.field}' in the query, whether or not '{read.feature}' is "
                    f"given: add nearestNeighbor({read.field}, {name}) with input.{read.feature}=..., "
                    f"use a query profile that does, {opt_out}")
    return None


def _opted_out(profile_properties: Mapping[str, str], query_properties: Mapping[str, str]) -> bool:
    value = query_properties.get(MISSING_INPUTS, profile_properties.get(MISSING_INPUTS, "error"))
    return str(value).strip().lower() == "default"


def _inputs_read(package_path: str, schema: Schema, profile: RankProfile) -> tuple[InputRead, ...]:
    required = {_feature(spec.name): spec for spec in profile.inputs.values()
                if spec.default is None and spec.type_spec.startswith("tensor")}
    if not required:
        return ()
    found: dict[str, InputRead] = {}
    for name, node in _phase_features(package_path, profile):
        if node.name == "query" and name in required:
            found.setdefault(name, InputRead(name, name))
        elif node.name in _VECTOR_FEATURES and not node.output:
            field = _vector_field([A.to_text(arg) for arg in node.args])
            vectors = _vector_dimensions(schema, field)
            fitting = [feature for feature, spec in required.items() if _dimensions(spec.type_spec) == vectors]
            if fitting and f"field:{field}" not in found:
                found[f"field:{field}"] = InputRead(fitting[0], name, field)
    return tuple(sorted(found.values(), key=lambda read: read.field is not None))  # a missing input first


def _phase_features(package_path: str, profile: RankProfile) -> Iterator[tuple[str, A.Feature]]:
    """Every feature the phases read as the compiler binds them (functions inlined, canonical
    names), and those read by the sources of the ONNX models and normalizers they call."""
    constants = {name: 0.0 for name in profile.constants}  # values do not matter, only what is read

    def features(text: str) -> frozenset[str]:
        try:
            return compile_expression(text, functions=profile.functions, constants=constants).features
        except ExpressionError:  # the package loader accepted it; a node reports what it cannot bind
            return frozenset()

    pending = [features(phase.expression.text) for phase in (profile.first_phase, profile.second_phase,
                                                              profile.global_phase) if phase is not None]
    seen: set[str] = set()
    pending.reverse()  # first-phase first
    while pending:
        for name in sorted(pending.pop()):  # a stable order: the first missing input is the 400's
            if name in seen:
                continue
            seen.add(name)
            node = parse_expression(name)
            if not isinstance(node, A.Feature):
                continue
            yield name, node
            if node.name in NORMALIZERS:
                pending.extend(features(A.to_text(arg)) for arg in node.args)
            elif node.name in ONNX_FEATURES and node.args:
                pending.extend(features(source) for source in _onnx_sources(package_path, profile, node))


def _onnx_sources(package_path: str, profile: RankProfile, node: A.Feature) -> list[str]:
    """The model's `input` sources; without `input` lines its own input names, which read the
    profile's functions named like them (content_node/ranking/onnx_features.py)."""
    model = profile.onnx_models.get(A.to_text(node.args[0]).strip("\"'"))
    if model is None:
        return []
    if model.inputs:
        return [source.strip("\"'") for _, source in model.inputs]
    try:
        path = confined_path(package_path, model.file, model.location, f"onnx-model '{model.name}'")
    except SchemaError:
        return []
    return [name for name in onnx_input_names(str(path)) if name in profile.functions]


def _vector_field(args: list[str]) -> str | None:
    """`closeness(field, f)` and `closeness(f)` name field f; `closeness(label, l)` no field."""
    if len(args) == 2 and args[0] == "field":
        return args[1]
    return args[0] if len(args) == 1 else None


def _vector_dimensions(schema: Schema, field_name: str | None) -> tuple | None:
    field = schema.fields.get(field_name) if field_name is not None else None
    spec = str(getattr(field, "type", "")) if field is not None else ""
    if not spec.startswith("tensor"):
        return None
    return tuple(d for d in _dimensions(spec) if d[1] is not None)  # a mixed field's vectors: its indexed part


def _dimensions(type_spec: str) -> tuple:
    return tuple((d.name, d.size) for d in TensorType.parse(type_spec).dimensions)


def _feature(name: str) -> str:
    return name if "(" in name else f"query({name})"
