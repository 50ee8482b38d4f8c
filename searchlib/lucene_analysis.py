"""The subset of Lucene analysis (Vespa's lucene-linguistics profiles) this engine runs exactly:
a profile's analyzer becomes a chain of steps that both the index (feed) and the query side apply,
so a field's `linguistics { profile … }` turns a word into the same terms as Vespa would.

Tokenizers: `standard` (Lucene's StandardTokenizer, UAX#29 words: searchlib.lucene_standard;
`standard:<n>` with maxTokenLength n), `whitespace` (Lucene's WhitespaceTokenizer: splits at Java's
Character.isWhitespace, which excludes the no-break spaces U+00A0, U+2007, U+202F), `keyword` (the
whole text is one token). Token filters: `lowercase` (Java's per-code-point Character.toLowerCase),
`asciifolding` (searchlib.lucene_folding; `asciifolding:preserve` keeps the original after a folded
token), `stop:<i|->:<words>` (StopFilter: `i` compares lowercased, the words percent-encoded and
comma-separated, `@english` for Lucene's default EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, `@danish` etc. for
the language analyzers' Snowball sets in searchlib.lucene_stop_words),
`stem:<algorithm>` (porterStem is Snowball's `porter`, snowballPorter its `language`,
englishMinimalStem Harman's S-stemmer as Lucene's EnglishMinimalStemmer, germanLightStem and
spanishLightStem Savoy's light stemmers as Lucene's GermanLightStemmer and SpanishLightStemmer,
frenchLightStem, portugueseLightStem, czechStem, bulgarianStem, arabicStem and latvianStem
(searchlib.lucene_light_stemmers), indonesianStem (searchlib.lucene_indonesian), soraniStem
(searchlib.lucene_sorani), snowballPorter's Estonian as Lucene 9.12.3's (searchlib.lucene_estonian),
the ItalianAnalyzer's
ItalianLightStemmer as `italianlight`, and the DutchAnalyzer's stem overrides before Snowball's Dutch
as `dutchoverride`),
`germannormalization` (German2's umlaut heuristics), `elision:<language>` (ElisionFilter with the
language analyzer's articles, searchlib.lucene_stop_words), `irishlowercase` (IrishLowerCaseFilter),
`arabicnormalization`, `persiannormalization`, `serbiannormalization`, `soraninormalization`,
`turkishlowercase`, `indicnormalization`, `hindinormalization`, `bengalinormalization`,
`telugunormalization` (searchlib.lucene_indic, with the stemmers `hindilight`, `bengali` and
`telugu`), `greeklowercase` (with GreekStemmer as `greekntais`: searchlib.lucene_greek;
GalicianStemmer is `galicianrslp`: searchlib.lucene_galician), `apostrophe` (ApostropheFilter: from
the first ' or ’ on, cut), `decimaldigit` (non-ASCII decimal digits as ASCII ones), `possessive`
(englishPossessive: a final 's, ’s or ＇s removed), `uppercase`, `reverse` (reverseString), `trim`
`length:<min>:<max>` (tokens of min to max UTF-16 units kept), `edgengram:<min>:<max>:<0|1>` and
`ngram:<min>:<max>:<0|1>` (the n-grams of each token in Lucene's order, 1: preserveOriginal). Lucene
looks factory names up without case, and so does services.xml's reader (schema.linguistics_profiles).

Positions: Vespa's LuceneTokenizer (lucene-linguistics, textToTokens) hands Vespa the tokens in order
and drops Lucene's position increments, so the words after a removed stop word, and an original kept
by preserveOriginal, take the next positions: "quick the fox" is indexed as quick@0 fox@1, and the
phrase "quick fox" matches it, as in Vespa (in Lucene itself it would not).
"""
from __future__ import annotations

import functools
import re
import threading
import unicodedata
from typing import Callable
from urllib.parse import quote, unquote

import Stemmer

from searchlib.lucene_cjk import cjk_spans
from searchlib.lucene_folding import fold
from searchlib.lucene_estonian import estonian_stem
from searchlib.lucene_galician import galician_stem
from searchlib.lucene_greek import greek_lower, greek_stem
from searchlib.lucene_indic import (bengali_normalize, bengali_stem, hindi_normalize, hindi_stem, indic_normalize,
                                   telugu_normalize, telugu_stem)
