"""Fuzzy and regular-expression matching of whole string values (YQL `fuzzy()` and `matches`).

One definition for both processes: the container compiles a pattern to refuse a bad one with a
400, content nodes match attribute values with the same rules.

- fuzzy: Levenshtein distance over code points of the lowercased value (as written on `match:
  cased` attributes), at most `max_edit_distance`, with the first `prefix_length` characters
  equal; with `prefix` the query may match any prefix of the value (Vespa's prefix-fuzzy). The DP
  is banded (only cells within max_edit_distance of the diagonal) and stops as soon as a row's
  minimum exceeds the bound.
- matches: RE2 (google-re2), a linear-time automaton: no backtracking, so no pattern can take
  super-linear time; case-insensitive like Vespa's regex on attributes, except on `match: cased`
  ones; unanchored (a match anywhere in the value) unless the pattern anchors itself with ^ or $.
"""
from __future__ import annotations

import re2

_INFINITE = 1 << 30


class PatternError(ValueError):
    """A regular expression RE2 does not accept (backreferences, lookaround, syntax errors)."""


def compile_regex(pattern: str, cased: bool = False) -> "re2._Regexp":
    options = re2.Options()
    options.case_sensitive = cased
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as error:
        detail = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else str(error)
        raise PatternError(f"Invalid regular expression '{pattern}': {detail}") from None


def fuzzy_match(value: str, term: str, max_edit_distance: int, prefix_length: int = 0,
                prefix: bool = False, cased: bool = False) -> bool:
    if not cased:
        value, term = value.lower(), term.lower()
    if value[:prefix_length] != term[:prefix_length]:
        return False
    value, term = value[prefix_length:], term[prefix_length:]
    if not prefix and abs(len(value) - len(term)) > max_edit_distance:
        return False
    return _bounded_distance(term, value, max_edit_distance, prefix) <= max_edit_distance


def _bounded_distance(term: str, value: str, bound: int, prefix: bool) -> int:
    """Edit distance term → value (or → the best prefix of value), or > bound when it exceeds it.
    Rows follow the value; a cell (i, j) is only computed for |i - j| <= bound."""
    previous = [j if j <= bound else _INFINITE for j in range(len(term) + 1)]
    best_prefix = previous[len(term)]
    for i in range(1, len(value) + 1):
        current = [_INFINITE] * (len(term) + 1)
        if i <= bound:
            current[0] = i
        low, high = max(1, i - bound), min(len(term), i + bound)
        char = value[i - 1]
        for j in range(low, high + 1):
            cost = previous[j - 1] + (term[j - 1] != char)
            current[j] = min(cost, previous[j] + 1, current[j - 1] + 1)
        previous = current
        best_prefix = min(best_prefix, current[len(term)])
        if min(current) > bound:
            return best_prefix if prefix else _INFINITE
    return min(best_prefix, previous[len(term)]) if prefix else previous[len(term)]
