"""Tokenization, normalization and stemming used by BOTH feeding and querying, so terms always
agree: a field's text is processed in its document's language at feed time, a query's text in the
query's language (searchlib.languages says which).

As Vespa's default (OpenNLP) linguistics does, per token: NFKC, lowercase (language independent:
`İ` becomes `i̇`, `I` becomes `i`, `ß` stays), accents dropped (NFD, then the combining
diacritical marks U+0300–U+036F removed: `é` → `e`, `й` → `и`; kana voicing marks, Hangul and
Indic vowel signs are kept), then the Snowball stemmer of the language (PyStemmer, the C
libstemmer; its German rules turn `ß` into `ss`). Languages without a Snowball stemmer are stemmed
as English, as in Vespa. Tokens are what Vespa's tokenizer indexes: runs of letters, digits and
combining marks (a Devanagari vowel sign or virama stays inside its word); everything else,
`_` included, separates them. Stopwords are kept.

Chinese, Japanese and Korean are tokenized by the same rule, as Vespa's default OpenNLP
linguistics does without its `cjk` segmenter (OpenNlpTokenizer falls back to SimpleTokenizer, which
splits only where a character is not a letter or digit): a run of ideographs, kana or Hangul between
separators is one word ("我能吞下玻璃而不伤身体。" → "我能吞下玻璃而不伤身体"), at feed and at query
time alike, so a query word matches only a whole run. Bigrams are a field's `match { gram
gram-size: 2 }` (searchlib.match_modes) or LuceneLinguistics' CJK analyzer (searchlib.lucene_cjk).
"""
from __future__ import annotations

import re
import threading
import unicodedata

import Stemmer

from searchlib.languages import DEFAULT_LANGUAGE, SNOWBALL_ALGORITHMS
from searchlib.unicode_marks import MARKS

# ASCII text: every character but a letter or digit becomes a space, then str.split() (C speed, ~2x
# a regex findall): the same maximal runs of [A-Za-z0-9] the general rule gives for ASCII. Through
# bytes.translate (a 256-byte table: ~5x str.translate's per-character dict lookups), which also
# lowercases in the same pass when asked (str.lower changes only A-Z in ASCII text)
_SEPARATOR_BYTES = bytes(c if c >= 128 or chr(c).isalnum() else 32 for c in range(256))
_LOWER_SEPARATOR_BYTES = bytes(c + 32 if 65 <= c <= 90 else b for c, b in enumerate(_SEPARATOR_BYTES))
# What the index's terms are made by: raise it whenever the same text gives other words (2: CJK runs
# whole, no longer bigrams), so an index image saved by older code is re-indexed (FieldIndex.analysis)
TOKENIZER_VERSION = 2
# letters, digits and combining marks, and `_` (\w has it; words() splits it off: punctuation to Vespa)
WORD_RUN = re.compile(f"[\\w{MARKS}]+")
_ACCENTS = re.compile("[\u0300-\u036f]+")


def normalize(text: str, fold_accents: bool = True, lowercase: bool = True) -> str:
    """Compatibility-compose, lowercase and drop accents (Vespa's normalization before matching);
    `fold_accents=False` keeps the accents (a field's `normalizing: none`), `lowercase=False` the
    case (the words as Vespa's YQL parser leaves them, before its lowercasing searcher)."""
    if text.isascii():  # fast path: the rest is the identity on ASCII, and most text is ASCII
        return text.lower() if lowercase else text
    composed = unicodedata.normalize("NFKC", text)
    composed = composed.lower() if lowercase else composed
    return composed if composed.isascii() or not fold_accents else drop_accents(composed)


def drop_accents(text: str) -> str:
    """The combining diacritical marks removed, case kept (`Café` → `Cafe`): the indexing
    language's `normalize`, and the last step of `normalize` above."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", _ACCENTS.sub("", unicodedata.normalize("NFD", text)))


def tokenize_unstemmed(text: str, language: str = DEFAULT_LANGUAGE, fold_accents: bool = True,
                       lowercase: bool = True) -> list[str]:
    """Text → normalized word tokens in order, without stemming (for `{stem:false}` terms)."""
    if text.isascii():  # normalize and words in one pass: lowercase and separate by one table
        return ascii_word_bytes(text, lowercase).decode("ascii").split()
    return words(normalize(text, fold_accents, lowercase))


def ascii_word_bytes(text: str, lowercase: bool = True) -> bytes:
    """ASCII text's bytes with every separator a space (and lowercased unless told not to): its
    words, as `tokenize_unstemmed` gives them, are the runs of other bytes."""
    return text.encode("ascii").translate(_LOWER_SEPARATOR_BYTES if lowercase else _SEPARATOR_BYTES)


def words(text: str) -> list[str]:
    """The words of (normalized) text in order: runs of letters, digits and combining marks, the
    characters Vespa's tokenizer indexes; anything else separates them."""
    if text.isascii():
        return text.encode("ascii").translate(_SEPARATOR_BYTES).decode("ascii").split()
    # C speed first (the regular expression's class of marks costs ~1 ms a scifact abstract): ASCII
    # separators become spaces in the UTF-8 bytes, whose multi-byte sequences hold no ASCII byte;
    # split() also splits at Unicode spaces, which separate words anyway. A chunk of letters and
    # digits (str.isalnum: \w without `_`) is one word; any other chunk goes through the rule.
    chunks = text.encode("utf-8", "surrogatepass").translate(_SEPARATOR_BYTES).decode("utf-8", "surrogatepass").split()
    if all(map(str.isalnum, chunks)):
        return chunks
    return [word for chunk in chunks for word in ((chunk,) if chunk.isalnum() else WORD_RUN.findall(chunk))]


