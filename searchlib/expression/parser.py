"""Recursive-descent parser: expression text -> immutable AST (never Python eval).

Binary operators use precedence climbing with Vespa's order (lowest to highest):
|| && >= > <= < ~= != == + - * / % ^ ; `^` is right-associative. Unary `-` and `!` bind to the
value right after them (so `-a^2` is `(-a)^2`, as in Vespa), as does `in [..]`.
Tensor functions and their shortcuts are parsed in `forms`.
"""
from __future__ import annotations

from searchlib.errors import ExpressionError, SourceLocation
from searchlib.expression import ast as A
from searchlib.expression.cell_literals import dynamic_literal
from searchlib.expression.builtins import BINARY_FUNCTIONS, PRECEDENCE, UNARY_FUNCTIONS
from searchlib.expression.forms import CELL_TYPES, SPECIAL_FORMS, format_spec
from searchlib.expression.lexer import END, IDENT, NUMBER, PUNCT, STRING, Token, error_at, tokenize
from searchlib.tensor import parse_tensor_literal

class Parser:
    def __init__(self, text: str, location: SourceLocation | None = None) -> None:
        self.text = text
        self.location = location
        self.tokens = tokenize(text, location)
        self.pos = 0
        self.scope: frozenset[str] = frozenset()  # lambda parameters / generator dimensions in view

    # ---- token helpers
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.peek()
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def at(self, text: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind in (PUNCT, IDENT) and token.text == text

    def expect(self, text: str) -> Token:
        if not self.at(text):
            raise self.error(f"Expected '{text}'")
        return self.advance()

    def identifier(self, what: str = "an identifier") -> str:
        token = self.peek()
        if token.kind != IDENT:
            raise self.error(f"Expected {what}")
        self.advance()
        return token.text

    def error(self, message: str, token: Token | None = None):
        token = token or self.peek()
        found = "end of expression" if token.kind == END else f"'{self.text[token.start:token.end]}'"
        return error_at(self.text, token.start, f"{message}, found {found}", self.location)

    # ---- grammar
    def parse(self) -> A.Node:
        if self.peek().kind == END:
            raise self.error("Expected an expression")
        node = self.expression()
        if self.peek().kind != END:
            raise self.error("Unexpected token")
        return node

    def expression(self, min_precedence: int = 0) -> A.Node:
        left = self.unary()
        while True:
            token = self.peek()
            level = PRECEDENCE.get(token.text) if token.kind == PUNCT else None
            if level is None or level < min_precedence:
                return left
            self.advance()
            right = self.expression(level if token.text == "^" else level + 1)
            left = A.Binary(token.text, left, right, token.start)

    def unary(self) -> A.Node:
        token = self.peek()
        if self.at("!"):
            self.advance()
            return A.Not(self.unary(), token.start)
        if self.at("-"):
            self.advance()
            if self.peek().kind == NUMBER and not self.at_postfix(1):
                number = self.advance()
                return self.postfix(A.Num(-_number_value(number.text), "-" + number.text, token.start))
            return A.Neg(self.unary(), token.start)
        return self.postfix(self.atom())

    def at_postfix(self, ahead: int) -> bool:
        return self.at("{", ahead) or self.at("[", ahead)

    def postfix(self, node: A.Node) -> A.Node:
        while True:
            if self.at("{") or self.at("["):
                node = self.peek_suffix(node)
            elif self.at("in") and self.at("[", 1):
                start = self.advance().start
                self.advance()
                node = A.In(node, tuple(self.arguments_until("]")), start)
            else:
                return node

    def arguments_until(self, closing: str) -> list[A.Node]:
        items: list[A.Node] = []
        if not self.at(closing):
            items.append(self.expression())
            while self.at(","):
                self.advance()
                items.append(self.expression())
        self.expect(closing)
        return items

    def atom(self) -> A.Node:
        token = self.advance()
        if token.kind == NUMBER:
            return A.Num(_number_value(token.text), token.text, token.start)
        if token.kind == STRING:
            return A.Str(token.text, token.start)
        if token.kind == PUNCT and token.text == "(":
            node = self.expression()
            self.expect(")")
            return node
        if token.kind != IDENT:
            raise self.error("Expected a value", token)
        name, start = token.text, token.start
        call = self.at("(")
        if name in self.scope and not call:
            return A.Var(name, start)
        if name in ("true", "false") and not call:
            return A.Num(1.0 if name == "true" else 0.0, name, start)
        if name == "tensor" and (call or self.at("<")):
            return self.tensor_value(start)
        if name == "f" and self.looks_like_lambda():
            return self.lambda_(start)
        if call:
            special = SPECIAL_FORMS.get(name)
            if special is not None:
                return special(self, name, start)
            if name in UNARY_FUNCTIONS or name in BINARY_FUNCTIONS:
                return self.math_call(name, start)
        return self.feature(name, start)

    def feature(self, name: str, start: int) -> A.Feature:
        args: list[A.Node] = []
        has_parens = self.at("(")
        if has_parens:
            self.advance()
            saved, self.scope = self.scope, frozenset()
            args = self.feature_arguments()
            self.scope = saved
        output = ""
        while self.at(".") and self.peek(1).kind in (IDENT, NUMBER):
            self.advance()
            output += ("." if output else "") + self.advance().text
        return A.Feature(name, tuple(args), output, has_parens, start)

    def feature_arguments(self) -> list[A.Node]:
        """A feature's arguments, positional or named (`bm25(field: f, label: l)`). Named ones take a
        name or a string; `field:` becomes the first positional argument and any other stays a
        `key:value` argument, so `bm25(field: f, label: l)` and `bm25(f, label: l)` are one feature,
        `bm25(f,label:l)`."""
        positional: list[A.Node] = []
        named: list[tuple[str, A.Node]] = []
        if not self.at(")"):
            while True:
                if self.peek().kind == IDENT and self.at(":", 1):
                    key = self.advance()
                    self.advance()
                    value = self.advance()
                    if value.kind not in (IDENT, STRING):
                        raise self.error(f"Expected a name or a string as the value of '{key.text}'", value)
                    if key.text in (k for k, _ in named):
                        raise self.error(f"Argument '{key.text}' is given twice", key)
                    named.append((key.text, A.Feature(value.text, (), "", False, value.start)
                                  if key.text == "field" else A.Feature(f"{key.text}:{value.text}", (), "", False,
                                                                         key.start)))
                elif named:
                    raise self.error("Expected a named argument after a named argument", self.peek())
                else:
                    positional.append(self.expression())
                if not self.at(","):
                    break
                self.advance()
        self.expect(")")
        fields = [node for key, node in named if key == "field"]
        if fields and positional:
            raise error_at(self.text, fields[0].offset, "The field is given twice", self.location)
        return fields + positional + [node for key, node in named if key != "field"]

    def math_call(self, name: str, start: int) -> A.Node:
        open_token = self.expect("(")
        args = self.arguments_until(")")
        arity = 1 if name in UNARY_FUNCTIONS else 2
        if len(args) != arity:
            raise error_at(self.text, open_token.start,
                           f"{name} takes {arity} argument{'s' if arity > 1 else ''}, got {len(args)}", self.location)
        return A.Call(name, tuple(args), start)

    def looks_like_lambda(self) -> bool:
        if not self.at("("):
            return False
        i = 1
        while self.peek(i).kind == IDENT:
            if self.at(")", i + 1):
                return self.at("(", i + 2)
            if not self.at(",", i + 1):
                return False
            i += 2
        return False

    def lambda_(self, start: int) -> A.Lambda:
        self.expect("(")
        params = [self.identifier("a lambda parameter")]
        while self.at(","):
            self.advance()
            params.append(self.identifier("a lambda parameter"))
        self.expect(")")
        self.expect("(")
        saved, self.scope = self.scope, frozenset(params)  # lambdas are not closures
        body = self.expression()
        self.scope = saved
        self.expect(")")
        return A.Lambda(tuple(params), body, start)

    def lambda_argument(self, arity: int) -> A.Lambda:
        token = self.peek()
        if not (self.at("f") and self.advance() and self.looks_like_lambda()):
            raise self.error(f"Expected a lambda f({','.join('xy'[:arity])})(...)", token)
        fn = self.lambda_(token.start)
        if len(fn.params) != arity:
            raise self.error(f"Expected a lambda with {arity} parameter{'s' if arity > 1 else ''}", token)
        return fn

    def dimension_list(self) -> tuple[str, ...]:
        if self.at("("):
            self.advance()
            names = [self.identifier("a dimension name")]
            while self.at(","):
                self.advance()
                names.append(self.identifier("a dimension name"))
            self.expect(")")
            return tuple(names)
        return (self.identifier("a dimension name"),)

    def trailing_dimensions(self) -> tuple[str, ...]:
        dims: list[str] = []
        while self.at(","):
            self.advance()
            dims.append(self.identifier("a dimension name"))
        self.expect(")")
        return tuple(dims)

    # ---- tensor types, literals, generators
    def type_spec(self) -> tuple[str, list[tuple[str, int | None]]]:
        cell_type = "double"
        if self.at("<"):
            self.advance()
            cell_type = self.identifier("a cell type")
            if cell_type not in CELL_TYPES:
                raise self.error(f"Unknown cell type '{cell_type}'", self.tokens[self.pos - 1])
            self.expect(">")
        self.expect("(")
        dims: list[tuple[str, int | None]] = []
        while not self.at(")"):
            if dims:
                self.expect(",")
            dims.append(self.dimension_spec())
        self.expect(")")
        return cell_type, dims

    def dimension_spec(self) -> tuple[str, int | None]:
        name = self.identifier("a dimension name")
        if self.at("{"):
            self.advance()
            self.expect("}")
            return name, None
        self.expect("[")
        size = self.advance()
        if size.kind != NUMBER or not size.text.isdigit():
            raise self.error("Expected a dimension size", size)
        self.expect("]")
        return name, int(size.text)

    def tensor_value(self, start: int) -> A.Node:
        cell_type, dims = self.type_spec()
        spec = format_spec(cell_type, dims)
        if self.at(":"):
            self.advance()
            body = self.pos
            try:
                return A.Const(self.literal_body(spec), "", start)
            except ExpressionError as constant_error:
                self.pos = body  # not all constants: maybe cells that are expressions
                try:
                    return dynamic_literal(self, spec, start)
                except ExpressionError:
                    if "Expected a number" in constant_error.message:
                        raise  # cells that are expressions, written wrong: say what is wrong with them
                    raise constant_error from None
        if not self.at("("):
            raise self.error("Expected ':' and a tensor literal, or '(' and a generator expression")
        if any(size is None for _, size in dims):
            raise self.error("A tensor generator needs indexed dimensions only")
        self.advance()
        saved, self.scope = self.scope, frozenset(name for name, _ in dims)
        body = self.expression()
        self.scope = saved
        self.expect(")")
        return A.TensorGenerate(spec, body, start)

    def literal_body(self, spec: str):
        first = self.peek()
        if first.kind == PUNCT and first.text in "{[":
            depth, end_index = 0, self.pos
            for end_index in range(self.pos, len(self.tokens)):
                tok = self.tokens[end_index]
                if tok.kind == PUNCT and tok.text in "{[":
                    depth += 1
                elif tok.kind == PUNCT and tok.text in "}]":
                    depth -= 1
                    if depth == 0:
                        break
                elif tok.kind == END:
                    raise self.error("Unterminated tensor literal", first)
            body_end = self.tokens[end_index].end
        else:  # hex form for int8 cells: FF00118022FE
            body_end = first.start
            while body_end < len(self.text) and self.text[body_end] in "0123456789abcdefABCDEF":
                body_end += 1
        try:
            value = parse_tensor_literal(spec + ":" + self.text[first.start:body_end])
        except Exception as e:  # re-locate literal errors inside the whole expression
            raise error_at(self.text, first.start, f"Invalid tensor literal: {getattr(e, 'message', e)}",
                           self.location) from None
        while self.peek().kind != END and self.peek().start < body_end:
            self.advance()
        return value

    def peek_suffix(self, operand: A.Node) -> A.Peek:
        token = self.advance()
        if token.text == "[":
            index = self.expression()
            self.expect("]")
            label = _label_of(index)
            return A.Peek(operand, (("", label if label is not None else index),), token.start)
        if self.peek().kind in (IDENT, NUMBER, STRING) and self.at("}", 1):
            label = self.address_value()
            self.expect("}")
            return A.Peek(operand, (("", label),), token.start)
        address: list[tuple[str, str | A.Node]] = []
        while True:
            dim = self.identifier("a dimension name")
            self.expect(":")
            address.append((dim, self.address_value()))
            if not self.at(","):
                break
            self.advance()
        self.expect("}")
        return A.Peek(operand, tuple(address), token.start)

    def address_value(self) -> str | A.Node:
        token = self.peek()
        if token.kind in (IDENT, NUMBER, STRING) and (self.at(",", 1) or self.at("}", 1)):
            self.advance()
            if token.kind == IDENT and token.text in self.scope:
                return A.Var(token.text, token.start)
            return _label_text(token)
        return self.expression()


def _number_value(text: str) -> float:
    return float(text.rstrip("fFlL"))


def _label_text(token: Token) -> str:
    if token.kind == NUMBER:
        value = _number_value(token.text)
        return str(int(value)) if value == int(value) else token.text
    return token.text


def _label_of(node: A.Node) -> str | None:
    if isinstance(node, A.Num) and node.value == int(node.value):
        return str(int(node.value))
    return None


def parse_expression(text: str, location: SourceLocation | None = None) -> A.Node:
    """Parse expression text; errors are ExpressionError naming the column (and file:line when located)."""
    return Parser(text, location).parse()
