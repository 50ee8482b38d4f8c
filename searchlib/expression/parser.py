"""Recursive-descent parser: expression text -> immutable AST (never Python eval).

Binary operators use precedence climbing with Vespa's order (lowest to highest):
|| && >= > <= < ~= != == + - * / % ^ ; `^` is right-associative. Unary `-` and `!` bind to the
value right after them (so `-a^2` is `(-a)^2`, as in Vespa), as does `in [..]`.
Tensor convenience functions (argmax, softmax, matmul, ...) are desugared here into primitives.
"""
from __future__ import annotations

from searchlib.errors import SourceLocation
from searchlib.expression import ast as A
from searchlib.expression.builtins import BINARY_FUNCTIONS, PRECEDENCE, UNARY_FUNCTIONS
from searchlib.expression.lexer import END, IDENT, NUMBER, PUNCT, STRING, Token, error_at, tokenize

AGGREGATORS = ("avg", "count", "max", "median", "min", "prod", "sum")
CELL_TYPES = ("double", "float", "bfloat16", "int8")
_REDUCE_SHORTCUTS = ("sum", "avg", "count", "prod", "median")


def _mul_fn() -> A.Lambda:
    return A.Lambda(("x", "y"), A.Binary("*", A.Var("x"), A.Var("y")))


def _op_fn(op: str) -> A.Lambda:
    return A.Lambda(("x", "y"), A.Binary(op, A.Var("x"), A.Var("y")))


def _map_fn(name: str) -> A.Lambda:
    return A.Lambda(("x",), A.Call(name, (A.Var("x"),)))


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
        while self.at("{") or self.at("["):
            node = self.peek_suffix(node)
        if self.at("in") and self.at("[", 1):
            start = self.advance().start
            self.advance()
            items = self.arguments_until("]")
            node = A.In(node, tuple(items), start)
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
            special = _SPECIAL_FORMS.get(name)
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
            args = self.arguments_until(")")
            self.scope = saved
        output = ""
        while self.at(".") and self.peek(1).kind in (IDENT, NUMBER):
            self.advance()
            output += ("." if output else "") + self.advance().text
        return A.Feature(name, tuple(args), output, has_parens, start)

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
        spec = _format_spec(cell_type, dims)
        if self.at(":"):
            self.advance()
            return A.Const(self.literal_body(spec), "", start)
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
        from searchlib.tensor import parse_tensor_literal  # tensors depend on the lexer, not vice versa

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


def _format_spec(cell_type: str, dims: list[tuple[str, int | None]]) -> str:
    dims = sorted(dims)
    inner = ",".join(f"{name}{{}}" if size is None else f"{name}[{size}]" for name, size in dims)
    return f"tensor{'' if cell_type == 'double' else f'<{cell_type}>'}({inner})"


# ---- special forms: tensor functions and their shortcuts

def _map(p: Parser, name: str, start: int) -> A.Node:
    p.expect("(")
    operand = p.expression()
    p.expect(",")
    fn = p.lambda_argument(1)
    p.expect(")")
    if name != "map":
        raise p.error(f"{name} is not supported")
    return A.TensorMap(operand, fn, start)


def _join(p: Parser, name: str, start: int) -> A.Node:
    p.expect("(")
    left = p.expression()
    p.expect(",")
    right = p.expression()
    p.expect(",")
    fn = p.lambda_argument(2)
    p.expect(")")
    return A.TensorJoin(left, right, fn, name == "merge", start)


def _reduce(p: Parser, name: str, start: int) -> A.Node:
    p.expect("(")
    operand = p.expression()
    p.expect(",")
    aggregator = p.identifier("an aggregator")
    if aggregator not in AGGREGATORS:
        raise p.error(f"Unknown aggregator '{aggregator}' (expected one of {', '.join(AGGREGATORS)})",
                      p.tokens[p.pos - 1])
    return A.TensorReduce(operand, aggregator, p.trailing_dimensions(), start)


def _reduce_shortcut(p: Parser, name: str, start: int) -> A.Node:
    p.expect("(")
    operand = p.expression()
    return A.TensorReduce(operand, name, p.trailing_dimensions(), start)


def _min_max(p: Parser, name: str, start: int) -> A.Node:
    p.expect("(")
    operand = p.expression()
    if p.at(")"):
        p.advance()
        return A.TensorReduce(operand, name, (), start)
    p.expect(",")
    bare = p.peek().kind == IDENT and p.peek().text not in p.scope and (p.at(")", 1) or p.at(",", 1))
    if bare and p.at(",", 1):  # max(t, x, y): only dimensions can be listed like that
        return A.TensorReduce(operand, name, (p.identifier(), *p.trailing_dimensions()), start)
    if bare:
        other = p.peek()
        p.advance()
        p.expect(")")
        return A.MinMaxOrReduce(name, operand, A.Feature(other.text, offset=other.start), start)
    right = p.expression()
    p.expect(")")
    return A.Call(name, (operand, right), start)


def _rename(p: Parser, name: str, start: int) -> A.Node:
    p.expect("(")
    operand = p.expression()
    p.expect(",")
    from_dims = p.dimension_list()
    p.expect(",")
    to_dims = p.dimension_list()
    p.expect(")")
    if len(from_dims) != len(to_dims):
        raise error_at(p.text, start, "rename needs as many new dimension names as old ones", p.location)
    return A.TensorRename(operand, from_dims, to_dims, start)


def _concat(p: Parser, name: str, start: int) -> A.Node:
    p.expect("(")
    left = p.expression()
    p.expect(",")
    right = p.expression()
    p.expect(",")
    dim = p.identifier("a dimension name")
    p.expect(")")
    return A.TensorConcat(left, right, dim, start)


