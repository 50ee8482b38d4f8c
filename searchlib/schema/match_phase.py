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
from dataclasses import dataclass
from typing import Mapping

from searchlib.errors import SchemaError, SourceLocation
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


# the query's ranking.matchPhase.* (Vespa) that override the rank profile's match-phase settings
QUERY_OVERRIDES = {"ranking.matchPhase.maxHits": "match-phase.max-hits",
                   "ranking.matchPhase.attribute": "match-phase.attribute",
                   "ranking.matchPhase.ascending": "match-phase.order"}


def query_overrides(params: Mapping[str, str]) -> dict[str, str]:
    """The profile settings the query's ranking.matchPhase.* give (ValueError for a bad boolean;
    match_phase_of checks the rest, over the profile's settings: with_overrides)."""
    given = {QUERY_OVERRIDES[name]: value.strip() for name, value in params.items() if name in QUERY_OVERRIDES}
    if "match-phase.order" in given:
        ascending = given["match-phase.order"].lower()
        if ascending not in ("true", "false"):
            raise ValueError(f"ranking.matchPhase.ascending must be true or false, not '{ascending[:40]}'")
        given["match-phase.order"] = "ascending" if ascending == "true" else "descending"
    return given


def with_overrides(settings: Mapping[str, str], overrides: Mapping[str, str]) -> Mapping[str, str]:
    """The profile's settings with the query's match-phase over them: the query's max-hits (per node,
    as Vespa's maxHits) replaces the profile's total-max-hits too."""
    if not overrides:
        return settings
    merged = {**settings, **overrides}
    if "match-phase.max-hits" in overrides:
        merged.pop("match-phase.total-max-hits", None)
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
            _number(given[estimation], estimation, where, location, float, 0.0)
            log.info("%s: %s in match-phase of %s has no effect here: the node counts its matches exactly",
                     location, estimation, where)
    if not given:  # diversity alone: before the second phase (diversity_of)
        _diversity(diversity, fields, where, location)
        return None
    if "attribute" not in given or ("max-hits" in given) == ("total-max-hits" in given):
        raise SchemaError(f"{where}: match-phase needs an attribute and one of max-hits and total-max-hits",
                          location)
    attribute = _attribute(given["attribute"], fields, f"match-phase of {where}", location, numeric=True)
    order = given.get("order", "descending")
    if order not in ("ascending", "descending"):
        raise SchemaError(f"match-phase of {where}: order must be ascending or descending, not '{order}'", location)
    counts = {key: _number(given[key], key, where, location, int, 1) if key in given else None
              for key in ("max-hits", "total-max-hits")}
    return MatchPhase(attribute, counts["max-hits"], order == "ascending",
                      _number(given.get("max-filter-coverage", str(DEFAULT_MAX_FILTER_COVERAGE)),
                              "max-filter-coverage", where, location, float, 0.0, 1.0),
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
    strategy = given.get("cutoff-strategy", "loose")
    if strategy not in ("loose", "strict"):
        raise SchemaError(f"diversity of {where}: cutoff-strategy must be loose or strict, not '{strategy}'", location)
    return Diversity(_attribute(given["attribute"], fields, f"diversity of {where}", location, numeric=False),
                     _number(given["min-groups"], "min-groups", where, location, int, 1),
                     _number(given.get("cutoff-factor", str(DEFAULT_CUTOFF_FACTOR)), "cutoff-factor", where,
                             location, float, 1.0),
                     strategy == "strict")


def _attribute(name: str, fields: Mapping[str, Field], what: str, location: SourceLocation, numeric: bool) -> str:
    field = fields.get(name)
    kinds = ("int", "long", "float", "double", "byte") if numeric else ("int", "long", "float", "double", "byte",
                                                                         "string")
    if field is None or not field.is_attribute or field.type.kind not in kinds:
        kind = "numeric" if numeric else "numeric or string"
        raise SchemaError(f"{what}: '{name}' is not a single-value {kind} attribute", location)
    return name


_LARGEST_COUNT = 2**31 - 1  # hit counts and group counts are 32-bit in Vespa's config


def _number(text: str, key: str, where: str, location: SourceLocation, kind, low: float, high: float | None = None):
    if kind is int and high is None:
        high = _LARGEST_COUNT
    try:
        value = kind(text.strip())
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise SchemaError(f"{key} of {where} must be a number {bound}, not '{text}'", location)
    return value
