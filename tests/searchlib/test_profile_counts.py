"""Rank-profile counts and settings: the profile-level `rerank-count:` and `keep-rank-count:` set the
same values as the phase blocks (Vespa's RankProfile); what this engine does not implement and would
change results (a significance model) is refused where written, a filter-threshold out of [0, 1] too;
tuning that changes only the work done loads with a logged "no effect". Cluster-wide totals are kept
and spread over the nodes searched (searchlib.phase_counts)."""
from __future__ import annotations

import pytest

from searchlib.errors import SchemaError
from searchlib.phase_counts import node_count, per_node_count
from searchlib.schema.application import application_from_text

SCHEMA = """schema s {{
  document s {{
    field t type string {{ indexing: index }}
  }}
  rank-profile base {{
    first-phase {{ expression: nativeRank }}
    second-phase {{ expression: 2 * firstPhase }}
  }}
  rank-profile p inherits base {{
{body}
  }}
}}
"""


def profile(body: str):
    return application_from_text(SCHEMA.format(body=body), name="s.sd").schemas["s"].rank_profiles["p"]


def test_profile_level_counts_are_the_phase_counts():
    p = profile("    rerank-count: 7\n    keep-rank-count: 300")
    assert (p.second_phase.rerank_count, p.first_phase.keep_rank_count) == (7, 300)
    # the phase block's own value wins; inherited values apply when neither is written
    p = profile("    rerank-count: 7\n    second-phase {\n      rerank-count: 9\n    }")
    assert p.second_phase.rerank_count == 9 and p.second_phase.expression.text == "2 * firstPhase"
    assert profile("").second_phase.rerank_count is None


def test_a_profile_level_count_must_be_an_integer():
    with pytest.raises(SchemaError, match="rerank-count") as raised:
        profile("    rerank-count: 2.5")
    assert (raised.value.location.line, raised.value.location.column) == (10, 5)


def test_cluster_wide_counts_are_kept_and_exclude_the_per_node_ones():
    p = profile("    second-phase {\n      total-rerank-count: 200\n    }\n"
                "    first-phase {\n      total-keep-rank-count: 2000\n    }")
    assert (p.second_phase.total_rerank_count, p.first_phase.total_keep_rank_count) == (200, 2000)
    assert p.second_phase.rerank_count is None
    with pytest.raises(SchemaError, match="cannot set or inherit both rerank-count and total-rerank-count"):
        profile("    rerank-count: 7\n    second-phase {\n      total-rerank-count: 200\n    }")


def test_a_total_count_is_spread_over_the_nodes_searched():
    assert per_node_count(None, 200, 3) == 67  # ceil(200 / 3): together at least the total
    assert per_node_count(None, 200, 2) == 100
    assert per_node_count(None, 5, 10) == 1
    assert per_node_count(40, 200, 3) == 40  # a per-node count is used as given
    assert per_node_count(None, None, 3) is None  # the node's own default
    # the query's counts, when it gives either, replace the profile's (Vespa's transferRerankCounts)
    assert node_count(None, 90, None, 600, 3) == 30
    assert node_count(None, None, None, 600, 4) == 150
    assert node_count(12, None, None, 600, 4) == 12


@pytest.mark.parametrize("body, message, line, column", [
    ("    weakand {\n      stopword-limit: 1.6\n    }",
     "weakand.stopword-limit in rank-profile 'p' must be a number in [0, 1], not '1.6'", 11, 7),
    ("    weakand {\n      allow-drop-all: maybe\n    }",
     "weakand.allow-drop-all in rank-profile 'p' must be true or false", 11, 7),
    ("    filter-threshold: 1.5", "filter-threshold in rank-profile 'p' must be a number in [0, 1], not '1.5'", 10, 5),
    ("    significance {\n      use-model: maybe\n    }", "significance.use-model in rank-profile 'p' must be true or false", 11, 7),
    ("    global-phase-rerank-count: 3", "not Vespa syntax: use rerank-count in global-phase", 10, 5),
])
def test_settings_that_would_change_results_are_refused_where_written(body, message, line, column):
    with pytest.raises(SchemaError) as raised:
        profile(body)
    assert message in str(raised.value)
    assert (raised.value.location.line, raised.value.location.column) == (line, column)


