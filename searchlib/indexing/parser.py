"""The indexing language (vespa-reference §1.4), the part the container runs: statements `;`,
pipelines `|`, choice `||`, concatenation `.`, arithmetic, `input f`, literals, `(...)`, `_`,
`embed [id] [args]`, `chunk fixed-length N` / `chunk sentence`, `for_each { ... }`, `split "re"`,
`join "d"`, `substring a b`, `binarize [t]`, `switch { case "v": ...; default: ...; }`,
`if (a <cmp> b) { ... } [else { ... }]`,
`set_var name` / `get_var name`, `guard { ... }`, `select_input { f: ...; }`, `random [N]`,
`ngram N`, `attribute/index/summary [f]` and the converters in CONVERTERS (to_pos, zcurve, the
base64/hex codecs, to_uri, exact, flatten, hostname, clear_state included). Anything else is a SchemaError "not supported: ..." (the package is
refused at load, searchlib.indexing.check), never a statement silently skipped.

Parsed into a tree of frozen dataclasses; evaluated by searchlib.indexing.evaluator.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator, Union

from searchlib.errors import SchemaError
from searchlib.java_numbers import INT_MAX, INT_MIN

OUTPUTS = frozenset({"attribute", "index", "summary", "passthrough"})  # passthrough: stored, no search side
CONVERTERS = frozenset({"lowercase", "trim", "to_string", "to_int", "to_long", "to_float", "to_double",
                        "to_bool", "to_byte", "to_array", "to_wset", "to_epoch_second", "hash", "pack_bits",
                        "normalize", "tokenize", "set_language", "now",
                        "to_pos", "zcurve", "to_uri", "base64encode", "base64decode", "hexencode", "hexdecode",
                        "exact", "flatten", "hostname", "clear_state", "echo", "sleep"})  # the content node reads set_language
# the spellings with an underscore (hex_encode, ...) name the same converters
ALIASES = {"base64_encode": "base64encode", "base64_decode": "base64decode", "hex_encode": "hexencode",
           "hex_decode": "hexdecode"}
COMPARATORS = ("==", "!=", "<", "<=", ">", ">=")
CHUNKERS = frozenset({"fixed-length", "sentence"})


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
class Chunk:
    chunker: str  # fixed-length | sentence
    length: int = 1000  # fixed-length's target length in characters (Vespa's default 1000)


@dataclass(frozen=True, slots=True)
class ForEach:
    script: "Script"


@dataclass(frozen=True, slots=True)
class Split:
    pattern: str


@dataclass(frozen=True, slots=True)
class Join:
    delimiter: str


@dataclass(frozen=True, slots=True)
class Substring:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Binarize:
    threshold: float = 0.0


@dataclass(frozen=True, slots=True)
class Switch:
    """Runs the case whose string equals the execution value, else the default (if any)."""
    cases: tuple[tuple[str, "Pipeline"], ...]
    default: "Pipeline | None" = None


@dataclass(frozen=True, slots=True)
class If:
    """Vespa's IfThenExpression: both sides start from the execution value; a null side makes the
    value null, else the chosen block runs from the value (no else block: the value passes on)."""
    left: "Node"
    comparator: str  # == != < <= > >=
    right: "Node"
    then: "Script"
    otherwise: "Script | None" = None


@dataclass(frozen=True, slots=True)
class Guard:
    """Vespa's GuardExpression: on a partial update, a block that reads no input (nor sets the
    language) does not run; the value is null."""
    script: "Script"


@dataclass(frozen=True, slots=True)
class SelectInput:
    """The first case whose field is present runs from that field's value; the value passes on."""
    cases: tuple[tuple[str, "Pipeline"], ...]


@dataclass(frozen=True, slots=True)
class Random:
    maximum: int | None  # None: the execution value is the bound


@dataclass(frozen=True, slots=True)
class Tokenize:
    """`tokenize [normalize] [stem[:"MODE"]] [max-length: N]`: term annotations for `flatten`; the
    index runs its own linguistics over the stored text."""
    normalize: bool = False
    stem: bool = False


@dataclass(frozen=True, slots=True)
class GetField:
    """A struct's (or map entry's) field by name; null when unset."""
    name: str


@dataclass(frozen=True, slots=True)
class NGram:
    size: int