def tokenize(text: str, language: str = DEFAULT_LANGUAGE) -> list[str]:
    """Text → index terms (normalized and stemmed in `language`), in order: positions are list
    indexes."""
    return _cache(language).stems(tokenize_unstemmed(text, language))


def query_words(text: str, language: str = DEFAULT_LANGUAGE, stem: bool = True, fold_accents: bool = True,
                lowercase: bool = True) -> list[str]:
    """A query text's words on a text index: stemmed unless `stem` is off (`{stem: false}`), and
    accent-folded unless `fold_accents` is off (Vespa's `{accentDrop: false}`: the word is not
    normalizable, so it keeps its accents and meets only an index that kept them)."""
    found = tokenize_unstemmed(text, language, fold_accents, lowercase)
    return stems(found, language) if stem else found


def stems(words: list[str], language: str = DEFAULT_LANGUAGE) -> list[str]:
    """The Snowball stems of normalized tokens in `language` (tokenize = stems of tokenize_unstemmed)."""
    return _cache(language).stems(words)


def stems_uncached(words: list[str], language: str = DEFAULT_LANGUAGE) -> list[str]:
    """`stems`, in one call to the C stemmer and without the cache: for a batch's distinct words,
    which would only churn the cache (a feed batch has about as many as it holds)."""
    return [stemmed or word for word, stemmed in zip(words, _thread_stemmer(stemmer_algorithm(language)).stemWords(words))]


def stem(word: str, language: str = DEFAULT_LANGUAGE) -> str:
    """The Snowball stem of one normalized token in `language`."""
    return _cache(language).stems([word])[0]


def stemmer_algorithm(language: str) -> str:
    return SNOWBALL_ALGORITHMS.get(language, "english")


class _StemCache:
    """Remembered stems of one algorithm in two generations: new words go to the young one; when
    it is full it becomes the old one and the previous old one is dropped, so words still in use
    survive a reset (a cheap approximate LRU). Bounded memory (~100 B a word): most of a node's
    vocabulary is rare words stemmed once at feed time. A dict lookup a token is ~4x cheaper than
    PyStemmer's own cache; on scifact 2 × 4,096 words miss 11% of tokens."""

    GENERATION = 4096

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self.young: dict[str, str] = {}
        self.old: dict[str, str] = {}

    def stems(self, words: list[str]) -> list[str]:
        known = self.young.get
        return [known(word) or self._remember(word) for word in words]

    def _remember(self, word: str) -> str:
        # a word Snowball stems to nothing (Greek "ους") stays itself: an empty term matches nothing
        stemmed = self.old.get(word) or _thread_stemmer(self.algorithm).stemWord(word) or word
        if len(self.young) >= self.GENERATION:
            self.old, self.young = self.young, {}
        self.young[word] = stemmed
        return stemmed


_CACHES: dict[str, _StemCache] = {}
# libstemmer keeps state in each stemmer object: one per algorithm per thread, without
# PyStemmer's cache (the _StemCache in front of it is shared by every thread)
_THREAD_STEMMERS = threading.local()


def _cache(language: str) -> _StemCache:
    algorithm = stemmer_algorithm(language)  # keyed by algorithm: request tags are unbounded
    found = _CACHES.get(algorithm)
    return found if found is not None else _CACHES.setdefault(algorithm, _StemCache(algorithm))


def _thread_stemmer(algorithm: str) -> Stemmer.Stemmer:
    stemmers = _THREAD_STEMMERS.__dict__
    found = stemmers.get(algorithm)
    if found is None:
        found = stemmers[algorithm] = Stemmer.Stemmer(algorithm, 0)
    return found
