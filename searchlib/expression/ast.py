"""Immutable syntax tree of ranking expressions. `offset` is where the node starts in its source text.

Features keep their arguments as nodes so that function parameters can be substituted into them
(`nativeRank(foo, body)` with `foo` bound); `to_text` renders any node back to expression text, and
renders features in canonical form (no spaces), which is the key under which feature values are passed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union


@dataclass(frozen=True, slots=True)
class Num:
    value: float
    text: str = ""  # as written, so feature arguments like attribute(a,0) render unchanged
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Str:
    value: str
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Feature:
    """A rank feature, user function reference/call or constant: name(args).output."""

    name: str
    args: tuple["Node", ...] = ()
    output: str = ""
    has_parens: bool = False  # `f()` vs `f`
    offset: int = field(default=0, compare=False)

    @property
    def canonical(self) -> str:
        return to_text(self)


@dataclass(frozen=True, slots=True)
class Const:
    """A value bound at compile time (a profile constant): float or Tensor."""

    value: Any
    name: str = ""
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Var:
    """A lambda parameter or generator dimension."""

    name: str
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Neg:
    operand: "Node"
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    operand: "Node"
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: "Node"
    right: "Node"
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class If:
    condition: "Node"
    then: "Node"
    otherwise: "Node"
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class In:
    operand: "Node"
    items: tuple["Node", ...]
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    """A built-in math function (sin, max, atan2, ...), applied cell-wise to tensors."""

    name: str
    args: tuple["Node", ...]
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class MinMaxOrReduce:
    """`max(a, x)`: a binary max when `x` is a value, a reduce when `x` is a dimension of `a`.

    The parser cannot tell which; the evaluator decides when it knows whether `x` is bound.
    """

    name: str  # "min" | "max"
    operand: "Node"
    other: "Feature"
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Lambda:
    params: tuple[str, ...]
    body: "Node"
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class TensorMap:
    operand: "Node"
    fn: Lambda
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class TensorJoin:
    left: "Node"
    right: "Node"
    fn: Lambda
    merge: bool = False  # merge(a, b, f): union of cells instead of a natural join
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class TensorReduce:
    operand: "Node"
    aggregator: str
    dimensions: tuple[str, ...] = ()
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class TensorRename:
    operand: "Node"
    from_dims: tuple[str, ...]
    to_dims: tuple[str, ...]
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class TensorConcat:
    left: "Node"
    right: "Node"
    dimension: str
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class CellCast:
    operand: "Node"
    cell_type: str
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class CellOrder:
    operand: "Node"
    order: str  # "max" | "min"
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Top:
    """top(n, t) (Vespa's tensor function Top): the n best cells of a mapped tensor, by cell_order."""
    count: "Node"
    operand: "Node"
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class TensorGenerate:
    type_spec: str  # canonical TensorType text, all dimensions indexed
    body: "Node"
    offset: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Peek:
    """Cell access / slice: `t{x:1, y:(i+1)}`; `t[2]` and `t{label}` leave `dimension` empty."""

    operand: "Node"
    address: tuple[tuple[str, "str | Node"], ...]  # (dimension or "", label text or computed node)
    offset: int = field(default=0, compare=False)


Node = Union[Num, Str, Feature, Const, Var, Neg, Not, Binary, If, In, Call, MinMaxOrReduce, Lambda,
             TensorMap, TensorJoin, TensorReduce, TensorRename, TensorConcat, CellCast, CellOrder,
             Top, TensorGenerate, Peek]


def children(node: Node) -> tuple[Node, ...]:
    """Direct sub-expressions (not feature arguments, which are names rather than values)."""
    match node:
        case Neg(operand=o) | Not(operand=o) | TensorMap(operand=o) | TensorReduce(operand=o) \
                | TensorRename(operand=o) | CellCast(operand=o) | CellOrder(operand=o) | MinMaxOrReduce(operand=o):
            extra = (node.fn,) if isinstance(node, TensorMap) else ()
            extra += (node.other,) if isinstance(node, MinMaxOrReduce) else ()
            return (o, *extra)
        case Binary(left=a, right=b) | TensorConcat(left=a, right=b):
            return (a, b)
        case Top(count=n, operand=o):
            return (n, o)
        case TensorJoin(left=a, right=b, fn=f):
            return (a, b, f)
        case If(condition=c, then=t, otherwise=o):
            return (c, t, o)
        case In(operand=o, items=items):
            return (o, *items)
        case Call(args=args):
            return args
        case Lambda(body=b) | TensorGenerate(body=b):
            return (b,)
        case Peek(operand=o, address=address):
            return (o, *(v for _, v in address if not isinstance(v, str)))
    return ()


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) and abs(value) < 1e15 else repr(value)


