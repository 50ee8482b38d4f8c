"""Lucene's Indic normalizers and light stemmers (9.12.3), written from their rules:
IndicNormalizer (org.apache.lucene.analysis.in: composing what Unicode leaves decomposed, from the
table in searchlib.lucene_indic_data), HindiNormalizer and HindiStemmer (Ramanathan and Rao's
lightweight stemmer), BengaliNormalizer and BengaliStemmer (Sengupta and Chaudhuri), TeluguNormalizer
and TeluguStemmer.

The normalizers work in Java's UTF-16 units, as Lucene's char buffers do: their rules look at
neighbours by index, which a character outside the BMP (two units) shifts. The Bengali one can copy
half of such a pair next to it; the term then has U+FFFD there, as Lucene's UTF-8 term bytes do.
"""
from __future__ import annotations

from searchlib.lucene_indic_data import (BENGALI_SUFFIXES, COMPOSITIONS, HINDI_SUFFIXES, INDIC_BLOCKS, TELUGU_SUFFIXES,
                                        suffix_groups)
from searchlib.utf16 import join_utf16, utf16_length, utf16_units

_ZWJ = "\u200d"
_BLOCK_OF = {base >> 7: (script, base) for script, base in INDIC_BLOCKS.items()}  # each block is 128 wide


def indic_normalize(term: str) -> str:
    """IndicNormalizer: at each character of a known Indic block, the first row of the composition
    table for its script whose characters follow (within the same block; a zero-width joiner as the
    third) is replaced by its composed character. A composed character is not looked at again."""
    if term.isascii():
        return term
    text, i = list(utf16_units(term)), 0
    while i < len(text):
        found = _BLOCK_OF.get(ord(text[i]) >> 7)
        if found is not None and i + 1 < len(text):
            script, base = found
            if ord(text[i + 1]) >> 7 == base >> 7:
                first, second = ord(text[i]) - base, ord(text[i + 1]) - base
                third = -1
                if i + 2 < len(text):
                    if text[i + 2] == _ZWJ:
                        third = 0xFF
                    elif ord(text[i + 2]) >> 7 == base >> 7:
                        third = ord(text[i + 2]) - base
                for ch1, ch2, ch3, result in COMPOSITIONS[script]:
                    if ch1 == first and ch2 == second and (ch3 < 0 or ch3 == third):
                        text[i:i + (3 if ch3 >= 0 else 2)] = [chr(base + result)]
                        break
        i += 1
    return join_utf16(text)


# HindiNormalizer's one-for-one replacements: nukta forms to their base letters, chandrabindu to
# bindu, chandra and short vowels to their plain ones, long vowels to short ones
_HINDI_REPLACE = {
    "\u0901": "\u0902", "\u0929": "\u0928", "\u0931": "\u0930", "\u0934": "\u0933", "\u0958": "\u0915",
    "\u0959": "\u0916", "\u095a": "\u0917", "\u095b": "\u091c", "\u095c": "\u0921", "\u095d": "\u0922",
    "\u095e": "\u092b", "\u095f": "\u092f", "\u0945": "\u0947", "\u0946": "\u0947", "\u0949": "\u094b",
    "\u094a": "\u094b", "\u090d": "\u090f", "\u090e": "\u090f", "\u0911": "\u0913", "\u0912": "\u0913",
    "\u0972": "\u0905", "\u0906": "\u0905", "\u0908": "\u0907", "\u090a": "\u0909", "\u0960": "\u090b",
    "\u0961": "\u090c", "\u0910": "\u090f", "\u0914": "\u0913", "\u0940": "\u093f", "\u0942": "\u0941",
    "\u0944": "\u0943", "\u0963": "\u0962", "\u0948": "\u0947", "\u094c": "\u094b"}
_HINDI_DROP = frozenset("\u093c\u200d\u200c\u094d")  # nukta, ZWJ, ZWNJ, virama


def hindi_normalize(term: str) -> str:
    """HindiNormalizer (Pingali and Varma, with Larkey et al.'s additions): a letter NA with a virama
    after it is anusvara; nukta, virama and the zero-width (non-)joiners go; the replacements above.
    One pass, each character looked at as it stands when reached (a NA made from NNNA is not)."""
    text, i = list(utf16_units(term)), 0
    while i < len(text):
        char = text[i]
        if char == "\u0928":
            if i + 1 < len(text) and text[i + 1] == "\u094d":
                text[i:i + 2] = ["\u0902"]
        elif char in _HINDI_DROP:
            del text[i]
            continue
        else:
            text[i] = _HINDI_REPLACE.get(char, char)
        i += 1
    return join_utf16(text)