from searchlib.lucene_indonesian import indonesian_stem
from searchlib.lucene_sorani import sorani_normalize, sorani_stem
from searchlib.lucene_light_stemmers import (DUTCH_STEM_OVERRIDES, arabic_normalize, arabic_stem, bulgarian_stem,
                                             czech_stem, decimal_digits, french_light_stem, latvian_stem,
                                             persian_normalize, portuguese_light_stem, serbian_bald)
from searchlib.lucene_standard import DEFAULT_MAX_TOKEN_LENGTH, standard_tokens
from searchlib.lucene_stop_words import ELISION_ARTICLES, STOP_WORDS
from searchlib.utf16 import utf16_length

TOKENIZERS = ("standard", "whitespace", "keyword")
# Lucene SPI name (lowercased) -> step; snowballPorter's step takes the language as "stem:<algorithm>"
FILTERS = {"lowercase": "lowercase", "porterstem": "stem:porter", "snowballporter": "stem:english",
           "asciifolding": "asciifolding", "stop": "stop", "englishminimalstem": "stem:englishminimal",
           "englishpossessive": "possessive", "germannormalization": "germannormalization",
           "germanlightstem": "stem:germanlight", "spanishlightstem": "stem:spanishlight",
           "frenchlightstem": "stem:frenchlight", "portugueselightstem": "stem:portugueselight",
           "czechstem": "stem:czechlight", "bulgarianstem": "stem:bulgarianlight", "arabicstem": "stem:arabic",
           "indonesianstem": "stem:indonesiantala", "latvianstem": "stem:latvian", "soranistem": "stem:sorani",
           "soraninormalization": "soraninormalization", "turkishlowercase": "turkishlowercase",
           "apostrophe": "apostrophe",
           "arabicnormalization": "arabicnormalization", "decimaldigit": "decimaldigit",
           "persiannormalization": "persiannormalization", "serbiannormalization": "serbiannormalization",
           "uppercase": "uppercase", "indicnormalization": "indicnormalization",
           "hindinormalization": "hindinormalization", "hindistem": "stem:hindilight",
           "bengalinormalization": "bengalinormalization", "bengalistem": "stem:bengali",
           "greeklowercase": "greeklowercase", "greekstem": "stem:greekntais",
           "telugunormalization": "telugunormalization", "telugustem": "stem:telugu",
           "galicianstem": "stem:galicianrslp",
           "reversestring": "reverse", "trim": "trim", "length": "length", "edgengram": "edgengram", "ngram": "ngram"}
SNOWBALL_LANGUAGES = ("Arabic", "Armenian", "Basque", "Catalan", "Danish", "Dutch", "English", "Estonian",
                      "Finnish", "French", "German", "Hungarian", "Irish", "Italian", "Lithuanian", "Norwegian",
                      "Porter", "Portuguese", "Romanian", "Russian", "Spanish", "Swedish", "Turkish")
# EnglishAnalyzer.ENGLISH_STOP_WORDS_SET: the stop filter's words when no file is named
ENGLISH_STOP_WORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these "
    "they this to was will with".split())
MAX_TOKEN_LENGTH = 255  # CharTokenizer's (whitespace)
_local = threading.local()  # a PyStemmer object is not thread-safe
_APOSTROPHE = re.compile("['\u2019]")  # ApostropheFilter's and ElisionFilter's apostrophes
# Java's Character.isWhitespace: Unicode space separators but the no-break ones, and the controls
_JAVA_WORD = re.compile("[^\t\n\x0b\x0c\r\x1c-\x1f \u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]+")

Span = tuple[str, int, int]  # a term and the offsets of the text it came from


def stop_step(words: frozenset[str] | None, ignore_case: bool) -> str:
    """The chain step of a stop filter; `words` None for Lucene's default English set."""
    listed = "@english" if words is None else ",".join(quote(word, safe="") for word in sorted(words))
    return f"stop:{'i' if ignore_case else '-'}:{listed}"


def analyze(chain: tuple[str, ...], text: str, stem: bool = True) -> list[str]:
    """The terms of `text` under a chain (tokenizer first, then filters in order); `stem=False`
    skips the stemmers (a query term annotated `{stem: false}`)."""
    return [term for term, _, _ in analyze_spans(chain, text, stem)]


