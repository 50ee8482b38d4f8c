"""Rank features over array and weighted-set attributes (load rules: searchlib/schema/collection_feature_types.py):

- `dotProduct(f, vector)` (Vespa's dotproductfeature.cpp): over a weighted set, the sum of
  weight × query component over the keys present in both; over an array of numbers, the dot product
  of the elements with the query vector by position (absent positions are 0). The query vector is
  the rank property `dotProduct.<vector>` (`rankproperty.dotProduct.v={a:1,b:2}`, or an array
  `[1 2 3]` / sparse `{0:1,3:2}`), else the query input `query(<vector>)` - a mapped tensor
  (`{a:1,b:2}`) or a dense vector (`[1,2,3]`). No vector: 0.
- `tensorFromWeightedSet(attribute(f)[, dim])`: `tensor(dim{})` with one cell per key holding its weight.
- `tensorFromLabels(attribute(f)[, dim])`: `tensor(dim{})` with one cell of 1.0 per value.
- Either from `query(p)`: one tensor for all documents from the rank property p (`{a:1,b:2}`;
  labels `[a b]`).

Values are kept as fed (one object per document), so each feature flattens the candidates' values
once into numpy arrays (keys, weights, owner row) and computes over them; keys are read once per
distinct key (an uncased string set folds them, as its dictionary does)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import chain

import numpy as np

from content_node.matching.attribute_terms import is_cased, string_fold
from content_node.matching.feature_api import Calculator, FeatureName
from searchlib.errors import InvalidParameterError
from searchlib.schema.collection_feature_types import (FeatureProblem, INTEGER_KINDS, dot_product_field,
                                                       element_kind, tensor_source)
from searchlib.tensor import Tensor, TensorBatch, TensorType

_ITEM = re.compile(r"\s*,\s*|\s+")


@dataclass(frozen=True, slots=True)
class Flat:
    """The candidates' elements in row order: each element's row, key (as text) and weight (or value)."""

    rows: np.ndarray
    keys: np.ndarray  # object array of str
    weights: np.ndarray
    positions: np.ndarray  # each element's index within its document


def flatten(spec, raw_values: np.ndarray) -> Flat:
    """One pass over the candidates' values: weighted sets give (key, weight), arrays (value as
    key, 1.0), single values one element."""
    if spec.type.kind == "weightedset":
        values = [v if isinstance(v, dict) else {} for v in raw_values]
        keys = list(chain.from_iterable(values))
        weights = np.fromiter(chain.from_iterable(v.values() for v in values), dtype=np.float64, count=len(keys))
    else:
        values = [v if isinstance(v, list) else [] if v is None or (isinstance(v, float) and v != v) else [v]
                  for v in raw_values]
        keys = list(chain.from_iterable(values))
        weights = np.ones(len(keys))
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    rows = np.repeat(np.arange(len(values)), lengths)
    starts = np.cumsum(lengths) - lengths
    positions = np.arange(len(keys)) - np.repeat(starts, lengths)
    return Flat(rows, np.array(keys, dtype=object), weights, positions)


def _label(kind: str, key: object) -> str:
    """A key as the text label Vespa gives it (an integer key in its decimal form)."""
    if kind in INTEGER_KINDS and not isinstance(key, str):
        return str(int(key))
    if kind in INTEGER_KINDS:
        try:
            return str(int(key))
        except ValueError:
            return key
    return key if isinstance(key, str) else str(key)


def _problem(error: FeatureProblem) -> InvalidParameterError:
    return InvalidParameterError(str(error))


def dot_product(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> np.ndarray:
    try:
        spec = dot_product_field(calc.schema, "dotProduct", list(feature.args))
    except FeatureProblem as error:
        raise _problem(error) from None
    flat = flatten(spec, calc.index.attribute(spec.name)[candidates])
    result = np.zeros(len(candidates), dtype=np.float64)
    if not len(flat.keys):
        return result
    if spec.type.kind == "weightedset":
        vector = calc.memo(("dotProduct vector", spec.name, feature.args[1]),
                           lambda: _sparse_vector(calc, spec, feature.args[1]))
        if not vector:
            return result
        distinct, inverse = np.unique(flat.keys.astype(str), return_inverse=True)
        kind, fold = element_kind(spec), string_fold(spec)
        folded = (lambda key: fold(key)) if kind == "string" and not is_cased(spec) else (lambda key: _label(kind, key))
        components = np.array([vector.get(folded(key), 0.0) for key in distinct], dtype=np.float64)
        return np.bincount(flat.rows, weights=flat.weights * components[inverse.reshape(-1)], minlength=len(candidates))
    vector = calc.memo(("dotProduct array", spec.name, feature.args[1]), lambda: _dense_vector(calc, feature.args[1]))
    inside = flat.positions < len(vector)
    values = np.asarray(flat.keys[inside], dtype=np.float64)
    return np.bincount(flat.rows[inside], weights=values * vector[flat.positions[inside]], minlength=len(candidates))


def _vector_text_or_value(calc: Calculator, name: str) -> object:
    """The rank property dotProduct.<name>, else the query input query(<name>), else None."""
    bare = name[len("query("):-1] if name.startswith("query(") and name.endswith(")") else name
    text = calc.rank_properties.get(f"dotProduct.{bare}")
    if text is not None and text.strip():
        return text
    return calc.query_features.get(f"query({bare})")


def _sparse_vector(calc: Calculator, spec, name: str) -> dict[str, float]:
    """{key: component}: keys folded as the set's keys are (uncased strings), integers canonical."""
    given = _vector_text_or_value(calc, name)
    kind = element_kind(spec)
    fold = string_fold(spec) if kind == "string" else (lambda key: _label(kind, key))
    if isinstance(given, Tensor):
        if len(given.type.dimension_names) != 1:
            raise InvalidParameterError(f"dotProduct: query({name}) must have one dimension, not {given.type}")
        return {fold(str(label)): float(value) for address, value in given.cells()
                for label in address.values()}
    if not isinstance(given, str):
        return {}
    vector: dict[str, float] = {}
    for key, value in _pairs(given, f"dotProduct: the vector {name}"):
        vector[fold(key)] = vector.get(fold(key), 0.0) + value
    return vector


