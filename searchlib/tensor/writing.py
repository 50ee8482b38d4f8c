"""Tensors written out: the literal text forms (verbose and short) and Vespa's JSON forms.

Works on anything shaped like a Tensor (type, blocks, cells()), so tensor.py can use it for repr
and rendering without an import circle (literal.py and json_format.py read the same forms back).
"""
from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from searchlib.tensor.types import DOUBLE

_PLAIN_LABEL = re.compile(r"^[A-Za-z0-9_]+$")


def format_number(value: float, cell_type: str = "double") -> str:
    if math.isnan(value):
        return "nan"
    if cell_type in ("float", "bfloat16") and math.isfinite(value):
        text = str(np.float32(value))
        return text if any(c in text for c in ".en") else text + ".0"
    if cell_type == "int8" and math.isfinite(value):
        return repr(float(value))
    return repr(float(value))


def format_label(label: str) -> str:
    return label if _PLAIN_LABEL.match(label) else '"' + label.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_literal(t: Any, short: bool = False) -> str:
    """A Tensor (or a number) as `TYPE:{{x:0}:1.0,...}` (Vespa's verbose form); rank 0 is just the number.

    `short=True` uses `[..]` for dense and `{label:value}`/`{label:[..]}` for one mapped dimension.
    """
    if isinstance(t, (int, float, np.floating)):
        return format_number(float(t))
    cell = t.type.cell_type
    if t.type.rank == 0:
        return format_number(t.as_float())
    if short and t.type.is_dense:
        return f"{t.type}:{_dense_text(t.blocks[()], cell)}"
    if short and len(t.type.mapped) == 1:
        parts = [f"{format_label(k[0])}:" + (_dense_text(b, cell) if t.type.indexed else format_number(float(b), cell))
                 for k, b in t.blocks.items()]
        return f"{t.type}:{{{','.join(parts)}}}"
    cells = []
    for address, value in t.cells():
        inner = ",".join(f"{d}:{format_label(label)}" for d, label in address.items())
        cells.append(f"{{{inner}}}:{format_number(value, cell)}")
    return f"{t.type}:{{{','.join(cells)}}}"


def _dense_text(array: np.ndarray, cell_type: str) -> str:
    if array.ndim == 0:
        return format_number(float(array), cell_type)
    return "[" + ", ".join(_dense_text(a, cell_type) for a in array) + "]"


def _json_number(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def tensor_to_json(t: Any, short: bool = False) -> dict[str, Any]:
    """A Tensor (or a number) in the long form {"type", "cells": [{"address", "value"}]}, or short:
    values / cells object / blocks."""
    if isinstance(t, (int, float, np.floating)):
        return {"type": str(DOUBLE), "cells": [{"address": {}, "value": _json_number(float(t))}]}
    type_text = str(t.type)
    if not short or t.type.rank == 0:
        return {"type": type_text, "cells": [{"address": a, "value": _json_number(v)} for a, v in t.cells()]}
    if t.type.is_dense:
        return {"type": type_text, "values": _nested(t.blocks[()])}
    if not t.type.indexed:
        if len(t.type.mapped) == 1:
            return {"type": type_text, "cells": {k[0]: _json_number(float(b)) for k, b in t.blocks.items()}}
        return {"type": type_text, "cells": [{"address": a, "value": _json_number(v)} for a, v in t.cells()]}
    if len(t.type.mapped) == 1:
        return {"type": type_text, "blocks": {k[0]: _nested(b) for k, b in t.blocks.items()}}
    names = [d.name for d in t.type.mapped]
    return {"type": type_text, "blocks": [{"address": dict(zip(names, k)), "values": _nested(b)}
                                          for k, b in t.blocks.items()]}


def _nested(array: np.ndarray) -> Any:
    if array.ndim == 0:
        return _json_number(float(array))
    return [_nested(a) for a in array]
