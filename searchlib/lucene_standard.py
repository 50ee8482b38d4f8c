"""Lucene's StandardTokenizer (the `standard` tokenizer of Vespa's lucene-linguistics profiles).

Lucene's grammar (StandardTokenizerImpl.jflex) implements the word-break rules of Unicode UAX#29
and then keeps only the segments that are words. Here the segmentation is the `regex` module's
Unicode default word boundaries (`(?w)\\b`, UAX#29), and each segment is kept and typed as Lucene's
grammar types it:

- ALPHANUM: letters (and digits with them): "O'Reilly", "B2B", "A.B", "_foo";
- NUM: digits with their inner separators: "21.35", "1,000", "216.239.63.104";
- KATAKANA, HANGUL: runs of those letters;
- IDEOGRAPHIC, HIRAGANA: one character each (UAX#29 breaks between any two);
- SOUTHEAST_ASIAN: a run of Line_Break=Complex_Context characters (Thai, Lao, Khmer, Myanmar) is
  one token, as ICU and Lucene keep them (UAX#29 alone would cut every character);
- EMOJI: emoji, their ZWJ, modifier, keycap and flag sequences (a U+FE0E text-presentation selector
  ends one: Lucene leaves it out of the token);
- everything else (spaces, punctuation, symbols, lone underscores) is dropped.

A token longer than maxTokenLength (default 255) is cut there and the rest is tokenized anew, as
Lucene's scanner with a buffer of that size does ("toolong" at 5: "toolo", "ng"). Lengths count code
points (Java counts UTF-16 units: the same outside the supplementary planes). The Unicode version is
the `regex` module's, newer than Lucene's (9.0): characters assigned since may segment differently.
"""
from __future__ import annotations

from typing import NamedTuple

import regex

DEFAULT_MAX_TOKEN_LENGTH = 255
# the UAX#29 segments that may be tokens: those starting with a word character (letters of every
# script, digits, marks, connectors) or an emoji; the others (spaces, punctuation) are skipped unseen
_CANDIDATE = regex.compile(r"(?wsV1)\b[\w\p{Extended_Pictographic}\p{Emoji}\p{WB=Regional_Indicator}\u200d\p{WB=Extend}"
                           r"\p{WB=Format}].*?\b")
_ASCII_LETTER = regex.compile(r"[A-Za-z]")
_ASCII_DIGIT = regex.compile(r"[0-9]")
_SOUTHEAST_ASIAN = regex.compile(r"\p{Line_Break=Complex_Context}")
_HAN = regex.compile(r"\p{Script=Han}")
_HIRAGANA = regex.compile(r"\p{Script=Hiragana}")
_LETTER = regex.compile(r"[\p{WB=ALetter}\p{WB=Hebrew_Letter}\p{WB=Katakana}]")
_NUMERIC = regex.compile(r"[\p{WB=Numeric}\uff10-\uff19]")  # + fullwidth digits, as Lucene's NumericEx
_KATAKANA_ONLY = regex.compile(r"[\p{WB=Katakana}\p{WB=Extend}\p{WB=Format}\p{WB=ZWJ}]+")
_HANGUL_ONLY = regex.compile(r"(?:[\p{Script=Hangul}&&[\p{WB=ALetter}]][\p{WB=Extend}\p{WB=Format}\p{WB=ZWJ}]*)+",
                             regex.V1)
_KEYCAP = regex.compile(r"[0-9#*]\ufe0f?\u20e3")
# Lucene's EmojiChar: Extended_Pictographic, or Emoji but not a keycap base, regional indicator or modifier
_EMOJI_START = regex.compile(r"\u200d*(?:\p{Extended_Pictographic}|[\p{Emoji}--[0-9#*\p{WB=Regional_Indicator}"
                             r"\p{Emoji_Modifier}\u00a9\u00ae\u2122\u3030\u303d]]|\p{WB=Regional_Indicator}{2})",
                             regex.V1)


class Token(NamedTuple):
    text: str
    start: int  # offsets into the tokenized text
    end: int
    type: str  # Lucene's token type: <ALPHANUM>, <NUM>, <IDEOGRAPHIC>, ...


def standard_tokens(text: str, max_token_length: int = DEFAULT_MAX_TOKEN_LENGTH) -> list[Token]:
    """The tokens Lucene's StandardTokenizer makes of `text`, in order, with their offsets."""
    out: list[Token] = []
    _tokenize(text, 0, len(text), max_token_length, out)
    return out


def _tokenize(text: str, start: int, end: int, limit: int, out: list[Token]) -> None:
    pending: list[int] | None = None  # a run of South-East Asian segments: [start, end]
    part = text if start == 0 and end == len(text) else text[start:end]  # a cut token's rest: no context
    for found in _CANDIDATE.finditer(part):
        segment, left, right = found.group(), start + found.start(), start + found.end()
        if segment.isascii():  # the common case, typed without the Unicode properties
            kind = "<ALPHANUM>" if segment.isalpha() else _ascii_type(segment)
        elif _SOUTHEAST_ASIAN.match(segment):
            if pending is not None and pending[1] == left:
                pending[1] = right
            else:
                _flush(text, pending, limit, out)
                pending = [left, right]
            continue
        else:
            kind = _type(segment)
        _flush(text, pending, limit, out)
        pending = None
        if kind == "<EMOJI>":
            offset = left
            for piece in segment.split("\ufe0e"):  # U+FE0E ends an emoji token and is left out
                if piece and (_EMOJI_START.match(piece) or _KEYCAP.match(piece)):
                    out.append(Token(piece, offset, offset + len(piece), kind))
                offset += len(piece) + 1
        elif kind is not None:
            _emit(text, left, right, kind, limit, out)
    _flush(text, pending, limit, out)


def _ascii_type(segment: str) -> str | None:
    if segment.isdigit():
        return "<NUM>"
    if _ASCII_LETTER.search(segment):
        return "<ALPHANUM>"
    return "<NUM>" if _ASCII_DIGIT.search(segment) else None


def _flush(text: str, pending: list[int] | None, limit: int, out: list[Token]) -> None:
    if pending is not None:
        _emit(text, pending[0], pending[1], "<SOUTHEAST_ASIAN>", limit, out)


def _emit(text: str, start: int, end: int, kind: str, limit: int, out: list[Token]) -> None:
    if end - start <= limit:
        out.append(Token(text[start:end], start, end, kind))
        return
    out.append(Token(text[start:start + limit], start, start + limit, kind))
    _tokenize(text, start + limit, end, limit, out)  # the scanner starts over after a full buffer


def _type(segment: str) -> str | None:
    """Lucene's type of one UAX#29 segment, or None for one it drops."""
    first = segment[0]
    if _HAN.match(first):
        return "<IDEOGRAPHIC>"
    if _HIRAGANA.match(first):
        return "<HIRAGANA>"
    if _KEYCAP.match(segment) or _EMOJI_START.match(segment):
        return "<EMOJI>"
    if _LETTER.search(segment):
        if _HANGUL_ONLY.fullmatch(segment):
            return "<HANGUL>"
        if _KATAKANA_ONLY.fullmatch(segment):
            return "<KATAKANA>"
        return "<ALPHANUM>"
    if _NUMERIC.search(segment):
        return "<NUM>"
    return None
