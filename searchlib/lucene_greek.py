"""Lucene's GreekAnalyzer pieces (9.12.3): GreekLowerCaseFilter and GreekStemmer (Ntais' rules, with
the exception lists of searchlib.lucene_greek_data), written from their rules.

The stemmer works as Lucene's does on a char buffer and a length: a rule cuts by lowering the
length, and a rule that "adds back" raises it again over the characters still in the buffer, or
writes new ones there (-αγαν, -ουν, -ουμ, -ομαστ, -οντ/-ωντ). Lengths are Java's UTF-16 units.
"""
from __future__ import annotations

from searchlib.lucene_greek_data import (RULE0, RULE1_KEEP_AD, RULE2_ENDS, RULE3_ENDS, RULE4_EXC, RULE6_EXC,
                                         RULE7_EXC, RULE8_EXC_A, RULE8_EXC_B, RULE8_GROUPS, RULE9_ENDS, RULE9_EXC,
                                         RULE12_EXC_A, RULE12_EXC_B, RULE13_ENDS, RULE13_EXC, RULE14_ENDS, RULE14_EXC,
                                         RULE15_ENDS_A, RULE15_EXC_A, RULE15_EXC_B, RULE16_EXC, RULE17_EXC,
                                         RULE18_EXC, RULE19_EXC, RULE21, VOWELS, VOWELS_NO_Y)
from searchlib.utf16 import join_utf16, utf16_units

# GreekLowerCaseFilter: final sigma as sigma, the accented vowels (both cases) as plain small ones, and
# the reserved U+03A2 as final sigma (kept for old indexes); otherwise Character.toLowerCase
_GREEK_LOWER = {0x03C2: 0x03C3, 0x0386: 0x03B1, 0x03AC: 0x03B1, 0x0388: 0x03B5, 0x03AD: 0x03B5, 0x0389: 0x03B7,
                0x03AE: 0x03B7, 0x038A: 0x03B9, 0x03AA: 0x03B9, 0x03AF: 0x03B9, 0x03CA: 0x03B9, 0x0390: 0x03B9,
                0x038E: 0x03C5, 0x03AB: 0x03C5, 0x03CD: 0x03C5, 0x03CB: 0x03C5, 0x03B0: 0x03C5, 0x038C: 0x03BF,
                0x03CC: 0x03BF, 0x038F: 0x03C9, 0x03CE: 0x03C9, 0x03A2: 0x03C2}


def greek_lower(term: str, java_lower) -> str:
    """GreekLowerCaseFilter, by code point (`java_lower`: Character.toLowerCase for the rest)."""
    return java_lower(term.translate(_GREEK_LOWER))


class _Buffer:
    """Lucene's char[] and length: `word` is the live part, the characters after it stay for adding back."""

    def __init__(self, text: str) -> None:
        self.chars, self.size = text, len(text)

    @property
    def word(self) -> str:
        return self.chars[:self.size]

    def ends(self, *suffixes: str) -> bool:
        return self.chars.endswith(suffixes, 0, self.size)

    def write(self, size: int, ending: str) -> None:
        """Length `size`, its last characters overwritten with `ending`."""
        self.chars = self.chars[:size - len(ending)] + ending + self.chars[size:]
        self.size = size

    def put(self, index: int, char: str) -> None:
        self.chars = self.chars[:index] + char + self.chars[index + 1:]

    def vowel_end(self, vowels: frozenset[str] = VOWELS) -> bool:
        return self.size > 0 and self.chars[self.size - 1] in vowels


def _cut_then(b: _Buffer, options: tuple[tuple[int, tuple[str, ...]], ...]) -> bool:
    """The first (ending length, endings) whose ending the word has and is longer than: cut it."""
    for size, endings in options:
        if b.size > size and b.ends(*endings):
            b.size -= size
            return True
    return False


def _rule0(b: _Buffer) -> None:
    for endings, cut, longer in RULE0:
        if b.size > longer and b.ends(*endings):
            b.size -= cut
            return


def _rule1_3(b: _Buffer) -> None:
    if b.size > 4 and b.ends("αδεσ", "αδων"):  # -αδεσ/-αδων keep -αδ unless the stem is a kinship word
        b.size -= 4
        if not b.ends(*RULE1_KEEP_AD):
            b.size += 2
    if b.size > 4 and b.ends("εδεσ", "εδων"):
        b.size -= 4
        if b.ends(*RULE2_ENDS):
            b.size += 2
    if b.size > 5 and b.ends("ουδεσ", "ουδων"):
        b.size -= 5
        if b.ends(*RULE3_ENDS):
            b.size += 3


def _rule4_6(b: _Buffer) -> None:
    if b.size > 3 and b.ends("εωσ", "εων"):
        b.size -= 3
        if b.word in RULE4_EXC:
            b.size += 1
    if b.size > 2 and b.ends("ια"):
        b.size -= 2
        if b.vowel_end():
            b.size += 1
    elif b.size > 3 and b.ends("ιου", "ιων"):
        b.size -= 3
        if b.vowel_end():
            b.size += 1
    if _cut_then(b, ((3, ("ικα", "ικο")), (4, ("ικου", "ικων")))):
        if b.vowel_end() or b.word in RULE6_EXC:
            b.size += 2


