"""Rank-profile inheritance, flattened: every resolved RankProfile holds what it inherited.

Rules (Vespa): an element the child does not define comes from its parents; two parents that
define the same element differently is an error; match-/summary-features are replaced by the
child's list unless written as `match-features inherits p { ... }`. A profile that names no parent
inherits nothing (Vespa: a user-defined `default` replaces the built-in one and is not inherited
implicitly). `p inherits p` names the inherited schema's `p` (Vespa's RankProfile
resolveInheritedProfile), or for `default`/`unranked` the built-in profile. Schema-level constants
and onnx-models are visible in every profile unless a profile defines its own with the same name.
"""
from __future__ import annotations

import logging

from dataclasses import replace
from types import MappingProxyType
from typing import Mapping

from searchlib.errors import SchemaError, SourceLocation
from searchlib.java_numbers import parse_double
from searchlib.rank_properties import rank_property_problem
from searchlib.schema.match_phase import diversity_of, match_phase_of
from searchlib.schema.model import (
    ELEMENT_GAP,
    NOWHERE,
    Expression,
    Field,
    OnnxModel,
    RankConstant,
    RankPhase,
    RankProfile,
)
from searchlib.schema.syntax import FeatureListDecl, PhaseDecl, RankProfileDecl

log = logging.getLogger(__name__)

_PHASE_ATTRS = {"first-phase": "first_phase", "second-phase": "second_phase", "global-phase": "global_phase"}
# Vespa's profile-level `rerank-count:` / `keep-rank-count:` set the same counts as the phase blocks
_TOP_LEVEL_COUNTS = {("second-phase", "rerank_count"): "rerank-count", ("first-phase", "keep_rank_count"): "keep-rank-count"}
_NUMERIC_KINDS = ("int", "long", "float", "double", "byte")


def resolve_profiles(
    decls: list[RankProfileDecl],
    fields: Mapping[str, Field],
    schema_constants: Mapping[str, RankConstant],
    schema_onnx_models: Mapping[str, OnnxModel],
    schema_name: str,
    parent_profiles: Mapping[str, RankProfile] | None = None,
) -> dict[str, RankProfile]:
    """`parent_profiles`: the compiled profiles of the schema this one inherits (for `p inherits p`)."""
    by_name: dict[str, RankProfileDecl] = {}
    for decl in decls:
        if decl.name in by_name:
            raise SchemaError(f"duplicate rank-profile '{decl.name}' in schema '{schema_name}' "
                              f"(first defined at {by_name[decl.name].location})", decl.location)
        by_name[decl.name] = decl
    base = RankProfile("", constants=MappingProxyType(dict(schema_constants)),
                       onnx_models=MappingProxyType(dict(schema_onnx_models)))
    builtins = {"default": _with_base(RankProfile("default"), base),
                "unranked": _with_base(RankProfile("unranked", first_phase=RankPhase(Expression("0"))), base)}
    shadowed = {**builtins, **(parent_profiles or {})}
    resolver = _Resolver(by_name, fields, base, shadowed)
    resolved: dict[str, RankProfile] = {name: p for name, p in builtins.items() if name not in by_name}
    resolver.resolved.update(resolved)
    for decl in decls:
        resolved[decl.name] = resolver.resolve(decl.name, ())
    return resolved


def _with_base(profile: RankProfile, base: RankProfile) -> RankProfile:
    return replace(profile, constants=base.constants, onnx_models=base.onnx_models)


