"""A rank profile's `match-phase` (and `diversity`) settings, validated: what the content node's
limiter needs (content_node/match_phase.py).

Vespa: when more documents match on a node than `max-hits`, only the `max-hits` with the highest
(`order: descending`, the default) or lowest values of a single-value numeric attribute are exposed
to first-phase ranking; a document without a value counts as 0. `diversity` keeps at least
`min-groups` values of another attribute among them; without match-phase, `diversity` picks the
second phase's `rerank-count` the same way from the first phase's order.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Mapping

from searchlib.errors import SchemaError, SourceLocation
from searchlib.java_numbers import parse_double, parse_long
from searchlib.schema.model import Field

log = logging.getLogger(__name__)

DEFAULT_MAX_FILTER_COVERAGE = 0.2
DEFAULT_CUTOFF_FACTOR = 10.0


@dataclass(frozen=True, slots=True)
class Diversity:
    attribute: str
    min_groups: int
    cutoff_factor: float = DEFAULT_CUTOFF_FACTOR
    strict: bool = False  # cutoff-strategy: strict | loose (default)


@dataclass(frozen=True, slots=True)
class MatchPhase:
    attribute: str
    max_hits: int | None  # per node; None with total-max-hits
    ascending: bool = False
    max_filter_coverage: float = DEFAULT_MAX_FILTER_COVERAGE
    diversity: Diversity | None = None
    # across the content nodes searched: each takes ceil(total / nodes) (searchlib.phase_counts)
    total_max_hits: int | None = None


# the query's ranking.matchPhase.* (Vespa) and the rank-profile settings they override
QUERY_OVERRIDES = {"ranking.matchPhase.maxHits": "match-phase.max-hits",
                   "ranking.matchPhase.totalMaxHits": "match-phase.total-max-hits",
                   "ranking.matchPhase.attribute": "match-phase.attribute",
                   "ranking.matchPhase.ascending": "match-phase.order",
                   "ranking.matchPhase.maxFilterCoverage": "match-phase.max-filter-coverage",
                   "ranking.matchPhase.diversity.attribute": "diversity.attribute",
                   "ranking.matchPhase.diversity.minGroups": "diversity.min-groups",
                   "ranking.matchPhase.diversity.cutoff.factor": "diversity.cutoff-factor",
                   "ranking.matchPhase.diversity.cutoff.strategy": "diversity.cutoff-strategy"}

_LARGEST_COUNT = 2**31 - 1  # hit counts and group counts are 32-bit in Vespa's config
# each numeric setting's type and bounds: the profile's and the query's values obey the same rule
# (read as Java's Long.parseLong / Double.parseDouble: no 1_0, full-width digits or inf)
_NUMBERS = {"max-hits": (parse_long, 1, _LARGEST_COUNT), "total-max-hits": (parse_long, 1, _LARGEST_COUNT),
            "min-groups": (parse_long, 1, _LARGEST_COUNT), "max-filter-coverage": (parse_double, 0.0, 1.0),
            "cutoff-factor": (parse_double, 1.0, None), "evaluation-point": (parse_double, 0.0, None),
            "pre-post-filter-tipping-point": (parse_double, 0.0, None)}
_CHOICES = {"order": ("ascending", "descending"), "cutoff-strategy": ("loose", "strict")}


def query_overrides(params: Mapping[str, str]) -> dict[str, str]:
    """The profile settings the query's ranking.matchPhase.* give; ValueError naming the parameter
    for a value the profile's setting would refuse (match_phase_of checks how they combine, over
    the profile's settings: with_overrides)."""
    given = {}
    for name, setting in QUERY_OVERRIDES.items():
        if name not in params:
            continue
        value = params[name].strip()
        if setting == "match-phase.order":
            if value.lower() not in ("true", "false"):
                raise ValueError(f"{name} must be true or false, not '{value[:40]}'")
            value = "ascending" if value.lower() == "true" else "descending"
        key = setting.rsplit(".", 1)[1]
        problem = number_problem(value, key) if key in _NUMBERS else choice_problem(value, key)
        if problem is not None:
            raise ValueError(f"{name} {problem}")
        given[setting] = value
    return given


def with_overrides(settings: Mapping[str, str], overrides: Mapping[str, str]) -> Mapping[str, str]:
    """The profile's settings with the query's match-phase over them: the query's max-hits (per node,
    as Vespa's maxHits) replaces the profile's total-max-hits and its totalMaxHits the max-hits; its
    diversity replaces the profile's, given in a `diversity` block or inside `match-phase`."""
    if not overrides:
        return settings
    merged = {**settings, **overrides}
    for count, other in (("max-hits", "total-max-hits"), ("total-max-hits", "max-hits")):
        if f"match-phase.{count}" in overrides and f"match-phase.{other}" not in overrides:
            merged.pop(f"match-phase.{other}", None)
    for key in overrides:
        if key.startswith("diversity."):
            merged.pop(f"match-phase.{key}", None)
    return merged


