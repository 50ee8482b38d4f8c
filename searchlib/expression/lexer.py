"""Tokens of the ranking-expression language, with their offsets so errors can name a column."""
from __future__ import annotations

from dataclasses import dataclass

from searchlib.errors import ExpressionError, SourceLocation

NUMBER, STRING, IDENT, PUNCT, END = "number", "string", "identifier", "punct", "end"

# Longest first, so "<=" wins over "<".
_PUNCTUATION = ("==", "!=", "<=", ">=", "~=", "&&", "||",
                "(", ")", "[", "]", "{", "}", ",", ":", ".", "+", "-", "*", "/", "%", "^", "<", ">", "!")
_IDENT_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_@")
_DIGITS = frozenset("0123456789")  # ASCII only, as Vespa's expression grammar (str.isdigit() takes "²", float() not)
_IDENT_PART = _IDENT_START | set("0123456789$")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str  # the value: unquoted for strings
    start: int  # offset in the source text
    end: int


def locate(source: str, offset: int, base: SourceLocation | None) -> tuple[int, int, SourceLocation | None]:
    """(line, column) of an offset (1-based), and the absolute location when the text has a base location."""
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    if base is None:
        return line, column, None
    if line == 1:
        return line, column, SourceLocation(base.file, base.line, base.column + column - 1)
    return line, column, SourceLocation(base.file, base.line + line - 1, column)


def error_at(source: str, offset: int, message: str, base: SourceLocation | None) -> ExpressionError:
    line, column, where = locate(source, offset, base)
    position = f"column {column}" if line == 1 else f"line {line}, column {column}"
    return ExpressionError(f"{message} at {position} in expression '{source.strip()}'", where)


def tokenize(source: str, base: SourceLocation | None = None) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch.isspace():
            i += 1
        elif ch in _DIGITS or (ch == "." and i + 1 < n and source[i + 1] in _DIGITS):
            i = _number(source, i, tokens)
        elif ch in _IDENT_START:
            j = i + 1
            while j < n and source[j] in _IDENT_PART:
                j += 1
            tokens.append(Token(IDENT, source[i:j], i, j))
            i = j
        elif ch in "\"'":
            i = _string(source, i, tokens, base)
        else:
            for punct in _PUNCTUATION:
                if source.startswith(punct, i):
                    tokens.append(Token(PUNCT, punct, i, i + len(punct)))
                    i += len(punct)
                    break
            else:
                raise error_at(source, i, f"Unexpected character '{ch}'", base)
    tokens.append(Token(END, "", n, n))
    return tokens


def _number(source: str, i: int, tokens: list[Token]) -> int:
    n, j = len(source), i
    while j < n and source[j] in _DIGITS:
        j += 1
    if j < n and source[j] == "." and (j + 1 >= n or source[j + 1] in _DIGITS or not source[j + 1].isalpha()):
        j += 1
        while j < n and source[j] in _DIGITS:
            j += 1
    if j < n and source[j] in "eE":
        k = j + 1
        if k < n and source[k] in "+-":
            k += 1
        if k < n and source[k] in _DIGITS:
            j = k
            while j < n and source[j] in _DIGITS:
                j += 1
    # Vespa accepts a trailing 'f'/'L' type suffix on number literals; it does not change the value.
    if j < n and source[j] in "fFlL" and (j + 1 >= n or source[j + 1] not in _IDENT_PART):
        tokens.append(Token(NUMBER, source[i:j], i, j + 1))
        return j + 1
    tokens.append(Token(NUMBER, source[i:j], i, j))
    return j


def _string(source: str, i: int, tokens: list[Token], base: SourceLocation | None) -> int:
    quote, j, chars = source[i], i + 1, []
    while j < len(source) and source[j] != quote:
        if source[j] == "\\" and j + 1 < len(source):
            j += 1
            chars.append({"n": "\n", "t": "\t", "r": "\r"}.get(source[j], source[j]))
        else:
            chars.append(source[j])
        j += 1
    if j >= len(source):
        raise error_at(source, i, "Unterminated string", base)
    tokens.append(Token(STRING, "".join(chars), i, j + 1))
    return j + 1
