"""tensorFromStructs(attribute(f), k1[, ...k5], v, cell type), as Vespa's tensor_from_structs_feature.cpp
computes it: per document, one cell per element of f, its address the element's key fields (an
integer key as its decimal text), its value the element's v; the element count is the shortest of
the struct-field attributes (an element without a key or value is left out). An empty or missing
array gives the empty tensor. The load rules are searchlib/schema/collection_feature_types.py's."""
from __future__ import annotations

from typing import Callable

import numpy as np

from content_node.matching.collection_dot_product import _label, _problem
from content_node.matching.feature_api import Calculator, FeatureName
from searchlib.schema.collection_feature_types import FeatureProblem, element_kind, struct_tensor_source
from searchlib.tensor import Tensor, TensorBatch


def _values(column, candidates: np.ndarray) -> list[list]:
    """Each candidate's values of one struct-field attribute, as a list (a single value: one)."""
    out = []
    for value in column[candidates]:
        if isinstance(value, list):
            out.append(value)
        else:
            out.append([] if value is None or value != value else [value])
    return out


def _present(*values) -> bool:
    """Whether an element holds each of these struct fields: the attributes keep an element's place
    with None (NaN for a number) where it lacks one, and such an element gives no cell."""
    return all(value is not None and value == value for value in values)


def tensor_from_structs(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> TensorBatch:
    try:
        key_specs, value_spec, tensor_type = struct_tensor_source(calc.schema, list(feature.args))
    except FeatureProblem as error:
        raise _problem(error) from None
    dimensions = [spec.name.rsplit(".", 1)[1] for spec in key_specs]
    kinds = [element_kind(spec) for spec in key_specs]
    keys = [_values(calc.index.attribute(spec.name), candidates) for spec in key_specs]
    values = _values(calc.index.attribute(value_spec.name), candidates)
    rows = []
    for row, numbers in enumerate(values):
        columns = [column[row] for column in keys]
        size = min([len(numbers)] + [len(column) for column in columns])
        cells = [({dimension: _label(kind, column[i]) for dimension, kind, column in zip(dimensions, kinds, columns)},
                  float(numbers[i])) for i in range(size) if _present(numbers[i], *(column[i] for column in columns))]
        rows.append(Tensor.from_cells(tensor_type, cells))
    return TensorBatch(tensor_type, rows=rows)


STRUCT_TENSOR_FEATURES: dict[str, Callable[..., object]] = {"tensorFromStructs": tensor_from_structs}
