"""Special forms of the expression grammar: tensor functions, `if`, and shortcuts desugared into primitives.

Each form is called with the parser positioned after its name; convenience functions (argmax, softmax,
l2_normalize, matmul, cosine_similarity, ...) become trees of map/join/reduce as Vespa defines them.
"""
from __future__ import annotations

from typing import Protocol

from searchlib.errors import ExpressionError, SourceLocation
from searchlib.expression import ast as A
from searchlib.expression.lexer import IDENT, Token, error_at


class Parser(Protocol):
    """What a special form uses of the parser (parser.Parser), so the two modules do not import
    each other."""

    text: str
    location: SourceLocation | None
    tokens: list[Token]
    pos: int
    scope: frozenset[str]

    def peek(self, ahead: int = 0) -> Token: ...

    def advance(self) -> Token: ...

    def at(self, text: str, ahead: int = 0) -> bool: ...

    def expect(self, text: str) -> Token: ...

    def identifier(self, what: str = "an identifier") -> str: ...

    def error(self, message: str, token: Token | None = None) -> ExpressionError: ...

    def expression(self, min_precedence: int = 0) -> A.Node: ...

    def arguments_until(self, closing: str) -> list[A.Node]: ...

    def lambda_argument(self, arity: int) -> A.Lambda: ...

    def dimension_list(self) -> tuple[str, ...]: ...

    def trailing_dimensions(self) -> tuple[str, ...]: ...

    def dimension_spec(self) -> tuple[str, int | None]: ...

AGGREGATORS = ("avg", "count", "max", "median", "min", "prod", "sum")
CELL_TYPES = ("double", "float", "bfloat16", "int8")
_REDUCE_SHORTCUTS = ("sum", "avg", "count", "prod", "median")


def _mul_fn() -> A.Lambda:
    return A.Lambda(("x", "y"), A.Binary("*", A.Var("x"), A.Var("y")))


def _op_fn(op: str) -> A.Lambda:
    return A.Lambda(("x", "y"), A.Binary(op, A.Var("x"), A.Var("y")))


def _map_fn(name: str) -> A.Lambda:
    return A.Lambda(("x",), A.Call(name, (A.Var("x"),)))


def format_spec(cell_type: str, dims: list[tuple[str, int | None]]) -> str:
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


def _top(p: Parser, name: str, start: int) -> A.Node:
    p.expect("(")
    count = p.expression()
    p.expect(",")
    operand = p.expression()
    p.expect(")")
    return A.Top(count, operand, start)


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
        spec = format_spec("double", [(dims[0], 1)])
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
    spec = format_spec("double", dims)
    if name == "range":
        if len(dims) != 1:
            raise error_at(p.text, start, "range takes one dimension", p.location)
        return A.TensorGenerate(spec, A.Var(dims[0][0]), start)
    # Vespa's Diag: 1 where every dimension has the same index, over any number of dimensions
    cell: A.Node = A.Num(1.0, "1")
    for (left, _), (right, _) in zip(dims, dims[1:]):
        same = A.Binary("==", A.Var(left), A.Var(right))
        cell = same if isinstance(cell, A.Num) else A.Binary("*", cell, same)
    return A.TensorGenerate(spec, cell, start)


def _unpack_bits(p: Parser, name: str, start: int) -> A.Node:
    """unpack_bits(t [, cell_type [, big|little]]) -> Call(unpack_bits, (t, "cell_type", "endian"))."""
    p.expect("(")
    operand = p.expression()
    options = []
    while p.at(",") and len(options) < 2:
        p.advance()
        token = p.advance()
        options.append(token.text.strip('"'))
    p.expect(")")
    cell_type = options[0] if options else "float"
    endian = options[1] if len(options) > 1 else "big"
    if cell_type not in CELL_TYPES:
        raise error_at(p.text, start, f"unpack_bits: unknown cell type '{cell_type}'", p.location)
    if endian not in ("big", "little"):
        raise error_at(p.text, start, f"unpack_bits: endian must be big or little, got '{endian}'", p.location)
    return A.Call(name, (operand, A.Str(cell_type), A.Str(endian)), start)


def _if(p: Parser, name: str, start: int) -> A.Node:
    p.expect("(")
    args = p.arguments_until(")")
    if len(args) not in (3, 4):  # the optional 4th argument is Vespa's branch probability hint
        raise error_at(p.text, start, f"if takes 3 arguments, got {len(args)}", p.location)
    return A.If(args[0], args[1], args[2], start)


SPECIAL_FORMS = {
    "if": _if, "map": _map, "map_subspaces": _map, "filter_subspaces": _map,
    "join": _join, "merge": _join, "reduce": _reduce,
    "rename": _rename, "concat": _concat, "cell_cast": _cell_cast, "cell_order": _cell_cast,
    "min": _min_max, "max": _min_max, "range": _generated, "diag": _generated,
    "unpack_bits": _unpack_bits, "top": _top,
    **{name: _reduce_shortcut for name in _REDUCE_SHORTCUTS},
    **{name: _convenience for name in ("argmax", "argmin", "softmax", "l1_normalize", "l2_normalize",
                                       "matmul", "xw_plus_b", "cosine_similarity", "euclidean_distance",
                                       "expand")},
}


