"""Tensors in a query result, in the form `presentation.format.tensors` asks for (Vespa's JsonFormat):

- `short` (Vespa 8's default for /search/): `{"type", "values": nested}` for indexed tensors,
  `{"type", "cells": {label: v}}` for one mapped dimension, `{"type", "blocks": {label: nested}}`
  for one mapped dimension with indexed ones, the address lists otherwise;
- `long`: `{"type", "cells": [{"address": {..}, "value": v}, ...]}`;
- `short-value` / `long-value`: the same without the `{"type": ..}` wrapper;
- `hex` / `hex-value`: as short, with the dense cells (of indexed tensors and of each block) as
  one hex string in the cell type's format.
"""
from __future__ import annotations

from typing import Any

from searchlib.tensor.json_format import dense_hex
from searchlib.tensor.tensor import Tensor
from searchlib.tensor.writing import tensor_to_json

DEFAULT_FORM = "short"
TENSOR_FORMS = ("short", "long", "short-value", "long-value", "hex", "hex-value")


def tensor_in_form(t: Tensor, form: str = DEFAULT_FORM) -> Any:
    """`t` rendered as `form` (one of TENSOR_FORMS, checked by the caller)."""
    base = form.removesuffix("-value")
    rendered = tensor_to_json(t, short=base != "long")
    if base == "hex" and t.type.indexed and t.type.rank:
        cell = t.type.cell_type
        if t.type.is_dense:
            rendered["values"] = dense_hex(t.blocks[()], cell)
        elif isinstance(rendered.get("blocks"), dict):
            rendered["blocks"] = {k[0]: dense_hex(b, cell) for k, b in t.blocks.items()}
        elif "blocks" in rendered:
            for block, (_, array) in zip(rendered["blocks"], t.blocks.items()):
                block["values"] = dense_hex(array, cell)
    if not form.endswith("-value"):
        return rendered
    return next(v for k, v in rendered.items() if k != "type")  # the one of values/cells/blocks