def _cell_cast(p: Parser, name: str, start: int) -> A.Node:
    p.expect("(")
    operand = p.expression()
    p.expect(",")
    cell_type = p.identifier("a cell type")
    if name == "cell_order":
        if cell_type not in ("max", "min"):
            raise p.error("cell_order takes 'max' or 'min'", p.tokens[p.pos - 1])
        p.expect(")")
        return A.CellOrder(operand, cell_type, start)
    if cell_type not in CELL_TYPES:
        raise p.error(f"Unknown cell type '{cell_type}'", p.tokens[p.pos - 1])
    p.expect(")")
    return A.CellCast(operand, cell_type, start)


def _arguments(p: Parser, name: str, count: int, dims: int) -> tuple[list[A.Node], tuple[str, ...]]:
    p.expect("(")
    args = [p.expression()]
    for _ in range(count - 1):
        p.expect(",")
        args.append(p.expression())
    dimensions = p.trailing_dimensions()
    if dims and not dimensions:
        raise p.error(f"{name} needs a dimension argument")
    return args, dimensions


def _convenience(p: Parser, name: str, start: int) -> A.Node:
    count = {"matmul": 2, "cosine_similarity": 2, "euclidean_distance": 2, "xw_plus_b": 3}.get(name, 1)
    (t, *rest), dims = _arguments(p, name, count, dims=1 if name != "expand" else 1)
    R = A.TensorReduce
    if name in ("argmax", "argmin"):
        return A.TensorJoin(t, R(t, name[3:], dims), _op_fn("=="), False, start)
    if name == "softmax":
        exp = A.TensorMap(t, _map_fn("exp"))
        return A.TensorJoin(exp, R(exp, "sum", dims), _op_fn("/"), False, start)
    if name == "l1_normalize":
        return A.TensorJoin(t, R(t, "sum", dims), _op_fn("/"), False, start)
    if name == "l2_normalize":
        norm = A.TensorMap(R(A.TensorJoin(t, t, _mul_fn()), "sum", dims), _map_fn("sqrt"))
        return A.TensorJoin(t, norm, _op_fn("/"), False, start)
    if name == "matmul":
        return R(A.TensorJoin(t, rest[0], _mul_fn()), "sum", dims, start)
    if name == "xw_plus_b":
        product = R(A.TensorJoin(t, rest[0], _mul_fn()), "sum", dims)
        return A.TensorJoin(product, rest[1], _op_fn("+"), False, start)
    if name == "cosine_similarity":
        b = rest[0]
        dot = R(A.TensorJoin(t, b, _mul_fn()), "sum", dims)
        norms = A.Binary("*", R(A.TensorJoin(t, t, _mul_fn()), "sum", dims),
                         R(A.TensorJoin(b, b, _mul_fn()), "sum", dims))
        return A.Binary("/", dot, A.Call("sqrt", (norms,)), start)
    if name == "euclidean_distance":
        diff = A.TensorJoin(t, rest[0], _op_fn("-"))
        squared = A.TensorMap(diff, A.Lambda(("x",), A.Binary("*", A.Var("x"), A.Var("x"))))
        return A.Call("sqrt", (R(squared, "sum", dims),), start)
    if name == "expand":  # adds an indexed dimension of size 1
        spec = _format_spec("double", [(dims[0], 1)])
        return A.TensorJoin(t, A.TensorGenerate(spec, A.Num(1.0)), _mul_fn(), False, start)
    raise p.error(f"Unknown function {name}")


def _generated(p: Parser, name: str, start: int) -> A.Node:
    """range(x[10]) and diag(x[2],y[3]): generators written as functions of dimension specs."""
    p.expect("(")
    dims = [p.dimension_spec()]
    while p.at(","):
        p.advance()
        dims.append(p.dimension_spec())
    p.expect(")")
    if any(size is None for _, size in dims):
        raise error_at(p.text, start, f"{name} needs indexed dimensions", p.location)
    spec = _format_spec("double", dims)
    if name == "range":
        if len(dims) != 1:
            raise error_at(p.text, start, "range takes one dimension", p.location)
        return A.TensorGenerate(spec, A.Var(dims[0][0]), start)
    if len(dims) != 2:
        raise error_at(p.text, start, "diag takes two dimensions", p.location)
    return A.TensorGenerate(spec, A.Binary("==", A.Var(dims[0][0]), A.Var(dims[1][0])), start)


def _if(p: Parser, name: str, start: int) -> A.Node:
    p.expect("(")
    args = p.arguments_until(")")
    if len(args) not in (3, 4):  # the optional 4th argument is Vespa's branch probability hint
        raise error_at(p.text, start, f"if takes 3 arguments, got {len(args)}", p.location)
    return A.If(args[0], args[1], args[2], start)


_SPECIAL_FORMS = {
    "if": _if, "map": _map, "map_subspaces": _map, "filter_subspaces": _map,
    "join": _join, "merge": _join, "reduce": _reduce,
    "rename": _rename, "concat": _concat, "cell_cast": _cell_cast, "cell_order": _cell_cast,
    "min": _min_max, "max": _min_max, "range": _generated, "diag": _generated,
    **{name: _reduce_shortcut for name in _REDUCE_SHORTCUTS},
    **{name: _convenience for name in ("argmax", "argmin", "softmax", "l1_normalize", "l2_normalize",
                                       "matmul", "xw_plus_b", "cosine_similarity", "euclidean_distance",
                                       "expand")},
}


def parse_expression(text: str, location: SourceLocation | None = None) -> A.Node:
    """Parse expression text; errors are ExpressionError naming the column (and file:line when located)."""
    return Parser(text, location).parse()
