"""The IndonesianAnalyzer's stemmer as Lucene's IndonesianStemmer runs it (derivational stemming on,
its default): Tala's algorithm (A Study of Stemming Effects on Information Retrieval in Bahasa
Indonesia). A word's syllables are counted as its vowels (a, e, i, o, u); each rule below applies
only while more than two are left, and each removal takes one away:

1. a particle: -kah, -lah, -pun;
2. a possessive pronoun: -ku, -mu, -nya;
3. a first-order prefix (meng-, meny- before a vowel → s-, men-, mem-, me-, peng-, peny- before a
   vowel → s-, peny-, pen- before a vowel → t-, pen-, pem-, di-, ter-, ke-), remembered;
4. if one was removed: a suffix, and only if that fired a second-order prefix (ber-, belajar → ajar,
   be- before a consonant and "er", per-, pelajar → ajar, pe-); if none was: the second-order prefix,
   then the suffix. The suffixes: -kan (not after ke-, peng- or pe-), -an (not after di-, meng- or
   ter-), -i but not -si (not after ber-, ke- or peng-).
"""
from __future__ import annotations

from dataclasses import dataclass, field

_VOWELS = frozenset("aeiou")
# first-order prefixes: (prefix, what replaces it, the removal's kind, whether a vowel must follow)
_FIRST_ORDER = (("meng", "", "meng", False), ("meny", "s", "meng", True), ("men", "", "meng", False),
                ("mem", "", "meng", False), ("me", "", "meng", False), ("peng", "", "peng", False),
                ("peny", "s", "peng", True), ("peny", "", "peng", False), ("pen", "t", "peng", True),
                ("pen", "", "peng", False), ("pem", "", "peng", False), ("di", "", "di", False),
                ("ter", "", "ter", False), ("ke", "", "ke", False))


@dataclass
class _Word:
    text: str
    syllables: int
    removed: set[str] = field(default_factory=set)

    def cut(self, text: str) -> None:
        self.text = text
        self.syllables -= 1


def indonesian_stem(word: str) -> str:
    w = _Word(word, sum(1 for c in word if c in _VOWELS))
    if w.syllables > 2 and word.endswith(("kah", "lah", "pun")):
        w.cut(w.text[:-3])
    if w.syllables > 2:
        if w.text.endswith(("ku", "mu")):
            w.cut(w.text[:-2])
        elif w.text.endswith("nya"):
            w.cut(w.text[:-3])
    before = w.text
    if w.syllables > 2:
        _first_order_prefix(w)
    if w.text != before:
        before = w.text
        if w.syllables > 2:
            _suffix(w)
        if w.text != before and w.syllables > 2:
            _second_order_prefix(w)
    else:
        if w.syllables > 2:
            _second_order_prefix(w)
        if w.syllables > 2:
            _suffix(w)
    return w.text


def _first_order_prefix(w: _Word) -> None:
    for prefix, replacement, kind, before_vowel in _FIRST_ORDER:
        if w.text.startswith(prefix) and (not before_vowel or (len(w.text) > len(prefix)
                                                             and w.text[len(prefix)] in _VOWELS)):
            w.removed.add(kind)
            w.cut(replacement + w.text[len(prefix):])
            return


def _second_order_prefix(w: _Word) -> None:
    text = w.text
    if text.startswith("ber") or (len(text) == 7 and text == "belajar"):
        w.removed.add("ber")
        w.cut(text[3:])
    elif text.startswith("be") and len(text) > 4 and text[2] not in _VOWELS and text[3:5] == "er":
        w.removed.add("ber")
        w.cut(text[2:])
    elif text.startswith("per") or text == "pelajar":
        w.cut(text[3:])
    elif text.startswith("pe"):
        w.removed.add("pe")
        w.cut(text[2:])


def _suffix(w: _Word) -> None:
    text, removed = w.text, w.removed
    if text.endswith("kan") and not removed & {"ke", "peng", "pe"}:
        w.cut(text[:-3])
    elif text.endswith("an") and not removed & {"di", "meng", "ter"}:
        w.cut(text[:-2])
    elif text.endswith("i") and not text.endswith("si") and not removed & {"ber", "ke", "peng"}:
        w.cut(text[:-1])
