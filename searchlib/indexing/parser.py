"""The indexing language (vespa-reference §1.4), the subset the container needs to compute
synthetic fields: statements `;`, pipelines `|`, choice `||`, concatenation `.`, arithmetic,
`input f`, literals, `(...)`, `embed [id] [args]`, `attribute/index/summary [f]`, and the
simple converters (lowercase, trim, to_string, to_int, to_long, to_float, to_double, to_bool, to_pos).

Parsed into a tree of frozen dataclasses; evaluated by searchlib.indexing.evaluator.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

from searchlib.errors import SchemaError

OUTPUTS = frozenset({"attribute", "index", "summary"})
CONVERTERS = frozenset({"lowercase", "trim", "to_string", "to_int", "to_long", "to_float", "to_double",
                        "to_bool", "normalize", "tokenize", "set_language",
                        "to_pos"})  # the content node reads set_language


@dataclass(frozen=True, slots=True)
class Input:
    field: str


@dataclass(frozen=True, slots=True)
class Literal:
    value: object


@dataclass(frozen=True, slots=True)
class Current:
    """`_`: the execution value."""


@dataclass(frozen=True, slots=True)
class Output:
    kind: str  # attribute | index | summary
    field: str  # "" = the field the script belongs to


@dataclass(frozen=True, slots=True)
class Embed:
    embedder: str  # "" = the only embedder
    args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Convert:
    name: str


@dataclass(frozen=True, slots=True)
class Pipeline:
    steps: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class Choice:
    options: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # . + - * / %
    left: "Node"
    right: "Node"


@dataclass(frozen=True, slots=True)
class Script:
    statements: tuple[Pipeline, ...]


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}

Node = Union[Input, Literal, Current, Output, Embed, Convert, Pipeline, Choice, Binary]

_TOKEN = re.compile(r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<number>\d+(?:\.\d+)?)|
                      (?P<op>\|\||[|;.+\-*/%(){}])|(?P<word>[A-Za-z_][\w.\-]*))""", re.VERBOSE)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise SchemaError(f"Unexpected character {text[pos:].strip()[:1]!r} in indexing script '{text}'")
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "word" and value.endswith("."):  # `input title . " "` with no space before the dot
            value = value.rstrip(".")
            out.append((kind, value))
            out.append(("op", "."))
        else:
            out.append((kind, value))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end")
        self.i += 1
        return token

    def at(self, value: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "op" and token[1] == value

    def error(self, message: str) -> SchemaError:
        return SchemaError(f"Indexing script '{self.text.strip()}': {message}")

    def script(self) -> Script:
        if self.at("{"):
            self.take()
        statements = []
        while self.peek() is not None and not self.at("}"):
            if self.at(";"):
                self.take()
                continue
            statements.append(self.pipeline())
        return Script(tuple(statements))

    def pipeline(self) -> Pipeline:
        steps = [self.choice()]
        while self.at("|"):
            self.take()
            steps.append(self.choice())
        return Pipeline(tuple(steps))

    def choice(self) -> Node:
        options = [self.binary()]
        while self.at("||"):
            self.take()
            options.append(self.binary())
        return options[0] if len(options) == 1 else Choice(tuple(options))

    def binary(self) -> Node:
        left = self.primary()
        while self.peek() and self.peek()[0] == "op" and self.peek()[1] in ".+-*/%":
            op = self.take()[1]
            left = Binary(op, left, self.primary())
        return left

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "string":
            return Literal(re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), value[1:-1]))
        if kind == "number":
            return Literal(float(value) if "." in value else int(value))
        if kind == "op" and value == "(":
            inner = self.pipeline()
            if not self.at(")"):
                raise self.error("missing ')'")
            self.take()
            return inner if len(inner.steps) > 1 else inner.steps[0]
        if kind != "word":
            raise self.error(f"unexpected '{value}'")
        if value == "input":
            return Input(self.take_word("a field name after 'input'"))
        if value in ("true", "false"):
            return Literal(value == "true")
        if value == "_":
            return Current()
        if value in OUTPUTS:
            return Output(value, self.optional_word())
        if value == "embed":
            embedder = self.optional_word()
            args = []
            while self.peek() and self.peek()[0] == "word" and self.peek()[1] not in OUTPUTS:
                args.append(self.take()[1])
            return Embed(embedder, tuple(args))
        if value in CONVERTERS:
            return Convert(value)
        raise self.error(f"'{value}' is not supported")

    def take_word(self, what: str) -> str:
        kind, value = self.take()
        if kind != "word":
            raise self.error(f"expected {what}")
        return value

    def optional_word(self) -> str:
        token = self.peek()
        if token and token[0] == "word" and token[1] not in OUTPUTS and token[1] not in CONVERTERS \
                and token[1] not in ("input", "embed"):
            self.i += 1
            return token[1]
        return ""


def parse_indexing(text: str) -> Script:
    parser = _Parser(text)
    script = parser.script()
    if parser.at("}"):
        parser.take()
    if parser.peek() is not None:
        raise parser.error(f"unexpected '{parser.peek()[1]}'")
    return script
