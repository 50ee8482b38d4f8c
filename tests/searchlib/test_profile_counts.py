"""Rank-profile counts and settings: the profile-level `rerank-count:` and `keep-rank-count:` set the
same values as the phase blocks (Vespa's RankProfile); what this engine does not implement and would
change results (cluster-wide totals, weakand tuning, filter-threshold, a significance model) is refused
where written; tuning that changes only the work done loads with a logged "no effect"."""
from __future__ import annotations

import pytest

from searchlib.errors import SchemaError
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


@pytest.mark.parametrize("body, message", [
    ("    second-phase {\n      total-rerank-count: 200\n    }",
     "not supported: total-rerank-count in second-phase of rank-profile 'p' (a count across all content "
     "nodes; use rerank-count, per node)"),
    ("    first-phase {\n      total-keep-rank-count: 2000\n    }",
     "not supported: total-keep-rank-count in first-phase of rank-profile 'p'"),
])
def test_cluster_wide_counts_are_refused_where_written(body, message):
    with pytest.raises(SchemaError) as raised:
        profile(body)
    assert message in str(raised.value)
    assert (raised.value.location.file, raised.value.location.line, raised.value.location.column) == \
        ("schemas/s.sd", 11, 7)


@pytest.mark.parametrize("body, message, line, column", [
    ("    weakand {\n      stopword-limit: 0.6\n    }", "not supported: weakand.stopword-limit in rank-profile 'p'",
     11, 7),
    ("    weakand {\n      allow-drop-all: true\n    }", "not supported: weakand.allow-drop-all", 11, 7),
    ("    filter-threshold: 0.05", "not supported: filter-threshold in rank-profile 'p'", 10, 5),
    ("    significance {\n      use-model: true\n    }", "not supported: significance.use-model", 11, 7),
    ("    global-phase-rerank-count: 3", "not Vespa syntax: use rerank-count in global-phase", 10, 5),
])
def test_settings_that_would_change_results_are_refused_where_written(body, message, line, column):
    with pytest.raises(SchemaError) as raised:
        profile(body)
    assert message in str(raised.value)
    assert (raised.value.location.line, raised.value.location.column) == (line, column)


def test_tuning_settings_load_and_say_they_have_no_effect(caplog):
    caplog.set_level("INFO", logger="searchlib.schema.profiles")
    p = profile("    num-search-partitions: 4\n    termwise-limit: 0.5\n    significance {\n      use-model: false\n    }")
    assert p.settings["num-search-partitions"] == "4"
    assert "num-search-partitions in rank-profile 'p' has no effect" in caplog.text
    assert "termwise-limit in rank-profile 'p' has no effect" in caplog.text


def test_rank_types_load_and_say_they_have_no_effect(caplog):
    caplog.set_level("INFO", logger="searchlib.schema")
    text = SCHEMA.format(body="    rank-type t: identity").replace(
        "field t type string { indexing: index }", "field t type string {\n      indexing: index\n      rank-type: about\n    }")
    schema = application_from_text(text, name="s.sd").schemas["s"]
    assert schema.rank_profiles["p"].settings["rank-type.t"] == "identity"
    assert "rank-type in field 't' has no effect" in caplog.text
    assert "rank-type of 't' in rank-profile 'p' has no effect" in caplog.text
