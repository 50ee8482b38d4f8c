"""Evaluate a selection tree against one document, with Vespa's three-valued logic.

A selection is true, false or invalid (None here). Invalid comes from comparing what cannot be
compared (a string with a number, `<` against an unset field, a field of another document type,
`id.user` of an id without `n=`): `and` is false if any operand is false, else invalid if any is;
`or` is true if any operand is true, else invalid if any is; `not invalid` is invalid. A document
matches only when the whole selection is true, so a condition never passes by accident.

Multi-valued fields (arrays, weighted sets and maps by key) compare true when any element does.
`==`/`!=` against `null` test whether a value is set; `=` is a glob match with `*` and `?`.
"""
from __future__ import annotations

import re
import time
from typing import Any, Mapping

from searchlib.docid import DocumentId
from searchlib.selection.tree import (
    And, Arithmetic, Comparison, DocType, FieldRef, IdRef, Literal, Negate, Node, Not, Now, Or)

INVALID = type("Invalid", (), {"__repr__": lambda self: "INVALID"})()
Truth = bool | None  # None: invalid


class Document:
    """What a selection is evaluated against: the id and the stored fields (None: no document)."""

    __slots__ = ("id", "fields")

    def __init__(self, document_id: str | DocumentId, fields: Mapping[str, Any] | None) -> None:
        self.id = DocumentId.parse(document_id) if isinstance(document_id, str) else document_id
        self.fields = fields


def evaluate(node: Node, document: Document, now: float | None = None) -> Truth:
    """True, False or None (invalid) for `node` as a selection."""
    if isinstance(node, And):
        results = [evaluate(operand, document, now) for operand in node.operands]
        return False if False in results else (None if None in results else True)
    if isinstance(node, Or):
        results = [evaluate(operand, document, now) for operand in node.operands]
        return True if True in results else (None if None in results else False)
    if isinstance(node, Not):
        result = evaluate(node.operand, document, now)
        return None if result is None else not result
    if isinstance(node, Comparison):
        return compare(node.op, value(node.left, document, now), value(node.right, document, now))
    if isinstance(node, DocType):
        return node.name == document.id.doctype
    return _truth(value(node, document, now))


def matches(node: Node, document: Document, now: float | None = None) -> bool:
    return evaluate(node, document, now) is True


def value(node: Node, document: Document, now: float | None = None) -> Any:
    """The value of a value node: str, int, float, bool, None (unset), list, dict or INVALID."""
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, FieldRef):
        return _field(node, document)
    if isinstance(node, IdRef):
        return _id_part(document.id, node.part)
    if isinstance(node, Now):
        return int(time.time() if now is None else now)
    if isinstance(node, Negate):
        operand = value(node.operand, document, now)
        return -operand if _is_number(operand) else INVALID
    if isinstance(node, Arithmetic):
        return _arithmetic(node.op, value(node.left, document, now), value(node.right, document, now))
    if isinstance(node, DocType):  # a document type inside arithmetic or a comparison
        return node.name == document.id.doctype
    truth = evaluate(node, document, now)  # a parenthesized selection used as a value
    return INVALID if truth is None else truth


def _field(node: FieldRef, document: Document) -> Any:
    if node.doctype != document.id.doctype or document.fields is None:
        return INVALID
    current: Any = document.fields.get(node.field)
    for step in node.path:
        current = _step(current, step)
    return current


def _step(current: Any, step: str | int) -> Any:
    if current is None or current is INVALID:
        return current
    if isinstance(step, int):
        if isinstance(current, list):
            return current[step] if step < len(current) else None
        return INVALID
    if isinstance(current, dict):
        return current.get(step)
    if isinstance(current, list):  # a field of every struct in an array
        return [_step(element, step) for element in current]
    return INVALID


def _id_part(document_id: DocumentId, part: str) -> Any:
    if part == "":
        return str(document_id)
    if part == "scheme":
        return "id"
    if part == "namespace":
        return document_id.namespace
    if part == "type":
        return document_id.doctype
    if part == "specific":
        return document_id.user_specified
    key, _, setting = document_id.key_values.partition("=")
    if part == "user" and key == "n":
        return int(setting) if setting.isascii() and setting.isdigit() else INVALID
    if part == "group" and key == "g":
        return setting
    return INVALID


def _truth(result: Any) -> Truth:
    if result is INVALID:
        return None
    if result is None:
        return False
    if isinstance(result, bool):
        return result
    if isinstance(result, (list, dict)):
        return bool(result)
    return True


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _kind(x: Any) -> str:
    if isinstance(x, bool):
        return "bool"
    if _is_number(x):
        return "number"
    return "string" if isinstance(x, str) else "other"


def compare(op: str, left: Any, right: Any) -> Truth:
    if left is INVALID or right is INVALID:
        return None
    for side, other, flip in ((left, right, False), (right, left, True)):
        if isinstance(side, (list, dict)) and not isinstance(other, (list, dict)):
            elements = list(side)  # a dict (weighted set, map) compares by its keys
            if not elements:
                return compare(op, None, other) if not flip else compare(op, other, None)
            results = [compare(op, other, e) if flip else compare(op, e, other) for e in elements]
            return True if True in results else (None if None in results else False)
    if op in ("==", "!="):
        if left is None or right is None:
            equal = left is None and right is None
        elif _kind(left) != _kind(right):
            equal = False
        else:
            try:  # "other" values (structs, tensors) may not compare to a plain bool
                equal = bool(left == right)
            except (TypeError, ValueError):
                return None
        return equal if op == "==" else not equal
    if left is None or right is None or _kind(left) != _kind(right) or _kind(left) in ("bool", "other"):
        return None
    if op == "=":
        return glob_match(right, left) if _kind(left) == "string" else None
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right  # ">="


def _arithmetic(op: str, left: Any, right: Any) -> Any:
    if not (_is_number(left) and _is_number(right)):
        return INVALID
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if right == 0:
        return INVALID
    if isinstance(left, int) and isinstance(right, int):  # integer division truncates, as in Vespa
        quotient = abs(left) // abs(right) * (1 if (left >= 0) == (right >= 0) else -1)
        return quotient if op == "/" else left - right * quotient
    return left / right if op == "/" else left - right * int(left / right)


def glob_match(pattern: str, text: str) -> bool:
    """`*` matches any run, `?` one character. Linear in practice: the pieces between stars have
    no repetition, and each is matched leftmost (which is always safe for globs)."""
    pieces = [re.compile("".join("." if c == "?" else re.escape(c) for c in piece), re.DOTALL)
              for piece in pattern.split("*")]
    if len(pieces) == 1:
        return pieces[0].fullmatch(text) is not None
    first, *middle, last = pieces
    head = first.match(text)
    if head is None:
        return False
    position = head.end()
    for piece in middle:
        found = piece.search(text, position)
        if found is None:
            return False
        position = found.end()
    tail_length = len(pattern.split("*")[-1])
    return len(text) - tail_length >= position and last.fullmatch(text, len(text) - tail_length) is not None
