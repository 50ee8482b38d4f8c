"""fuzzy() equals a naive edit-distance scan; `matches` (RE2) stays linear on adversarial patterns."""
from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchlib.query.string_match import PatternError, compile_regex, fuzzy_match


def levenshtein(a: str, b: str) -> int:
    """The textbook full-matrix DP, no banding, no early exit."""
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        previous, row[0] = row[:], i
        for j in range(1, len(b) + 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1]))
    return row[len(b)]


def naive_fuzzy(value: str, term: str, k: int, prefix_length: int, prefix: bool) -> bool:
    value, term = value.lower(), term.lower()
    if value[:prefix_length] != term[:prefix_length]:
        return False
    rest, wanted = value[prefix_length:], term[prefix_length:]
    if prefix:
        return any(levenshtein(wanted, rest[:n]) <= k for n in range(len(rest) + 1))
    return levenshtein(wanted, rest) <= k


words = st.text(alphabet="abcAé", max_size=9)


@settings(max_examples=1000, deadline=None)
@given(value=words, term=words, k=st.integers(0, 4), prefix_length=st.integers(0, 3), prefix=st.booleans())
def test_fuzzy_equals_a_naive_edit_distance_scan(value, term, k, prefix_length, prefix) -> None:
    assert fuzzy_match(value, term, k, prefix_length, prefix) == naive_fuzzy(value, term, k, prefix_length, prefix)


def test_fuzzy_hand_worked() -> None:
    assert fuzzy_match("Alphabet", "alphabit", 1)  # one substitution
    assert not fuzzy_match("alphabet", "alpha", 2)  # three deletions
    assert fuzzy_match("alphabet", "alpha", 0, prefix=True)  # a prefix of the value
    assert not fuzzy_match("alphabet", "blphabet", 1, prefix_length=1)  # the first letter must be equal


ADVERSARIAL = ["(a+)+$", "(a|a)*b", "(a*)*c", "(a|aa)+$", "^(([a-z])+.)+[A-Z]([a-z])+$", "(.*a){20}"]


@pytest.mark.parametrize("pattern", ADVERSARIAL)
def test_matches_takes_linear_time_on_adversarial_patterns(pattern: str) -> None:
    """Python's re needs about 2^n steps for `(a+)+$` on 'a'*n + 'b' (n=30 would run for minutes);
    RE2 scans each input once: doubling the input at most ~doubles the time."""
    regex = compile_regex(pattern)

    def seconds(n: int) -> float:
        text = "a" * n + "!"
        start = time.perf_counter()
        for _ in range(3):
            regex.search(text)
        return time.perf_counter() - start

    seconds(1000)  # warm up
    small, large = seconds(10_000), seconds(80_000)
    assert large < 20 * small + 0.05  # 8x the input: linear gives ~8x, quadratic 64x
    assert large < 2.0


def test_python_re_would_backtrack_where_re2_does_not() -> None:
    text = "a" * 22 + "!"
    start = time.perf_counter()
    assert re.search("(a+)+$", text) is None  # no match, found after ~2^22 backtracking steps
    backtracking = time.perf_counter() - start
    start = time.perf_counter()
    assert compile_regex("(a+)+$").search(text) is None
    assert time.perf_counter() - start < backtracking / 10


@pytest.mark.parametrize("pattern", ["(a", "(a)\\1", "(?=a)b", "a{2,1}"])
def test_patterns_re2_cannot_run_are_refused(pattern: str) -> None:
    with pytest.raises(PatternError, match="Invalid regular expression"):
        compile_regex(pattern)


def test_matches_is_unanchored_and_case_insensitive() -> None:
    assert compile_regex("ph.b").search("ALPHABET")
    assert not compile_regex("^ph").search("alphabet")
