"""JSON request bodies, parsed under the container's limits: strict UTF-8, strict JSON (no NaN or
Infinity literals, integers within 64 bits, finite doubles), bounded nesting, and no lone UTF-16 surrogates
(Vespa rejects them: they are not text and cannot be stored as UTF-8). Every problem is a
BodyError with the HTTP status to answer; nothing here raises anything else for any input."""
from __future__ import annotations

import asyncio
import json
import math
import re

import orjson

from searchlib import exact_json
from searchlib.errors import quote_input

_LONG = 2**63
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SCALARS = frozenset((str, int, float, bool, type(None)))
_OFF_LOOP_BYTES = 256 * 1024  # larger bodies are parsed in a thread: the event loop keeps serving


class BodyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def parse_json_body(data: bytes, max_depth: int, what: str) -> object:
    if len(data) > _OFF_LOOP_BYTES:
        return await asyncio.to_thread(parse_json, data, max_depth, what)
    return parse_json(data, max_depth, what)


def parse_json(data: bytes, max_depth: int, what: str) -> object:
    """`what` names the body in messages ("document JSON", "the JSON request body")."""
    if exact_json.orjson_reads_exactly(data):
        try:  # ~5x faster; what orjson takes holds no lone surrogate, NaN, infinity or 64-bit overflow
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # refused (BOM, NaN, 1e400, lone surrogates, bad JSON, too deep): json's path says why
        else:
            if data.count(b"[") + data.count(b"{") > max_depth:
                _check_depth(value, max_depth, what)
            return value
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BodyError(400, f"Could not parse {what}: it is not valid UTF-8 "
                             f"(byte 0x{data[error.start]:02x} at offset {error.start})") from None
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_int=_long)
        if _infinite(value):  # parsed again through the range check, for its located message
            value = json.loads(text, parse_constant=_no_constant, parse_int=_long, parse_float=_finite)
    except RecursionError:
        raise BodyError(400, f"Could not parse {what}: nested deeper than {max_depth} levels") from None
    except json.JSONDecodeError as error:
        raise BodyError(400, f"Could not parse {what}: {error.msg} at line {error.lineno} "
                             f"column {error.colno}") from None
    except ValueError as error:  # from the hooks below
        raise BodyError(400, f"Could not parse {what}: {error}") from None
    if text.count("[") + text.count("{") > max_depth:  # else it cannot be too deep
        _check_depth(value, max_depth, what)
    if _SURROGATE_ESCAPE.search(text):  # a surrogate pair is one character after decoding, a lone one is not
        _check_text(value, what)
    return value


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON value")


def _long(digits: str) -> int:
    if len(digits) > 20 or not -_LONG <= (value := int(digits)) < _LONG:
        raise ValueError(f"the integer {quote_input(digits, 30)} does not fit in 64 bits")
    return value


def _finite(digits: str) -> float:
    value = float(digits)
    if math.isinf(value):
        raise ValueError(f"the number {quote_input(digits, 30)} is out of range for a double")
    return value


def _infinite(value: object) -> bool:
    """Whether a parsed number is infinite: JSON has no infinity, so one overflowed a double. Floats
    parse in C and are checked here a container at a time (a vector document has hundreds)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if not isinstance(item, (dict, list)):
            return item in (math.inf, -math.inf)
        items = list(item.values()) if isinstance(item, dict) else item
        if math.inf in items or -math.inf in items:
            return True
        if not _SCALARS.issuperset(map(type, items)):
            stack.extend(child for child in items if isinstance(child, (dict, list)))
    return False


def _check_depth(value: object, max_depth: int, what: str) -> None:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise BodyError(400, f"Could not parse {what}: nested deeper than {max_depth} levels")
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))


def _check_text(value: object, what: str) -> None:
    """Refuse a lone surrogate, naming where it is (`fields.title[1]`: for a document, its field)."""
    stack: list[tuple[object, str]] = [(value, "")]
    while stack:
        item, path = stack.pop()
        strings = []
        if isinstance(item, dict):
            strings.extend((key, f"{path}.{key}".lstrip(".") + " (a key)") for key in item)
            stack.extend((child, f"{path}.{key}".lstrip(".")) for key, child in item.items())
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{index}]") for index, child in enumerate(item))
        elif isinstance(item, str):
            strings.append((item, path))
        for text, where in strings:
            if (found := _SURROGATE.search(text)) is not None:
                at = f" at {quote_input(where, 80)}" if where else ""
                raise BodyError(400, f"Could not parse {what}: the string '{quote_input(text, 40)}'{at} contains "
                                     f"illegal code point 0x{ord(found.group()):X} (a lone UTF-16 surrogate)")
