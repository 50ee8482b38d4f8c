"""Tensor literals in every Vespa text form, read (writing.py formats them back).

Forms: `tensor(x{},y{}):{{x:a,y:b}:1.0}`, `{}`, dense `tensor(x[2],y[3]):[[1,2,3],[4,5,6]]` (or flat),
mapped `tensor(k{}):{k1:1.0,k2:2.0}`, mixed `tensor(k{},x[2]):{k1:[1,2],k2:[3,4]}`, int8 hex
`tensor<int8>(x[6]):FF00118022FE`, and a bare number for rank 0. When the type comes from elsewhere
(a declared query input) the `tensor(...):` prefix may be left out.
"""
from __future__ import annotations

import re
from typing import Any

import numpy as np
import orjson

from searchlib.errors import ExpressionError, quote_input
from searchlib.tensor.tensor import Tensor
from searchlib.tensor.types import DOUBLE, Dimension, TensorType, parse_type

_NUMBER = re.compile(r"[-+]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|nan|NaN|inf|Infinity|infinity)")
# an innermost list of plain decimal numbers, `[0.1, -2e-3, ...]` (an embedding's whole literal) is
# checked with one character class and read in one go (_plain_numbers): within these characters
# float() accepts exactly what _NUMBER does; anything else (nan, inf, a malformed item) takes the
# character-by-character path, which also locates the error
_PLAIN_NUMBERS = re.compile(r"[0-9eE+\-.,\s]*")


