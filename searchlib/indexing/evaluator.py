"""Evaluating indexing scripts over one document: the execution value flows through each
pipeline; outputs (`attribute`, `index`, `summary`) write it to a field. Null semantics follow
Vespa: `input f` of a missing field is null, `a || b` picks the first non-null, string `.` with a
null side is null, and a null value reaching an output writes nothing.

Embedding is a Protocol seam: searchlib stays pure; the container passes its embedder registry.
"""
from __future__ import annotations

from typing import Any, Mapping, Protocol

from searchlib.errors import DocumentError
from searchlib.geo import GeoError, parse_position, position_json
from searchlib.indexing import parser as P



class Embedding(Protocol):
    def __call__(self, embedder: str, target_field: str, value: Any, args: tuple[str, ...]) -> Any: ...


def run_script(script: P.Script, document: Mapping[str, Any], field: str, embed: Embedding | None = None
               ) -> dict[str, Any]:
    """The values the script writes, by field name (`field` is the script's own field)."""
    written: dict[str, Any] = {}
    for statement in script.statements:
        _pipeline(statement, None, document, field, embed, written)
    return written


def _pipeline(node: P.Pipeline, value: Any, document, field, embed, written) -> Any:
    for step in node.steps:
        value = _eval(step, value, document, field, embed, written)
    return value


def _eval(node: P.Node, value: Any, document, field, embed, written) -> Any:
    if isinstance(node, P.Input):
        return document.get(node.field)
    if isinstance(node, P.Literal):
        return node.value
    if isinstance(node, P.Current):
        return value
    if isinstance(node, P.Pipeline):
        return _pipeline(node, value, document, field, embed, written)
    if isinstance(node, P.Choice):
        for option in node.options:
            result = _eval(option, value, document, field, embed, written)
            if result is not None:
                return result
        return None
    if isinstance(node, P.Binary):
        left = _eval(node.left, value, document, field, embed, written)
        right = _eval(node.right, value, document, field, embed, written)
        return _binary(node.op, left, right)
    if isinstance(node, P.Output):
        target = node.field or field
        if value is not None:
            if target in written and written[target] != value:
                raise DocumentError(f"Field '{target}' receives different values in one indexing script")
            written[target] = value
        return value
    if isinstance(node, P.Embed):
        if value is None:
            return None
        if embed is None:
            raise DocumentError("This indexing script uses 'embed', but no embedders are available")
        return embed(node.embedder, field, value, node.args)
    if isinstance(node, P.Convert):
        return _convert(node.name, value)
    raise DocumentError(f"Unsupported indexing expression {node!r}")


def _binary(op: str, left: Any, right: Any) -> Any:
    if op == ".":
        if isinstance(left, list) or isinstance(right, list):
            return list(left or []) + list(right or [])
        if left is None or right is None:
            return None
        return f"{left}{right}"
    if left is None or right is None:
        return None
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return left / right if isinstance(left, float) or isinstance(right, float) else int(left / right)
    return left % right


def _convert(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "lowercase":
        return str(value).lower()
    if name == "trim":
        return str(value).strip()
    if name == "to_string":
        return str(value)
    if name in ("to_int", "to_long"):
        return int(float(value))
    if name in ("to_float", "to_double"):
        return float(value)
    if name == "to_bool":
        return bool(value)
    if name == "to_pos":
        return _to_position(value)
    return value  # normalize/tokenize: the index does its own linguistics


def _to_position(value: Any) -> dict[str, float]:
    """`to_pos`: "N37.4;W122.0" (or {"lat", "lng"}) to a position (searchlib.geo)."""
    try:
        return position_json(*parse_position(value))
    except GeoError as error:
        raise DocumentError(f"to_pos: {error}") from None


def script_inputs(script: P.Script) -> set[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, P.Input):
            found.add(node.field)
        for child in getattr(node, "steps", ()) + getattr(node, "options", ()) + getattr(node, "statements", ()):
            walk(child)
        for part in ("left", "right"):
            if hasattr(node, part):
                walk(getattr(node, part))

    walk(script)
    return found
