"""The parse tree of Vespa's document selection language (test-and-set conditions).

Values: literals, `id` and its parts, `now()`, field references `doctype.field...`, arithmetic.
Selections: comparisons, `and` / `or` / `not`, a document type (`music`), or a value by itself
(true when the value is set). `column` is where the node starts in the text (1-based), for
located errors; it takes no part in equality.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

ID_PARTS = ("scheme", "namespace", "type", "user", "group", "specific")
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=", "=")  # "=" is a glob match (`*`, `?`)
ARITHMETIC = ("+", "-", "*", "/", "%")


@dataclass(frozen=True, slots=True)
class Literal:
    value: str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class IdRef:
    part: str = ""  # "" for the whole id, else one of ID_PARTS


@dataclass(frozen=True, slots=True)
class Now:
    pass


@dataclass(frozen=True, slots=True)
class DocType:
    name: str
    column: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class FieldRef:
    """`doctype.field`, then struct fields (`.sub`), array indexes (`[2]`) and map keys (`{k}`)."""

    doctype: str
    field: str
    path: tuple[str | int, ...] = ()  # str: struct field or map key, int: array index
    column: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Negate:
    operand: "Node"


@dataclass(frozen=True, slots=True)
class Arithmetic:
    op: str
    left: "Node"
    right: "Node"


@dataclass(frozen=True, slots=True)
class Comparison:
    op: str
    left: "Node"
    right: "Node"


@dataclass(frozen=True, slots=True)
class Not:
    operand: "Node"


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple["Node", ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple["Node", ...]


Node = Union[Literal, IdRef, Now, DocType, FieldRef, Negate, Arithmetic, Comparison, Not, And, Or]


def walk(node: Node):
    """Every node of the tree, parents before children."""
    yield node
    if isinstance(node, (And, Or)):
        for operand in node.operands:
            yield from walk(operand)
    elif isinstance(node, (Not, Negate)):
        yield from walk(node.operand)
    elif isinstance(node, (Comparison, Arithmetic)):
        yield from walk(node.left)
        yield from walk(node.right)
