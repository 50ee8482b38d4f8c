"""searchlib.utf16: words as Java's UTF-16 units and back, an unpaired surrogate as U+FFFD (as
Lucene's UTF-8 encoding of a term writes it)."""
from __future__ import annotations

import pytest

from searchlib.utf16 import join_utf16, utf16_units


def test_units_split_supplementary_characters_only() -> None:
    assert utf16_units("a\U0001d400b") == "a\ud835\udc00b"
    assert utf16_units("αβγ") == "αβγ"
    assert utf16_units("") == ""


@pytest.mark.parametrize(("units", "text"), [
    ("a\ud835\udc00b", "a\U0001d400b"),  # a pair: one character
    ("a\ud835b", "a\ufffdb"),  # a high surrogate with no low one after it
    ("\ud835\ud835\udc00", "\ufffd\U0001d400"),  # a high one, then a pair
    ("\ud835\udc00\udc00", "\U0001d400\ufffd"),  # a pair, then a low one
    ("\udc00\ud835", "\ufffd\ufffd"),  # out of order: two
    ("\ud835", "\ufffd"),
    ("plain", "plain"),
])
def test_join_pairs_surrogates_and_replaces_unpaired_ones(units: str, text: str) -> None:
    assert join_utf16(units) == text
    assert join_utf16(list(units)) == text


def test_units_and_join_round_trip() -> None:
    word = "x\U0001f600y\U0001d400"
    assert join_utf16(utf16_units(word)) == word
    assert len(utf16_units(word)) == 6