class _Resolver:
    def __init__(self, decls: dict[str, RankProfileDecl], fields: Mapping[str, Field], base: RankProfile,
                 shadowed: Mapping[str, RankProfile]) -> None:
        self.decls = decls
        self.shadowed = shadowed  # what `p inherits p` names: the parent schema's or the built-in p
        self.fields = fields
        self.base = base
        self.resolved: dict[str, RankProfile] = {}

    def resolve(self, name: str, chain: tuple[str, ...]) -> RankProfile:
        if name in self.resolved:
            return self.resolved[name]
        decl = self.decls[name]
        if name in chain:
            raise SchemaError(f"rank-profile inheritance cycle: {' -> '.join(chain + (name,))}", decl.location)
        parents = []
        for ref in decl.inherits:
            if ref.name == name:
                if name not in self.shadowed:
                    raise SchemaError(f"rank-profile '{name}' cannot inherit itself", ref.location)
                parents.append(self.shadowed[name])
                continue
            if ref.name not in self.decls and ref.name not in self.resolved:
                raise SchemaError(f"rank-profile '{name}' inherits unknown rank-profile '{ref.name}'", ref.location)
            parents.append(self.resolve(ref.name, chain + (name,)))
        profile = self._flatten(decl, parents or [self.base])
        _validate(profile, decl, self.fields)
        self.resolved[name] = profile
        return profile

    def _flatten(self, decl: RankProfileDecl, parents: list[RankProfile]) -> RankProfile:
        where = decl.inherits[0].location if decl.inherits else decl.location

        def merged(attr: str, own: Mapping, kind: str) -> Mapping:
            result: dict = {}  # parents already carry the schema-level constants and models
            seen: dict[str, str] = {}
            for parent in parents:
                for key, value in getattr(parent, attr).items():
                    if key in seen and result[key] != value and key not in own:
                        raise SchemaError(f"rank-profile '{decl.name}' inherits {kind} '{key}' from both "
                                          f"'{seen[key]}' and '{parent.name}'", where)
                    result[key] = value
                    seen.setdefault(key, parent.name)
            result.update(own)
            return MappingProxyType(result)

        phases = {attr: self._phase(decl, keyword, parents, where) for keyword, attr in _PHASE_ATTRS.items()}
        phase_counts = {keyword: phases[attr] for keyword, attr in _PHASE_ATTRS.items()
                        if phases[attr] is not None and phases[attr].expression is None}
        phases.update((_PHASE_ATTRS[keyword], None) for keyword in phase_counts)
        settings = {}
        field_rank = {}
        rank_properties = {}
        mutate = {}
        for parent in parents:
            settings.update(parent.settings)
            field_rank.update(parent.field_rank)
            rank_properties.update(parent.rank_properties)
            mutate.update(parent.mutate)
        settings.update(decl.settings)
        # `rank none: filter` on a name that is no field: Vespa derives nothing from it (its
        # rankprofiles test); kept out of the profile, with a warning (_validate)
        field_rank.update((name, value) for name, value in decl.field_rank.items() if name in self.fields)
        rank_properties.update(decl.rank_properties)
        mutate.update(decl.mutate)
        strict = decl.strict if decl.strict is not None else any(parent.strict for parent in parents)
        threads = decl.num_threads_per_search
        if threads is None:
            threads = next((p.num_threads_per_search for p in parents if p.num_threads_per_search), None)
        return RankProfile(
            name=decl.name,
            inherits=tuple(ref.name for ref in decl.inherits),
            functions=merged("functions", decl.functions, "function"),
            inputs=merged("inputs", decl.inputs, "input"),
            constants=merged("constants", decl.constants, "constant"),
            onnx_models=merged("onnx_models", decl.onnx_models, "onnx-model"),
            match_features=self._features(decl, decl.match_features, "match_features", parents),
            summary_features=self._features(decl, decl.summary_features, "summary_features", parents),
            rank_properties=MappingProxyType(rank_properties),
            mutate=MappingProxyType(mutate),
            strict=strict,
            location=decl.location,
            num_threads_per_search=threads,
            ignore_default_rank_features=decl.ignore_default_rank_features
            or any(p.ignore_default_rank_features for p in parents),
            rank_features=tuple(decl.rank_features) or _unique(f for p in parents for f in p.rank_features),
            field_rank=MappingProxyType(field_rank),
            settings=MappingProxyType(settings),
            phase_counts=MappingProxyType(phase_counts),
            **phases,
        )

    def _phase(self, decl: RankProfileDecl, keyword: str, parents: list[RankProfile],
               where: SourceLocation) -> RankPhase | None:
        own: PhaseDecl | None = decl.phases.get(keyword)
        inherited = [getattr(p, _PHASE_ATTRS[keyword]) or p.phase_counts.get(keyword) for p in parents]
        inherited = [phase for phase in inherited if phase is not None]
        values = {}
        for attr in ("expression", "rerank_count", "keep_rank_count", "rank_score_drop_limit",
                     "total_rerank_count", "total_keep_rank_count"):
            value = getattr(own, attr) if own is not None else None
            top_level = _TOP_LEVEL_COUNTS.get((keyword, attr))
            if value is None and top_level in decl.settings:  # `rerank-count: 10` in the profile itself
                value = int(decl.settings[top_level])
            if value is None:
                candidates = {getattr(phase, attr) for phase in inherited} - {None}
                if len(candidates) > 1:
                    raise SchemaError(f"rank-profile '{decl.name}' inherits different {keyword} "
                                      f"{attr.replace('_', '-')} values from its parents", where)
                value = candidates.pop() if candidates else None
            values[attr] = value
        if own is not None and own.expression is not None and not own.expression.text:
            raise SchemaError(f"empty expression in {keyword} of rank-profile '{decl.name}'",
                              own.expression.location)
        if values["expression"] is None:
            if own is None and not inherited:
                return None
            counts = [attr for attr, value in values.items() if attr != "expression" and value is not None]
            if keyword != "first-phase" and not counts:
                raise SchemaError(f"{keyword} of rank-profile '{decl.name}' has neither an expression nor counts",
                                  own.location if own is not None else where)
        for per_node in ("rerank_count", "keep_rank_count"):  # as Vespa's RankProfileValidator
            if values[per_node] is not None and values[f"total_{per_node}"] is not None:
                raise SchemaError(f"{keyword} of rank-profile '{decl.name}': cannot set or inherit both "
                                  f"{per_node.replace('_', '-')} and total-{per_node.replace('_', '-')}",
                                  own.location if own is not None else where)
        for attr in ("rerank_count", "keep_rank_count", "total_rerank_count", "total_keep_rank_count"):
            if values[attr] is not None and values[attr] < 0:
                raise SchemaError(f"{attr.replace('_', '-')} of rank-profile '{decl.name}' must not be negative",
                                  own.location if own is not None else where)
        if values["expression"] is None and keyword == "first-phase":
            # first-phase settings without an expression keep nativeRank: Vespa's default
            values["expression"] = Expression("nativeRank", NOWHERE)
        return RankPhase(**values)  # a later phase without an expression: counts only (_flatten)

    def _features(self, decl: RankProfileDecl, own: FeatureListDecl | None, attr: str,
                  parents: list[RankProfile]) -> tuple[str, ...]:
        if own is None:
            return _unique(f for parent in parents for f in getattr(parent, attr))
        inherited: list[str] = []
        for ref in own.inherits:
            if ref.name not in {parent.name for parent in decl.inherits}:
                raise SchemaError(f"{attr.replace('_', '-')} of rank-profile '{decl.name}' inherits from "
                                  f"'{ref.name}', which the profile does not inherit", ref.location)
            inherited.extend(getattr(next(p for p in parents if p.name == ref.name), attr))
        return _unique([*inherited, *own.features])


