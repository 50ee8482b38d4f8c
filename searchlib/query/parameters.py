"""Typed reading of YQL annotation values and `@name` request-parameter values.

YQL annotations (`{targetHits: 10, label: "q"}`) and substituted parameters arrive as loosely typed
values; these helpers check them against what an item accepts and say exactly what was wrong.
They raise AnnotationValueError (a ValueError); the YQL parser adds the position and turns it
into a QueryError.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping

AnnotationValue = object  # str | int | float | bool | dict | list, as written in the YQL

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?[lL]?")
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MAX = 2**63 - 1  # Java's Long.MAX_VALUE


class AnnotationValueError(ValueError):
    """An annotation or parameter value of the wrong type or out of range."""


def annotation_int(
    annotations: Mapping[str, AnnotationValue], name: str, default: int, *, minimum: int | None = None,
    maximum: int = INT32_MAX,
) -> int:
    """Vespa's integer annotations (targetHits, hitLimit, weight, ...) are Java ints: at most INT32_MAX."""
    if name not in annotations:
        return default
    value = annotations[name]
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        value = parse_number(value.strip())  # a substituted @parameter arrives as text
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (isinstance(value, float) and not (math.isfinite(value) and value.is_integer()))
    ):
        raise AnnotationValueError(f"Annotation '{name}' must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise AnnotationValueError(f"Annotation '{name}' must be at least {minimum}, got {value!r}")
    if value > maximum or value < INT32_MIN:
        bound = f"at most {maximum}" if value > maximum else f"at least {INT32_MIN}"
        raise AnnotationValueError(f"Annotation '{name}' must be {bound}, got {value!r}")
    return int(value)


def annotation_float(
    annotations: Mapping[str, AnnotationValue], name: str, default: float | None
) -> float | None:
    if name not in annotations:
        return default
    value = annotations[name]
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        value = parse_number(value.strip())
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise AnnotationValueError(f"Annotation '{name}' must be a number, got {value!r}")
    return float(value)


def annotation_bool(annotations: Mapping[str, AnnotationValue], name: str, default: bool) -> bool:
    if name not in annotations:
        return default
    value = annotations[name]
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise AnnotationValueError(f"Annotation '{name}' must be true or false, got {value!r}")
    return value


def annotation_str(
    annotations: Mapping[str, AnnotationValue], name: str, default: str, *, allowed: tuple[str, ...] = ()
) -> str:
    if name not in annotations:
        return default
    value = annotations[name]
    if not isinstance(value, str):
        raise AnnotationValueError(f"Annotation '{name}' must be a string, got {value!r}")
    if allowed and value not in allowed:
        raise AnnotationValueError(
            f"Annotation '{name}' must be one of {', '.join(allowed)}, got {value!r}"
        )
    return value


def parse_number(text: str) -> int | float:
    """A YQL number literal: a 64-bit integer (the suffix L optional), or a float; Infinity allowed.
    Integer annotations (targetHits, ...) are checked against int32 by annotation_int."""
    stripped = text.strip()
    text = text if len(text) <= 40 else text[:37] + "..."  # only used in messages from here on
    if stripped in ("Infinity", "+Infinity"):
        return math.inf
    if stripped == "-Infinity":
        return -math.inf
    if not _NUMBER.fullmatch(stripped):
        raise AnnotationValueError(f"'{text}' is not a number")
    is_long = stripped[-1] in "lL"
    digits = stripped[:-1] if is_long else stripped
    if re.fullmatch(r"[+-]?[0-9]+", digits):
        if len(digits) > 25:
            raise AnnotationValueError(f"'{text}' is out of range for a 64-bit integer")
        value = int(digits)
        if not -(2**63) <= value < 2**63:  # Vespa reads 8589934592 as a long, with or without L
            raise AnnotationValueError(f"'{text}' is out of range for a 64-bit integer")
        return value
    if is_long:
        raise AnnotationValueError(f"'{text}': the suffix L is only allowed on integers")
    return float(digits)


def first_parameter(parameters: Mapping[str, object], *names: str) -> str | None:
    """The value of the first of names present in parameters (full name before aliases), as text."""
    for name in names:
        value = parameters.get(name)
        if value is not None:
            return value if isinstance(value, str) else str(value)
    return None