def analyze_spans(chain: tuple[str, ...], text: str, stem: bool = True) -> list[Span]:
    """`analyze` with the offsets in `text` each term came from (for highlighting)."""
    tokenizer, *filters = _compiled(chain)
    spans = tokenizer(text)
    for kind, apply in filters:
        if kind != "stem" or stem:
            spans = apply(spans)
    return spans


@functools.lru_cache(maxsize=256)
def _compiled(chain: tuple[str, ...]) -> list:
    name, _, argument = chain[0].partition(":")
    steps: list = [_TOKENIZERS[name](int(argument) if argument else DEFAULT_MAX_TOKEN_LENGTH)]
    for step in chain[1:]:
        kind, _, argument = step.partition(":")
        steps.append((kind, _FILTERS[kind](argument)))
    return steps


def _standard(limit: int) -> Callable[[str], list[Span]]:
    return lambda text: [(token.text, token.start, token.end) for token in standard_tokens(text, limit)]


def _whitespace(_: int) -> Callable[[str], list[Span]]:
    def tokenize(text: str) -> list[Span]:  # CharTokenizer cuts a longer run into tokens of at most 255
        spans = []
        for run in _JAVA_WORD.finditer(text):
            start, end = run.span()
            spans.extend((text[i:min(i + MAX_TOKEN_LENGTH, end)], i, min(i + MAX_TOKEN_LENGTH, end))
                         for i in range(start, end, MAX_TOKEN_LENGTH))
        return spans
    return tokenize


def _persian(limit: int) -> Callable[[str], list[Span]]:
    """PersianAnalyzer's StandardTokenizer behind its PersianCharFilter: a zero-width non-joiner is a
    space (one character for one, so the offsets stay)."""
    standard = _standard(limit)
    return lambda text: standard(text.replace("\u200c", " "))


def _cjk(limit: int) -> Callable[[str], list[Span]]:
    """CJKAnalyzer's tokenizer and filters before its stop filter (searchlib.lucene_cjk)."""
    return lambda text: cjk_spans(text, limit, java_lower)


def _keyword(_: int) -> Callable[[str], list[Span]]:
    return lambda text: [(text, 0, len(text))] if text else []


def _lowercase(_: str) -> Callable[[list[Span]], list[Span]]:
    return lambda spans: [(java_lower(term), start, end) for term, start, end in spans]


def _stem(algorithm: str) -> Callable[[list[Span]], list[Span]]:
    if algorithm in _OWN_STEMMERS:
        stem = _OWN_STEMMERS[algorithm]
        return lambda spans: [(stem(term), start, end) for term, start, end in spans]

    def apply(spans: list[Span]) -> list[Span]:
        stems = _stemmer(algorithm).stemWords([term for term, _, _ in spans])
        return [(word, start, end) for word, (_, start, end) in zip(stems, spans)]
    return apply


def _asciifolding(argument: str) -> Callable[[list[Span]], list[Span]]:
    preserve = argument == "preserve"

    def apply(spans: list[Span]) -> list[Span]:
        out = []
        for term, start, end in spans:
            folded = fold(term)
            out.append((folded, start, end))
            if preserve and folded != term:  # Lucene: the original follows, at the same position
                out.append((term, start, end))
        return out
    return apply


def _stop(argument: str) -> Callable[[list[Span]], list[Span]]:
    flags, _, listed = argument.partition(":")
    ignore_case = flags == "i"
    if listed.startswith("@"):  # a named default set (a listed word's "@" is percent-encoded)
        words = ENGLISH_STOP_WORDS if listed == "@english" else STOP_WORDS[listed[1:]]
    else:
        words = frozenset(unquote(w) for w in listed.split(",") if w)
    if ignore_case:  # CharArraySet(ignoreCase) lowercases both sides per code point
        words = frozenset(java_lower(word) for word in words)
        return lambda spans: [span for span in spans if java_lower(span[0]) not in words]
    return lambda spans: [span for span in spans if span[0] not in words]


def _s_stem(word: str) -> str:
    """Harman's S-stemmer (EnglishMinimalStemmer): plurals only, "ies" to "y"."""
    if len(word) < 3 or word[-1] != "s" or word[-2] in "us":
        return word
    if word[-2] == "e":
        if len(word) > 3 and word[-3] == "i" and word[-4] not in "ae":
            return word[:-3] + "y"
        if word[-3] in "iaoe":
            return word
    return word[:-1]


