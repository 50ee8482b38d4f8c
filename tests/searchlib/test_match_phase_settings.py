"""`match-phase` and `diversity` in a rank profile: read into MatchPhase, refused with a location
when they cannot work."""
from __future__ import annotations

import pytest

from content_node.match_phase import diversity_settings, settings_of
from searchlib.errors import SchemaError
from searchlib.schema.application import application_from_text
from searchlib.schema.match_phase import Diversity, MatchPhase, query_overrides

FIELDS = """
        field title type string { indexing: index | summary }
        field popularity type int { indexing: attribute | summary }
        field category type string { indexing: attribute | summary }
        field tags type array<string> { indexing: attribute | summary }"""


def _schema(profile_body: str) -> str:
    return f"schema doc {{ document doc {{{FIELDS} }}\n    rank-profile limited {{\n{profile_body}\n    }}\n}}"


def _phase(profile_body: str):
    schema = application_from_text(_schema(profile_body), name="doc.sd").schemas["doc"]
    return settings_of(schema, schema.rank_profiles["limited"])


def test_match_phase_and_diversity_are_read() -> None:
    assert _phase("match-phase { attribute: popularity max-hits: 100 }") == MatchPhase("popularity", 100)
    phase = _phase("match-phase { attribute: popularity order: ascending max-hits: 5 max-filter-coverage: 0.5 }\n"
                   "diversity { attribute: category min-groups: 2 cutoff-factor: 3.5 cutoff-strategy: strict }")
    assert phase == MatchPhase("popularity", 5, True, 0.5, Diversity("category", 2, 3.5, True))
    assert _phase("first-phase { expression: 1 }") is None


def test_diversity_alone_picks_the_second_phase_candidates() -> None:
    body = "diversity { attribute: category min-groups: 4 }"
    schema = application_from_text(_schema(body), name="doc.sd").schemas["doc"]
    profile = schema.rank_profiles["limited"]
    assert settings_of(schema, profile) is None and diversity_settings(schema, profile) == Diversity("category", 4)


@pytest.mark.parametrize("body, message", [
    ("match-phase { attribute: title max-hits: 10 }", "'title' is not a single-value numeric attribute"),
    ("match-phase { attribute: category max-hits: 10 }", "'category' is not a single-value numeric attribute"),
    ("match-phase { attribute: popularity max-hits: 0 }", "max-hits of rank-profile 'limited' must be a number"),
    ("match-phase { attribute: popularity max-hits: 10 order: sideways }", "order must be ascending or descending"),
    ("match-phase { attribute: popularity max-hits: 10 max-filter-coverage: 2 }", "max-filter-coverage"),
    ("match-phase { attribute: popularity max-hits: 10 max-filter-coverage: nan }", "max-filter-coverage"),
    ("match-phase { attribute: popularity max-hits: 10 }\ndiversity { attribute: category min-groups: 2 "
     "cutoff-factor: inf }", "cutoff-factor of rank-profile 'limited' must be a number at least 1.0"),
    ("match-phase { max-hits: 10 }", "match-phase needs an attribute and one of max-hits and total-max-hits"),
    ("match-phase { attribute: popularity max-hits: 10 total-max-hits: 100 }",
     "needs an attribute and one of max-hits and total-max-hits"),
    ("match-phase { attribute: popularity total-max-hits: 0 }", "total-max-hits of rank-profile 'limited' must be"),
    ("diversity { attribute: title min-groups: 2 }", "'title' is not a single-value numeric or string attribute"),
    ("match-phase { attribute: popularity max-hits: 10 }\ndiversity { attribute: tags min-groups: 2 }",
     "'tags' is not a single-value numeric or string attribute"),
    ("match-phase { attribute: popularity max-hits: 10 }\ndiversity { attribute: category }", "needs an attribute and min-groups"),
])
def test_unworkable_settings_are_refused_at_load(body: str, message: str) -> None:
    with pytest.raises(SchemaError) as raised:
        application_from_text(_schema(body), name="doc.sd")
    assert message in raised.value.message
    assert raised.value.location is not None and raised.value.location.line == 6  # the rank-profile


def test_hit_estimation_settings_load_with_no_effect(caplog) -> None:
    """evaluation-point and pre-post-filter-tipping-point tune Vespa's estimate of the hit count;
    a node here counts exactly, so the limiter is the same with them (Vespa's rankprofiles test)."""
    caplog.set_level("INFO", logger="searchlib.schema.match_phase")
    assert _phase("match-phase { attribute: popularity max-hits: 800 evaluation-point: 0.7 "
                  "pre-post-filter-tipping-point: 3.4 }") == MatchPhase("popularity", 800)
    assert "evaluation-point in match-phase of rank-profile 'limited' has no effect" in caplog.text
    with pytest.raises(SchemaError, match="evaluation-point of rank-profile 'limited' must be a number"):
        _phase("match-phase { attribute: popularity max-hits: 800 evaluation-point: often }")
    assert _phase("match-phase { attribute: popularity total-max-hits: 800 }").total_max_hits == 800


def _overridden(profile_body: str, **params: str):
    schema = application_from_text(_schema(profile_body), name="doc.sd").schemas["doc"]
    overrides = query_overrides({f"ranking.matchPhase.{k.replace('_', '.')}": v for k, v in params.items()})
    profile = schema.rank_profiles["limited"]
    return settings_of(schema, profile, overrides), diversity_settings(schema, profile, overrides)


def test_the_query_overrides_each_setting_it_gives() -> None:
    body = ("match-phase { attribute: popularity max-hits: 10 diversity { attribute: category min-groups: 2 "
            "cutoff-strategy: strict } }")
    phase, diversity = _overridden(body, maxFilterCoverage="0.5", diversity_minGroups="5",
                                   diversity_cutoff_factor="2.5")
    assert phase == MatchPhase("popularity", 10, False, 0.5, Diversity("category", 5, 2.5, True))
    assert diversity == Diversity("category", 5, 2.5, True)  # the inner block's keys, overridden one by one
    phase, _ = _overridden("match-phase { attribute: popularity max-hits: 10 }", totalMaxHits="40")
    assert (phase.max_hits, phase.total_max_hits) == (None, 40)  # totalMaxHits replaces max-hits
    phase, diversity = _overridden("first-phase { expression: 1 }", diversity_attribute="popularity",
                                   diversity_minGroups="3", diversity_cutoff_strategy="strict")
    assert phase is None and diversity == Diversity("popularity", 3, 10.0, True)


@pytest.mark.parametrize("name, value, message", [
    ("maxFilterCoverage", "1.5", "ranking.matchPhase.maxFilterCoverage must be a number between 0.0 and 1.0"),
    ("diversity.minGroups", "2.5", "ranking.matchPhase.diversity.minGroups must be a number between 1 and"),
    ("diversity.cutoff.factor", "-inf", "ranking.matchPhase.diversity.cutoff.factor must be a number at least"),
    ("diversity.cutoff.strategy", "Strict", "ranking.matchPhase.diversity.cutoff.strategy must be loose or strict"),
])
def test_a_bad_query_value_names_its_parameter(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        query_overrides({f"ranking.matchPhase.{name}": value})
