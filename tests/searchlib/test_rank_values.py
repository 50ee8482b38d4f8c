"""Query feature values for scalar inputs follow Vespa: `long`/`float` (and our `int`) are doubles."""
from __future__ import annotations

import pytest

from searchlib.errors import InvalidParameterError
from searchlib.rank_values import parse_input_defaults, parse_query_features
from searchlib.schema.application import application_from_text

SD = """schema doc {
    document doc { field n type int { indexing: attribute } }
    rank-profile p {
        inputs {
            query(i) int: 1e1
            query(l) long
        }
        first-phase { expression: query(i) + query(l) }
    }
}
"""


def _profile():
    return application_from_text(SD, name="doc.sd").schemas["doc"].rank_profiles["p"]


@pytest.mark.parametrize("text, expected", [("1e3", 1000.0), ("4.5", 4.5), ("-7", -7.0), ("2E-1", 0.2)])
def test_a_long_input_takes_any_double_like_vespa(text: str, expected: float) -> None:
    assert parse_query_features(_profile(), {"query(l)": text, "i": text}) == {
        "query(l)": expected, "query(i)": expected}


def test_a_long_default_is_a_double_too() -> None:
    assert parse_input_defaults(_profile()) == {"query(i)": 10.0, "query(l)": 0.0}


@pytest.mark.parametrize("text", ["1e", "0x10", "ten", ""])
def test_a_non_number_for_a_long_input_is_a_bad_request(text: str) -> None:
    with pytest.raises(InvalidParameterError, match=r"as a number for query\(l\)"):
        parse_query_features(_profile(), {"query(l)": text})
