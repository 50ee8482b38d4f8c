"""Attribute columns: one value per local id, for ranking, filtering, sorting and mutate.

- single-value int, long, byte → int64 (exact beyond 2^53, as Vespa stores them), `UNSET_INTEGER`
  (INT64_MIN, Vespa's undefined long) when unset;
- single-value float, double → float64, NaN when unset;
- bool → float64 0/1 (Vespa's default is false);
- string → object array of shared str instances (None when unset);
- dense tensor → a cell matrix (see tensor_column.py);
- array, weightedset, mapped/mixed tensor → object array of the raw fed value (None when unset).

Mutable attributes (`attribute: mutable`, outside the document) start at their indexing constant
(`7 | to_long | attribute`, default 0) so `+=` works; they are changed only by `mutate` and
survive re-feeding of their document.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import numpy as np

from content_node.store.arrays import ensure_capacity, read_only
from content_node.store.mutable_attributes import initial_value
from content_node.store.position_column import PositionColumn, PositionPoints
from content_node.store.predicate_column import PredicateColumn, PredicateValues
from content_node.store.tensor_column import DenseTensorColumn, DenseTensorRows, is_dense_tensor
from searchlib.errors import DocumentError
from searchlib.numbers import UNSET_INTEGER, number_value
from searchlib.schema.geo_fields import is_position
from searchlib.schema.model import Field, Schema
from searchlib.struct_values import field_value

_NUMERIC = ("int", "long", "byte", "float", "float16", "double", "bool")
_INTEGER = ("int", "long", "byte")
_MUTATE_OPERATORS = ("=", "+=", "-=")
_IMAGE_KEYS = ("values", "text", "text_ends", "present", "arena", "starts", "lengths", "garbage")  # a column's arrays


class AttributeColumn:
    def __init__(self, field: Field) -> None:
        self.name = field.name
        self.mutable = "mutable" in field.attribute_properties
        kind = field.type.kind
        self.numeric = kind in _NUMERIC
        self.integer = kind in _INTEGER
        if self.integer:
            self.unset: Any = int(initial_value(field)) if self.mutable else UNSET_INTEGER
            self._values = np.zeros(0, dtype=np.int64)
        elif self.numeric:
            self.unset = initial_value(field) if self.mutable else 0.0 if kind == "bool" else np.nan
            self._values = np.zeros(0, dtype=np.float64)
        else:
            self.unset = None
            self._values = np.empty(0, dtype=object)
        self._shared_strings: dict[str, str] = {}  # one str object per distinct value

    def set(self, local_id: int, value: Any) -> None:
        self._values = ensure_capacity(self._values, local_id + 1, self.unset)
        if value is None:
            self._values[local_id] = self.unset
        elif self.integer:
            self._values[local_id] = int(value)  # validated at feed: a 64-bit integer
        elif self.numeric:
            self._values[local_id] = float(value)
        elif isinstance(value, str):
            self._values[local_id] = self._shared_strings.setdefault(value, value)
        else:
            self._values[local_id] = value

    def get(self, local_id: int) -> Any:
        value = self._values[local_id] if local_id < len(self._values) else self.unset
        return number_value(value) if self.integer else value

    def values(self, limit: int) -> np.ndarray:
        self._values = ensure_capacity(self._values, limit, self.unset)
        return read_only(self._values[:limit])

    def mutate(self, local_ids: np.ndarray, operator: str, operand: float) -> None:
        self._values = ensure_capacity(self._values, int(local_ids.max(initial=-1)) + 1,
                                       self.unset)
        if self.integer:  # an unset value stays unset; integers stay exact
            local_ids = local_ids[self._values[local_ids] != UNSET_INTEGER] if operator != "=" else local_ids
            operand = int(operand)
        if operator == "=":
            self._values[local_ids] = operand
        elif operator == "+=":
            self._values[local_ids] += operand
        else:
            self._values[local_ids] -= operand

    def replace_all(self, limit: int, local_ids: np.ndarray, values: np.ndarray) -> None:
        """Every row below `limit` back to the start value, then `values` at `local_ids`."""
        self._values = ensure_capacity(self._values, limit, self.unset)
        self._values[:limit] = self.unset
        self._values[local_ids] = values

    @property
    def nbytes(self) -> int:
        return self._values.nbytes

    def export_image(self, limit: int) -> dict[str, np.ndarray]:
        """Copies of the values below `limit`; strings as UTF-8 text and offsets. Other raw values
        (arrays, weighted sets, mapped tensors) raise ImageUnsupported: those schemas re-index."""
        values = self.values(limit)
        if values.dtype != object:
            return {"values": values.copy()}
        if not all(value is None or isinstance(value, str) for value in values.tolist()):
            raise ImageUnsupported(f"attribute {self.name} holds values other than strings")
        present = np.fromiter((value is not None for value in values.tolist()), dtype=np.bool_, count=limit)
        texts = [value or "" for value in values.tolist()]
        return {"text": np.frombuffer("".join(texts).encode("utf-8"), dtype=np.uint8),
                "text_ends": np.cumsum([len(text) for text in texts], dtype=np.int64), "present": present}

    def load_image(self, arrays: dict[str, np.ndarray], limit: int) -> None:
        if "values" in arrays:
            values = arrays["values"]
            if values.dtype != self._values.dtype or len(values) != limit:
                raise ValueError(f"attribute {self.name} does not match its schema type or the documents")
            self._values = values.copy()
            return
        if self._values.dtype != object or len(arrays["present"]) != limit or len(arrays["text_ends"]) != limit:
            raise ValueError(f"attribute {self.name} does not match its schema type or the documents")
        text, ends = arrays["text"].tobytes().decode("utf-8"), arrays["text_ends"].tolist()
        self._values = np.empty(limit, dtype=object)
        for local_id in np.flatnonzero(arrays["present"]).tolist():
            self.set(local_id, text[ends[local_id - 1] if local_id else 0: ends[local_id]])


class ImageUnsupported(Exception):
    """A structure an index image cannot hold (store/index_image.py): the schema re-indexes."""


def _plain(value: Any) -> int | float:
    return value if isinstance(value, int) else float(value)


def _column(field: Field) -> AttributeColumn | DenseTensorColumn | PositionColumn | PredicateColumn:
    if is_dense_tensor(field):
        return DenseTensorColumn(field)
    if field.type.kind == "predicate":
        return PredicateColumn(field)
    return PositionColumn(field) if is_position(field) else AttributeColumn(field)


class AttributeStore:
    """Every attribute column of a schema. Guarded by the DocumentDB lock."""

    def __init__(self, schema: Schema) -> None:
        self.columns: dict[str, AttributeColumn | DenseTensorColumn | PositionColumn | PredicateColumn] = {
            f.name: _column(f) for f in schema.fields.values() if f.is_attribute}
        self._fields = {name: schema.fields[name] for name in self.columns}

    def index_document(self, local_id: int, fields: Mapping[str, Any]) -> None:
        for name, column in self.columns.items():
            if not column.mutable:
                column.set(local_id, field_value(fields, self._fields[name]))

    def assign(self, local_id: int, fields: Mapping[str, Any], names: set[str]) -> None:
        """In-place update of some attribute-only fields of a document (and of the struct-fields
        of those: `persons` changed changes `persons.name`)."""
        for name, field in self._fields.items():
            if name in names or field.parent in names:
                self.columns[name].set(local_id, field_value(fields, field))

    def clear(self, local_id: int) -> None:
        for column in self.columns.values():
            column.set(local_id, None)

    def mutable_values(self, local_id: int) -> dict[str, int | float]:
        """Mutable attribute values that differ from their start value (for snapshots/carry-over)."""
        return {name: _plain(column.get(local_id)) for name, column in self.columns.items()
                if column.mutable and column.get(local_id) != column.unset}

    def restore_mutable(self, local_id: int, values: Mapping[str, float]) -> None:
        for name, value in values.items():
            column = self.columns.get(name)
            if column is not None and column.mutable:
                column.set(local_id, value)

    def frozen_values(self, names: Iterable[str], limit: int) -> dict[str, Callable[[int], Any]]:
        """Readers of the values of `names` as they are now, unaffected by later writes (dense
        tensors in the hex short form: these feed snapshots)."""
        readers: dict[str, Callable[[int], Any]] = {}
        for name in names:
            values = self.columns[name].values(limit)
            if isinstance(values, DenseTensorRows):
                readers[name] = self.frozen_rows(name, limit).hex_json
            elif isinstance(values, (PositionPoints, PredicateValues)):  # synthetic position/predicate fields
                readers[name] = [self.columns[name].get(i) for i in range(limit)].__getitem__
            elif values.dtype.kind == "i":  # np.int64 is no JSON number
                readers[name] = lambda local_id, copy=values.copy(): number_value(copy[local_id])
            else:
                readers[name] = values.copy().__getitem__
        return readers

    def frozen_rows(self, name: str, limit: int) -> DenseTensorRows:
        """A dense tensor column's rows as they are now (the arena is append-only: copying the
        row offsets is enough)."""
        values = self.columns[name].values(limit)
        return DenseTensorRows(values.type, values.arena, values.starts.copy(), values.lengths.copy())

    @property
    def mutable_names(self) -> list[str]:
        return [name for name, column in self.columns.items() if column.mutable]

    def mutable_rows(self, local_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(the local ids with any mutable value off its initial value, their values as rows)."""
        columns = [self.columns[name] for name in self.mutable_names]
        limit = int(local_ids.max(initial=-1)) + 1
        changed = np.zeros(len(local_ids), dtype=bool)
        for column in columns:
            changed |= column.values(limit)[local_ids] != column.unset
        kept = local_ids[changed]
        matrix = np.empty((len(kept), len(columns)), dtype=object)  # exact ints beside floats
        for j, column in enumerate(columns):
            matrix[:, j] = column.values(limit)[kept].tolist()
        return kept, matrix

    def replace_mutable(self, limit: int, names: list[str], local_ids: np.ndarray,
                        rows: np.ndarray) -> None:
        """All mutable values from a flush: `rows[i, j]` is `names[j]` of `local_ids[i]`."""
        for name in self.mutable_names:
            j = names.index(name) if name in names else -1
            values = rows[:, j] if j >= 0 and len(rows) else self.columns[name].unset
            self.columns[name].replace_all(limit, local_ids, values)

    def mutate(self, name: str, local_ids: np.ndarray, operator: str, operand: float) -> None:
        column = self.columns.get(name)
        if column is None or not column.numeric:
            raise DocumentError(f"Cannot mutate '{name}': not a numeric attribute")
        if operator not in _MUTATE_OPERATORS:
            raise DocumentError(f"Unknown mutate operator '{operator}' for attribute '{name}'")
        column.mutate(np.asarray(local_ids, dtype=np.int64), operator, operand)

    @property
    def nbytes(self) -> int:
        return sum(column.nbytes for column in self.columns.values())

    def export_image(self, limit: int) -> dict[str, np.ndarray]:
        arrays: dict[str, np.ndarray] = {}
        for name, column in self.columns.items():
            if not isinstance(column, (AttributeColumn, DenseTensorColumn)):
                raise ImageUnsupported(f"attribute {name} is a {type(column).__name__}")
            arrays.update({f"{name}.{key}": array for key, array in column.export_image(limit).items()})
        return arrays

    def load_image(self, arrays: dict[str, np.ndarray], limit: int) -> None:
        for name, column in self.columns.items():
            column.load_image({key: arrays[f"{name}.{key}"] for key in _IMAGE_KEYS if f"{name}.{key}" in arrays}, limit)