class _Reader:
    def __init__(self, text: str, full: str) -> None:
        self.text, self.full, self.i = text, full, 0

    def error(self, message: str) -> ExpressionError:
        return ExpressionError(f"{message} at position {self.i + 1} in tensor literal '{quote_input(self.full)}'")

    def ws(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def peek(self) -> str:
        self.ws()
        return self.text[self.i] if self.i < len(self.text) else ""

    def expect(self, ch: str) -> None:
        if self.peek() != ch:
            raise self.error(f"Expected '{ch}'")
        self.i += 1

    def number(self) -> float:
        self.ws()
        match = _NUMBER.match(self.text, self.i)
        if not match:
            raise self.error("Expected a number")
        self.i = match.end()
        word = match.group(0).lower().replace("infinity", "inf")
        return float(word)

    def label(self) -> str:
        self.ws()
        if self.i < len(self.text) and self.text[self.i] in "\"'":
            quote, j = self.text[self.i], self.i + 1
            while j < len(self.text) and self.text[j] != quote:
                j += 2 if self.text[j] == "\\" else 1
            if j >= len(self.text):
                raise self.error("Unterminated quoted label")
            value = self.text[self.i + 1:j].replace("\\" + quote, quote).replace("\\\\", "\\")
            self.i = j + 1
            return value
        j = self.i
        while j < len(self.text) and self.text[j] not in ":,{}[]" and not self.text[j].isspace():
            j += 1
        if j == self.i:
            raise self.error("Expected a label")
        value, self.i = self.text[self.i:j], j
        return value

    def at_end(self) -> bool:
        return self.peek() == ""


def _split_type(text: str) -> tuple[TensorType | None, str]:
    stripped = text.strip()
    if not stripped.startswith("tensor"):
        return None, stripped
    depth = 0
    for i, ch in enumerate(stripped):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                rest = stripped[i + 1:].lstrip()
                if not rest.startswith(":"):
                    raise ExpressionError(f"Expected ':' after the type in tensor literal '{text}'")
                return parse_type(stripped[:i + 1]), rest[1:]
    raise ExpressionError(f"Unterminated type in tensor literal '{text}'")


def parse_tensor_literal(text: str, tensor_type: TensorType | str | None = None) -> Tensor:
    """Parse a literal; `tensor_type` is used when the text has no `tensor(...):` prefix."""
    written, body = _split_type(text)
    if isinstance(tensor_type, str):
        tensor_type = parse_type(tensor_type)
    if written is not None and tensor_type is not None and written != tensor_type:
        raise ExpressionError(f"Tensor literal of type {written} where {tensor_type} was expected")
    tensor_type = written or tensor_type
    reader = _Reader(body, text.strip())
    first = reader.peek()
    if first == "[":
        if tensor_type is None or not tensor_type.is_dense or tensor_type.rank == 0:
            raise reader.error("A dense literal [...] needs a dense tensor type")
        values = _dense_values(reader, tensor_type.dense_shape)
        result = Tensor.dense(tensor_type, values)
    elif first == "{":
        result = _braced(reader, tensor_type)
    elif first == "":
        raise reader.error("Empty tensor literal")
    elif tensor_type is not None and tensor_type.cell_type == "int8" and re.fullmatch(r"[0-9A-Fa-f]+", body.strip()):
        raw = bytes.fromhex(body.strip())
        result = Tensor.dense(tensor_type, np.frombuffer(raw, dtype=np.int8).astype(np.float64))
        reader.i = len(body)
    else:
        if tensor_type is not None and tensor_type.rank:
            raise reader.error(f"A number is not a literal of {tensor_type}")
        result = Tensor.scalar(reader.number())
    if not reader.at_end():
        raise reader.error("Unexpected text after the tensor literal")
    return result


def _dense_values(reader: _Reader, shape: tuple[int, ...]) -> np.ndarray:
    values: list[float] = []
    nested = _nested(reader, values)
    expected = int(np.prod(shape))
    if len(values) != expected:
        raise reader.error(f"Expected {expected} values for shape {list(shape)}, got {len(values)}")
    array = np.asarray(values, dtype=np.float64)
    if nested != 1 and nested != len(shape):
        raise reader.error(f"Nesting depth {nested} does not match {len(shape)} dimensions")
    return array.reshape(shape)


def _nested(reader: _Reader, out: list[float]) -> int:
    reader.ws()
    if reader.text.startswith("[", reader.i):
        close = reader.text.find("]", reader.i)
        inner = reader.text[reader.i + 1: close]
        if close > 0 and _PLAIN_NUMBERS.fullmatch(inner):
            values = _plain_numbers(inner)
            if values is not None:
                out.extend(values)
                reader.i = close + 1
                return 1
    reader.expect("[")
    depth = 1
    if reader.peek() == "]":
        reader.i += 1
        return depth
    while True:
        if reader.peek() == "[":
            depth = 1 + _nested(reader, out)
        else:
            out.append(reader.number())
        if reader.peek() == ",":
            reader.i += 1
            continue
        reader.expect("]")
        return depth


def _plain_numbers(inner: str) -> list[float] | None:
    """`0.1, -2e-3, ...` as float() reads each item, or None if an item is not a number.

    orjson reads a JSON array of numbers ~10x faster than float() per item (a 384-cell embedding:
    ~40 us instead of ~400) and rounds as float() does (correctly: checked on a million values,
    halfway cases included). Items JSON does not allow (`+1`, `.5`, `1.`, `01`), numbers beyond
    the double range and integers (`-0` would lose its sign) are left to float()."""
    if not inner.strip():
        return []
    try:
        values = orjson.loads(f"[{inner}]")
    except orjson.JSONDecodeError:
        values = None
    if values is not None and all(type(v) is float for v in values):
        return values
    try:
        return list(map(float, inner.split(",")))
    except ValueError:
        return None


def _braced(reader: _Reader, tensor_type: TensorType | None) -> Tensor:
    reader.expect("{")
    if reader.peek() == "}":
        reader.i += 1
        if tensor_type is None:
            raise reader.error("An empty literal {} needs a tensor type")
        return Tensor(tensor_type, {})
    if reader.peek() == "{":
        return _verbose(reader, tensor_type)
    if tensor_type is None or len(tensor_type.mapped) != 1:
        raise reader.error("The short form {label:value} needs a type with exactly one mapped dimension")
    mapped = tensor_type.mapped[0]
    cells: list[tuple[dict[str, str], Any]] = []
    blocks: dict[tuple[str, ...], np.ndarray] = {}
    while True:
        label = reader.label()
        reader.expect(":")
        if tensor_type.indexed:
            blocks[(label,)] = _dense_values(reader, tensor_type.dense_shape)
        else:
            cells.append(({mapped.name: label}, reader.number()))
        if reader.peek() == ",":
            reader.i += 1
            continue
        reader.expect("}")
        break
    return Tensor(tensor_type, blocks) if tensor_type.indexed else Tensor.from_cells(tensor_type, cells)


def _verbose(reader: _Reader, tensor_type: TensorType | None) -> Tensor:
    cells: list[tuple[dict[str, str], float]] = []
    blocks: dict[tuple[str, ...], np.ndarray] = {}
    while True:
        reader.expect("{")
        address: dict[str, str] = {}
        while reader.peek() != "}":
            dim = reader.label()
            reader.expect(":")
            address[dim] = reader.label()
            if reader.peek() == ",":
                reader.i += 1
        reader.expect("}")
        reader.expect(":")
        if reader.peek() == "[":  # mixed: a dense subspace under a mapped address
            if tensor_type is None:
                raise reader.error("A mixed literal needs a tensor type")
            key = tuple(address.get(d.name, "") for d in tensor_type.mapped)
            blocks[key] = _dense_values(reader, tensor_type.dense_shape)
        else:
            cells.append((address, reader.number()))
        if reader.peek() == ",":
            reader.i += 1
        reader.expect("}") if reader.peek() == "}" else None
        if reader.peek() != "{":
            break
    if tensor_type is None:  # infer: every dimension named in the cells, mapped
        names = sorted({d for address, _ in cells for d in address})
        tensor_type = TensorType("double", tuple(Dimension(n) for n in names)) if names else DOUBLE
    if blocks:
        return Tensor(tensor_type, blocks)
    return Tensor.from_cells(tensor_type, cells)