def test_tuning_settings_load_and_say_they_have_no_effect(caplog):
    caplog.set_level("INFO", logger="searchlib.schema.profiles")
    p = profile("    num-search-partitions: 4\n    termwise-limit: 0.5\n    significance {\n      use-model: false\n    }\n"
                "    weakand {\n      allow-drop-all: true\n    }")
    assert p.settings["weakand.allow-drop-all"] == "true"  # read by the content node's weakAnd
    assert p.settings["num-search-partitions"] == "4"
    assert "num-search-partitions in rank-profile 'p' has no effect" in caplog.text
    assert "termwise-limit in rank-profile 'p' has no effect" in caplog.text


def test_rank_types_load_and_unknown_ones_are_refused():
    text = SCHEMA.format(body="    rank-type t: identity").replace(
        "field t type string { indexing: index }", "field t type string {\n      indexing: index\n      rank-type: about\n    }")
    schema = application_from_text(text, name="s.sd").schemas["s"]
    assert schema.rank_profiles["p"].settings["rank-type.t"] == "identity"
    assert schema.fields["t"].settings["rank-type"] == "about"
    with pytest.raises(SchemaError, match="unknown rank-type 'loud'"):
        application_from_text(text.replace("rank-type t: identity", "rank-type t: loud"), name="s.sd")
    with pytest.raises(SchemaError, match="unknown rank-type 'loud'"):
        application_from_text(text.replace("rank-type: about", "rank-type: loud"), name="s.sd")


def test_rank_of_a_name_that_is_no_field_is_ignored_as_vespa_does(caplog):
    """Vespa's rankprofiles test: `rank none: filter` derives no setting at all."""
    p = profile("    rank t: filter\n    rank none: filter")
    assert dict(p.field_rank) == {"t": "filter"}
    assert "sets rank of 'none', which is no field: ignored" in caplog.text


def test_a_later_phase_with_counts_only_passes_them_to_the_profiles_inheriting_it():
    text = """schema s {
  document s {
    field t type string { indexing: index }
    field pop type int { indexing: attribute }
  }
  rank-profile counts {
    second-phase {
      total-rerank-count: 201
    }
    match-phase {
      attribute: pop
      total-max-hits: 9000
    }
  }
  rank-profile child inherits counts {
    second-phase { expression: 2 * firstPhase }
  }
}
"""
    profiles = application_from_text(text, name="s.sd").schemas["s"].rank_profiles
    assert profiles["counts"].second_phase is None  # no second phase runs in the profile itself
    assert profiles["counts"].phase_counts["second-phase"].total_rerank_count == 201
    child = profiles["child"].second_phase
    assert (child.expression.text, child.total_rerank_count) == ("2 * firstPhase", 201)
    with pytest.raises(SchemaError, match="has neither an expression nor counts"):
        profile("    second-phase {\n    }".replace("second-phase", "global-phase"))


def test_match_phase_total_max_hits_is_spread_over_the_nodes_searched():
    from container.search.phases import _match_phase_share
    from searchlib.schema.match_phase import match_phase_of

    text = SCHEMA.replace("field t type string {{ indexing: index }}",
                          "field t type string {{ indexing: index }}\n    field pop type int {{ indexing: attribute }}")
    app = application_from_text(text.format(body="    match-phase {\n      attribute: pop\n"
                                                  "      total-max-hits: 9\n    }"), name="s.sd")
    schema = app.schemas["s"]
    phase = match_phase_of(schema.rank_profiles["p"].settings, schema.fields, "p", schema.location)
    assert (phase.max_hits, phase.total_max_hits) == (None, 9)
    assert [_match_phase_share(schema, schema.rank_profiles["p"], {}, n) for n in (1, 2, 4)] == [9, 5, 3]
    assert _match_phase_share(schema, schema.rank_profiles["base"], {}, 2) is None
    # the query's ranking.matchPhase.maxHits is per node: it replaces the total
    assert _match_phase_share(schema, schema.rank_profiles["p"], {"match-phase.max-hits": "2"}, 2) is None
    both = text.format(body="    match-phase {\n      attribute: pop\n      max-hits: 3\n      total-max-hits: 9\n    }")
    with pytest.raises(SchemaError, match="one of max-hits and total-max-hits"):
        application_from_text(both, name="s.sd")
