"""The language analyzers' light stemmers and normalizers, written from the published rules in the
order and with the length limits Lucene applies: Savoy's French and Portuguese light stemmers
("UniNE", Light Stemming Approaches for the French, Portuguese, German and Hungarian Languages) as
FrenchLightStemmer and PortugueseLightStemmer, the Czech (Dolamic and Savoy), Bulgarian (Savoy)
and Latvian (Kreslins, light) stemmers, the ArabicAnalyzer's normalizer, light stemmer and digit
folding, the PersianAnalyzer's normalizer, the SerbianAnalyzer's Latin normalization and the
DutchAnalyzer's default stem overrides.

Lucene stems a Java char[]: lengths count UTF-16 units and a character outside the BMP is two
units that are no letter. The stemmers here therefore work on a word's UTF-16 units (a
supplementary character as its two surrogates, searchlib.utf16) and join them back: no rule ends
inside a pair.
"""
from __future__ import annotations

import unicodedata

from searchlib.utf16 import join_utf16, utf16_units


# French: (the word longer than, ending, what replaces it, whether the ending rules stop there); the
# first that applies is taken among the final ones, the others rewrite and go on
_FRENCH_ENDINGS = (
    (9, "issement", "ir", True), (8, "issant", "ir", True), (6, "ement", "e", True),
    (11, "ficatrice", "fier", True), (10, "ficateur", "fier", True), (9, "catrice", "quer", True),
    (8, "cateur", "quer", True), (8, "atrice", "er", True), (7, "ateur", "er", True),
    (6, "trice", "teur", False), (5, "ième", "", True), (7, "teuse", "ter", True), (6, "teur", "ter", True),
    (5, "euse", "eu", True), (8, "ère", "er", True), (7, "ive", "if", True), (4, "folle", "fou", True),
    (4, "molle", "mou", True), (9, "nnelle", "n", True), (9, "nnel", "n", True), (4, "ète", "et", False),
    (8, "ique", "", False), (8, "esse", "e", True), (7, "inage", "in", True), (9, "isation", "", True),
    (9, "isateur", "", True), (8, "ation", "", True), (8, "ition", "", True))
_FRENCH_FOLD = str.maketrans("àáâôèéêùûîç", "aaaoeeeuuic")


def french_light_stem(word: str) -> str:
    """FrenchLightStemmer: a plural -x (-aux to -al but after an e) and -s off, then the first of
    the derivational endings above (-ement, -atrice, -teur, -ive, -ation, …), then normalized."""
    s = utf16_units(word)
    if len(s) > 5 and s[-1] == "x":
        s = s[:-3] + "al" if s[-3:-1] == "au" and s[-4] != "e" else s[:-1]
    if len(s) > 3 and s[-1] == "x":
        s = s[:-1]
    if len(s) > 3 and s[-1] == "s":
        s = s[:-1]
    for longer, ending, replacement, final in _FRENCH_ENDINGS:
        if len(s) > longer and s.endswith(ending):
            s = s[:-len(ending)] + replacement
            if ending == "ement" and len(s) > 3 and s.endswith("ive"):
                s = s[:-3] + "if"
            elif ending == "isation" and len(s) > 5 and s.endswith("ual"):
                s = s[:-3] + "uel"
            if final:
                break
    return join_utf16(_french_norm(s))


def _french_norm(s: str) -> str:
    """Accents off and a letter written twice or more in a row once (words longer than 4); then
    -ie, and -r, -e, -e and a final doubled letter each off while the word is longer than 4."""
    if len(s) > 4:
        s = s.translate(_FRENCH_FOLD)
        kept = [s[0]]
        for c in s[1:]:
            if c != kept[-1] or not c.isalpha():
                kept.append(c)
        s = "".join(kept)
    if len(s) > 4 and s.endswith("ie"):
        s = s[:-2]
    if len(s) > 4:  # one length check for all four
        if s[-1] == "r":
            s = s[:-1]
        if s[-1] == "e":
            s = s[:-1]
        if s[-1] == "e":
            s = s[:-1]
        if s[-1] == s[-2] and s[-1].isalpha():
            s = s[:-1]
    return s