_GERMAN_UMLAUTS = {"ä": "a", "ö": "o", "ü": "u"}


def german_normalize(term: str) -> str:
    """GermanNormalizationFilter: the German2 Snowball heuristics for umlauts written out. ß becomes
    ss and ä, ö, ü lose their dots; an 'e' after 'a' or 'o', or after a 'u' that follows neither a
    vowel nor 'q', is dropped (ae, oe, ue for ä, ö, ü). `state` is what the last letter allows:
    "umlaut" (an 'e' now is dropped), "vowel" (a 'u' now cannot start an umlaut) or "plain"."""
    out, state = [], "plain"
    for char in term:
        if char in "ao":
            state = "umlaut"
        elif char == "u":
            state = "umlaut" if state == "plain" else "vowel"
        elif char == "e":
            dropped, state = state == "umlaut", "vowel"
            if dropped:
                continue
        elif char in "iqy":
            state = "vowel"
        elif char in _GERMAN_UMLAUTS:
            char, state = _GERMAN_UMLAUTS[char], "vowel"
        elif char == "ß":
            char, state = "ss", "plain"
        else:
            state = "plain"
        out.append(char)
    return "".join(out)


_LIGHT_FOLD = str.maketrans("äàáâöòóôïìíîüùúû", "aaaaooooiiiiuuuu")
_ST_ENDING = frozenset("bdfghklmnt")  # letters before which a final s or st is an ending


def german_light_stem(word: str) -> str:
    """GermanLightStemmer: Savoy's "UniNE" light stemmer (Light Stemming Approaches for the French,
    Portuguese, German and Hungarian Languages). Accents folded, then one inflectional ending off
    (-ern; -em -en -er -es; -e; -s after an st-ending letter) and one more (-est; -er -en; -st after
    an st-ending letter), each only from a word long enough (lengths in UTF-16 units, as Java's)."""
    word = word.translate(_LIGHT_FOLD)
    size = utf16_length(word)
    if size > 5 and word.endswith("ern"):
        word = word[:-3]
    elif size > 4 and word[-2:] in ("em", "en", "er", "es"):
        word = word[:-2]
    elif size > 3 and word.endswith("e"):
        word = word[:-1]
    elif size > 3 and word.endswith("s") and word[-2] in _ST_ENDING:
        word = word[:-1]
    size = utf16_length(word)
    if size > 5 and word.endswith("est"):
        return word[:-3]
    if size > 4 and word[-2:] in ("er", "en"):
        return word[:-2]
    if size > 4 and word.endswith("st") and word[-3] in _ST_ENDING:
        return word[:-2]
    return word


_SPANISH_FOLD = str.maketrans("àáâäòóôöèéêëùúûüìíîï", "aaaaooooeeeeuuuuiiii")


def spanish_light_stem(word: str) -> str:
    """SpanishLightStemmer: Savoy's light stemmer (Report on CLEF-2001 Experiments). A word of five
    or more (UTF-16) characters is unaccented, then loses a final -o, -a or -e, or its plural: -eses
    to -es, -ces to -z, -os -as -es off. Shorter words are left as they are, accents too."""
    if utf16_length(word) < 5:
        return word
    word = word.translate(_SPANISH_FOLD)
    if word[-1] in "oae":
        return word[:-1]
    if word[-1] == "s" and len(word) >= 4:
        if word.endswith("eses"):
            return word[:-2]
        if word.endswith("ces"):
            return word[:-3] + "z"
        if word[-2] in "oae":
            return word[:-2]
    return word


def italian_light_stem(word: str) -> str:
    """ItalianLightStemmer: Savoy's light stemmer (Report on CLEF-2001 Experiments). A word of six
    or more (UTF-16) characters is unaccented, then loses its final vowel: -e (-ie, -he two letters),
    -i (-hi, -ii two), -a and -o (-ia, -io two). Shorter words are left as they are."""
    if utf16_length(word) < 6:
        return word
    word = word.translate(_SPANISH_FOLD)  # the same accents fold
    last, before = word[-1], word[-2]
    if last in "eiao":
        two = {"e": "ih", "i": "hi", "a": "i", "o": "i"}[last]
        return word[:-2] if before in two else word[:-1]
    return word


