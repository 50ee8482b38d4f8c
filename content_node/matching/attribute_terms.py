"""Terms, ranges and `in` over attribute fields, as Vespa matches them: a document matches when one
of its values does (an array's elements, a weighted set's keys, or the single value).

- strings: the whole value equals the term, case-insensitively (both normalized) unless
  `match: cased` (`match: prefix` has no effect, as in Vespa); with {prefix: true} the value starts with the term,
  {substring: true} holds it, {suffix: true} ends with it;
- numbers: the term is a number, or a range `[low;high]` (either side may be empty, `<`/`>` for
  an exclusive bound), `<x`, `>x`;
- bool: "true"/"false" (or 1/0).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from typing import Callable, Iterable

import numpy as np

from searchlib.java_numbers import java_trim, parse_double, parse_long
from searchlib.linguistics import normalize
from searchlib.match_modes import AFFIX_TESTS
from searchlib.numbers import present
from searchlib.query import tree as q
from searchlib.schema.model import Field

EMPTY = np.empty(0, dtype=np.int32)
_MULTI_VALUE = ("array", "weightedset")
_INFINITE = re.compile(r"[+-]?inf(?:inity)?", re.IGNORECASE | re.ASCII)
_BOOL_TERMS = {"true": 1.0, "false": 0.0, "1": 1.0, "0": 0.0}


def is_multi_value(spec: Field) -> bool:
    return spec.type.kind in _MULTI_VALUE


def element_kind(spec: Field) -> str:
    """The kind of each value: the element kind for arrays and weighted sets."""
    element = spec.type.element
    return element.kind if is_multi_value(spec) and element is not None else spec.type.kind


def values_of(value: object) -> Iterable[object]:
    """The values one document holds (nothing when unset)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    if isinstance(value, dict):  # a weighted set: its keys
        return value.keys()
    if isinstance(value, (list, tuple)):
        return value
    return (value,)


def is_cased(spec: Field) -> bool:
    return spec.settings.get("match.cased", "false") != "false"


def string_fold(spec: Field) -> Callable[[str], str]:
    return (lambda text: text) if is_cased(spec) else normalize


def term_predicate(spec: Field, term: str, affix: str = "") -> Callable[[object], bool]:
    """Whether one value matches the term; a string value by `affix` (prefix, substring, suffix)
    when given, else by the field's match mode."""
    kind = element_kind(spec)
    if kind == "bool":
        wanted = bool_term(term)
        return (lambda value: False) if wanted is None else (lambda value: as_number(value) == wanted)
    if kind in ("int", "long", "byte", "float", "double"):
        bounds = numeric_bounds(term)
        if bounds is None:
            return lambda value: False
        low, high, low_inclusive, high_inclusive = bounds
        return lambda value: within(as_number(value), low, high, low_inclusive, high_inclusive)
    fold = string_fold(spec)
    wanted_text = fold(term)
    # `match: prefix` on an attribute has no effect (Vespa: "attributes always support prefix
    # searches"): a term is the whole value unless the query asks for an affix
    compare = AFFIX_TESTS.get(affix, str.__eq__)
    return lambda value: isinstance(value, str) and compare(fold(value), wanted_text)


Number = int | float


def bool_term(term: str) -> float | None:
    """1.0 or 0.0 for a bool term ("true"/"false" in any case, or 1/0), trimmed as the number
    grammar trims (Java's String.trim: ASCII controls and spaces, no Unicode space); else None."""
    return _BOOL_TERMS.get(java_trim(term).lower())


def numeric_bounds(term: str) -> tuple[Number | None, Number | None, bool, bool] | None:
    """(low, high, low inclusive, high inclusive) of a numeric term (integers exact); None if it
    is not one."""
    text = java_trim(term)
    try:
        if text[:1] in "[<" and text[-1:] in "]>" and ";" in text:  # `<` / `>`: that bound exclusive
            low_text, high_text = text[1:-1].split(";", 1)
            low = _number(low_text) if java_trim(low_text) else None
            high = _number(high_text) if java_trim(high_text) else None
            return low, high, text[0] == "[", text[-1] == "]"
        if text.startswith("<"):
            return None, _number(text[1:]), True, False
        if text.startswith(">"):
            return _number(text[1:]), None, False, True
        value = _number(text)
    except ValueError:
        return None
    return (None if math.isnan(value) else (value, value, True, True))


def _number(text: str) -> Number:
    """A 64-bit integer exactly (Vespa's L suffix allowed), else a double, by the shared Java
    grammar (no `1_0`, no non-ASCII digits or spaces). `inf`/`-inf` in any case are bounds too: the
    content node reads terms with C's strtod, and a Range prints an infinite bound so."""
    stripped = java_trim(text)
    if _INFINITE.fullmatch(stripped):
        return -math.inf if stripped[0] == "-" else math.inf
    try:
        return parse_long(stripped[:-1] if stripped[-1:] in ("l", "L") else stripped)
    except ValueError:
        return parse_double(stripped)