_PORTUGUESE_FOLD = str.maketrans("àáâäãòóôöõèéêëùúûüìíîïç", "aaaaaoooooeeeeuuuuiiiic")
# plural endings: (the word longer than, ending, singular); the first that applies is taken
_PORTUGUESE_PLURALS = ((3, "ns", "m"), (4, "eis", "el"), (4, "éis", "el"), (4, "ais", "al"), (4, "óis", "ol"),
                       (4, "is", "il"), (3, "ões", "ão"), (3, "ães", "ão"), (6, "mente", ""), (3, "s", ""))
# feminine endings made masculine: (the word longer than, ending, masculine); the first applies
_PORTUGUESE_FEMININE = (
    *((7, ending, ending[:-1] + "o") for ending in ("inha", "iaca", "eira")),
    *((6, ending, ending[:-1] + "o") for ending in ("osa", "ica", "ida", "ada", "iva", "ama")),
    (6, "ona", "ão"), (6, "ora", "or"), (6, "esa", "ês"), (6, "na", "no"))


def portuguese_light_stem(word: str) -> str:
    """PortugueseLightStemmer: a word of 4 or more units loses its plural (-es after r, s, l or z;
    -ns to -m, -is to -l forms, -ões and -ães to -ão, -mente, -s), a feminine -a is made masculine,
    a final -e, -a or -o goes from a word still longer than 4, and the accents are folded."""
    s = utf16_units(word)
    if len(s) < 4:
        return word
    if len(s) > 4 and s.endswith("es") and s[-3] in "rslz":
        s = s[:-2]
    else:
        for longer, ending, singular in _PORTUGUESE_PLURALS:
            if len(s) > longer and s.endswith(ending):
                s = s[:-len(ending)] + singular
                break
    if len(s) > 3 and s[-1] == "a":
        for longer, ending, masculine in _PORTUGUESE_FEMININE:
            if len(s) > longer and s.endswith(ending):
                s = s[:-len(ending)] + masculine
                break
    if len(s) > 4 and s[-1] in "eao":
        s = s[:-1]
    return join_utf16(s.translate(_PORTUGUESE_FOLD))


# Czech (Dolamic and Savoy, Indexing and stemming approaches for the Czech language): case endings
# by length, the longest group first: (the word longer than, endings)
_CZECH_CASES = (
    (7, ("atech",)), (6, ("ětem", "etem", "atům")),
    (5, ("ech", "ich", "ích", "ého", "ěmi", "emi", "ému", "ěte", "ete", "ěti", "eti", "ího", "iho", "ími", "ímu",
         "imu", "ách", "ata", "aty", "ých", "ama", "ami", "ové", "ovi", "ými")),
    (4, ("em", "es", "ém", "ím", "ům", "at", "ám", "os", "us", "ým", "mi", "ou")),
    (3, tuple("aeiouůyáéíýě")))


def czech_stem(word: str) -> str:
    """CzechStemmer (Lucene's light Czech stemmer): one case ending off (the first group above that
    the word is long enough for and ends with), a possessive -ov, -in, -ův off from a word still
    longer than 5, then the last consonants normalized: čt → ck, št → sk, c/č → k, z/ž → h, a
    final e-vowel dropped before the last letter, ů → o before it."""
    s = utf16_units(word)
    for longer, endings in _CZECH_CASES:
        if len(s) > longer and s.endswith(endings):
            s = s[:-len(next(e for e in endings if s.endswith(e)))]
            break
    if len(s) > 5 and s.endswith(("ov", "in", "ův")):
        s = s[:-2]
    if s:
        s = _czech_normalize(s)
    return join_utf16(s)


def _czech_normalize(s: str) -> str:
    if s.endswith("čt"):
        return s[:-2] + "ck"
    if s.endswith("št"):
        return s[:-2] + "sk"
    if s[-1] in "cč":
        return s[:-1] + "k"
    if s[-1] in "zž":
        return s[:-1] + "h"
    if len(s) > 1 and s[-2] == "e":
        return s[:-2] + s[-1]
    if len(s) > 2 and s[-2] == "ů":
        return s[:-2] + "o" + s[-1]
    return s


