"""Points and vectors written as text in rank properties (`distanceToPath(<field>).path`,
`dotProduct.<name>`), parsed one way: the content node reads them at query time (a 400), the schema
compiler checks a profile's `rank-properties` with the same functions (a located error at deploy).
Numbers are Java's Double grammar (searchlib.java_numbers), finite."""
from __future__ import annotations

import math
import re

import numpy as np

from searchlib.errors import InvalidParameterError
from searchlib.java_numbers import parse_double, parse_long

_ITEM = re.compile(r"\s*,\s*|\s+")
_PATH_KEY = re.compile(r"distanceToPath\((.+)\)\.path")
DOT_PRODUCT_KEY = re.compile(r"dotProduct\.(.+)")


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


MAX_INDEX = (1 << 24) - 1  # a sparse array vector's largest index (no array attribute holds more here)
# dotProduct(f, v) or dotProduct(f, query(v)): reads the rank property dotProduct.v
_DOT_PRODUCT_FEATURE = re.compile(r"\bdotProduct\s*\(\s*([\w.]+)\s*,\s*(?:query\s*\(\s*([\w.]+)\s*\)|([\w.]+))\s*\)")


def indexed_vector(pairs: list[tuple[str, float]], name: str) -> np.ndarray:
    """`{0:1,3:2}` over an array: dense by integer index (absent ones 0)."""
    try:
        indexed = [(parse_long(key.strip()), value) for key, value in pairs]
    except ValueError:
        raise InvalidParameterError(f"dotProduct: the vector {name} of an array needs integer indexes") from None
    if any(index < 0 for index, _ in indexed):
        raise InvalidParameterError(f"dotProduct: the vector {name} has a negative index")
    if any(index > MAX_INDEX for index, _ in indexed):  # the vector is made dense: bounded memory
        raise InvalidParameterError(f"dotProduct: the vector {name} has an index above {MAX_INDEX}")
    vector = np.zeros(max((index for index, _ in indexed), default=-1) + 1)
    for index, value in indexed:
        vector[index] = value
    return vector


def dot_product_vector(text: str, name: str, weighted_set: bool) -> list[tuple[str, float]] | np.ndarray:
    """The rank property dotProduct.<name> as `dotProduct(f, name)` reads it: key:number pairs over a
    weighted set; `[1 2 3]` or integer-indexed pairs (dense) over an array."""
    if weighted_set:
        return vector_pairs(text, f"dotProduct: the vector {name}")
    body = text.strip()
    if body.startswith("["):
        return np.array(vector_list(body), dtype=np.float64)
    return indexed_vector(vector_pairs(body, f"dotProduct: the vector {name}"), name)


def dot_product_readers(texts) -> dict[str, set[str]]:
    """Over the expression texts of a rank profile: each vector name its dotProduct features read
    (dotProduct.<name>) -> the attributes they read it for."""
    readers: dict[str, set[str]] = {}
    for text in texts:
        for match in _DOT_PRODUCT_FEATURE.finditer(text):
            readers.setdefault(match[2] or match[3], set()).add(match[1])
    return readers


def vector_property_problem(key: str, value: str) -> str | None:
    """Why the path or vector rank property `key` cannot be `value` as text (None: it can, or it
    is neither). Whether a vector's keys suit the field (integer indexes of an array) is known only
    with the field, at query time."""
    try:
        if path := _PATH_KEY.fullmatch(key):
            path_numbers(value, path[1])
        elif (vector := DOT_PRODUCT_KEY.fullmatch(key)) and value.strip():
            if value.strip().startswith("["):
                vector_list(value)
            else:
                vector_pairs(value, f"dotProduct: the vector {vector[1]}")
    except InvalidParameterError as error:
        return str(error)
    return None