def _rule7(b: _Buffer) -> None:
    if b.size == 5 and b.ends("αγαμε"):
        b.size -= 1
        return
    _cut_then(b, ((7, ("ηθηκαμε",)), (6, ("ουσαμε",)), (5, ("αγαμε", "ησαμε", "ηκαμε"))))
    if b.size > 3 and b.ends("αμε"):
        b.size -= 3
        if b.word in RULE7_EXC:
            b.size += 2


def _rule8(b: _Buffer) -> None:
    for size, first, others in RULE8_GROUPS:
        if (b.size > size and b.ends(*first)) or (others and b.ends(*others)):
            b.size -= size
            if b.word in RULE8_EXC_A:
                b.write(b.size + 4, "αγαν")
            break
    if b.size > 3 and b.ends("ανε"):
        b.size -= 3
        if b.vowel_end(VOWELS_NO_Y) or b.word in RULE8_EXC_B:
            b.size += 2


def _rule9_11(b: _Buffer) -> None:
    if b.size > 5 and b.ends("ησετε"):
        b.size -= 5
    if b.size > 3 and b.ends("ετε"):
        b.size -= 3
        if b.word in RULE9_EXC or b.vowel_end(VOWELS_NO_Y) or b.ends(*RULE9_ENDS):
            b.size += 2
    if b.size > 5 and b.ends("οντασ", "ωντασ"):
        b.size -= 5
        if b.size == 3 and b.ends("αρχ"):  # -ντ back, after an ο
            b.size += 3
            b.put(b.size - 3, "ο")
        if b.ends("κρε"):  # -ντ back, after an ω
            b.size += 3
            b.put(b.size - 3, "ω")
    if b.size > 6 and b.ends("ομαστε"):
        b.size -= 6
        if b.size == 2 and b.ends("ον"):
            b.size += 5
    elif b.size > 7 and b.ends("ιομαστε"):
        b.size -= 7
        if b.size == 2 and b.ends("ον"):
            b.write(b.size + 5, "ομαστ")


def _rule12_14(b: _Buffer) -> None:
    if b.size > 5 and b.ends("ιεστε"):
        b.size -= 5
        if b.word in RULE12_EXC_A:
            b.size += 4
    if b.size > 4 and b.ends("εστε"):
        b.size -= 4
        if b.word in RULE12_EXC_B:
            b.size += 3
    _cut_then(b, ((6, ("ηθηκεσ",)), (5, ("ηθηκα", "ηθηκε"))))
    if _cut_then(b, ((4, ("ηκεσ",)), (3, ("ηκα", "ηκε")))):
        if b.word in RULE13_EXC or b.ends(*RULE13_ENDS):
            b.size += 2
    if _cut_then(b, ((5, ("ουσεσ",)), (4, ("ουσα", "ουσε")))):
        if b.word in RULE14_EXC or b.vowel_end() or b.ends(*RULE14_ENDS):
            b.size += 3


def _rule15_20(b: _Buffer) -> None:
    if _cut_then(b, ((4, ("αγεσ",)), (3, ("αγα", "αγε")))):
        keep = b.word in RULE15_EXC_A or b.ends(*RULE15_ENDS_A)
        if keep and not (b.word in RULE15_EXC_B or b.ends("κολλ")):
            b.size += 2
    if _cut_then(b, ((4, ("ησου",)), (3, ("ησε", "ησα")))) and b.word in RULE16_EXC:
        b.size += 2
    if b.size > 4 and b.ends("ηστε"):
        b.size -= 4
        if b.word in RULE17_EXC:
            b.size += 3
    if _cut_then(b, ((6, ("ησουνε", "ηθουνε")), (4, ("ουνε",)))) and b.word in RULE18_EXC:
        b.write(b.size + 3, "ουν")
    if _cut_then(b, ((6, ("ησουμε", "ηθουμε")), (4, ("ουμε",)))) and b.word in RULE19_EXC:
        b.write(b.size + 3, "ουμ")
    if b.size > 5 and b.ends("ματων", "ματοσ"):
        b.size -= 3
    elif b.size > 4 and b.ends("ματα"):
        b.size -= 2


def _rule21(b: _Buffer) -> None:
    if not _cut_then(b, RULE21) and b.size > 1 and b.vowel_end():
        b.size -= 1


def _rule22(b: _Buffer) -> None:
    if b.ends("εστερ", "εστατ"):
        b.size -= 5
    elif b.ends("οτερ", "οτατ", "υτερ", "υτατ", "ωτερ", "ωτατ"):
        b.size -= 4


def greek_stem(word: str) -> str:
    """GreekStemmer: words of fewer than 4 units are kept; rules 0-20 in turn (each may cut an
    ending and add part of it back); the long list of rule 21 only if those left the length as it
    was; then rule 22's comparative and superlative endings."""
    units = utf16_units(word)
    if len(units) < 4:
        return word
    b = _Buffer(units)
    _rule0(b)
    _rule1_3(b)
    _rule4_6(b)
    _rule7(b)
    _rule8(b)
    _rule9_11(b)
    _rule12_14(b)
    _rule15_20(b)
    if b.size == len(units):
        _rule21(b)
    _rule22(b)
    return join_utf16(b.word)