def to_text(node: Node) -> str:
    """Render as expression text; features in canonical form (no spaces inside)."""
    match node:
        case Num(value=v, text=t):
            return t or _number_text(v)
        case Str(value=v):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        case Feature(name=n, args=args, output=out):
            # `f()` and `f` are the same feature; the canonical form drops empty parentheses.
            text = n + ("(" + ",".join(_arg_text(a) for a in args) + ")" if args else "")
            return text + ("." + out if out else "")
        case Const(name=n, value=v):
            return n or str(v)
        case Var(name=n):
            return n
        case Neg(operand=o):
            return "-" + _wrapped(o)
        case Not(operand=o):
            return "!" + _wrapped(o)
        case Binary(op=op, left=a, right=b):
            return f"{_wrapped(a)} {op} {_wrapped(b)}"
        case If(condition=c, then=t, otherwise=o):
            return f"if ({to_text(c)}, {to_text(t)}, {to_text(o)})"
        case In(operand=o, items=items):
            return f"{_wrapped(o)} in [{', '.join(to_text(i) for i in items)}]"
        case Call(name=n, args=args):
            return f"{n}({', '.join(to_text(a) for a in args)})"
        case MinMaxOrReduce(name=n, operand=o, other=x):
            return f"{n}({to_text(o)}, {to_text(x)})"
        case Lambda(params=ps, body=b):
            return f"f({','.join(ps)})({to_text(b)})"
        case TensorMap(operand=o, fn=f):
            return f"map({to_text(o)}, {to_text(f)})"
        case TensorJoin(left=a, right=b, fn=f, merge=m):
            return f"{'merge' if m else 'join'}({to_text(a)}, {to_text(b)}, {to_text(f)})"
        case TensorReduce(operand=o, aggregator=agg, dimensions=dims):
            return f"reduce({', '.join([to_text(o), agg, *dims])})"
        case TensorRename(operand=o, from_dims=f, to_dims=t):
            return f"rename({to_text(o)}, ({','.join(f)}), ({','.join(t)}))"
        case TensorConcat(left=a, right=b, dimension=d):
            return f"concat({to_text(a)}, {to_text(b)}, {d})"
        case CellCast(operand=o, cell_type=c):
            return f"cell_cast({to_text(o)}, {c})"
        case CellOrder(operand=o, order=order):
            return f"cell_order({to_text(o)}, {order})"
        case Top(count=n, operand=o):
            return f"top({to_text(n)}, {to_text(o)})"
        case TensorGenerate(type_spec=t, body=b):
            return f"{t}({to_text(b)})"
        case Peek(operand=o, address=address):
            parts = [(f"{d}:" if d else "") + (v if isinstance(v, str) else f"({to_text(v)})") for d, v in address]
            return f"{_wrapped(o)}{{{','.join(parts)}}}"
    raise TypeError(f"not an expression node: {node!r}")


def _arg_text(node: Node) -> str:
    """Feature arguments render without spaces: `attribute( a , b )` -> `attribute(a,b)`."""
    return to_text(node) if isinstance(node, (Num, Str, Feature)) else to_text(node).replace(" ", "")


def _wrapped(node: Node) -> str:
    text = to_text(node)
    return f"({text})" if isinstance(node, (Binary, In, Neg, Not)) else text
