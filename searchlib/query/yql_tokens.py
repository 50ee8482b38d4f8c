"""The YQL tokenizer and token cursor: lazy (the grouping text after `|` has its own syntax and is
never tokenized here) and the single place that turns a source offset into an error position.
Comments (`// ...`, `# ...` to the end of the line, `/* ... */`) are blanks, as in Vespa."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NoReturn

from searchlib.errors import QueryError, SourceLocation

_LEXEME = re.compile(
    r"""(?P<space>\s+|//[^\n]*|\#[^\n]*|/\*(?s:.*?)\*/)
      | (?P<number>(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?[lL]?)(?![0-9.])
      | (?P<ident>[A-Za-z_][\w.]*)
      | (?P<param>@[A-Za-z_][\w.]*)
      | (?P<punct><=|>=|!=|[(){}\[\],:;|!=<>*+-])
      | (?P<quote>["'])""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/", "\\": "\\", '"': '"', "'": "'"}
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # ident, number, string, param, punct, eof
    text: str  # the decoded value of a string, else the source text
    start: int  # offset in the source


class TokenCursor:
    """One-token-at-a-time access to a YQL source, with lookahead and positioned errors."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._tokens: list[Token] = []
        self._scan_position = 0
        self._index = 0

    def peek(self, ahead: int = 0) -> Token:
        while len(self._tokens) <= self._index + ahead:
            if self._tokens and self._tokens[-1].kind == "eof":
                return self._tokens[-1]
            self._tokens.append(self._scan())
        return self._tokens[self._index + ahead]

    def mark(self) -> int:
        """A position to come back to with reset() (bounded backtracking: a `(` that may open a
        number such as `({filter: true}(-500)) < price` or a group)."""
        return self._index

    def reset(self, mark: int) -> None:
        self._index = mark

    def advance(self) -> Token:
        token = self.peek()
        if token.kind != "eof":
            self._index += 1
        return token

    def is_keyword(self, word: str, ahead: int = 0) -> bool:
        """Keywords are case-insensitive, as in Vespa."""
        token = self.peek(ahead)
        return token.kind == "ident" and token.text.lower() == word

    def is_punct(self, symbol: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "punct" and token.text == symbol

    def expect_keyword(self, word: str) -> None:
        if not self.is_keyword(word):
            self.expected(f"'{word}'")
        self.advance()

    def expect_punct(self, symbol: str) -> Token:
        if not self.is_punct(symbol):
            self.expected(f"'{symbol}'")
        return self.advance()

    def expect_ident(self, what: str) -> str:
        if self.peek().kind != "ident":
            self.expected(what)
        return self.advance().text

    def rest_after(self, token: Token) -> str:
        """The raw source after token (for the grouping expression)."""
        return self._source[token.start + len(token.text) :]

    def fail(self, detail: str, offset: int) -> NoReturn:
        raise self.error(detail, offset)

    def error(self, detail: str, offset: int) -> QueryError:
        """The QueryError for `detail` at `offset`, located (line and column)."""
        line = self._source.count("\n", 0, offset) + 1
        column = offset - (self._source.rfind("\n", 0, offset) + 1) + 1
        where = f"line {line}, column {column}" if "\n" in self._source else f"column {column}"
        return QueryError(f"Could not create query from YQL: {detail} at {where}", SourceLocation("yql", line, column))

    def expected(self, what: str, token: Token | None = None) -> NoReturn:
        token = token or self.peek()
        if token.kind == "eof":
            found = "the end of the query"
        else:
            text = token.text if len(token.text) <= 40 else token.text[:37] + "..."
            found = repr(f'"{text}"' if token.kind == "string" else text)
        self.fail(f"Expected {what} but found {found}", token.start)

    def _scan(self) -> Token:
        source = self._source
        while True:
            if self._scan_position >= len(source):
                return Token("eof", "", len(source))
            match = _LEXEME.match(source, self._scan_position)
            if match is None and source.startswith("/*", self._scan_position):
                self.fail("Unterminated comment", self._scan_position)
            if match is None:
                self.fail(f"Unexpected character {source[self._scan_position]!r}", self._scan_position)
            start, self._scan_position = match.start(), match.end()
            kind = match.lastgroup or ""
            if kind == "space":
                continue
            if kind == "quote":
                return Token("string", self._scan_string(match.group(), start), start)
            return Token(kind, match.group(), start)

    def _checked_text(self, text: str, start: int) -> str:
        """`\\ud83d\\ude00` escapes are one character (Java strings are UTF-16); a lone surrogate is
        not text (Vespa rejects it) and could not be sent to a node as UTF-8."""
        if _SURROGATE.search(text) is None:
            return text
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        lone = _SURROGATE.search(text)
        if lone is not None:
            self.fail(f"Illegal code point 0x{ord(lone.group()):X} (a lone UTF-16 surrogate) in a string", start)
        return text

    def _scan_string(self, quote: str, start: int) -> str:
        source, position, chars = self._source, self._scan_position, []
        while position < len(source):
            char = source[position]
            if char == quote:
                self._scan_position = position + 1
                return self._checked_text("".join(chars), start)
            if char == "\\" and position + 1 < len(source):
                escaped = source[position + 1]
                if escaped == "u" and _HEX4.fullmatch(source, position + 2, position + 6):
                    chars.append(chr(int(source[position + 2 : position + 6], 16)))
                    position += 6
                    continue
                chars.append(_ESCAPES.get(escaped, escaped))
                position += 2
                continue
            chars.append(char)
            position += 1
        self.fail("Unterminated string", start)