@dataclass(frozen=True, slots=True)
class SetVar:
    name: str


@dataclass(frozen=True, slots=True)
class GetVar:
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


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}


def _unescape(match: re.Match) -> str:
    """Known escapes are replaced; any other keeps its backslash, so `split "\\s+"` is a regex."""
    return _ESCAPES.get(match.group(1), match.group(0))

Node = Union[Input, Literal, Current, Output, Embed, Convert, Chunk, ForEach, Split, Join, Substring, Binarize,
             Switch, If, Guard, SelectInput, Random, NGram, Tokenize, GetField, SetVar, GetVar, Pipeline, Choice, Binary]

_TOKEN = re.compile(r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<number>\d+(?:\.\d+)?)|
                      (?P<op>\|\||==|!=|<=|>=|[|;.+\-*/%(){}<>=!:,\[\]])|(?P<word>[A-Za-z_][\w.\-]*))""", re.VERBOSE)


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
            self.i -= 1
            return Literal(self.take_string("a string"))
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
        if value in ("_", "this"):  # ThisExpression: the execution value, as `_`
            return Current()
        if value in OUTPUTS:
            return Output(value, self.optional_word())
        if value == "embed":
            embedder = self.optional_word()
            args = []
            while self.peek() and self.peek()[0] == "word" and self.peek()[1] not in OUTPUTS:
                args.append(self.take()[1])
            return Embed(embedder, tuple(args))
        if value == "tokenize":
            return self.tokenize()
        if value in CONVERTERS or value in ALIASES:
            return Convert(ALIASES.get(value, value))
        if value == "chunk":
            return self.chunk()
        if value == "for_each":
            if not self.at("{"):
                raise self.error("expected '{' after 'for_each'")
            self.take()
            inner = self.script()
            if not self.at("}"):
                raise self.error("missing '}' after 'for_each {'")
            self.take()
            return ForEach(inner)
        if value == "split":
            pattern = self.take_string("a regex string after 'split'")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise self.error(f"split: invalid regex {pattern!r}: {exc}") from None
            return Split(pattern)
        if value == "join":
            return Join(self.take_string("a delimiter string after 'join'"))
        if value == "substring":
            return Substring(self.take_int("substring"), self.take_int("substring"))
        if value == "switch":
            return self.switch()
        if value == "if":
            return self.if_then()
        if value == "set_var":
            return SetVar(self.take_word("a variable name after 'set_var'"))
        if value == "get_var":
            return GetVar(self.take_word("a variable name after 'get_var'"))
        if value == "get_field":
            return GetField(self.take_word("a field name after 'get_field'"))
        if value == "guard":
            return Guard(self.block("guard"))
        if value == "select_input":
            return self.select_input()
        if value == "random":
            token = self.peek()
            maximum = self.take_int("random") if token and token[0] == "number" else None
            if maximum is not None and not INT_MIN <= maximum <= INT_MAX:  # an int literal
                raise self.error(f"random takes a 32-bit integer bound, not {maximum}")
            return Random(maximum)
        if value == "ngram":
            size = self.take_int("ngram")
            if size < 1:
                raise self.error(f"ngram needs a positive gram size, not {size}")
            return NGram(size)
        if value == "binarize":
            token = self.peek()
            return Binarize(float(self.take()[1]) if token and token[0] == "number" else 0.0)
        raise self.error(f"not supported: {value}")

    def switch(self) -> Switch:
        """`switch { case "a": statement; ... default: statement; }` (each case at least once)."""
        if not self.at("{"):
            raise self.error("expected '{' after 'switch'")
        self.take()
        cases: dict[str, Pipeline] = {}
        default = None
        while not self.at("}"):
            kind, word = self.take()
            if (kind, word) == ("word", "case"):
                label = self.take_string("a string after 'case'")
                if label in cases:
                    raise self.error(f"switch: duplicate case '{label}'")
            elif (kind, word) == ("word", "default") and default is None:
                label = None
            else:
                raise self.error(f"expected 'case' or 'default' in switch, not '{word}'")
            if not self.at(":"):
                raise self.error("expected ':' after a switch case")
            self.take()
            body = self.pipeline()
            if not self.at(";"):
                raise self.error("expected ';' after a switch case")
            self.take()
            if label is None:
                default = body
            else:
                cases[label] = body
        self.take()
        if not cases:
            raise self.error("switch needs at least one case")
        return Switch(tuple(cases.items()), default)

    def tokenize(self) -> Tokenize:
        normalize = stem = False
        while self.peek() in (("word", "normalize"), ("word", "stem"), ("word", "max-length")):
            option = self.take()[1]
            if option == "normalize":
                normalize = True
            elif option == "stem":
                stem = True
                if self.at(":"):  # stem:"BEST": Snowball gives one stem, so every mode stems alike
                    self.take()
                    stem = self.take_string("a stem mode string after 'stem:'").upper() != "NONE"
            else:
                if not self.at(":"):
                    raise self.error("expected ':' after 'max-length'")
                self.take()
                self.take_int("max-length")
        return Tokenize(normalize, stem)

    def select_input(self) -> SelectInput:
        """`select_input { field: statement; ... }` (at least one case)."""
        if not self.at("{"):
            raise self.error("expected '{' after 'select_input'")
        self.take()
        cases = []
        while not self.at("}"):
            name = self.take_word("a field name in select_input")
            if not self.at(":"):
                raise self.error("expected ':' after a select_input field")
            self.take()
            cases.append((name, self.pipeline()))
            if not self.at(";"):
                raise self.error("expected ';' after a select_input case")
            self.take()
        self.take()
        if not cases:
            raise self.error("select_input needs at least one case")
        return SelectInput(tuple(cases))

    def if_then(self) -> If:
        """`if (lhs <cmp> rhs) { statements } [else { statements }]`."""
        if not self.at("("):
            raise self.error("expected '(' after 'if'")
        self.take()
        left = self.pipeline()
        token = self.peek()
        if token is None or token[0] != "op" or token[1] not in COMPARATORS:
            raise self.error(f"expected one of {' '.join(COMPARATORS)} in 'if (...)'")
        comparator = self.take()[1]
        right = self.pipeline()
        if not self.at(")"):
            raise self.error("missing ')' after the condition of 'if'")
        self.take()
        then = self.block("if (...)")
        if self.peek() == ("word", "else"):
            self.take()
            return If(left, comparator, right, then, self.block("else"))
        return If(left, comparator, right, then)

    def block(self, after: str) -> Script:
        if not self.at("{"):
            raise self.error(f"expected '{{' after '{after}'")
        inner = self.script()
        if not self.at("}"):
            raise self.error(f"missing '}}' after '{after} {{'")
        self.take()
        return inner

    def chunk(self) -> Chunk:
        token = self.peek()
        if token is None or token[0] != "word" or token[1] in OUTPUTS:
            raise self.error("'chunk' needs a chunker id (fixed-length or sentence)")
        chunker = self.take()[1]
        if chunker not in CHUNKERS:
            raise self.error(f"not supported: chunk {chunker} (the chunkers are {', '.join(sorted(CHUNKERS))})")
        if chunker == "sentence":
            return Chunk(chunker)
        token = self.peek()
        if token is None or token[0] != "number":
            return Chunk(chunker)
        length = self.take_int("chunk fixed-length")
        if length < 1:
            raise self.error(f"chunk fixed-length needs a positive length, not {length}")
        return Chunk(chunker, length)

    def take_string(self, what: str) -> str:
        kind, value = self.take()
        if kind != "string":
            raise self.error(f"expected {what}")
        return re.sub(r"\\(.)", _unescape, value[1:-1])

    def take_int(self, what: str) -> int:
        negative = self.at("-")
        if negative:
            self.take()
        kind, value = self.take()
        if kind != "number" or "." in value:
            raise self.error(f"{what} expects integer arguments, not '{value}'")
        return -int(value) if negative else int(value)

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


def walk(node: Any) -> Iterator[Any]:
    """Every node of a script or expression tree, parents first."""
    yield node
    for child in getattr(node, "steps", ()) + getattr(node, "options", ()) + getattr(node, "statements", ()):
        yield from walk(child)
    if isinstance(node, (Switch, SelectInput)):
        for _, body in node.cases:
            yield from walk(body)
        if getattr(node, "default", None) is not None:
            yield from walk(node.default)
    for part in ("left", "right", "script", "then", "otherwise"):
        if getattr(node, part, None) is not None:
            yield from walk(getattr(node, part))
