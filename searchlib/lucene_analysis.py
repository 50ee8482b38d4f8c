"""The subset of Lucene analysis (Vespa's lucene-linguistics profiles) this engine runs exactly:
a profile's analyzer becomes a chain of steps that both the index (feed) and the query side apply,
so a field's `linguistics { profile … }` turns a word into the same terms as Vespa would.

Tokenizers: `whitespace` (Lucene's WhitespaceTokenizer: splits at Java's Character.isWhitespace,
which excludes the no-break spaces U+00A0, U+2007, U+202F), `keyword` (the whole text is one
token). Token filters: `lowercase` (Java's per-code-point Character.toLowerCase), `porterStem`
(Porter's original algorithm: Snowball's `porter`), `snowballPorter` with its `language`
(default English: Snowball's algorithm of that name). Lucene looks factory names up without
case, and so does this. Anything else (the `standard` UAX#29 tokenizer, asciiFolding, stop words,
char filters) is refused by name where services.xml names it: an approximation would make feed
and query terms differ from Vespa's.
"""
from __future__ import annotations

import re
import threading

import Stemmer

TOKENIZERS = ("whitespace", "keyword")
# Lucene SPI name (lowercased) -> step; snowballPorter's step takes the language as "stem:<algorithm>"
FILTERS = {"lowercase": "lowercase", "porterstem": "stem:porter", "snowballporter": "stem:english"}
SNOWBALL_LANGUAGES = ("Arabic", "Armenian", "Basque", "Catalan", "Danish", "Dutch", "English", "Finnish",
                      "French", "German", "Hungarian", "Irish", "Italian", "Lithuanian", "Norwegian", "Porter",
                      "Portuguese", "Romanian", "Russian", "Spanish", "Swedish", "Turkish")
# Java's Character.isWhitespace: Unicode space separators but the no-break ones, and the controls
MAX_TOKEN_LENGTH = 255
_local = threading.local()  # a PyStemmer object is not thread-safe
_JAVA_SPACE = re.compile("[\t\n\x0b\x0c\r\x1c-\x1f \u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]+")


def analyze(chain: tuple[str, ...], text: str, stem: bool = True) -> list[str]:
    """The terms of `text` under a chain (tokenizer first, then filters in order); `stem=False`
    skips the stemmers (a query term annotated `{stem: false}`)."""
    tokenizer, filters = chain[0], chain[1:]
    if tokenizer == "keyword":
        tokens = [text] if text else []
    else:  # CharTokenizer cuts a longer run into tokens of at most 255 characters
        tokens = [run[i:i + MAX_TOKEN_LENGTH] for run in _JAVA_SPACE.split(text) if run
                  for i in range(0, len(run), MAX_TOKEN_LENGTH)]
    for step in filters:
        if step == "lowercase":
            tokens = [_java_lower(token) for token in tokens]
        elif step.startswith("stem:") and stem:
            tokens = _stemmer(step[5:]).stemWords(tokens)
    return tokens


def _java_lower(token: str) -> str:
    if token.isascii():
        return token.lower()
    # Character.toLowerCase maps one code point to one: Python's 'İ'.lower() is two (i + dot above)
    return "".join(c if len(low := c.lower()) != 1 else low for c in token).replace("\u0130", "i")


def _stemmer(algorithm: str) -> Stemmer.Stemmer:
    stemmers = _local.__dict__.setdefault("stemmers", {})
    if algorithm not in stemmers:
        stemmers[algorithm] = Stemmer.Stemmer(algorithm)
    return stemmers[algorithm]