def bulgarian_stem(word: str) -> str:
    """BulgarianStemmer (Savoy, Searching Strategies for the Bulgarian Language): words of 4 or
    more units lose -ища (longer than 5), else the definite article and then the plural (-ове,
    -овци → -о, -еве → -й, -ци → -к, -зи → -г, -си → -х, е…и → я…, -и), then -я and a final
    -а/-о/-е, -ен → -н (longer than 4), and ъ before the last letter (longer than 5)."""
    s = utf16_units(word)
    if len(s) < 4:
        return word
    if len(s) > 5 and s.endswith("ища"):
        return join_utf16(s[:-3])
    s = _bulgarian_plural(_bulgarian_article(s))
    if len(s) > 3:
        if s.endswith("я"):
            s = s[:-1]
        if s.endswith(("а", "о", "е")):
            s = s[:-1]
    if len(s) > 4 and s.endswith("ен"):
        s = s[:-2] + "н"
    if len(s) > 5 and s[-2] == "ъ":
        s = s[:-2] + s[-1]
    return join_utf16(s)


def _bulgarian_article(s: str) -> str:
    if len(s) > 6 and s.endswith("ият"):
        return s[:-3]
    if len(s) > 5 and s.endswith(("ът", "то", "те", "та", "ия")):
        return s[:-2]
    if len(s) > 4 and s.endswith("ят"):
        return s[:-2]
    return s


def _bulgarian_plural(s: str) -> str:
    if len(s) > 6:
        if s.endswith("овци"):
            return s[:-3]
        if s.endswith("ове"):
            return s[:-3]
        if s.endswith("еве"):
            return s[:-3] + "й"
    if len(s) > 5:
        if s.endswith("ища"):
            return s[:-3]
        if s.endswith("та"):
            return s[:-2]
        if s.endswith("ци"):
            return s[:-2] + "к"
        if s.endswith("зи"):
            return s[:-2] + "г"
        if s[-3] == "е" and s[-1] == "и":
            return s[:-3] + "я" + s[-2]
    if len(s) > 4:
        if s.endswith("си"):
            return s[:-2] + "х"
        if s.endswith("и"):
            return s[:-1]
    return s


# ArabicNormalizer: hamza and madda alef seats to a bare alef, alef maksura to yeh, teh marbuta to
# heh; tatweel and the harakat (fathatan … sukun) removed
_ARABIC_NORMAL = {**dict.fromkeys(map(ord, "\u0622\u0623\u0625"), "\u0627"), ord("\u0649"): "\u064a",
                  ord("\u0629"): "\u0647", **dict.fromkeys(map(ord, "\u0640\u064b\u064c\u064d\u064e\u064f"
                                                                   "\u0650\u0651\u0652"), None)}
# ArabicStemmer (Larkey's light10): the first prefix that applies, then every suffix that applies in turn
_ARABIC_PREFIXES = ("\u0627\u0644", "\u0648\u0627\u0644", "\u0628\u0627\u0644", "\u0643\u0627\u0644",
                    "\u0641\u0627\u0644", "\u0644\u0644", "\u0648")  # ال وال بال كال فال لل و
_ARABIC_SUFFIXES = ("\u0647\u0627", "\u0627\u0646", "\u0627\u062a", "\u0648\u0646", "\u064a\u0646",
                    "\u064a\u0647", "\u064a\u0629", "\u0647", "\u0629", "\u064a")  # ها ان ات ون ين يه ية ه ة ي

# PersianNormalizer: farsi yeh and yeh barree to the Arabic yeh, keheh to kaf, heh with yeh above and
# heh goal to heh; a combining hamza above removed
_PERSIAN_NORMAL = {ord("\u06cc"): "\u064a", ord("\u06d2"): "\u064a", ord("\u06a9"): "\u0643",
                   ord("\u06c0"): "\u0647", ord("\u06c1"): "\u0647", ord("\u0654"): None}


def persian_normalize(word: str) -> str:
    return word.translate(_PERSIAN_NORMAL)


def arabic_normalize(word: str) -> str:
    return word.translate(_ARABIC_NORMAL)


def arabic_stem(word: str) -> str:
    """ArabicStemmer: one prefix off (the article and its forms with wa-, bi-, ka-, fa-, lil-,
    leaving 2 or more letters; the conjunction wa- only from words of 4 or more), then each suffix
    in order off while 2 or more letters stay."""
    s = utf16_units(word)
    for prefix in _ARABIC_PREFIXES:
        if len(s) >= (4 if len(prefix) == 1 else len(prefix) + 2) and s.startswith(prefix):
            s = s[len(prefix):]
            break
    for suffix in _ARABIC_SUFFIXES:
        if len(s) >= len(suffix) + 2 and s.endswith(suffix):
            s = s[:-len(suffix)]
    return join_utf16(s)