def _unique(items) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _validate(profile: RankProfile, decl: RankProfileDecl, fields: Mapping[str, Field]) -> None:
    for name, function in decl.functions.items():
        if not function.expression.text:
            raise SchemaError(f"empty expression in function '{name}' of rank-profile '{profile.name}'",
                              function.expression.location)
    for attr, listed in (("match-features", profile.match_features), ("summary-features", profile.summary_features)):
        for feature in listed:
            function = profile.functions.get(feature.removesuffix("()"))
            if function is not None and function.parameters:
                location = getattr(decl, attr.replace("-", "_")).location if getattr(
                    decl, attr.replace("-", "_")) else decl.location
                raise SchemaError(f"{attr} of rank-profile '{profile.name}' lists function '{function.name}', "
                                  "which takes parameters: only functions without parameters can be features",
                                  location)
    for phase, operations in decl.mutate.items():
        location = decl.mutate_locations[phase]
        for operation in operations:
            target = fields.get(operation.attribute)
            if target is None:
                raise SchemaError(f"mutate {phase} in rank-profile '{profile.name}' names unknown attribute "
                                  f"'{operation.attribute}'", location)
            if not target.is_mutable:
                raise SchemaError(f"mutate {phase} in rank-profile '{profile.name}': field '{operation.attribute}' "
                                  "is not a mutable attribute (add `attribute: mutable`)", location)
    for field_name in decl.field_rank:
        if field_name not in fields:
            log.warning("%s: rank-profile '%s' sets rank of '%s', which is no field: ignored, as Vespa does",
                        decl.location, profile.name, field_name)
    _check_settings(decl)
    for key, location in decl.setting_locations.items():
        if key.startswith("vespa.fieldweight.") and key[18:] not in fields:
            raise SchemaError(f"rank-profile '{profile.name}' sets the weight of unknown field '{key[18:]}'", location)
        if key.startswith(ELEMENT_GAP):
            field = fields.get(key[len(ELEMENT_GAP):])
            if field is None or not field.is_index or field.type.kind not in ("array", "weightedset"):
                raise SchemaError(f"rank-profile '{profile.name}' sets the element-gap of '{key[len(ELEMENT_GAP):]}'"
                                  f", which is no indexed array or weighted set", location)
    match_phase_of(profile.settings, fields, profile.name, decl.location)  # refused at load, not at query time
    diversity_of(profile.settings, fields, profile.name, decl.location)
    if profile.num_threads_per_search is not None and profile.num_threads_per_search < 1:
        raise SchemaError(f"num-threads-per-search of rank-profile '{profile.name}' must be at least 1",
                          decl.location)