def attribute_term_matches(spec: Field, column: np.ndarray, term: str, affix: str = "") -> np.ndarray:
    """Sorted local ids of the documents holding a value that matches the term."""
    if not is_multi_value(spec) and column.dtype != object:  # single numbers/bools: vectorized
        bounds = numeric_bounds(term) if element_kind(spec) != "bool" else (
            None if (b := bool_term(term)) is None else (b, b, True, True))
        if bounds is None:
            return EMPTY
        return np.flatnonzero(range_mask(column, *bounds)).astype(np.int32)
    return documents_where(column, term_predicate(spec, term, affix))


def string_document_counts(spec: Field, column: np.ndarray, alive: np.ndarray) -> dict[str, int]:
    """Alive documents holding each value of a string attribute, keyed by the value folded as a
    term matches it (term_predicate without an affix): a word's documents are
    `counts.get(string_fold(spec)(word), 0)`. A document counts once per value; one pass over
    the column, each distinct value folded once."""
    fold = string_fold(spec)
    values = column[np.flatnonzero(alive[:len(column)])].tolist()
    counts: Counter[str] = Counter()
    if not is_multi_value(spec):
        for value, count in Counter(values).items():
            if isinstance(value, str):
                counts[fold(value)] += count
        return dict(counts)
    folded: dict[str, str] = {}

    def folded_value(value: str) -> str:
        found = folded.get(value)
        if found is None:
            found = folded[value] = fold(value)
        return found

    for document in values:
        counts.update({folded_value(value) for value in values_of(document) if isinstance(value, str)})
    return dict(counts)


def documents_where(column: np.ndarray, passes: Callable[[object], bool]) -> np.ndarray:
    """Sorted local ids of the documents with a value that passes (each distinct string once)."""
    values = column.tolist()
    try:  # single values (shared str instances): test the distinct ones, then look each row up
        distinct = set(values)
    except TypeError:  # arrays and weighted sets
        pass
    else:
        accepted = {value for value in distinct if value is not None and passes(value)}
        return np.flatnonzero(np.fromiter((value in accepted for value in values), dtype=bool,
                                          count=len(values))).astype(np.int32)
    verdicts: dict[object, bool] = {}

    def value_passes(value: object) -> bool:
        if isinstance(value, str):
            found = verdicts.get(value)
            if found is None:
                found = verdicts[value] = passes(value)
            return found
        return passes(value)

    hit = np.fromiter((any(value_passes(v) for v in values_of(document)) for document in values),
                      dtype=bool, count=len(values))
    return np.flatnonzero(hit).astype(np.int32)


def multi_value_range(column: np.ndarray, node: q.Range) -> np.ndarray:
    """Sorted local ids of the documents with an element in the range; a hit limit keeps the
    documents whose lowest (highest for -N) element in range is among the N lowest (highest)."""
    ids, extremes = [], []
    for local_id, document in enumerate(column):
        inside = [n for n in map(as_number, values_of(document))
                  if within(n, node.low, node.high, node.low_inclusive, node.high_inclusive)]
        if inside:
            ids.append(local_id)
            extremes.append(min(inside) if node.hit_limit >= 0 else -max(inside))
    found = np.array(ids, dtype=np.int64)
    if node.hit_limit and len(found) > abs(node.hit_limit):
        order = np.lexsort((found, np.array(extremes)))[: abs(node.hit_limit)]
        found = np.sort(found[order])
    return found.astype(np.int32)


def value_in_range(value: object, node: q.Range) -> bool:
    """Whether one numeric value lies in the range (None, strings and NaN never do)."""
    if value is None or isinstance(value, str):
        return False
    number = as_number(value)
    return number == number and within(number, node.low, node.high, node.low_inclusive, node.high_inclusive)


def range_mask(column: np.ndarray, low: Number | None, high: Number | None, low_inclusive: bool,
               high_inclusive: bool) -> np.ndarray:
    """Which rows of a single-value numeric column are in the range: exact on int64 columns (a
    float bound is first rounded inward to an integer, so no value is compared as a double)."""
    mask = present(column)
    if column.dtype.kind == "i":
        low, low_inclusive = _inward(low, low_inclusive, +1)
        high, high_inclusive = _inward(high, high_inclusive, -1)
    if low is not None:
        mask &= column >= low if low_inclusive else column > low
    if high is not None:
        mask &= column <= high if high_inclusive else column < high
    return mask


def _inward(bound: Number | None, inclusive: bool, direction: int) -> tuple[Number | None, bool]:
    """A finite float bound of a range over integers as the inclusive integer bound it means
    (direction +1 for a low bound, -1 for a high one); infinities compare exactly as they are."""
    if not isinstance(bound, float) or not math.isfinite(bound):
        return bound, inclusive
    if direction > 0:
        return (math.ceil(bound) if inclusive else math.floor(bound) + 1), True
    return (math.floor(bound) if inclusive else math.ceil(bound) - 1), True


def within(value: Number, low: Number | None, high: Number | None, low_inclusive: bool,
            high_inclusive: bool) -> bool:
    """Python compares ints with floats exactly, so int values and bounds stay exact here."""
    if math.isnan(value):
        return False
    if low is not None and (value < low or (value == low and not low_inclusive)):
        return False
    return high is None or value < high or (value == high and high_inclusive)


def as_number(value: object) -> Number:
    """A stored value as a number, integers exact (weighted set keys arrive as JSON strings)."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, np.integer)):
        return int(value)
    try:
        return _number(value) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, IndexError):
        return math.nan
