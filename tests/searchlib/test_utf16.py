"""searchlib.utf16: words as Java's UTF-16 units and back, an unpaired surrogate as U+FFFD (as
Lucene's UTF-8 encoding of a term writes it)."""
from __future__ import annotations

import pytest

from searchlib.lucene_estonian import estonian_stem
from searchlib.lucene_galician import galician_stem
from searchlib.lucene_greek import greek_stem
from searchlib.lucene_light_stemmers import portuguese_light_stem
from searchlib.utf16 import join_utf16, utf16_length, utf16_units


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


BOLD_A = "\U0001d400"


@pytest.mark.parametrize(("stem", "word", "stemmed"), [
    (portuguese_light_stem, BOLD_A + "as", BOLD_A + "a"),  # 4 units: long enough to lose -s ("zas" is not)
    (greek_stem, BOLD_A + "οσ", BOLD_A),  # 4 units: stemmed, rule 21's -οσ off ("αοσ" is kept)
    (galician_stem, BOLD_A + "casas", BOLD_A + "cas"),
    (estonian_stem, BOLD_A + "majades", BOLD_A + "maja"),
], ids=["portuguese", "greek", "galician", "estonian"])
def test_the_stemmers_count_units_and_give_whole_characters_back(stem, word: str, stemmed: str) -> None:
    assert stem(word) == stemmed


def test_length_counts_units() -> None:
    assert utf16_length("a\U0001d400b") == 4
    assert utf16_length("দুঃ") == 3
    assert utf16_length("a\ud835") == 2  # an unpaired surrogate is one unit, as in Java
