"""Points and vectors written as text in rank properties (`distanceToPath(<field>).path`,
`dotProduct.<name>`), parsed one way: the content node reads them at query time (a 400), the schema
compiler checks a profile's `rank-properties` with the same functions (a located error at deploy).
Numbers are Java's Double grammar (searchlib.java_numbers), finite."""
from __future__ import annotations

import math
import re

from searchlib.errors import InvalidParameterError
from searchlib.java_numbers import parse_double

_ITEM = re.compile(r"\s*,\s*|\s+")
_PATH_KEY = re.compile(r"distanceToPath\((.+)\)\.path")
_DOT_PRODUCT_KEY = re.compile(r"dotProduct\.(.+)")


def finite(text: str) -> float:
    """A component, as Java's Double.parseDouble reads it; NaN and infinities refused."""
    value = parse_double(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def path_numbers(text: str | None, field: str) -> list[float]:
    """`(x1,y1,x2,y2,...)` as its numbers (empty when unset or blank)."""
    if text is None or not text.strip():
        return []
    body = text.strip()
    if len(body) < 2 or body[0] != "(" or body[-1] != ")":
        raise InvalidParameterError(f"distanceToPath({field}).path must be written (x1,y1,x2,y2,...), "
                                    f"not '{body[:60]}'")
    try:
        return [finite(item.strip()) for item in body[1:-1].split(",") if item.strip()]
    except ValueError:
        raise InvalidParameterError(f"distanceToPath({field}).path holds a value that is not a number: "
                                    f"'{body[:60]}'") from None


def vector_list(text: str) -> list[float]:
    """`[1 2 3]` or `[1,2,3]`: a dense vector's components."""
    items = [item for item in _ITEM.split(text.strip().strip("[]").strip()) if item]
    try:
        return [finite(item) for item in items]
    except ValueError:
        raise InvalidParameterError(f"dotProduct: '{text.strip()[:60]}' is not a list of numbers") from None


def vector_pairs(text: str, what: str) -> list[tuple[str, float]]:
    """`{a:1,b:2}` or `(a:1,b:2)` (Vespa's weighted-set form; the key ends at the last ':')."""
    body = text.strip()
    if len(body) < 2 or (body[0], body[-1]) not in (("{", "}"), ("(", ")")):
        raise InvalidParameterError(f"{what} must be written {{key:value,...}}, not '{body[:60]}'")
    pairs = []
    for item in body[1:-1].split(","):
        if not item.strip():
            continue
        key, colon, value = item.rpartition(":")
        try:
            number = finite(value)
        except ValueError:
            number = None
        if not colon or number is None:
            raise InvalidParameterError(f"'{item.strip()[:60]}' in {what} is not key:number")
        pairs.append((key.strip().strip("\"'"), number))
    return pairs


def vector_property_problem(key: str, value: str) -> str | None:
    """Why the path or vector rank property `key` cannot be `value` as text (None: it can, or it
    is neither). Whether a vector's keys suit the field (integer indexes of an array) is known only
    with the field, at query time."""
    try:
        if path := _PATH_KEY.fullmatch(key):
            path_numbers(value, path[1])
        elif (vector := _DOT_PRODUCT_KEY.fullmatch(key)) and value.strip():
            if value.strip().startswith("["):
                vector_list(value)
            else:
                vector_pairs(value, f"dotProduct: the vector {vector[1]}")
    except InvalidParameterError as error:
        return str(error)
    return None