def _elision(articles: str) -> Callable[[list[Span]], list[Span]]:
    """ElisionFilter: a token's part before its first apostrophe (' or ’) is dropped with the
    apostrophe when it is one of the language's articles, compared without case ("L'amico": amico)."""
    elided = ELISION_ARTICLES[articles]

    def strip(term: str) -> str:
        found = _APOSTROPHE.search(term)
        return term[found.end():] if found and java_lower(term[:found.start()]) in elided else term
    return lambda spans: [(strip(term), start, end) for term, start, end in spans]


_IRISH_UPPER_VOWELS = frozenset("AEIOU\u00c1\u00c9\u00cd\u00d3\u00da")


def irish_lower(term: str) -> str:
    """IrishLowerCaseFilter: an n- or t- prefix before a capital vowel is written apart (nAthair:
    n-athair, tÉan: t-éan), then each UTF-16 unit is lowercased alone (a supplementary character is
    left as it is)."""
    if len(term) > 1 and term[0] in "nt" and term[1] in _IRISH_UPPER_VOWELS:
        term = term[0] + "-" + term[1:]
    return "".join(c if ord(c) > 0xFFFF else java_lower(c) for c in term)


def turkish_lower(term: str) -> str:
    """TurkishLowerCaseFilter: I is dotless ı, unless a combining dot above (U+0307) follows it
    across other non-spacing marks — then i, and that dot goes; the rest as LowerCaseFilter (İ → i)."""
    if "I" not in term:
        return java_lower(term)
    out, after_i = [], False
    for i, char in enumerate(term):
        after_i = char == "I" or (after_i and unicodedata.category(char) == "Mn")
        if char == "I":
            after_i = _before_dot(term, i + 1)
            out.append("i" if after_i else "\u0131")
        elif not (after_i and char == "\u0307"):
            out.append(java_lower(char))
    return "".join(out)


def _before_dot(term: str, start: int) -> bool:
    for char in term[start:]:
        if unicodedata.category(char) != "Mn":
            return False
        if char == "\u0307":
            return True
    return False


def _irishlowercase(_: str) -> Callable[[list[Span]], list[Span]]:
    return lambda spans: [(irish_lower(term), start, end) for term, start, end in spans]


def _term_map(convert: Callable[[str], str]) -> Callable[[str], Callable[[list[Span]], list[Span]]]:
    """A filter step that rewrites each term alone."""
    return lambda _: lambda spans: [(convert(term), start, end) for term, start, end in spans]


def _germannormalization(_: str) -> Callable[[list[Span]], list[Span]]:
    return lambda spans: [(german_normalize(term), start, end) for term, start, end in spans]


def _possessive(_: str) -> Callable[[list[Span]], list[Span]]:
    return lambda spans: [(term[:-2] if len(term) >= 2 and term[-2] in "'\u2019\uff07" and term[-1] in "sS" else term,
                           start, end) for term, start, end in spans]


def _uppercase(_: str) -> Callable[[list[Span]], list[Span]]:
    # Character.toUpperCase maps one code point to one: Python's 'ß'.upper() is "SS"
    def upper(term: str) -> str:
        return term.upper() if term.isascii() else "".join(u if len(u := c.upper()) == 1 else c for c in term)
    return lambda spans: [(upper(term), start, end) for term, start, end in spans]


def _reverse(_: str) -> Callable[[list[Span]], list[Span]]:
    return lambda spans: [(term[::-1], start, end) for term, start, end in spans]  # by code point, as Lucene


def _trim(_: str) -> Callable[[list[Span]], list[Span]]:
    def trim(term: str) -> str:
        low, high = 0, len(term)
        while low < high and _JAVA_WORD.match(term[low]) is None:
            low += 1
        while high > low and _JAVA_WORD.match(term[high - 1]) is None:
            high -= 1
        return term[low:high]
    return lambda spans: [(trim(term), start, end) for term, start, end in spans]


def _length(argument: str) -> Callable[[list[Span]], list[Span]]:
    low, high = map(int, argument.split(":"))
    return lambda spans: [span for span in spans if low <= utf16_length(span[0]) <= high]


