"""Lucene's ASCIIFoldingFilter (the `asciiFolding` token filter): characters of the Latin,
punctuation, enclosed, ligature and fullwidth blocks Lucene lists become their ASCII equivalent
(é→e, ß→ss, æ→ae, ﬁ→fi, Ⓐ→A, ⒜→(a), Ａ→A); every other character, and a character of those
blocks without an ASCII equivalent (§, ¦, ¤), is kept. Characters are folded one at a time, as Lucene does:
a combining mark written apart (e + U+0301) is not in its blocks and stays.

The equivalents come from Unicode rather than a copied table: the compatibility decomposition
(NFKD, marks dropped) when that is ASCII, else the letter the character's name is built on
("LATIN SMALL LETTER D WITH STROKE" → d, "LATIN LETTER SMALL CAPITAL B" → B, "LATIN SMALL LIGATURE
OE" → oe), else the few letters named otherwise (ß, þ, ð, ŋ, ə, ĸ ...) and the quotation marks and
dashes below. Lucene's table may differ on rare letters of these blocks.
"""
from __future__ import annotations

import functools
import re
import unicodedata

# the blocks ASCIIFoldingFilter folds (its documentation lists them)
_BLOCKS = ((0x0080, 0x024F), (0x0250, 0x02AF), (0x1D00, 0x1DBF), (0x1E00, 0x1EFF), (0x2000, 0x206F),
           (0x2070, 0x209F), (0x2460, 0x24FF), (0x2700, 0x27BF), (0x2C60, 0x2C7F), (0x2E00, 0x2E7F),
           (0xA720, 0xA7FF), (0xFB00, 0xFB4F), (0xFF00, 0xFFEF))
# letters whose name does not spell their ASCII equivalent
_NAMED = {"SHARP S": "ss", "THORN": "th", "ETH": "d", "ENG": "n", "SCHWA": "a", "KRA": "q", "LONG S": "s",
          "EZH": "z", "GLOTTAL STOP": "?"}
_PUNCTUATION = {**dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2035\u2039\u203a\u275b\u275c", "'"),
                **dict.fromkeys("\u00ab\u00bb\u201c\u201d\u201e\u201f\u2033\u2036\u275d\u275e\u2e42", '"'),
                **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u207b\u208b", "-")}
# a shape word before the letter names a variant of the same letter ("TURNED AE", "BARRED B")
_SHAPE = r"(?:(?:TURNED|BARRED|DOTLESS|SCRIPT|OPEN|REVERSED|CLOSED) )?"
_MARKS = r"(?: WITH .*| PRECEDED BY .*)?"  # what is added to the base letter
_LETTER_NAME = re.compile(r"LATIN (?:SUBSCRIPT )?(CAPITAL|SMALL) (?:LETTER|LIGATURE) " + _SHAPE + r"(.+?)" + _MARKS)
_SMALL_CAPITAL = re.compile(r"LATIN LETTER SMALL CAPITAL " + _SHAPE + r"(.+?)" + _MARKS)


def fold(token: str) -> str:
    """The token with each foldable character replaced by its ASCII equivalent."""
    if token.isascii():
        return token
    return "".join(_fold_char(c) for c in token)


@functools.lru_cache(maxsize=4096)
def _fold_char(c: str) -> str:
    code = ord(c)
    if code < 0x80 or not any(low <= code <= high for low, high in _BLOCKS):
        return c
    if c in _PUNCTUATION:
        return _PUNCTUATION[c]
    decomposed = "".join(d for d in unicodedata.normalize("NFKD", c) if not unicodedata.combining(d))
    if decomposed and decomposed.isascii() and decomposed.strip():
        return decomposed
    name = unicodedata.name(c, "")
    found = _LETTER_NAME.fullmatch(name)
    if found:
        base = _NAMED.get(found.group(2), found.group(2))
        if re.fullmatch(r"[A-Za-z?]{1,2}", base):
            return base.upper() if found.group(1) == "CAPITAL" and base != "?" else base.lower()
    found = _SMALL_CAPITAL.fullmatch(name)
    if found:
        base = _NAMED.get(found.group(1), found.group(1))
        if re.fullmatch(r"[A-Za-z]{1,2}", base):
            return base.upper()
    return c
