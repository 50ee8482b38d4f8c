"""HTTP request parameters → one flat map with Vespa's full names (aliases resolved, POST JSON
bodies flattened), and the typed readers for them. Bad values are InvalidParameterError (400)."""
from __future__ import annotations

import json
import math
import re
from typing import Any, Mapping

from searchlib.errors import InvalidParameterError, quote_input
from searchlib.java_numbers import java_trim

ALIASES = {
    "count": "hits",
    "start": "offset",
    "ranking": "ranking.profile",
    "query": "model.queryString",
    "type": "model.type",
    "default-index": "model.defaultIndex",
    "filter": "model.filter",
    "language": "model.language",
    "lang": "model.language",
    "locale": "model.locale",
    "restrict": "model.restrict",
    "sources": "model.sources",
    "search": "model.sources",
    "path": "model.searchPath",
    "searchgroup": "model.searchGroup",
    "summary": "presentation.summary",
    "format": "presentation.format",
    "timing": "presentation.timing",
    "tracelevel": "trace.level",
    "explainlevel": "trace.explainLevel",
    "sorting": "ranking.sorting",
    "rankfeatures": "ranking.listFeatures",
}
FEATURE_PREFIXES = ("input.", "rankfeature.", "ranking.features.")
PROPERTY_PREFIXES = ("rankproperty.", "ranking.properties.")
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(ms|s|m)?\s*$")


def flatten_json_body(body: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested JSON request bodies become dotted names; `input`/feature maps keep their keys.
    Values that are JSON structures (tensors) are kept as JSON text."""
    flat: dict[str, str] = {}
    for key, value in body.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and not _is_feature_map_value(name):
            flat.update(flatten_json_body(value, name + "."))
        elif isinstance(value, (dict, list)):
            flat[name] = json.dumps(value)
        elif isinstance(value, bool):
            flat[name] = "true" if value else "false"
        elif value is None:
            continue
        else:
            flat[name] = str(value)
    return flat


def _is_feature_map_value(name: str) -> bool:
    """`input.query(q)` holding a dict is a tensor value, not more nesting."""
    return "(" in name


def canonical_parameters(raw: Mapping[str, str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for name, value in raw.items():
        if name == "ranking" and value.startswith("{"):
            result["ranking"] = value
            continue
        full = _CANONICAL_NAMES.get(name)
        if full is None:
            full = _canonical_name(name)
            if len(_CANONICAL_NAMES) < 4096:  # the names clients use; bounded against made-up ones
                _CANONICAL_NAMES[name] = full
        result[full] = value
    return result


_CANONICAL_NAMES: dict[str, str] = {}


def _canonical_name(name: str) -> str:
    full = ALIASES.get(name, name)
    for prefix in FEATURE_PREFIXES:
        if full.startswith(prefix) and full != prefix:
            full = "ranking.features." + full[len(prefix):]
            break
    for prefix in PROPERTY_PREFIXES:
        if full.startswith(prefix) and full != prefix:
            full = "ranking.properties." + full[len(prefix):]
            break
    return full


INT32_MAX = 2**31 - 1  # Vespa's counts are Java ints; the wire carries them as 32-bit integers
MAX_TIMEOUT_SECONDS = 600.0  # Vespa's search.query-timeout maximum
# matched against the text trimmed as Java's String.trim() does (chars <= U+0020, not Unicode spaces)
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INFINITY = re.compile(r"[+-]?Infinity")


def _cannot_set(name: str, text: str, reason: str) -> InvalidParameterError:
    return InvalidParameterError(f"Could not set '{name}' to '{quote_input(text, 40)}': {reason}")


def read_int(params: Mapping[str, str], name: str, default: int, minimum: int = 0,
             maximum: int = INT32_MAX) -> int:
    text = params.get(name)
    if text is None or text == "":
        return default
    trimmed = java_trim(text)
    if not _INTEGER.fullmatch(trimmed) or len(trimmed) > 20:
        raise _cannot_set(name, text, f"'{quote_input(text, 40)}' is not a valid integer")
    value = int(trimmed)
    if value < minimum:
        raise _cannot_set(name, text, f"Must be at least {minimum}")
    if value > maximum:
        raise _cannot_set(name, text, f"Must be at most {maximum}")
    return value


def read_float(params: Mapping[str, str], name: str, allow_infinite: bool = False) -> float | None:
    """A finite decimal number (Java's Double syntax without NaN); `Infinity`/`-Infinity` only
    where they mean something (a drop limit)."""
    text = params.get(name)
    if text is None or text == "":
        return None
    trimmed = java_trim(text)
    if _DECIMAL.fullmatch(trimmed):
        value = float(trimmed)
        if math.isfinite(value):
            return value
        raise _cannot_set(name, text, "out of range for a double")
    if allow_infinite and _INFINITY.fullmatch(trimmed):
        return float(trimmed.replace("Infinity", "inf"))
    raise _cannot_set(name, text, "not a number")


def read_bool(params: Mapping[str, str], name: str, default: bool = False) -> bool:
    text = params.get(name)
    if text is None or text == "":
        return default
    if text.lower() in ("true", "1", "yes", "on"):
        return True
    if text.lower() in ("false", "0", "no", "off"):
        return False
    raise _cannot_set(name, text, "expected true or false")


def read_choice(params: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    text = params.get(name)
    if text is None or text == "":
        return default
    if text not in choices:
        raise _cannot_set(name, text, "expected one of " + ", ".join(f"'{c}'" for c in choices))
    return text


def read_timeout_seconds(params: Mapping[str, str], default: float = 0.5) -> float:
    """`timeout=200ms`, `timeout=2s`, `timeout=0.5` (seconds)."""
    text = params.get("timeout")
    if text is None or text == "":
        return default
    found = _DURATION.match(text)
    if not found:
        raise _cannot_set("timeout", text, f"Invalid timeout '{quote_input(text, 40)}'")
    number, unit = float(found[1]), found[2] or "s"
    seconds = number / 1000.0 if unit == "ms" else number * 60.0 if unit == "m" else number
    check_timeout(seconds, text)
    return seconds


def check_timeout(seconds: float, text: str) -> None:
    if not 0 < seconds <= MAX_TIMEOUT_SECONDS:
        raise _cannot_set("timeout", text, f"must be in (0, {MAX_TIMEOUT_SECONDS:g}] seconds")


def query_feature_texts(params: Mapping[str, str]) -> dict[str, str]:
    """`ranking.features.query(x)` parameters → {"query(x)": text}."""
    prefix = "ranking.features."
    return {name[len(prefix):]: value for name, value in params.items() if name.startswith(prefix)}


def rank_property_texts(params: Mapping[str, str]) -> dict[str, str]:
    prefix = "ranking.properties."
    return {name[len(prefix):]: value for name, value in params.items() if name.startswith(prefix)}
