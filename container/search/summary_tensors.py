"""Tensor summary fields as Tensor values, so the renderer writes them in the form the query asks
for (`presentation.format.tensors`) whatever form they were fed or stored in (a dense attribute
keeps `{"values": [flat]}`, a fed document keeps its own JSON)."""
from __future__ import annotations

import logging
from typing import Mapping

from searchlib.errors import SearchlibError
from searchlib.schema.model import DocumentSummary, Schema
from searchlib.tensor import TensorType, tensor_from_json

log = logging.getLogger("container.search")


def summary_tensor_types(schema: Schema, summary: DocumentSummary | None) -> dict[str, TensorType]:
    """The tensor type of each tensor field of the summary class (its first source's type)."""
    wanted = [(f.name, f.sources or (f.name,)) for f in summary.fields] if summary is not None else \
        [(name, (name,)) for name in schema.fields]
    types = {}
    for name, sources in wanted:
        field = schema.fields.get(sources[0])
        if field is not None and field.type.kind == "tensor" and field.type.tensor_type:
            types[name] = TensorType.parse(field.type.tensor_type)
    return types


def typed_tensors(fields: Mapping[str, object], types: Mapping[str, TensorType]) -> dict:
    if not types or not any(name in fields for name in types):
        return fields if isinstance(fields, dict) else dict(fields)
    typed = dict(fields)
    for name, tensor_type in types.items():
        if name in typed:
            try:
                typed[name] = tensor_from_json(typed[name], tensor_type)
            except (SearchlibError, ValueError, TypeError, KeyError) as error:  # stays as stored
                log.warning("summary field %s: not a %s: %s", name, tensor_type, error)
    return typed
