"""The input names of an ONNX model, read from the file's protobuf without onnxruntime (the
container's query checks need them for models declared without `input` lines, which then take
their inputs from the profile's functions named like them, as on the content node)."""
from __future__ import annotations

import mmap
from functools import lru_cache
from pathlib import Path
from typing import Iterator

_GRAPH, _INPUT, _INITIALIZER = 7, 11, 5  # ModelProto.graph, GraphProto.input / .initializer
_NAME = {_INPUT: 1, _INITIALIZER: 8}  # ValueInfoProto.name, TensorProto.name


@lru_cache(maxsize=64)
def onnx_input_names(path: str | Path) -> tuple[str, ...]:
    """The graph's inputs that are no initializers (weights), in file order; () when unreadable."""
    try:
        with open(path, "rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            view = memoryview(data)
            try:
                return _input_names(view)
            finally:
                view.release()
    except (OSError, ValueError, IndexError):
        return ()


def _input_names(data: memoryview) -> tuple[str, ...]:
    names: dict[int, list[str]] = {_INPUT: [], _INITIALIZER: []}
    for number, start, end in _fields(data, 0, len(data)):
        if number != _GRAPH:
            continue
        for inner, item_start, item_end in _fields(data, start, end):
            if inner in names:
                names[inner] += [bytes(data[s:e]).decode("utf-8") for n, s, e in _fields(data, item_start, item_end)
                                 if n == _NAME[inner]]
    weights = set(names[_INITIALIZER])
    return tuple(name for name in names[_INPUT] if name not in weights)


def _fields(data: memoryview, pos: int, end: int) -> Iterator[tuple[int, int, int]]:
    """The length-delimited fields of one message: (number, start, end); other wire types skipped."""
    while pos < end:
        key, pos = _varint(data, pos)
        wire = key & 7
        if wire == 0:
            _, pos = _varint(data, pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > end:
                raise ValueError("truncated protobuf field")
            yield key >> 3, pos, pos + length
            pos += length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")


def _varint(data: memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
