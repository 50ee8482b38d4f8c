"""JSON with orjson's speed and json's values: summaries are read from the document store, sent
from node to container and read again on every query (orjson reads ~5x and writes ~7x faster).

orjson alone would change values: it reads an integer past 64 bits as a float and writes NaN and
±Infinity as null. So text with a digit run of 19 or more is read by json (as is text orjson
refuses: NaN, 1e400), and a written text holding `null` is written again by json (a real null
costs only the time); whatever orjson cannot write (integers past 64 bits, non-string keys,
dataclasses, numpy scalars) goes to json too, which writes it or raises as before. Floats are
read to the same double and written in the shortest form that reads back to it (orjson spells
exponents `1e-7` where json writes `1e-07`)."""
from __future__ import annotations

import json
from typing import Any

import orjson

_DIGITS = bytes(48 if 48 <= c <= 57 else 32 for c in range(256))  # digits → "0", the rest → " "
_LONG_RUN = b"0" * 19  # 19 digits may pass a signed 64-bit integer
_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS


def orjson_reads_exactly(data: bytes) -> bool:
    """Whether orjson reads `data` to json's values if it reads it at all: no digit run that may
    be an integer past 64 bits (orjson reads those as floats)."""
    return _LONG_RUN not in data.translate(_DIGITS)


def loads(text: bytes | str) -> Any:
    data = text.encode("utf-8") if isinstance(text, str) else text
    if orjson_reads_exactly(data):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # json reads what it reads (NaN, Infinity, 1e400) and raises what it raised
    return json.loads(text)


def dumps(value: Any) -> str:
    """As json.dumps(value, ensure_ascii=False)."""
    try:
        data = orjson.dumps(value, option=_PASSTHROUGH)
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(value, ensure_ascii=False)
    if b"null" in data:  # a NaN or an infinity may have become null
        return json.dumps(value, ensure_ascii=False)
    return data.decode("utf-8")


def is_plain(value: dict, text: str) -> bool:
    """Whether `text`, dumps(value), is an object of strings as orjson writes it (dumps goes to
    json's spaced separators only when the text holds `null`): a renderer using orjson may splice
    it unread, and it reads back to `value` with orjson alone. (A key that is not a string sends
    dumps to json too.)"""
    return "null" not in text and all(type(k) is str and type(v) is str for k, v in value.items())


def stored_text_as_dumps(value: dict, text: bytes) -> str | None:
    """`text`, json.dumps(value, ensure_ascii=False, separators=(",", ":")) (how the document store
    writes a document), when dumps(value) writes the same characters, else None. So it does for an
    object of strings: orjson escapes as json does (every control character, quote, backslash,
    U+2028 alike; tests/searchlib/test_exact_json.py) unless the text holds `null`, which sends
    dumps to json's spaced separators. Numbers are not passed (json writes 1e-07, orjson 1e-7)."""
    decoded = text.decode("utf-8")
    return decoded if is_plain(value, decoded) else None