def _suffix_stemmer(table: dict[int, str]):
    groups = suffix_groups(table)

    def stem(word: str) -> str:
        size = utf16_length(word)
        for cut, suffixes in groups:  # longest first; a suffix of n off a word of more than n + 1 units
            if size > cut + 1 and word.endswith(suffixes):
                return word[:-cut]
        return word
    return stem


hindi_stem = _suffix_stemmer(HINDI_SUFFIXES)
bengali_stem = _suffix_stemmer(BENGALI_SUFFIXES)
telugu_stem = _suffix_stemmer(TELUGU_SUFFIXES)
_BENGALI_REPLACE = {"\u09c0": "\u09bf", "\u09c2": "\u09c1", "\u0999": "\u0982", "\u09b6": "\u09b8",
                    "\u09b7": "\u09b8", "\u09a3": "\u09a8", "\u09dc": "\u09b0", "\u09dd": "\u09b0",
                    "\u09ce": "\u09a4"}
_HASANTA = "\u09cd"


def bengali_normalize(term: str) -> str:
    """BengaliNormalizer (UzZaman and Khan's double metaphone for Bangla), one pass as Lucene runs it:
    chandrabindu goes; long i/u signs, nga, the three sibilants, NNA, RRA/RHA and khanda ta become their
    plain letters; KA + hasanta + vowel sign I is KHA (at the word's start; after it the KA stays);
    a ya-phala after the first letter is an E sign (taking a following AA with it), elsewhere it goes
    with its hasanta; a ba-phala goes with its hasanta after the first letter or after a conjunct, else
    doubles the letter before it; visarga doubles the next letter, or ends a word as HA (three units or
    fewer) or goes."""
    s, i = list(utf16_units(term)), 0
    while i < len(s):
        c = s[i]
        if c == "\u0981":
            del s[i]
            i -= 1
        elif c in _BENGALI_REPLACE:
            s[i] = _BENGALI_REPLACE[c]
        elif c == "\u0995":
            if i + 2 < len(s) and s[i + 1] == _HASANTA and s[i + 2] == "\u09bf":
                if i == 0:
                    s[0:3] = ["\u0996"]
                else:
                    s[i + 1:i + 3] = ["\u0996"]
        elif c == "\u09af":
            if i == 2 and s[1] == _HASANTA:
                s[1] = "\u09c7"
                if i + 1 < len(s) and s[i + 1] == "\u09be":
                    del s[i + 1]
                del s[i]
                i -= 1
            elif i >= 1 and s[i - 1] == _HASANTA:
                del s[i - 1:i + 1]
                i -= 2
        elif c == "\u09ac" and i >= 1 and s[i - 1] == _HASANTA:
            if i == 2 or (i >= 5 and s[i - 3] == _HASANTA):
                del s[i - 1:i + 1]
                i -= 2
            elif i >= 2:
                s[i - 1] = s[i - 2]
                del s[i]
                i -= 1
        elif c == "\u0983":
            if i == len(s) - 1:
                if len(s) <= 3:
                    s[i] = "\u09b9"
                else:
                    del s[i]
            else:
                s[i] = s[i + 1]
        i += 1
    return join_utf16(s)


# TeluguNormalizer's one-for-one replacements: candrabindus to bindu, long vowels and vowel signs to short
_TELUGU_REPLACE = {"\u0c00": "\u0c02", "\u0c01": "\u0c02", "\u0c14": "\u0c13", "\u0c10": "\u0c0f",
                   "\u0c06": "\u0c05", "\u0c08": "\u0c07", "\u0c0a": "\u0c09", "\u0c40": "\u0c3f",
                   "\u0c42": "\u0c41", "\u0c47": "\u0c46", "\u0c4b": "\u0c4a"}
_TELUGU_DROP = frozenset("\u0c03\u200d\u200c")  # visarga, ZWJ, ZWNJ


def telugu_normalize(term: str) -> str:
    """TeluguNormalizer, one pass: visarga and the zero-width (non-)joiners go; the replacements
    above; sign E + AI length mark is sign AI, O + length mark OO, O + sign AU is AU (each only when
    the E or O stands so in the text, not when made from a long form)."""
    text, i = list(utf16_units(term)), 0
    while i < len(text):
        char = text[i]
        after = text[i + 1] if i + 1 < len(text) else ""
        if char in _TELUGU_DROP:
            del text[i]
            continue
        if char == "\u0c46" and after == "\u0c56":
            text[i:i + 2] = ["\u0c48"]
        elif char == "\u0c12" and after in ("\u0c55", "\u0c4c"):
            text[i:i + 2] = ["\u0c13" if after == "\u0c55" else "\u0c14"]
        else:
            text[i] = _TELUGU_REPLACE.get(char, char)
        i += 1
    return join_utf16(text)
