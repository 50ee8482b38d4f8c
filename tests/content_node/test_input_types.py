"""Inputs of type string, int, long and float: declared, defaulted, sent with the query, ranked on."""
from __future__ import annotations

import pytest

from ranking_support import RankingBed
from searchlib.errors import InvalidParameterError, SchemaError
from searchlib.expression import string_hash
from searchlib.rank_values import parse_input_defaults, parse_query_features
from searchlib.schema.application import application_from_text

SD = """schema doc {
    document doc {
        field color type string { indexing: attribute }
        field n type int { indexing: attribute }
    }
    rank-profile typed {
        inputs {
            query(s) string: "red"
            query(i) int: 3
            query(l) long
            query(f) float: 0.5
        }
        first-phase { expression: 10 * if(attribute(color) == query(s), 1, 0) + query(i) * attribute(n) + query(f) + query(l) }
    }
}
"""
DOCS = [{"color": "red", "n": 1}, {"color": "blue", "n": 2}]


@pytest.fixture(scope="module")
def bed(tmp_path_factory):
    bed = RankingBed(SD, DOCS, tmp_path_factory.mktemp("inputs"))
    yield bed
    bed.close()


def test_declared_types_and_defaults(bed) -> None:
    profile = bed.schema.rank_profiles["typed"]
    assert {k: v.type_spec for k, v in profile.inputs.items()} == {
        "query(s)": "string", "query(i)": "int", "query(l)": "long", "query(f)": "float"}
    defaults = parse_input_defaults(profile)
    assert defaults == {"query(s)": string_hash("red"), "query(i)": 3.0, "query(l)": 0.0, "query(f)": 0.5}


def test_ranking_with_defaults_and_query_values(bed) -> None:
    # defaults: red matches doc 0: 10 + 3*1 + 0.5 = 13.5; doc 1: 3*2 + 0.5 = 6.5
    assert bed.ranked("typed") == [("0", 13.5), ("1", 6.5)]
    profile = bed.schema.rank_profiles["typed"]
    given = parse_query_features(profile, {"query(s)": "blue", "query(i)": "4", "query(l)": "7"})
    # blue matches doc 1: 10 + 4*2 + 0.5 + 7 = 25.5; doc 0: 4 + 0.5 + 7 = 11.5
    assert bed.ranked("typed", query_features=given) == [("1", 25.5), ("0", 11.5)]


def test_integer_inputs_are_doubles_as_in_vespa(bed) -> None:
    # Vespa's SchemaParser.valueType: "'long' is not possible, treated as 'double'"
    given = parse_query_features(bed.schema.rank_profiles["typed"],
                                 {"query(i)": "4.5", "query(l)": "1e3", "query(f)": "-2E-1"})
    assert given == {"query(i)": 4.5, "query(l)": 1000.0, "query(f)": -0.2}
    with pytest.raises(InvalidParameterError, match="Could not parse '1e' as a number for query\\(l\\)"):
        parse_query_features(bed.schema.rank_profiles["typed"], {"query(l)": "1e"})


def test_an_unknown_input_type_is_a_located_error() -> None:
    sd = SD.replace("query(l) long", "query(l) short")
    with pytest.raises(SchemaError, match=r"doc\.sd:\d+:\d+: .*invalid type 'short'"):
        application_from_text(sd, name="doc.sd")
