"""Parse a document selection (Vespa's document selector language) into a tree; never eval'd.

    selection  := or EOF
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum (("==" | "!=" | "<" | "<=" | ">" | ">=" | "=" | "=~") sum)?
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/" | "%") unary)*
    unary      := "-" unary | primary
    primary    := "(" or ")" | string | number | "true" | "false" | "null" | "now" "(" ")"
                | "id" ("." part)? | doctype ("." field ("." name | "[" int "]" | "{" key "}")*)?

Keywords are case-insensitive, as in Vespa. `=~` (regular expressions) is refused: a pattern from
a request would run under the document database's lock, where a pathological one could stall
every write of the node.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from searchlib.errors import ErrorCode, SearchlibError, SourceLocation
from searchlib.selection.tree import (
    ARITHMETIC, COMPARISONS, ID_PARTS, And, Arithmetic, Comparison, DocType, FieldRef, IdRef, Literal,
    Negate, Node, Not, Now, Or)

MAX_LENGTH = 8192  # characters of a condition
MAX_DEPTH = 64  # nested parentheses / not / unary minus
QUOTE_LIMIT = 24  # characters of the input an error message quotes

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>0[xX][0-9a-fA-F]+|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<string>["'])
  | (?P<op>==|!=|<=|>=|=~|[<>=+\-*/%().\[\]{}])
""", re.VERBOSE)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "\\": "\\", '"': '"', "'": "'"}
_KEYWORDS = {"and", "or", "not", "true", "false", "null"}


class SelectionError(SearchlibError):
    """A condition that does not parse or does not fit the schemas: HTTP 400, located."""

    code = ErrorCode.BAD_REQUEST


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # number | name | string | op | end
    text: str  # the source text (for strings: the decoded value)
    column: int


def _quote(text: str) -> str:
    return repr(text if len(text) <= QUOTE_LIMIT else text[:QUOTE_LIMIT] + "...")