# Profile settings that would change which documents match or how they rank, and that this engine
# does not implement: refused where written rather than parsed and ignored.
_NOT_SUPPORTED_SETTINGS = {
    "second-phase-rerank-count": "not Vespa syntax: use rerank-count in second-phase",
    "global-phase-rerank-count": "not Vespa syntax: use rerank-count in global-phase",
}
# Tuning that changes only the work done (threads, partitions, HNSW filter strategy): no effect here,
# where nearestNeighbor always searches the HNSW graph restricted to the filter (or scans exactly).
_NO_EFFECT_SETTINGS = frozenset({
    "min-hits-per-thread", "num-search-partitions", "termwise-limit", "post-filter-threshold",
    "filter-first-threshold", "filter-first-exploration", "exploration-slack", "target-hits-max-adjustment-factor",
})


def _check_settings(decl: RankProfileDecl) -> None:
    for key, value in decl.rank_properties.items():  # a table or number a rank feature cannot use
        problem = rank_property_problem(key, value)
        if problem is not None:
            raise SchemaError(f"rank-properties of rank-profile '{decl.name}': {problem}",
                              decl.setting_locations.get(key, decl.location))
    for key, value in decl.settings.items():
        location = decl.setting_locations.get(key, decl.location)
        why = _NOT_SUPPORTED_SETTINGS.get(key)
        if key == "significance.use-model" and value.strip().lower() not in ("true", "false"):
            raise SchemaError(f"significance.use-model in rank-profile '{decl.name}' must be true or false, "
                              f"not '{value}'", location)
        if why is not None:
            raise SchemaError(f"not supported: {key} in rank-profile '{decl.name}' ({why})", location)
        # rates read by content_node/matching/weakand_stopwords.py and filter_threshold.py
        if key in ("weakand.stopword-limit", "weakand.adjust-target", "filter-threshold"):
            try:
                rate = parse_double(value)
            except ValueError:
                rate = -1.0
            if not 0.0 <= rate <= 1.0:
                raise SchemaError(f"{key} in rank-profile '{decl.name}' must be a number in [0, 1], not "
                                  f"'{value}'", location)
        if key == "weakand.allow-drop-all" and value.strip().lower() not in ("true", "false", "on", "off"):
            raise SchemaError(f"weakand.allow-drop-all in rank-profile '{decl.name}' must be true or false, "
                              f"not '{value}'", location)
        if key in _NO_EFFECT_SETTINGS:
            log.info("%s: %s in rank-profile '%s' has no effect in this engine (it tunes work, not results)",
                     location, key, decl.name)
