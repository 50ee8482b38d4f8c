"""The SoraniAnalyzer's normalizer and light stemmer (Lucene's SoraniNormalizer and SoraniStemmer;
Esmaili et al., Building a Test Collection for Sorani Kurdish), on a word's UTF-16 units as Lucene.

Normalization, character by character from the left: yeh and alef maksura to farsi yeh, kaf to
keheh, teh marbuta to ae, heh doachashmee to heh, reh with small v above to rreh; a heh that is the
last character so far to ae, a reh that is the first to rreh; a zero-width non-joiner is removed
and turns a heh before it into ae; tatweel, the harakat and other format characters are removed.
"""
from __future__ import annotations

import unicodedata

from searchlib.utf16 import join_utf16, utf16_units

_HEH, _AE, _ZWNJ = "\u0647", "\u06d5", "\u200c"
_REPLACED = {"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9", "\u0629": _AE, "\u06be": _HEH,
             "\u0692": "\u0695"}
_REMOVED = frozenset("\u0640\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652")


def sorani_normalize(word: str) -> str:
    chars = list(utf16_units(word))
    i = 0
    while i < len(chars):
        char = chars[i]
        if char == _ZWNJ:
            if i > 0 and chars[i - 1] == _HEH:
                chars[i - 1] = _AE
            del chars[i]
            continue
        if char in _REPLACED:
            chars[i] = _REPLACED[char]
        elif char == _HEH and i == len(chars) - 1:
            chars[i] = _AE
        elif char == "\u0631" and i == 0:
            chars[i] = "\u0695"
        elif char in _REMOVED or unicodedata.category(char) == "Cf":
            del chars[i]
            continue
        i += 1
    return join_utf16(chars)


# the stemmer's last step: the first (the word longer than, endings, units cut) that applies
_SORANI_ENDINGS = (
    (6, ("ێکی",), 3), (7, ("یەکی",), 4),  # indefinite singular ezafe
    (5, ("ێک",), 2), (6, ("یەک",), 3),  # indefinite singular
    (6, ("ەکە",), 3), (5, ("کە",), 2),  # definite singular
    (7, ("ەکان",), 4), (6, ("کان",), 3),  # definite plural
    (7, ("یانی",), 4), (6, ("انی",), 3),  # indefinite plural ezafe
    (6, ("یان",), 3), (5, ("ان",), 2),  # indefinite plural
    (7, ("یانە",), 4), (6, ("انە",), 3),  # demonstrative plural
    (5, ("ایە", "ەیە"), 2), (4, ("ە",), 1),  # demonstrative singular
    (4, ("ی",), 1))  # absolute singular ezafe


def sorani_stem(word: str) -> str:
    """SoraniStemmer: a postposition (-دا, -نا to -ن, -ەوە), then a possessive pronoun (-مان, -یان,
    -تان), then the first ending above, each only from a word longer than its limit."""
    s = utf16_units(word)
    if len(s) > 5 and s.endswith("دا"):
        s = s[:-2]
    elif len(s) > 4 and s.endswith("نا"):
        s = s[:-1]
    elif len(s) > 6 and s.endswith("ەوە"):
        s = s[:-3]
    if len(s) > 6 and s.endswith(("مان", "یان", "تان")):
        s = s[:-3]
    for longer, endings, cut in _SORANI_ENDINGS:
        if len(s) > longer and s.endswith(endings):
            s = s[:-cut]
            break
    return join_utf16(s)
