"""The JSON body parser's orjson path reads what its json path reads (the same values, of the same
types, in the same order) and leaves to it every body it would refuse, so the answer (value, or
400 with json's located message) is the same."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from container.http import request_body
from container.http.request_body import BodyError, parse_json
from searchlib import exact_json

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.text(max_size=20),
                    st.floats(allow_nan=False, allow_infinity=False))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                      st.dictionaries(st.text(max_size=8), inner, max_size=5)),
                      max_leaves=30)
EDGES = [b'{"a":1,"a":2}', b'"\\ud800"', b'"\\udc00x"', b'"\\ud800\\udc00"', '\ufeff{"a":1}'.encode(),
         b"9223372036854775807", b"9223372036854775808", b"-9223372036854775808", b"-9223372036854775809",
         b"18446744073709551616", b"1e400", b"[-1e400]", b"NaN", b"[Infinity]", b'"a\x01b"', b" [1] ",
         b"[1,]", b"1.0e", b'"\xff"', b'"\xed\xa0\x80"', b"[" * 50 + b"]" * 50, b"[" * 51 + b"]" * 51,
         b'{"a": -0}', b'{"a": -0.0}', b"1E5", b'"\\u0000"', b"", b"   ", b"[1] [2]", b'{"a":{"b":[1,{"c":2}]}}',
         b"123456789012345678", b"1234567890123456789", b"0.1234567890123456789"]


def parsed(data: bytes, monkeypatch, fast: bool):
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(exact_json, "orjson_reads_exactly", lambda _: False)
        try:
            return ("value", repr(parse_json(data, 50, "document JSON")))
        except BodyError as error:
            return ("error", error.status, error.message)


def test_the_fast_path_is_taken():
    calls = []
    original = request_body.orjson.loads
    request_body.orjson.loads = lambda data: calls.append(data) or original(data)
    try:
        assert parse_json(b'{"fields": {"a": [1.5, 2]}}', 50, "document JSON") == {"fields": {"a": [1.5, 2]}}
    finally:
        request_body.orjson.loads = original
    assert calls


@pytest.mark.parametrize("data", EDGES)
def test_edge_cases_read_alike(data, monkeypatch):
    assert parsed(data, monkeypatch, True) == parsed(data, monkeypatch, False)


@settings(max_examples=400, deadline=None)
@given(values, st.booleans(), st.integers(0, 40), st.sampled_from([b"", b"x", b",", b"]", b"\\", b"\x00"]))
def test_random_documents_read_alike(value, ascii_only, cut, junk):
    data = json.dumps(value, ensure_ascii=ascii_only).encode()
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert parsed(data, monkeypatch, True) == parsed(data, monkeypatch, False)
        broken = data[:cut] + junk + data[cut:]  # bad JSON too: the same 400
        assert parsed(broken, monkeypatch, True) == parsed(broken, monkeypatch, False)
