"""Which declared query inputs a query must give (issue 22): the one rule, used by the container
before any content node is asked.

Vespa ranks an input the query leaves out as its default, else 0 or an empty tensor of its type.
That silently ranks by nothing when the input is the query's embedding (a text query on a dense
profile: every closeness 0, hits in document order). So here a declared TENSOR input with no
default that the query does not give is a 400 naming it and the profile when the profile's ranking
reads it:
- its first, second or global phase names `query(x)`, directly, through the functions it calls
  or through the inputs of the ONNX models it calls (match- and summary-features only report, so
  they do not count), or
- a phase reads `closeness(field, f)` / `distance(field, f)` while the query has no nearestNeighbor
  over `f`, and `query(x)`'s type is that of `f`'s vectors (its indexed dimensions): the input a
  nearestNeighbor over `f` would read, so the closeness is 0 for every hit (with several inputs of
  that type, any one given will do).
Scalar inputs keep Vespa's 0 (boosts and weights rely on it), and so does everything when the
profile's or the query's rank property `phasedsearch.missingInputs` is `default`
(`rank-properties { phasedsearch.missingInputs: default }` or
`ranking.properties.phasedsearch.missingInputs=default`). A default in `inputs`, or the input in
the query, opts out for one input.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Collection, Mapping

from searchlib.schema.model import RankProfile, Schema
from searchlib.tensor import TensorType

MISSING_INPUTS = "phasedsearch.missingInputs"  # "default": Vespa's default values, never a 400

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_QUERY = re.compile(r"\bquery\s*\(\s*([A-Za-z_][\w.$-]*)\s*\)")
_VECTOR_FEATURE = re.compile(r"\b(?:closeness|distance)\s*\(\s*(?:field\s*,\s*)?([A-Za-z_]\w*)\s*\)")
_ONNX = re.compile(r"\bonnx(?:Model)?\s*\(\s*\"?([\w.-]+)\"?\s*\)")


@dataclass(frozen=True, slots=True)
class InputRead:
    feature: str  # "query(q)"
    via: str  # what reads it: "query(q)" or "closeness(field,embedding)"
    field: str | None = None  # via a closeness over this field: read only with no nearestNeighbor over it
    alternatives: tuple[str, ...] = ()  # other inputs of the field's vector type: any one given will do


def inputs_read(profile: RankProfile, schema: Schema) -> tuple[InputRead, ...]:
    """The declared tensor inputs without a default that the profile's phases read (cached)."""
    key = (id(profile), id(schema))
    cached = _CACHE.get(key)
    if cached is not None and cached[0] is profile and cached[1] is schema:
        return cached[2]
    found = _inputs_read(profile, schema)
    if len(_CACHE) >= _CACHE_SIZE:  # earlier deployments' profiles: let them go
        _CACHE.clear()
    _CACHE[key] = (profile, schema, found)
    return found


_CACHE: dict[tuple[int, int], tuple[RankProfile, Schema, tuple[InputRead, ...]]] = {}
_CACHE_SIZE = 1024


def _inputs_read(profile: RankProfile, schema: Schema) -> tuple[InputRead, ...]:
    required = {_feature(spec.name): spec for spec in profile.inputs.values()
                if spec.default is None and spec.type_spec.startswith("tensor")}
    if not required:
        return ()
    text = "\n".join(_reached_texts(profile))
    found: dict[str, InputRead] = {}
    for name in _QUERY.findall(text):
        feature = f"query({name})"
        if feature in required:
            found.setdefault(feature, InputRead(feature, feature))
    for field_name in dict.fromkeys(_VECTOR_FEATURE.findall(text)):
        vectors = _vector_dimensions(schema, field_name)
        fitting = [feature for feature, spec in required.items()
                   if vectors is not None and _dimensions(spec.type_spec) == vectors]
        if fitting and not any(feature in found for feature in fitting):
            found[fitting[0]] = InputRead(fitting[0], f"closeness(field,{field_name})", field_name, tuple(fitting[1:]))
    return tuple(found.values())


def missing_input(profile: RankProfile, schema: Schema, given: Collection[str],
                  nearest_neighbor_fields: Collection[str], query_properties: Mapping[str, str]) -> str | None:
    """The message of the 400 for the first input the query must give and does not, else None."""
    reads = inputs_read(profile, schema)
    if not reads or _opted_out(profile.rank_properties, query_properties):
        return None
    for read in reads:
        if read.feature in given or any(feature in given for feature in read.alternatives) or \
                read.field in nearest_neighbor_fields:
            continue
        how = "" if read.field is None else f" (through {read.via}, and the query has no nearestNeighbor over {read.field})"
        return (f"Rank profile '{profile.name}' reads the query input '{read.feature}'{how}, which the query "
                f"does not give and which has no default: set input.{read.feature}=..., use a query profile "
                f"that does, or ranking.properties.{MISSING_INPUTS}=default for Vespa's empty value")
    return None


def _opted_out(profile_properties: Mapping[str, str], query_properties: Mapping[str, str]) -> bool:
    value = query_properties.get(MISSING_INPUTS, profile_properties.get(MISSING_INPUTS, "error"))
    return str(value).strip().lower() == "default"


def _reached_texts(profile: RankProfile) -> list[str]:
    """The phases' expressions and every function and ONNX input source they reach, by name (an
    over-approximation: a function named in a branch never taken still counts)."""
    pending = [phase.expression.text for phase in (profile.first_phase, profile.second_phase, profile.global_phase)
               if phase is not None]
    texts, seen = [], set()
    while pending:
        text = pending.pop()
        texts.append(text)
        for model in _ONNX.findall(text):
            if model in profile.onnx_models and f"onnx:{model}" not in seen:
                seen.add(f"onnx:{model}")
                pending.extend(source for _, source in profile.onnx_models[model].inputs)
        for word in _WORD.findall(text):
            if word in profile.functions and word not in seen:
                seen.add(word)
                pending.append(profile.functions[word].expression.text)
    return texts


def _vector_dimensions(schema: Schema, field_name: str) -> tuple | None:
    field = schema.fields.get(field_name)
    spec = str(getattr(field, "type", "")) if field is not None else ""
    if not spec.startswith("tensor"):
        return None
    return tuple(d for d in _dimensions(spec) if d[1] is not None)  # a mixed field's vectors: its indexed part


def _dimensions(type_spec: str) -> tuple:
    return tuple((d.name, d.size) for d in TensorType.parse(type_spec).dimensions)


def _feature(name: str) -> str:
    return name if "(" in name else f"query({name})"
