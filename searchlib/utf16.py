"""A word as Java's UTF-16 units, for the Lucene filters written from their char[] rules: Lucene's
lengths, indexes and neighbours count units, and a character outside the BMP is two of them.

`utf16_units` gives one str character per unit (a supplementary character as its two surrogates),
`utf16_length` their count, and `join_utf16` makes characters of them again. A rule that copies a
neighbouring unit (the Bengali normalizer's visarga and ba-phala) can leave a surrogate unpaired;
Lucene keeps it in the term, and its UTF-8 encoding of the term writes U+FFFD in its place
(UnicodeUtil.UTF16toUTF8), so the join does the same: one U+FFFD per unpaired unit. The other
filters never split a pair (the tokenizer emits none unpaired), so for them it changes nothing.
"""
from __future__ import annotations

import re
import sys
from array import array
from collections.abc import Iterable

_SURROGATE = re.compile("[\ud800-\udfff]")


def utf16_units(text: str) -> str:
    """`text` as one str character per UTF-16 unit; a text all in the BMP is returned as it is."""
    if not text or max(text) < "\U00010000":
        return text
    units = array("H", text.encode("utf-16-le", "surrogatepass"))
    if sys.byteorder == "big":
        units.byteswap()
    return "".join(map(chr, units))


def utf16_length(text: str) -> int:
    """Java's String.length(): a character outside the BMP counts two."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def join_utf16(units: Iterable[str]) -> str:
    """The characters of `units` (a str or a list of UTF-16 units): each surrogate pair one
    character, each unpaired surrogate U+FFFD."""
    text = units if isinstance(units, str) else "".join(units)
    if _SURROGATE.search(text) is None:
        return text
    paired = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return _SURROGATE.sub("\ufffd", paired)