def _error(message: str, column: int) -> SelectionError:
    return SelectionError(message, SourceLocation("condition", 1, column))


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _error(f"unexpected character {_quote(text[position])}", position + 1)
        kind = match.lastgroup
        if kind == "string":
            value, position = _string(text, position)
            tokens.append(Token("string", value, match.start() + 1))
            continue
        if kind != "space":
            tokens.append(Token(kind, match.group(), position + 1))
        position = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _string(text: str, start: int) -> tuple[str, int]:
    quote, position, out = text[start], start + 1, []
    while position < len(text):
        char = text[position]
        if char == quote:
            return "".join(out), position + 1
        if char == "\\":
            escape = text[position + 1:position + 2]
            if escape in _ESCAPES:
                out.append(_ESCAPES[escape])
                position += 2
                continue
            if escape == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", text[position + 2:position + 4]):
                out.append(chr(int(text[position + 2:position + 4], 16)))
                position += 4
                continue
            raise _error(f"unknown escape {_quote(text[position:position + 2])} in a string", position + 1)
        out.append(char)
        position += 1
    raise _error("string is not terminated", start + 1)


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def next(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, *texts: str) -> bool:
        token = self.token
        if token.kind == "name":
            return token.text.lower() in texts
        return token.kind == "op" and token.text in texts

    def expect(self, text: str, what: str) -> Token:
        if not self.at(text):
            raise self.unexpected(what)
        return self.next()

    def unexpected(self, wanted: str) -> SelectionError:
        token = self.token
        found = "the end of the condition" if token.kind == "end" else _quote(token.text)
        return _error(f"expected {wanted}, found {found}", token.column)

    def nested(self, column: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _error(f"condition is nested more than {MAX_DEPTH} levels deep", column)

    def selection(self) -> Node:
        node = self.or_()
        if self.token.kind != "end":
            raise self.unexpected("'and', 'or' or the end of the condition")
        return node

    def or_(self) -> Node:
        operands = [self.and_()]
        while self.at("or"):
            self.next()
            operands.append(self.and_())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_(self) -> Node:
        operands = [self.not_()]
        while self.at("and"):
            self.next()
            operands.append(self.not_())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_(self) -> Node:
        if self.at("not"):
            self.nested(self.next().column)
            operand = self.not_()
            self.depth -= 1
            return Not(operand)
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum()
        if self.at("=~"):
            raise _error("regular expression matching (=~) is not supported in conditions; "
                         "use '=' with * and ? wildcards", self.token.column)
        if self.at(*COMPARISONS):
            op = self.next().text
            return Comparison(op, left, self.sum())
        return left

    def sum(self) -> Node:
        return self.chain(("+", "-"), self.product)

    def product(self) -> Node:
        return self.chain(("*", "/", "%"), self.unary)

    def chain(self, operators: tuple[str, ...], operand) -> Node:
        """A left-deep chain: each operator is one more level of the tree, so it counts as nesting
        (the evaluator recurses over the tree)."""
        depth = self.depth
        node = operand()
        while self.at(*operators):
            token = self.next()
            self.nested(token.column)
            node = Arithmetic(token.text, node, operand())
        self.depth = depth
        return node

    def unary(self) -> Node:
        if self.at("-"):
            self.nested(self.next().column)
            operand = self.unary()
            self.depth -= 1
            if isinstance(operand, Literal) and type(operand.value) in (int, float):
                return Literal(-operand.value)
            return Negate(operand)
        return self.primary()

    def primary(self) -> Node:
        token = self.token
        if self.at("("):
            self.nested(self.next().column)
            node = self.or_()
            self.expect(")", "')'")
            self.depth -= 1
            return node
        if token.kind == "string":
            self.next()
            return Literal(token.text)
        if token.kind == "number":
            self.next()
            return Literal(_number(token))
        if token.kind != "name":
            raise self.unexpected("a value, a field or a document type")
        word = token.text.lower()
        if word in ("true", "false"):
            self.next()
            return Literal(word == "true")
        if word == "null":
            self.next()
            return Literal(None)
        if word in ("and", "or", "not"):
            raise self.unexpected("a value, a field or a document type")
        self.next()
        if word == "now" and self.at("("):
            self.next()
            self.expect(")", "')' after 'now('")
            return Now()
        if word == "id":
            return self.id_part()
        if not self.at("."):
            return DocType(token.text, token.column)
        self.next()
        name = self.name("a field name after " + _quote(token.text + "."))
        return FieldRef(token.text, name, self.path(), token.column)

    def id_part(self) -> IdRef:
        if not self.at("."):
            return IdRef()
        self.next()
        part = self.token
        if part.kind != "name" or part.text.lower() not in ID_PARTS:
            raise self.unexpected("one of " + ", ".join(f"id.{p}" for p in ID_PARTS))
        self.next()
        return IdRef(part.text.lower())

    def name(self, wanted: str) -> str:
        if self.token.kind != "name":
            raise self.unexpected(wanted)
        return self.next().text

    def path(self) -> tuple[str | int, ...]:
        steps: list[str | int] = []
        while True:
            if self.at("."):
                self.next()
                steps.append(self.name("a struct field name after '.'"))
            elif self.at("["):
                self.next()
                token = self.token
                if token.kind != "number" or not token.text.isdigit():
                    raise self.unexpected("an array index")
                steps.append(int(self.next().text))
                self.expect("]", "']'")
            elif self.at("{"):
                self.next()
                token = self.token
                if token.kind not in ("string", "name", "number"):
                    raise self.unexpected("a map key")
                steps.append(self.next().text)
                self.expect("}", "'}'")
            else:
                return tuple(steps)


def _number(token: Token) -> int | float:
    text = token.text
    if len(text) > 40:  # also keeps int() below Python's digit limit
        raise _error(f"number {_quote(text)} is too long", token.column)
    if text[:2].lower() == "0x":
        return int(text, 16)
    if any(c in text for c in ".eE"):
        value = float(text)
        if value in (float("inf"), float("-inf")):
            raise _error(f"number {_quote(text)} is out of range", token.column)
        return value
    return int(text)


def parse_selection(text: str) -> Node:
    """The tree of a condition, or SelectionError naming the column."""
    if len(text) > MAX_LENGTH:
        raise _error(f"condition is longer than {MAX_LENGTH} characters", MAX_LENGTH + 1)
    if not text.strip():
        raise _error("condition is empty", 1)
    return _Parser(tokenize(text)).selection()


__all__ = ["ARITHMETIC", "SelectionError", "parse_selection", "tokenize"]
