"""The Snowball English ("Porter2") stemmer written from the published algorithm description,
which served searchlib until stemming moved to PyStemmer (libstemmer). Kept as the reference that
proves English stems did not change: tests/searchlib/test_stemming_corpora.py compares the two over
every word of the shared corpora. The step names (0, 1a, 1b, 1c, 2–5) follow the description.
"""
from __future__ import annotations

import functools
import re
import unicodedata

# --- Snowball English (Porter2) stemmer ----------------------------------------------------------

_VOWELS = frozenset("aeiouy")
_DOUBLES = frozenset({"bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt"})
_VALID_LI_ENDINGS = frozenset("cdeghkmnrt")
_SPECIAL_R1_PREFIXES = ("gener", "commun", "arsen")

# Words the algorithm description lists as exceptions to the general rules.
_EXCEPTIONAL_FORMS = {
    "skis": "ski", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie",
    "idly": "idl", "gently": "gentl", "ugly": "ugli", "early": "earli", "only": "onli",
    "singly": "singl",
    # invariant forms
    "sky": "sky", "news": "news", "howe": "howe", "atlas": "atlas", "cosmos": "cosmos",
    "bias": "bias", "andes": "andes",
}
_INVARIANT_AFTER_STEP_1A = frozenset(
    {"inning", "outing", "canning", "herring", "earring", "proceed", "exceed", "succeed"}
)

_STEP_2_SUFFIXES = {
    "ization": "ize", "ational": "ate", "fulness": "ful", "ousness": "ous", "iveness": "ive",
    "tional": "tion", "biliti": "ble", "lessli": "less",
    "entli": "ent", "ation": "ate", "alism": "al", "aliti": "al", "ousli": "ous", "iviti": "ive",
    "fulli": "ful",
    "enci": "ence", "anci": "ance", "abli": "able", "izer": "ize", "ator": "ate", "alli": "al",
    "bli": "ble", "ogi": "og", "li": "",
}
_STEP_3_SUFFIXES = {
    "ational": "ate", "tional": "tion", "alize": "al", "icate": "ic", "iciti": "ic",
    "ative": "", "ical": "ic", "ness": "", "ful": "",
}
_STEP_4_SUFFIXES = frozenset({
    "al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ism", "ate",
    "iti", "ous", "ive", "ize", "ion",
})


def _longest_suffix(word: str, suffixes: dict[str, str] | frozenset[str], max_len: int) -> str:
    """The longest suffix of word in the table, or "" (rules fire on the longest match only)."""
    for length in range(min(max_len, len(word)), 0, -1):
        if word[-length:] in suffixes:
            return word[-length:]
    return ""


def _region_start(word: str, start: int) -> int:
    """Index after the first non-vowel that follows a vowel, searching from start (R1/R2)."""
    for i in range(start + 1, len(word)):
        if word[i] not in _VOWELS and word[i - 1] in _VOWELS:
            return i + 1
    return len(word)


def _ends_with_short_syllable(word: str) -> bool:
    if len(word) == 2:
        return word[0] in _VOWELS and word[1] not in _VOWELS
    return (
        len(word) >= 3
        and word[-3] not in _VOWELS
        and word[-2] in _VOWELS
        and word[-1] not in _VOWELS
        and word[-1] not in "wxY"
    )


def _mark_consonant_y(word: str) -> str:
    """Initial y, and y after a vowel, act as consonants: mark them Y (undone at the end)."""
    if "y" not in word:
        return word
    chars = list(word)
    if chars[0] == "y":
        chars[0] = "Y"
    for i in range(1, len(chars)):
        if chars[i] == "y" and chars[i - 1] in _VOWELS:
            chars[i] = "Y"
    return "".join(chars)


def _step_1a(word: str) -> str:
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith(("ied", "ies")):
        return word[:-3] + ("i" if len(word) > 4 else "ie")
    if word.endswith(("us", "ss")):
        return word
    if word.endswith("s") and any(ch in _VOWELS for ch in word[:-2]):
        return word[:-1]
    return word