def _dense_vector(calc: Calculator, name: str) -> np.ndarray:
    """The query vector by position: `[1 2 3]`, sparse `{0:1,3:2}`, or a one-dimension tensor input."""
    given = _vector_text_or_value(calc, name)
    if isinstance(given, Tensor):
        if given.type.is_dense and len(given.type.dense_shape) == 1:
            return given.dense_values.astype(np.float64)
        if len(given.type.dimension_names) != 1:
            raise InvalidParameterError(f"dotProduct: query({name}) must have one dimension, not {given.type}")
        return _by_index([(str(label), value) for address, value in given.cells() for label in address.values()],
                         name)
    if not isinstance(given, str):
        return np.zeros(0)
    text = given.strip()
    if text.startswith("["):
        items = [item for item in _ITEM.split(text.strip("[]").strip()) if item]
        try:
            return np.array([float(item) for item in items], dtype=np.float64)
        except ValueError:
            raise InvalidParameterError(f"dotProduct: '{text[:60]}' is not a list of numbers") from None
    return _by_index(_pairs(text, f"dotProduct: the vector {name}"), name)


def _by_index(pairs: list[tuple[str, float]], name: str) -> np.ndarray:
    try:
        indexed = [(int(key), value) for key, value in pairs]
    except ValueError:
        raise InvalidParameterError(f"dotProduct: the vector {name} of an array needs integer indexes") from None
    if any(index < 0 for index, _ in indexed):
        raise InvalidParameterError(f"dotProduct: the vector {name} has a negative index")
    vector = np.zeros(max((index for index, _ in indexed), default=-1) + 1)
    for index, value in indexed:
        vector[index] = value
    return vector


def _pairs(text: str, what: str) -> list[tuple[str, float]]:
    """`{a:1,b:2}` or `(a:1,b:2)` (Vespa's weighted-set form; the key ends at the last ':')."""
    body = text.strip()
    if len(body) < 2 or (body[0], body[-1]) not in (("{", "}"), ("(", ")")):
        raise InvalidParameterError(f"{what} must be written {{key:value,...}}, not '{body[:60]}'")
    pairs = []
    for item in body[1:-1].split(","):
        if not item.strip():
            continue
        key, colon, value = item.rpartition(":")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not colon or number is None:
            raise InvalidParameterError(f"'{item.strip()[:60]}' in {what} is not key:number")
        pairs.append((key.strip().strip("\"'"), number))
    return pairs


def _tensor_rows(calc: Calculator, feature: FeatureName, candidates: np.ndarray) -> TensorBatch | Tensor:
    try:
        spec, source, dimension = tensor_source(calc.schema, feature.base, list(feature.args))
    except FeatureProblem as error:
        raise _problem(error) from None
    tensor_type = TensorType.parse(f"tensor({dimension}{{}})")
    if spec is None:  # one tensor for every document, from the rank property named by query(p)
        return _query_tensor(calc.rank_properties.get(source, ""), feature.base, source, tensor_type)
    flat = flatten(spec, calc.index.attribute(spec.name)[candidates])
    kind = element_kind(spec)
    distinct, inverse = np.unique(flat.keys.astype(str), return_inverse=True) if len(flat.keys) \
        else (np.zeros(0, dtype=object), np.zeros(0, dtype=np.int64))
    labels = [(_label(kind, key),) for key in distinct]
    inverse = inverse.reshape(-1)
    bounds = np.searchsorted(flat.rows, np.arange(len(candidates) + 1))
    rows = []
    for row in range(len(candidates)):
        start, end = bounds[row], bounds[row + 1]
        cells = dict(zip((labels[i] for i in inverse[start:end]), flat.weights[start:end]))
        rows.append(Tensor.stacked(tensor_type, list(cells), np.fromiter(cells.values(), np.float64, len(cells))))
    return TensorBatch(tensor_type, rows=rows)


def _query_tensor(text: str, feature: str, source: str, tensor_type: TensorType) -> Tensor:
    """tensorFromWeightedSet: `{a:1,b:2}` (integer weights, as Vespa's WeightedSetParser reads
    them); tensorFromLabels: `[a b]` or `[a,b]`, each label 1."""
    if not text.strip():
        return Tensor.from_cells(tensor_type, [])
    dimension = tensor_type.dimension_names[0]
    if feature == "tensorFromLabels":
        body = text.strip()
        if len(body) < 2 or body[0] != "[" or body[-1] != "]":
            raise InvalidParameterError(f"{feature}(query({source})): the labels must be written [a b ...], "
                                        f"not '{body[:60]}'")
        return Tensor.from_cells(tensor_type, [({dimension: label}, 1.0)
                                               for label in _ITEM.split(body[1:-1].strip()) if label])
    cells: dict[str, float] = {}
    for key, value in _pairs(text, f"{feature}(query({source}))"):
        cells[key] = float(int(value))
    return Tensor.from_cells(tensor_type, [({dimension: key}, value) for key, value in cells.items()])


COLLECTION_FEATURES = {"dotProduct": dot_product, "tensorFromWeightedSet": _tensor_rows,
                       "tensorFromLabels": _tensor_rows}
