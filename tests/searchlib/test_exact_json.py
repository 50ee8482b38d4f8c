"""searchlib.exact_json reads and writes the same values as json, for every JSON value and the edge
cases where orjson alone would not (integers past 64 bits, NaN and infinities, 1e400)."""
from __future__ import annotations

import json
import math

import numpy as np
import orjson
import pytest
from hypothesis import given, settings, strategies as st

from searchlib import exact_json

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2 ** 80), max_value=2 ** 80)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                      max_leaves=20)


def same(a, b) -> bool:
    """Equal, NaN equal to NaN, and of the same types (1 is not 1.0)."""
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


@settings(max_examples=200, deadline=None)
@given(values)
def test_round_trips_give_the_values_json_gives(value) -> None:
    text = json.dumps(value, ensure_ascii=False)
    assert same(exact_json.loads(text), json.loads(text))
    assert same(exact_json.loads(text.encode("utf-8")), json.loads(text))
    assert same(json.loads(exact_json.dumps(value)), json.loads(text))


@pytest.mark.parametrize("text", ["123456789012345678901234567890", "-9223372036854775809", "[NaN, Infinity, -Infinity]",
                                  "1e400", '{"a": 1, "a": 2}', "0.1000000000000000055511151231257827", "-0", "-0.0",
                                  '"\\ud83d\\ude00 é"', "18446744073709551616"])
def test_edge_cases_read_as_json_reads_them(text) -> None:
    assert same(exact_json.loads(text), json.loads(text))


@pytest.mark.parametrize("value", [2 ** 64, -(2 ** 70), float("nan"), [float("inf"), None], {"x": 1e-7},
                                   {"nullable": "null"}, {1: "int key"}, ("a", 1)])
def test_edge_cases_write_what_json_writes(value) -> None:
    assert same(json.loads(exact_json.dumps(value)), json.loads(json.dumps(value, ensure_ascii=False)))


def test_what_json_cannot_write_still_fails() -> None:
    with pytest.raises(TypeError):
        exact_json.dumps({"x": np.int64(3)})
    with pytest.raises(ValueError):
        exact_json.loads("{not json")


def _stored(value: dict) -> bytes:
    from content_node.store.document_store import encode_fields  # the document store's writer
    return encode_fields(value)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(), st.text() | values, max_size=5))
def test_stored_text_passes_only_where_dumps_writes_the_same(value) -> None:
    text = _stored(value)
    passed = exact_json.stored_text_as_dumps(exact_json.loads(text), text)
    if passed is not None:
        assert passed == exact_json.dumps(value)


@pytest.mark.parametrize("value, passes", [
    ({"title": "a", "text": "b"}, True),
    ({"t": "".join(map(chr, range(0x20))) + "\x7f\u2028\"\\/é😀"}, True),  # every escape json writes
    ({"t\n\"": "x"}, True),
    ({"t": "nullable"}, False),  # dumps writes json's `", "` separators then
    ({"t": "a", "n": 1e-7}, False),  # json 1e-07, orjson 1e-7
    ({"t": "a", "n": 1}, False),
    ({"t": ["a"]}, False),
    ({}, True),
])
def test_stored_text_of_strings_is_dumps(value, passes) -> None:
    text = _stored(value)
    passed = exact_json.stored_text_as_dumps(exact_json.loads(text), text)
    assert (passed is not None) == passes
    if passes:
        assert passed == exact_json.dumps(value)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text() | st.integers(0, 3), st.text() | values, max_size=5))
def test_plain_text_is_what_orjson_writes(value) -> None:
    """is_plain marks summaries that /search/ splices unread into a response orjson writes."""
    try:
        text = exact_json.dumps(value)
    except TypeError:
        return
    if exact_json.is_plain(value, text):
        assert text.encode("utf-8") == orjson.dumps(value)
        assert exact_json.loads(text) == value


def test_plain_needs_strings_and_no_null() -> None:
    assert exact_json.is_plain({"a": "b"}, exact_json.dumps({"a": "b"}))
    assert not exact_json.is_plain({"a": "null"}, exact_json.dumps({"a": "null"}))
    assert not exact_json.is_plain({"a": 1}, exact_json.dumps({"a": 1}))
    assert not exact_json.is_plain({1: "a"}, exact_json.dumps({1: "a"}))  # json wrote it, spaced
