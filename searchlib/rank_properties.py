"""The numbers rank features read from rank properties (a profile's `rank-properties`, a query's
`ranking.properties.*`), read one way everywhere: Java's number grammar (searchlib.java_numbers),
finite, in range, else an InvalidParameterError naming the property (a 400 from a query). The schema
compiler checks a profile's against the same table (`property_problem`), so a bad one is a located
schema error at deploy, and the content node reads them through `number`/`count` at query time.
"""
from __future__ import annotations

import math
import re
from typing import Mapping

from searchlib.errors import InvalidParameterError, quote_input
from searchlib.java_numbers import parse_double
from searchlib.rank_tables import is_table_property, table_property_problem
from searchlib.rank_vectors import DOT_PRODUCT_KEY, dot_product_vector, vector_property_problem

UINT32_MAX = (1 << 32) - 1  # Vespa reads lengths, windows and term limits as uint32


def _shown(value: object) -> str:
    return quote_input(str(value), 40)


def number(properties: Mapping[str, str], default: float, *keys: str, positive: bool = False) -> float:
    """The first of the rank properties `keys` that is set, as a finite number (above 0 where
    `positive`), else `default`."""
    for key in keys:
        value = properties.get(key)
        if value is not None:
            try:
                found = parse_double(value)
            except ValueError:
                raise InvalidParameterError(f"{key} must be a number, not '{_shown(value)}'") from None
            if not math.isfinite(found):
                raise InvalidParameterError(f"{key} must be a finite number, not '{_shown(value)}'")
            if positive and found <= 0.0:
                raise InvalidParameterError(f"{key} must be a number above 0, not '{_shown(value)}'")
            return found
    return default


def count(properties: Mapping[str, str], default: int, *keys: str, maximum: int = UINT32_MAX) -> int:
    """The first of the rank properties `keys` that is set, as a whole number from 0 to `maximum`
    (a fraction is cut, as Vespa's uint32 reading), else `default`."""
    for key in keys:
        if properties.get(key) is not None:
            found = number(properties, 0.0, key)
            if not 0 <= found <= maximum:
                raise InvalidParameterError(f"{key} must be from 0 to {maximum}, not '{_shown(properties[key])}'")
            return int(found)
    return default


def element_gap_property(properties: Mapping[str, str], key: str) -> int | None:
    """An element gap set as a rank property (Vespa's get_element_gap): None for `infinity`."""
    value = properties.get(key)
    return None if value == "infinity" else count(properties, 0, key)


_ARGS = r"\([^()]*(?:\([^()]*\)[^()]*)*\)"  # (title), (pos), (bm25(title),x,float)
_NATIVE_NUMBERS = ("nativeRank.fieldMatchWeight", "nativeRank.proximityWeight", "nativeRank.attributeMatchWeight",
                   "nativeFieldMatch.firstOccurrenceImportance", "nativeProximity.proximityImportance")
_NATIVE_COUNTS = ("nativeFieldMatch.minFieldLength", "nativeFieldMatch.averageFieldLength",
                  "nativeProximity.slidingWindowSize")


def _named(names: tuple[str, ...]) -> str:
    """`feature.name`, `feature.name.<field>` or `feature(<field>).name` for each of names."""
    forms = []
    for name in names:
        feature, _, setting = name.partition(".")
        forms += [re.escape(name) + r"(?:\..+)?", re.escape(feature) + _ARGS + r"\." + re.escape(setting)]
    return "|".join(forms)


# (key pattern, kind): every numeric rank property a feature here reads
NUMERIC_PROPERTIES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), kind) for pattern, kind in (
        (_named(_NATIVE_COUNTS), "count"),
        (_named(_NATIVE_NUMBERS), "number"),
        (r"bm25" + _ARGS + r"\.(?:k1|b|averageFieldLength)", "number"),
        (r"elementwise" + _ARGS + r"\.(?:k1|b|averageElementLength)", "number"),
        (r"freshness" + _ARGS + r"\.maxAge", "positive"),
        (r"elementCompleteness" + _ARGS + r"\.fieldCompletenessImportance", "number"),
        (r"attributeMatch" + _ARGS + r"\.(?:maxWeight|fieldCompletenessImportance)", "number"),
        (r"closeness" + _ARGS + r"\.(?:maxDistance|halfResponse)", "number"),
        (r"foreach\.maxTerms", "count"),
        (r"vespa\.fieldweight\..+", "number"),
        (r"nativeProximity\.elementGap\..+", "gap"),
    ))


def property_problem(key: str, value: str) -> str | None:
    """Why the rank property `key` cannot hold `value` (None: it can, or it is no number here)."""
    for pattern, kind in NUMERIC_PROPERTIES:
        if pattern.fullmatch(key):
            try:
                if kind == "gap":  # an element gap: a count, or `infinity` (elements never pair)
                    element_gap_property({key: value}, key)
                elif kind == "count":
                    count({key: value}, 0, key)
                else:
                    number({key: value}, 0.0, key, positive=kind == "positive")
            except InvalidParameterError as error:
                return str(error)
            return None
    return None


def rank_property_problem(key: str, value: str) -> str | None:
    """Why a rank feature cannot read the rank property `key` as `value`: a table, a number, a path
    or a vector, each by the function the content node reads it with, so the message is the node's.
    The one check of a profile's rank-properties (a located error at deploy) and of a query's
    ranking.properties (a 400 from the container before any node is asked)."""
    return (table_property_problem(key, value) or property_problem(key, value)
            or vector_property_problem(key, value))


def query_may_set(key: str) -> bool:
    """Whether a query's ranking.properties can set the rank property `key`: not a native feature's
    table, which Vespa reads from the profile only (util::lookupTable over the index environment);
    a query's is accepted and ignored (and would otherwise make a table of up to 2^20 entries).
    The content node drops what this refuses (rank_program), and the container checks only the rest."""
    return not is_table_property(key)


def query_properties(given: Mapping[str, str]) -> dict[str, str]:
    """The query's rank properties the content node reads (`query_may_set`)."""
    return {key: value for key, value in given.items() if query_may_set(key)}


def check_properties(properties: Mapping[str, str], vectors: Mapping[str, set[bool]] | None = None) -> None:
    """InvalidParameterError for the first of a query's rank properties a rank feature cannot read
    (those a query may not set are ignored, not checked). A vector (dotProduct.<name>) is read only by
    the dotProduct features of the profile: `vectors` maps each name they read to whether over a
    weighted set (True) or an array (False); a vector none reads is not checked, as the node reads
    none such."""
    for key, value in query_properties(properties).items():
        if vector := DOT_PRODUCT_KEY.fullmatch(key):
            problem = None
            if value.strip():
                for weighted_set in sorted((vectors or {}).get(vector[1], ())):
                    try:
                        dot_product_vector(value, vector[1], weighted_set)
                    except InvalidParameterError as error:
                        problem = str(error)
                        break
        else:
            problem = rank_property_problem(key, value)
        if problem is not None:
            raise InvalidParameterError(problem)
