"""Attribute term rules (content_node.matching.attribute_terms) on bare columns."""
from __future__ import annotations

import numpy as np
import pytest

from content_node.matching.attribute_terms import attribute_term_matches, multi_value_range, numeric_bounds
from searchlib.query.tree import Range
from searchlib.schema.model import Field, FieldType


def column(*values: object) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    return array


@pytest.mark.parametrize("term, expected", [
    ("5", (5.0, 5.0, True, True)), ("-2.5", (-2.5, -2.5, True, True)), ("[2;6]", (2.0, 6.0, True, True)),
    ("[;6]", (None, 6.0, True, True)), ("[2;]", (2.0, None, True, True)), ("<3", (None, 3.0, True, False)),
    (">3", (3.0, None, False, True)), ("x", None), ("nan", None), ("[1;2;3]", None),
    ("5L", (5, 5, True, True)), (" 5\t", (5, 5, True, True)), ("0x1p3", (8.0, 8.0, True, True)),
    ("[-inf;INF]", (-float("inf"), float("inf"), True, True)), ("<Infinity", (None, float("inf"), True, False)),
    # Python's int()/float() take these; Java's and C's number readers do not
    ("1_0", None), ("１０", None), ("\u00a05", None), ("[1_0;5]", None), ("<٣", None), ("infinityx", None),
])
def test_numeric_terms(term: str, expected: object) -> None:
    assert numeric_bounds(term) == expected


def test_integers_stay_exact_and_beyond_a_long_are_doubles() -> None:
    assert numeric_bounds("9007199254740993") == (9007199254740993, 9007199254740993, True, True)
    assert numeric_bounds("99999999999999999999") == (1e20, 1e20, True, True)


def test_weighted_set_keys_and_array_elements_match_any_value() -> None:
    ints = Field("w", FieldType("weightedset", FieldType("int")), is_attribute=True)
    assert attribute_term_matches(ints, column({"5": 2}, None, {"-5": 1, "7": 1}), "[-5;0]").tolist() == [2]
    strings = Field("t", FieldType("array", FieldType("string")), is_attribute=True)
    values = column(["Éa", "b"], [], None, ["c"])
    assert attribute_term_matches(strings, values, "éA").tolist() == [0]
    assert attribute_term_matches(strings, values, "ea").tolist() == [0]  # both sides normalized
    assert attribute_term_matches(strings, values, "C", affix="prefix").tolist() == [3]
    cased = Field("c", FieldType("string"), is_attribute=True, settings={"match.cased": "true"})
    assert attribute_term_matches(cased, column("Ab", "ab", None), "Ab").tolist() == [0]


def test_bool_and_single_numbers_are_vectorized() -> None:
    flag = Field("f", FieldType("bool"), is_attribute=True)
    assert attribute_term_matches(flag, np.array([1.0, 0.0, 1.0]), "TRUE").tolist() == [0, 2]
    assert attribute_term_matches(flag, np.array([1.0, 0.0]), "maybe").tolist() == []
    price = Field("p", FieldType("int"), is_attribute=True)
    assert attribute_term_matches(price, np.array([1.0, np.nan, 7.0]), ">1").tolist() == [2]


@pytest.mark.parametrize("term, expected", [
    ("true", [0, 2]), (" true\t", [0, 2]), ("\x00FALSE\n", [1]), ("1", [0, 2]), ("0", [1]),
    # Java's String.trim() (the number grammar's rule) takes no Unicode space: no match
    ("\u00a0true", []), ("true\u3000", []), ("\u2003false", []), ("１", []),
])
def test_bool_terms_trim_as_java(term: str, expected: list[int]) -> None:
    """Single bools (vectorized) and arrays of bools (per value) read a term the same way."""
    flag = Field("f", FieldType("bool"), is_attribute=True)
    assert attribute_term_matches(flag, np.array([1.0, 0.0, 1.0]), term).tolist() == expected
    flags = Field("fs", FieldType("array", FieldType("bool")), is_attribute=True)
    assert attribute_term_matches(flags, column([1.0], [0.0], [True, False]), term).tolist() == (
        [0, 2] if expected == [0, 2] else [1, 2] if expected == [1] else [])


def test_a_hit_limit_on_a_multi_value_range_ranks_documents_by_their_extreme_element() -> None:
    values = column([1, 50], [20], [5, 90], None)
    assert multi_value_range(values, Range("ids", 0.0, 100.0)).tolist() == [0, 1, 2]
    assert multi_value_range(values, Range("ids", 0.0, 100.0, hit_limit=2)).tolist() == [0, 2]  # 1, 5
    assert multi_value_range(values, Range("ids", 0.0, 100.0, hit_limit=-1)).tolist() == [2]  # 90
    assert multi_value_range(values, Range("ids", 10.0, 60.0, hit_limit=-1)).tolist() == [0]  # 50 > 20
