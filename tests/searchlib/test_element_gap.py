"""`rank f { element-gap: n }` in a rank profile: parsed into the profile's settings, inherited,
validated where written (content_node/matching/element_gap.py reads it)."""
from __future__ import annotations

import pytest

from searchlib.errors import SchemaError
from searchlib.schema.application import application_from_text

SD = """schema s {{
  document s {{
    field chunks type array<string> {{ indexing: index }}
    field title type string {{ indexing: index }}
  }}
  rank-profile a {{
    rank chunks {{
      element-gap: 5
    }}
  }}
  rank-profile b inherits a {{
  }}
  rank-profile c inherits a {{
{body}
  }}
}}
"""


def profiles(body: str = ""):
    return application_from_text(SD.format(body=body), name="s.sd").schemas["s"].rank_profiles


def test_the_gap_is_a_profile_setting_children_inherit_and_may_change() -> None:
    p = profiles("    rank chunks {\n      element-gap: infinity\n    }")
    assert p["a"].settings["element-gap.chunks"] == "5" and p["b"].settings["element-gap.chunks"] == "5"
    assert p["c"].settings["element-gap.chunks"] == "infinity"


@pytest.mark.parametrize("body, message", [
    ("    rank chunks {\n      element-gap: -1\n    }", "element-gap of chunks in rank-profile 'c' must not be negative"),
    ("    rank chunks {\n      element-gap: wide\n    }", "element-gap of chunks"),
    ("    rank title {\n      element-gap: 2\n    }", "the element-gap of 'title', which is no indexed array"),
])
def test_bad_gaps_are_refused_where_written(body: str, message: str) -> None:
    with pytest.raises(SchemaError, match=message) as raised:
        profiles(body)
    assert raised.value.location.line >= 15
