"""Java's Double.parseDouble / Long.parseLong grammar (searchlib.java_numbers), not Python's."""
from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from searchlib.java_numbers import parse_double, parse_long


@pytest.mark.parametrize("text, expected", [
    ("1", 1.0), ("-1.5", -1.5), ("+.5", 0.5), ("1.", 1.0), ("1e3", 1000.0), ("2E-1", 0.2), ("1.5f", 1.5),
    ("7d", 7.0), (" \t3\n", 3.0), ("0x1p3", 8.0), ("-0x1.8P1", -3.0), ("0X.8p0d", 0.5), ("1e400", math.inf),
    ("-1e400", -math.inf), ("Infinity", math.inf), ("-Infinity", -math.inf), ("0x1p99999", math.inf)])
def test_doubles_java_takes(text: str, expected: float) -> None:
    assert parse_double(text) == expected


def test_nan_as_java_writes_it() -> None:
    assert math.isnan(parse_double("NaN")) and math.isnan(parse_double("-NaN"))


@pytest.mark.parametrize("text", ["", " ", "abc", "nan", "inf", "-inf", "infinity", "1_0", "１２", "\u20033", "٣",
                                  "0x10", "1e", "e5", ".", "1.5ff", "--1", "1 2", "0x1.8", "1L", "Infinityf"])
def test_doubles_java_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_double(text)


@pytest.mark.parametrize("text, expected", [("0", 0), ("-7", -7), ("+12", 12), (str(2**63 - 1), 2**63 - 1),
                                            (str(-(2**63)), -(2**63)), ("0009", 9)])
def test_longs_java_takes(text: str, expected: int) -> None:
    assert parse_long(text) == expected


@pytest.mark.parametrize("text", ["", "1.0", "1e3", " 1", "1_0", "１２", "0x10", str(2**63), str(-(2**63) - 1),
                                  "9" * 400, "1L", "-"])
def test_longs_java_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_long(text)


@given(st.floats(allow_nan=False))
def test_every_double_reads_back_from_its_repr(value: float) -> None:
    text = repr(value).replace("inf", "Infinity")
    assert parse_double(text) == value


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_every_long_reads_back(value: int) -> None:
    assert parse_long(str(value)) == value


SD = """schema doc {
    document doc {
        field n type int {
            indexing: attribute | summary
            attribute: fast-search
        }
    }
    rank-profile p {
        first-phase { expression: attribute(n) }
        second-phase {
            expression: attribute(n)
            rerank-count: COUNT
        }
        match-phase {
            attribute: n
            max-hits: HITS
        }
    }
}
"""


@pytest.mark.parametrize("count, hits, message", [("1_0", "10", "rerank-count in"), ("１２", "10", "rerank-count in"),
                                                  ("10", "1_0", "max-hits of"), ("10", "１２", "max-hits of")])
def test_a_schema_number_follows_the_same_grammar(count: str, hits: str, message: str) -> None:
    from searchlib.errors import SchemaError
    from searchlib.schema.application import application_from_text

    assert application_from_text(SD.replace("COUNT", "10").replace("HITS", "10"), name="doc.sd")
    with pytest.raises(SchemaError, match=message):
        application_from_text(SD.replace("COUNT", count).replace("HITS", hits), name="doc.sd")


def test_a_query_match_phase_number_follows_the_same_grammar() -> None:
    from searchlib.schema.match_phase import query_overrides

    assert query_overrides({"ranking.matchPhase.maxHits": " 12 "}) == {"match-phase.max-hits": "12"}
    for value in ("1_0", "１２", "12.0", str(2**70)):
        with pytest.raises(ValueError, match="ranking.matchPhase.maxHits must be a number"):
            query_overrides({"ranking.matchPhase.maxHits": value})