def decimal_digits(term: str) -> str:
    """DecimalDigitFilter: every decimal digit outside ASCII (Nd: ٣, ३, ３, 𝟑) as its ASCII digit."""
    if term.isascii():
        return term
    return "".join(str(unicodedata.digit(c)) if c > "\x7f" and unicodedata.category(c) == "Nd" else c
                   for c in term)


# Latvian (LatvianStemmer, a light version of Kreslins' algorithm: noun and adjective endings only).
# Endings by the vowels they hold, tried in this order: (ending, vowels in it, whether the stem left
# is unpalatalized: declension II, V and VI endings)
_LATVIAN_ENDINGS = (
    ("ajiem", 3, False), ("ajai", 3, False), ("ajam", 2, False), ("ajām", 2, False), ("ajos", 2, False),
    ("ajās", 2, False), ("iem", 2, True), ("ajā", 2, False), ("ais", 2, False), ("ai", 2, False),
    ("ei", 2, False), *((ending, 1, ending in ("us", "os")) for ending in (
        "ām", "am", "ēm", "īm", "im", "um", "us", "as", "ās", "es", "os", "ij", "īs", "ēs", "is", "ie")),
    *((ending, 1, ending in "uai") for ending in ("u", "a", "i", "e", "ā", "ē", "ī", "ū", "o")),
    ("s", 0, False), ("š", 0, False))
_LATVIAN_VOWELS = frozenset("aeiouāīēū")
# unpalatalization: a stem ending in the first becomes the second
_LATVIAN_UNPALATAL = (("šņ", "sn"), ("žņ", "zn"), ("šļ", "sl"), ("žļ", "zl"), ("ļņ", "ln"), ("ļļ", "ll"),
                      ("č", "c"), ("ļ", "l"), ("ņ", "n"))


def latvian_stem(word: str) -> str:
    """LatvianStemmer: the first ending above that the word ends with, keeping 3 or more units and
    leaving a vowel (the word holds more vowels than the ending); after a palatalizing one the
    stem's consonants are unpalatalized."""
    s = utf16_units(word)
    vowels = sum(1 for c in s if c in _LATVIAN_VOWELS)
    for ending, ending_vowels, palatalizes in _LATVIAN_ENDINGS:
        if vowels > ending_vowels and len(s) >= len(ending) + 3 and s.endswith(ending):
            stem = s[:-len(ending)]
            return join_utf16(_latvian_unpalatalize(stem, ending[0]) if palatalizes else stem)
    return word


def _latvian_unpalatalize(stem: str, removed: str) -> str:
    if removed == "u":  # a genitive plural -u (declensions II, V, VI): kš -> kst, ņņ -> nn
        if stem.endswith("kš"):
            return stem[:-1] + "st"
        if stem.endswith("ņņ"):
            return stem[:-2] + "nn"
    if stem.endswith(("pj", "bj", "mj", "vj")):  # after a labial the j goes
        return stem[:-1]
    for palatal, plain in _LATVIAN_UNPALATAL:
        if stem.endswith(palatal):
            return stem[:-len(palatal)] + plain
    return stem


# SerbianNormalizationFilter: Serbian Cyrillic as Gaj's Latin alphabet, then "bald" Latin (diacritics
# dropped, đ as dj)
_SERBIAN_BALD = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "dj", "е": "e", "ж": "z", "з": "z", "и": "i", "ј": "j",
    "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "ћ": "c", "у": "u", "ф": "f", "х": "h", "ц": "c", "ч": "c", "џ": "dz", "ш": "s",
    "đ": "dj", "ž": "z", "č": "c", "ć": "c", "š": "s"})


def serbian_bald(term: str) -> str:
    return term.translate(_SERBIAN_BALD)


# DutchAnalyzer's default StemmerOverrideFilter entries: these words take the given stem and are
# not stemmed further (the Snowball stemmer would make "fiet" of "fiets")
DUTCH_STEM_OVERRIDES = {"fiets": "fiets", "bromfiets": "bromfiets", "ei": "eier", "kind": "kinder"}
