"""Tensors as JSON, in Vespa's document/query/result forms.

Reading accepts: `{"type":..,"cells":[{"address":{..},"value":..}]}`, `"cells": {label: value}` (one
mapped dimension), `"values": [...]` (dense; nested or flat, or a hex string), `"blocks": {label: [...]}`
or `"blocks": [{"address":{..},"values":[..]}]` (mixed), a bare list (dense) and a bare number.
Writing (writing.py): the long form (`cells` list) or the short form Vespa uses when rendering
results: `values` for dense, `cells` object for one mapped dimension, `blocks` for mixed.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from searchlib.errors import ExpressionError
from searchlib.tensor.tensor import Tensor, quantize
from searchlib.tensor.types import DOUBLE, Dimension, TensorType, parse_type


def tensor_from_json(value: Any, tensor_type: TensorType | str | None = None) -> Tensor:
    if isinstance(tensor_type, str):
        tensor_type = parse_type(tensor_type)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if tensor_type is not None and tensor_type.rank:
            raise ExpressionError(f"A number is not a value of {tensor_type}")
        return Tensor.scalar(float(value))
    if isinstance(value, list):
        return _dense(_require(tensor_type, "a list"), value)
    if not isinstance(value, dict):
        raise ExpressionError(f"Cannot read a tensor from JSON {type(value).__name__}")
    if "type" in value:
        if not isinstance(value["type"], str):
            raise ExpressionError(f'A tensor\'s "type" must be a string, not {_kind(value["type"])}')
        written = parse_type(value["type"])
        if tensor_type is not None and written != tensor_type:
            raise ExpressionError(f"Tensor of type {written} where {tensor_type} was expected")
        tensor_type = written
    if "cells" in value:
        return _cells(tensor_type, value["cells"])
    if "values" in value:
        return _dense(_require(tensor_type, '"values"'), value["values"])
    if "blocks" in value:
        return _blocks(_require(tensor_type, '"blocks"'), value["blocks"])
    if tensor_type is not None and len(tensor_type.mapped) == 1 and not tensor_type.indexed:
        return _cells(tensor_type, value)  # bare {label: value}
    if tensor_type is not None and len(tensor_type.mapped) == 1:
        return _blocks(tensor_type, value)  # bare {label: [..]}
    raise ExpressionError('A JSON tensor needs "cells", "values" or "blocks"')


def _require(tensor_type: TensorType | None, what: str) -> TensorType:
    if tensor_type is None:
        raise ExpressionError(f"A tensor given as {what} needs a type")
    return tensor_type


_HEX_CELLS = {"double": ">f8", "float": ">f4", "int8": "i1", "bfloat16": ">u2"}


def dense_hex(values: np.ndarray, cell_type: str) -> str:
    """Dense cells as the hex string of the JSON short form (`"values": "3F800000..."`): one
    string instead of a number per cell, so feeding and parsing make no per-cell objects."""
    cells = np.asarray(values, dtype=np.float64).reshape(-1)
    if cell_type == "bfloat16":
        return (cells.astype(np.float32).view(np.uint32) >> 16).astype(">u2").tobytes().hex()
    return cells.astype(_HEX_CELLS[cell_type]).tobytes().hex()


def packed_dense(value: Any, tensor_type: TensorType) -> Any:
    """A fed dense tensor of float or double cells given as a flat list of numbers (bare or as
    `values`), as the hex short form of the same cells (rounded to the cell type, as stored:
    `quantize`): one string instead of a number a cell to encode, send, log and parse. Any
    other value is returned as it is."""
    cells = value.get("values") if isinstance(value, dict) and len(value) == 1 else value
    if tensor_type.cell_type not in ("float", "double") or not tensor_type.rank or tensor_type.mapped \
            or not isinstance(cells, list) or len(cells) != math.prod(tensor_type.dense_shape) \
            or not _PLAIN_NUMBERS.issuperset(map(type, cells)):
        return value
    with np.errstate(over="ignore"):  # past float's range: infinity, as quantize
        return {"values": dense_hex(np.asarray(cells, dtype=np.float64), tensor_type.cell_type)}


def dense_cells(value: Any, tensor_type: TensorType) -> np.ndarray | None:
    """The cells of a dense tensor in the flat forms writes come in (a list of numbers, bare or as
    `values`; a hex string as `values`): flat float64 rounded to the cell type, the cells
    `tensor_from_json` reads, without building a Tensor. None for any other form or a value that
    does not fit (`tensor_from_json` reads it or says why)."""
    cells = value.get("values") if isinstance(value, dict) and len(value) == 1 else value
    if tensor_type.mapped or not tensor_type.rank:
        return None
    if isinstance(cells, str) and cells is not value:
        try:
            array = _hex_cells(tensor_type, cells)
        except ExpressionError:
            return None
    elif isinstance(cells, list) and _PLAIN_NUMBERS.issuperset(map(type, cells)):
        array = np.asarray(cells, dtype=np.float64)
    else:
        return None
    return quantize(array, tensor_type.cell_type) if array.size == math.prod(tensor_type.dense_shape) else None


def _hex_cells(tensor_type: TensorType, values: str) -> np.ndarray:
    width = np.dtype(_HEX_CELLS[tensor_type.cell_type]).itemsize * 2
    try:  # fromhex skips whitespace: then fewer bytes than half the digits come out
        cells = bytes.fromhex(values) if not len(values) % width else b""
    except ValueError:
        cells = b""
    if 2 * len(cells) != len(values):
        raise ExpressionError(f"Dense cells as a string must be hex, {width} digits a cell "
                              f"for {tensor_type.cell_type} cells")
    raw = np.frombuffer(cells, dtype=_HEX_CELLS[tensor_type.cell_type])
    if tensor_type.cell_type == "bfloat16":
        raw = (raw.astype(np.uint32) << 16).view(np.float32)
    return raw.astype(np.float64)


def _dense(tensor_type: TensorType, values: Any) -> Tensor:
    if isinstance(values, str):  # hex string of the cells in the type's cell format
        return Tensor.dense(tensor_type, _hex_cells(tensor_type, values))
    if not isinstance(values, list):
        raise ExpressionError(f'Dense "values" must be a list or a hex string, not {_kind(values)}')
    array = _dense_cells(values)
    if array.size != int(np.prod(tensor_type.dense_shape)):
        raise ExpressionError(f"{array.size} values do not fit {tensor_type}")
    return Tensor.dense(tensor_type, array.reshape(tensor_type.dense_shape))


_PLAIN_NUMBERS = frozenset((int, float))


def _numbers(values: Any) -> Any:
    if isinstance(values, list):
        if _PLAIN_NUMBERS.issuperset(map(type, values)):  # dense cells as fed: no call a cell
            return values
        return [_numbers(v) for v in values]
    if isinstance(values, str):
        try:
            return float(values.replace("Infinity", "inf"))
        except ValueError:
            raise ExpressionError(f"A tensor cell must be a number, not '{values[:40]}'") from None
    if isinstance(values, bool) or not isinstance(values, (int, float)):
        raise ExpressionError(f"A tensor cell must be a number, not {_kind(values)}")
    return float(values)


def _cell(value: Any) -> float:
    """One cell's value: a number (or a number's string), never a list."""
    if isinstance(value, list):
        raise ExpressionError("A tensor cell must be a number, not an array")
    return _numbers(value)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", str: "a string", list: "an array", dict: "an object"}.get(type(value), "a number")


def _address(item: Any, where: str) -> dict:
    if not isinstance(item, dict) or not isinstance(item.get("address"), dict):
        raise ExpressionError(f'Each of "{where}" needs an "address" object')
    for label in item["address"].values():
        if isinstance(label, bool) or not isinstance(label, (str, int)):
            raise ExpressionError(f"A tensor address label must be a string or an integer, not {_kind(label)}")
    return item["address"]


def _cells(tensor_type: TensorType | None, cells: Any) -> Tensor:
    if isinstance(cells, dict):
        tensor_type = _require(tensor_type, "a cells object")
        if len(tensor_type.mapped) != 1 or tensor_type.indexed:
            raise ExpressionError(f'"cells" as an object needs one mapped dimension, not {tensor_type}')
        name = tensor_type.mapped[0].name
        return Tensor.from_cells(tensor_type, [({name: k}, _cell(v)) for k, v in cells.items()])
    if not isinstance(cells, list):
        raise ExpressionError(f'"cells" must be a list or an object, not {_kind(cells)}')
    for c in cells:
        _address(c, "cells")
        if "value" not in c:
            raise ExpressionError('Each of "cells" needs a "value"')
    pairs = [(c["address"], _cell(c["value"])) for c in cells]
    if tensor_type is None:  # infer mapped dimensions from the addresses
        names = sorted({d for address, _ in pairs for d in address})
        tensor_type = TensorType("double", tuple(Dimension(n) for n in names)) if names else DOUBLE
    return Tensor.from_cells(tensor_type, pairs)


def _blocks(tensor_type: TensorType, blocks: Any) -> Tensor:
    mapped = tensor_type.mapped
    if isinstance(blocks, dict):
        if len(mapped) != 1:
            raise ExpressionError(f'"blocks" as an object needs one mapped dimension, not {tensor_type}')
        items = [((label,), values) for label, values in blocks.items()]
    elif isinstance(blocks, list):
        items = []
        for b in blocks:
            address = _address(b, "blocks")
            if set(address) != {d.name for d in mapped} or "values" not in b:
                raise ExpressionError(f"Each of \"blocks\" needs an address of {', '.join(d.name for d in mapped)} "
                                      f"and \"values\", for {tensor_type}")
            items.append((tuple(str(address[d.name]) for d in mapped), b["values"]))
    else:
        raise ExpressionError(f'"blocks" must be a list or an object, not {_kind(blocks)}')
    shape = tensor_type.dense_shape
    size = int(np.prod(shape))
    converted = {}
    for key, values in items:
        block = _dense_cells(values)
        if block.size != size:
            raise ExpressionError(f"A block of {block.size} values does not fit {tensor_type}")
        converted[key] = block.reshape(shape)
    return Tensor(tensor_type, converted)


def _dense_cells(values: Any) -> np.ndarray:
    if not isinstance(values, list):
        raise ExpressionError(f"Dense cells must be a list, not {_kind(values)}")
    try:
        return np.asarray(_numbers(values), dtype=np.float64)
    except ValueError:  # numpy: nested lists of unequal lengths
        raise ExpressionError("Nested lists of dense cells must all have the same length") from None