def match_phase_of(settings: Mapping[str, str], fields: Mapping[str, Field], profile: str,
                   location: SourceLocation) -> MatchPhase | None:
    """The profile's match-phase (None without one); SchemaError for what cannot work."""
    given = {k.removeprefix("match-phase."): v for k, v in settings.items() if k.startswith("match-phase.")}
    diversity = {k.removeprefix("diversity."): v for k, v in given.items() if k.startswith("diversity.")}
    diversity.update({k.removeprefix("diversity."): v for k, v in settings.items() if k.startswith("diversity.")})
    where = f"rank-profile '{profile}'"
    if not given and not diversity:
        return None
    for estimation in ("evaluation-point", "pre-post-filter-tipping-point"):
        # Vespa's limiter estimates the hit count from a sample (evaluation-point) and then picks a
        # pre- or post-filter strategy (the tipping point); a node here counts its matches exactly
        if estimation in given:
            _number(given[estimation], estimation, where, location)
            log.info("%s: %s in match-phase of %s has no effect here: the node counts its matches exactly",
                     location, estimation, where)
    if not given:  # diversity alone: before the second phase (diversity_of)
        _diversity(diversity, fields, where, location)
        return None
    if "attribute" not in given or ("max-hits" in given) == ("total-max-hits" in given):
        raise SchemaError(f"{where}: match-phase needs an attribute and one of max-hits and total-max-hits",
                          location)
    attribute = _attribute(given["attribute"], fields, f"match-phase of {where}", location, numeric=True)
    order = _choice(given.get("order", "descending"), "order", f"match-phase of {where}", location)
    counts = {key: _number(given[key], key, where, location) if key in given else None
              for key in ("max-hits", "total-max-hits")}
    return MatchPhase(attribute, counts["max-hits"], order == "ascending",
                      _number(given.get("max-filter-coverage", str(DEFAULT_MAX_FILTER_COVERAGE)),
                              "max-filter-coverage", where, location),
                      _diversity(diversity, fields, where, location) if diversity else None,
                      counts["total-max-hits"])


def diversity_of(settings: Mapping[str, str], fields: Mapping[str, Field], profile: str,
                 location: SourceLocation) -> Diversity | None:
    """The profile's diversity (None without one), which also picks the second phase's candidates."""
    given = {k.removeprefix("diversity."): v for k, v in settings.items() if k.startswith("diversity.")}
    given.update({k.removeprefix("match-phase.diversity."): v for k, v in settings.items()
                  if k.startswith("match-phase.diversity.")})
    return _diversity(given, fields, f"rank-profile '{profile}'", location) if given else None


def _diversity(given: Mapping[str, str], fields: Mapping[str, Field], where: str,
               location: SourceLocation) -> Diversity:
    if "attribute" not in given or "min-groups" not in given:
        raise SchemaError(f"diversity of {where} needs an attribute and min-groups", location)
    strategy = _choice(given.get("cutoff-strategy", "loose"), "cutoff-strategy", f"diversity of {where}", location)
    return Diversity(_attribute(given["attribute"], fields, f"diversity of {where}", location, numeric=False),
                     _number(given["min-groups"], "min-groups", where, location),
                     _number(given.get("cutoff-factor", str(DEFAULT_CUTOFF_FACTOR)), "cutoff-factor", where,
                             location),
                     strategy == "strict")


def attribute_problem(name: str, fields: Mapping[str, Field], numeric: bool) -> str | None:
    """Why `name` cannot order match-phase (`numeric`) or group diversity (None when it can)."""
    field = fields.get(name)
    kinds = ("int", "long", "float", "double", "byte") if numeric else ("int", "long", "float", "double", "byte",
                                                                         "string")
    if field is None or not field.is_attribute or field.type.kind not in kinds:
        return f"'{name}' is not a single-value {'numeric' if numeric else 'numeric or string'} attribute"
    return None


def _attribute(name: str, fields: Mapping[str, Field], what: str, location: SourceLocation, numeric: bool) -> str:
    problem = attribute_problem(name, fields, numeric)
    if problem is not None:
        raise SchemaError(f"{what}: {problem}", location)
    return name


def number_problem(text: str, key: str) -> str | None:
    """Why `text` is not a value of the numeric setting `key` (None when it is)."""
    kind, low, high = _NUMBERS[key]
    try:
        value = kind(text.strip())
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        return f"must be a number {bound}, not '{text[:40]}'"
    return None


def choice_problem(text: str, key: str) -> str | None:
    """Why `text` is not a value of `key` (None when it is, or `key` takes any text: an attribute)."""
    choices = _CHOICES.get(key)
    if choices is None or text in choices:
        return None
    return f"must be {' or '.join(choices)}, not '{text[:40]}'"


def _number(text: str, key: str, where: str, location: SourceLocation):
    problem = number_problem(text, key)
    if problem is not None:
        raise SchemaError(f"{key} of {where} {problem}", location)
    return _NUMBERS[key][0](text.strip())


def _choice(text: str, key: str, where: str, location: SourceLocation) -> str:
    problem = choice_problem(text, key)
    if problem is not None:
        raise SchemaError(f"{where}: {key} {problem}", location)
    return text
