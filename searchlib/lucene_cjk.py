"""Lucene's CJKAnalyzer up to its stop filter, as the `cjk` tokenizer step: StandardTokenizer,
CJKWidthFilter, LowerCaseFilter, CJKBigramFilter (LuceneLinguistics' default analyzer for Chinese,
Japanese and Korean text).

- CJKWidthFilter: fullwidth ASCII (U+FF01..FF5E) becomes ASCII and halfwidth katakana (U+FF65..FF9F)
  fullwidth; a halfwidth (semi-)voiced sound mark joins the katakana before it into its composed
  form (ｶﾞ → ガ) where Unicode composes the two, else it becomes the combining mark. Both maps are
  Unicode's compatibility and canonical compositions, which is what Lucene's tables hold.
- CJKBigramFilter: the characters of adjacent CJK tokens (ideographs, hiragana, katakana, hangul:
  each token starting where the last CJK token ended) form one run; a run of two or more
  characters gives its overlapping bigrams (東京都 → 東京 京都), a lone character itself; other
  tokens pass as they are, in order. A bigram's offsets span its two characters; a token whose
  width folding changed its length gives each of its characters the whole token's offsets.
"""
from __future__ import annotations

import functools
import unicodedata

from searchlib.lucene_standard import standard_tokens

Span = tuple[str, int, int]
_CJK_TYPES = frozenset({"<IDEOGRAPHIC>", "<HIRAGANA>", "<KATAKANA>", "<HANGUL>"})
_VOICED_MARKS = {0xFF9E: "\u3099", 0xFF9F: "\u309a"}


@functools.lru_cache(maxsize=128)
def _halfwidth(code: int) -> str:
    return unicodedata.normalize("NFKC", chr(code))


def cjk_width(term: str) -> str:
    if term.isascii():
        return term
    out: list[str] = []
    for char in term:
        code = ord(char)
        if 0xFF01 <= code <= 0xFF5E:
            out.append(chr(code - 0xFEE0))
        elif 0xFF65 <= code <= 0xFF9F:
            if code in _VOICED_MARKS and out and "\u30a6" <= out[-1] <= "\u30fd":
                composed = unicodedata.normalize("NFC", out[-1] + _VOICED_MARKS[code])
                if len(composed) == 1:
                    out[-1] = composed
                    continue
            out.append(_halfwidth(code))
        else:
            out.append(char)
    return "".join(out)


def cjk_spans(text: str, limit: int, lower) -> list[Span]:
    """The spans CJKAnalyzer's filters before its stop filter make of `text`; `lower` is Java's
    per-character lowercasing (searchlib.lucene_analysis.java_lower)."""
    out: list[Span] = []
    run: list[Span] = []  # the current CJK run, one entry a character
    last_end = -1
    for token in standard_tokens(text, limit):
        term = lower(cjk_width(token.text))
        if token.type not in _CJK_TYPES:
            _flush(run, out)
            run = []
            out.append((term, token.start, token.end))
            continue
        if token.start != last_end:
            _flush(run, out)
            run = []
        last_end = token.end
        if len(term) != token.end - token.start:  # the width filter joined characters
            run.extend((char, token.start, token.end) for char in term)
        else:
            run.extend((char, token.start + i, token.start + i + 1) for i, char in enumerate(term))
    _flush(run, out)
    return out


def _flush(run: list[Span], out: list[Span]) -> None:
    if len(run) == 1:
        out.append(run[0])
    else:
        out.extend((first[0] + second[0], first[1], second[2]) for first, second in zip(run, run[1:]))
