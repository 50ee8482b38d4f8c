"""Vespa's built-in chunkers (`chunk fixed-length N`, `chunk sentence`): a string → array<string>
whose concatenation is the input (no character is dropped or repeated).

fixed-length N: a chunk closes at the first place at or after N characters (code points) where
the text breaks; up to 5% over N (rounded) it waits for two non-letter/digit characters in a row
(the last character taken and the next one), up to 10% over N for one, and at 10% over N it closes
regardless: "first sentence, end. Next" with N=20 → "first sentence, end.", " Next". In Chinese,
Japanese and Korean text (the document's language, else detected) a chunk is exactly N characters.
sentence: a chunk closes after a sentence-ending character (not followed by another one) once it
has a letter, digit or symbol: "first. second" → "first.", " second".
"""
from __future__ import annotations

import unicodedata

_SENTENCE_ENDS = frozenset(".!?\u3002\uff01\uff1f\u203c\u2047\u2048\u2049\u061f\u0964\u0965")


def _letter_or_digit(char: str) -> bool:
    return char.isalnum() or unicodedata.category(char).startswith("M")  # marks belong to their letter


def chunk_fixed_length(text: str, target: int, cjk: bool = False) -> list[str]:
    soft_max = int(target * 1.05 + 0.5)  # Java's Math.round of a positive number
    hard_max = int(target * 1.10 + 0.5)
    chunks: list[str] = []
    start = 0
    for index, char in enumerate(text):
        length = index - start + 1
        if length < target:
            continue
        if cjk:  # no spaces to break at: exactly `target` characters
            chunks.append(text[start:index + 1])
            start = index + 1
            continue
        next_is_letter = index + 1 < len(text) and _letter_or_digit(text[index + 1])
        if length < soft_max:
            done = not _letter_or_digit(char) and not next_is_letter
        elif length < hard_max:
            done = not _letter_or_digit(char)
        else:
            done = True
        if done:
            chunks.append(text[start:index + 1])
            start = index + 1
    if start < len(text):
        chunks.append(text[start:])
    return chunks


def chunk_sentences(text: str) -> list[str]:
    chunks: list[str] = []
    start = 0
    has_content = False
    for index, char in enumerate(text):
        following = text[index + 1] if index + 1 < len(text) else ""
        if has_content and char in _SENTENCE_ENDS and following not in _SENTENCE_ENDS:
            chunks.append(text[start:index + 1])
            start = index + 1
            has_content = False
        else:
            has_content = has_content or _letter_or_digit(char) or unicodedata.category(char).startswith("S")
    if start < len(text):
        chunks.append(text[start:])
    return chunks