def _step_1b(word: str, r1: int) -> str:
    for suffix in ("eedly", "eed"):
        if word.endswith(suffix):
            return word[: -len(suffix)] + "ee" if len(word) - len(suffix) >= r1 else word
    for suffix in ("ingly", "edly", "ing", "ed"):
        if not word.endswith(suffix):
            continue
        stem_part = word[: -len(suffix)]
        if not any(ch in _VOWELS for ch in stem_part):
            return word
        if stem_part.endswith(("at", "bl", "iz")):
            return stem_part + "e"
        if stem_part[-2:] in _DOUBLES:
            return stem_part[:-1]
        if r1 >= len(stem_part) and _ends_with_short_syllable(stem_part):
            return stem_part + "e"
        return stem_part
    return word


def _step_1c(word: str) -> str:
    if len(word) > 2 and word[-1] in "yY" and word[-2] not in _VOWELS:
        return word[:-1] + "i"
    return word


def _step_2(word: str, r1: int) -> str:
    suffix = _longest_suffix(word, _STEP_2_SUFFIXES, 7)
    if not suffix or len(word) - len(suffix) < r1:
        return word
    before = word[: -len(suffix)]
    if suffix == "ogi" and not before.endswith("l"):
        return word
    if suffix == "li" and (not before or before[-1] not in _VALID_LI_ENDINGS):
        return word
    return before + _STEP_2_SUFFIXES[suffix]


def _step_3(word: str, r1: int, r2: int) -> str:
    suffix = _longest_suffix(word, _STEP_3_SUFFIXES, 7)
    if not suffix or len(word) - len(suffix) < r1:
        return word
    if suffix == "ative" and len(word) - len(suffix) < r2:
        return word
    return word[: -len(suffix)] + _STEP_3_SUFFIXES[suffix]


def _step_4(word: str, r2: int) -> str:
    suffix = _longest_suffix(word, _STEP_4_SUFFIXES, 5)
    if not suffix or len(word) - len(suffix) < r2:
        return word
    before = word[: -len(suffix)]
    if suffix == "ion" and not before.endswith(("s", "t")):
        return word
    return before


def _step_5(word: str, r1: int, r2: int) -> str:
    if word.endswith("e"):
        start = len(word) - 1
        if start >= r2 or (start >= r1 and not _ends_with_short_syllable(word[:-1])):
            return word[:-1]
    elif word.endswith("l"):
        if len(word) - 1 >= r2 and word.endswith("ll"):
            return word[:-1]
    return word


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """Snowball English (Porter2) stem of one lowercase token."""
    return _stem_uncached(word)


def _stem_uncached(word: str) -> str:
    if len(word) <= 2:
        return word
    if word in _EXCEPTIONAL_FORMS:
        return _EXCEPTIONAL_FORMS[word]
    if word.startswith("'"):
        word = word[1:]
        if len(word) <= 2:
            return word
    word = _mark_consonant_y(word)
    r1 = _region_start(word, 0)
    if word.startswith(_SPECIAL_R1_PREFIXES):
        r1 = next(len(p) for p in _SPECIAL_R1_PREFIXES if word.startswith(p))
    r2 = _region_start(word, r1)

    for apostrophe_suffix in ("'s'", "'s", "'"):  # step 0
        if word.endswith(apostrophe_suffix):
            word = word[: -len(apostrophe_suffix)]
            break
    word = _step_1a(word)
    if word in _INVARIANT_AFTER_STEP_1A:
        return word
    word = _step_1b(word, r1)
    word = _step_1c(word)
    word = _step_2(word, r1)
    word = _step_3(word, r1, r2)
    word = _step_4(word, r2)
    word = _step_5(word, r1, r2)
    return word.replace("Y", "y")


def reference_words(text: str) -> list[str]:
    """Text → words as searchlib split them before PyStemmer: NFKD, lowercase, every combining mark
    dropped, runs of letters and digits (`_` separates, as in Vespa's tokenizer; stem each with `stem`)."""
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text).lower()
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.findall(r"[^\W_]+", text.lower())
