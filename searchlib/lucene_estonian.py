"""The Snowball Estonian stemmer as Lucene 9.12.3 ships it (org.tartarus.snowball.ext.EstonianStemmer,
generated from Snowball's 2021 estonian.sbl by Snowball 2.0.0), written from its rules. Snowball 3
revised the algorithm (PyStemmer 3 and snowballstemmer 3 carry that one), so neither is used.

R1 begins after the first non-vowel that follows a vowel. Suffixes are matched longest first and, but
for the final undoubling, only inside R1. A whole word that is a form of one of 18 irregular verbs is
replaced by its stem and nothing else is done; otherwise: the emphatic -gi/-ki, then verb endings,
and only when none was removed the noun steps (special endings, case endings, plural of the first
three cases, degrees, -i plural, -nu participles), then kk/pp/tt before a final vowel undoubled.
"""
from __future__ import annotations

from searchlib.lucene_estonian_data import (CASE_ENDINGS, DEGREES, LONG_VOWELS, NU_ENDINGS, PLURAL_ENDINGS,
                                            SPECIAL_NOUN_ENDINGS, VERB_ENDINGS, VERB_EXCEPTIONS)
from searchlib.utf16 import join_utf16, utf16_units

_V1 = frozenset("aeiouäõöü")
_RV = frozenset("aeiou")
_KI = frozenset("bdfghkpstzšž")  # letters before which an emphatic -ki goes
_GI = frozenset("aceijlmnoqruvwxäõöü")  # letters before which an emphatic -gi goes


def _longest_first(table) -> tuple[str, ...]:
    return tuple(sorted(table, key=len, reverse=True))


_VERBS, _PLURALS, _SPECIALS, _CASES, _DEGREES, _NUS = map(_longest_first, (
    VERB_ENDINGS, PLURAL_ENDINGS, SPECIAL_NOUN_ENDINGS, CASE_ENDINGS, DEGREES, NU_ENDINGS))  # sorted once


class _Word:
    def __init__(self, text: str) -> None:
        self.text = text
        self.r1 = len(text)
        for i, char in enumerate(text):
            if char in _V1:
                rest = next((j for j in range(i + 1, len(text)) if text[j] not in _V1), None)
                if rest is not None:
                    self.r1 = rest + 1
                break

    def ending(self, endings: tuple[str, ...]) -> str | None:
        """The first (so the longest) of `endings`, longest first, that lies in R1 (None when the word
        is shorter than R1)."""
        if len(self.text) < self.r1:
            return None
        region = self.text[self.r1:]
        return next((end for end in endings if region.endswith(end)), None)

    def before(self, ending: str) -> str:
        return self.text[:len(self.text) - len(ending)]

    def replace(self, ending: str, by: str = "") -> None:
        self.text = self.before(ending) + by


def _vowel_then(before: str, vowels: frozenset[str]) -> bool:
    return bool(before) and before[-1] in vowels


def _emphasis(w: _Word) -> None:
    end = w.ending(("gi", "ki"))
    if end is None or len(w.before(end)) < 4:
        return
    before = w.before(end)
    if end == "gi" and before[-1] in _GI and not before.endswith(LONG_VOWELS) or \
            end == "ki" and before[-1] in _KI:
        w.replace(end)


def _verb(w: _Word) -> bool:
    end = w.ending(_VERBS)
    if end is None:
        return False
    action = VERB_ENDINGS[end]
    if action == "vowel" and not _vowel_then(w.before(end), _V1):
        return False
    w.replace(end, "a" if action == "a" else "")
    return True


def _case_or_long_vowel(w: _Word, end: str) -> None:
    """Delete `end` after a vowel of RV or a long vowel."""
    before = w.before(end)
    if _vowel_then(before, _RV) or before.endswith(LONG_VOWELS):
        w.replace(end)


def _plural_three_first_cases(w: _Word) -> None:
    end = w.ending(_PLURALS)
    if end is None:
        return
    action, before = PLURAL_ENDINGS[end], w.before(end)
    if action == "iku":
        w.replace(end, "iku")
    elif action == "sid":
        if not before.endswith(LONG_VOWELS):
            w.replace(end)
    elif action == "d":
        _case_or_long_vowel(w, end)
    elif not before.endswith("t"):  # -te: after mis/las/lis an e stays; short stems keep a t
        if len(before) < 4:
            w.replace(end, "t")
        else:
            w.replace(end, "e" if before.endswith(("mis", "las", "lis")) else "")


def _substantive(w: _Word) -> None:
    end = w.ending(_SPECIALS)
    if end is not None:
        w.replace(end, SPECIAL_NOUN_ENDINGS[end])
    end = w.ending(_CASES)
    if end is not None:
        _case_or_long_vowel(w, end)
    _plural_three_first_cases(w)
    end = w.ending(_DEGREES)
    if end is not None and (end == "ma" or _vowel_then(w.before(end), _RV)):
        w.replace(end)
    end = w.ending(("i",))
    if end is not None and _vowel_then(w.before(end), _RV):
        w.replace(end)
    end = w.ending(_NUS)
    if end is not None:
        w.replace(end)


def estonian_stem(word: str) -> str:
    if word in VERB_EXCEPTIONS:
        return VERB_EXCEPTIONS[word]
    w = _Word(utf16_units(word))  # Snowball counts Java's UTF-16 units
    _emphasis(w)
    if not _verb(w):
        _substantive(w)
    text = w.text
    if len(text) >= 3 and text[-1] in _V1 and text[-3:-1] in ("kk", "pp", "tt"):
        text = text[:-3] + text[-2:]
    return join_utf16(text)
