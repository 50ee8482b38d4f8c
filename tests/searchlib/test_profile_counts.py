"""Where a rank profile's counts come from (Vespa's RankProfile: the profile-level `rerank-count:` and
`keep-rank-count:` set the same values as the phase blocks), and the cluster-wide totals, which this
engine does not implement, refused where written instead of parsed and ignored."""
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