def _edgengram(argument: str) -> Callable[[list[Span]], list[Span]]:
    """EdgeNGramTokenFilter: the prefixes of min..max code points; with preserveOriginal a token
    shorter than min alone, one longer than max after its prefixes."""
    low, high, preserve = (int(part) for part in argument.split(":"))

    def grams(term: str) -> list[str]:
        if preserve and len(term) < low:
            return [term]
        return [term[:size] for size in range(low, min(high, len(term)) + 1)] + \
            ([term] if preserve and len(term) > high else [])
    return lambda spans: [(gram, start, end) for term, start, end in spans for gram in grams(term)]


def _ngram(argument: str) -> Callable[[list[Span]], list[Span]]:
    """NGramTokenFilter: from each start, the grams of min..max code points; preserveOriginal as edgeNGram."""
    low, high, preserve = (int(part) for part in argument.split(":"))

    def grams(term: str) -> list[str]:
        if preserve and len(term) < low:
            return [term]
        return [term[at:at + size] for at in range(len(term)) for size in range(low, high + 1)
                if at + size <= len(term)] + ([term] if preserve and len(term) > high else [])
    return lambda spans: [(gram, start, end) for term, start, end in spans for gram in grams(term)]


def _dutch_stem(word: str) -> str:
    """DutchAnalyzer: its StemmerOverrideFilter's words keep their given stem (marked keywords the
    SnowballFilter passes over), the others get Snowball's Dutch stemmer."""
    override = DUTCH_STEM_OVERRIDES.get(word)
    return override if override is not None else _stemmer("dutch").stemWord(word)


# the stemmers written here; the other `stem:` algorithms are PyStemmer's Snowball ones
_OWN_STEMMERS = {"englishminimal": _s_stem, "germanlight": german_light_stem, "spanishlight": spanish_light_stem,
                 "italianlight": italian_light_stem, "frenchlight": french_light_stem,
                 "portugueselight": portuguese_light_stem, "dutchoverride": _dutch_stem, "czechlight": czech_stem,
                 "bulgarianlight": bulgarian_stem, "arabic": arabic_stem,
                 "indonesiantala": indonesian_stem, "latvian": latvian_stem,
                 "sorani": sorani_stem, "hindilight": hindi_stem, "bengali": bengali_stem,
                 "greekntais": greek_stem, "telugu": telugu_stem,
                 "galicianrslp": galician_stem, "estonian": estonian_stem}
_TOKENIZERS = {"standard": _standard, "whitespace": _whitespace, "keyword": _keyword, "persian": _persian,
               "cjk": _cjk}
_FILTERS = {"lowercase": _lowercase, "stem": _stem, "asciifolding": _asciifolding, "stop": _stop,
            "possessive": _possessive, "germannormalization": _germannormalization, "elision": _elision,
            "irishlowercase": _irishlowercase, "turkishlowercase": _term_map(turkish_lower),
            "apostrophe": _term_map(lambda term: _APOSTROPHE.split(term, maxsplit=1)[0]),
            "arabicnormalization": _term_map(arabic_normalize),
            "decimaldigit": _term_map(decimal_digits), "persiannormalization": _term_map(persian_normalize),
            "serbiannormalization": _term_map(serbian_bald), "soraninormalization": _term_map(sorani_normalize),
            "uppercase": _uppercase, "indicnormalization": _term_map(indic_normalize),
            "hindinormalization": _term_map(hindi_normalize), "bengalinormalization": _term_map(bengali_normalize),
            "greeklowercase": _term_map(lambda term: greek_lower(term, java_lower)),
            "telugunormalization": _term_map(telugu_normalize),
            "reverse": _reverse, "trim": _trim, "length": _length, "edgengram": _edgengram, "ngram": _ngram}


def java_lower(token: str) -> str:
    if token.isascii():
        return token.lower()
    # Character.toLowerCase maps one code point to one: Python's 'İ'.lower() is two (i + dot above)
    return "".join(c if len(low := c.lower()) != 1 else low for c in token).replace("\u0130", "i")


def _stemmer(algorithm: str) -> Stemmer.Stemmer:
    stemmers = _local.__dict__.setdefault("stemmers", {})
    if algorithm not in stemmers:
        stemmers[algorithm] = Stemmer.Stemmer(algorithm)
    return stemmers[algorithm]
