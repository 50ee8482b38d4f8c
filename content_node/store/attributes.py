"""Attribute columns: one value per local id, for ranking, filtering, sorting and mutate.

- single-value numeric (int, long, byte, float, double) → float64, NaN when unset;
- bool → float64 0/1 (Vespa's default is false);
- string → object array of shared str instances (None when unset);
- array, weightedset, tensor → object array of the raw fed value (None when unset).

Mutable attributes (`attribute: mutable`, outside the document) start at 0 so `+=` works; they
are changed only by `mutate` and survive re-feeding of their document.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from content_node.store.arrays import ensure_capacity, read_only
from searchlib.errors import DocumentError
from searchlib.schema.model import Field, Schema

_NUMERIC = ("int", "long", "byte", "float", "double", "bool")
_MUTATE_OPERATORS = ("=", "+=", "-=")


class AttributeColumn:
    def __init__(self, field: Field) -> None:
        self.name = field.name
        self.mutable = "mutable" in field.attribute_properties
        kind = field.type.kind
        self.numeric = kind in _NUMERIC
        if self.numeric:
            self.unset: Any = 0.0 if (kind == "bool" or self.mutable) else np.nan
            self._values = np.zeros(0, dtype=np.float64)
        else:
            self.unset = None
            self._values = np.empty(0, dtype=object)
        self._shared_strings: dict[str, str] = {}  # one str object per distinct value

    def set(self, local_id: int, value: Any) -> None:
        self._values = ensure_capacity(self._values, local_id + 1, self.unset)
        if value is None:
            self._values[local_id] = self.unset
        elif self.numeric:
            self._values[local_id] = float(value)
        elif isinstance(value, str):
            self._values[local_id] = self._shared_strings.setdefault(value, value)
        else:
            self._values[local_id] = value

    def get(self, local_id: int) -> Any:
        return self._values[local_id] if local_id < len(self._values) else self.unset

    def values(self, limit: int) -> np.ndarray:
        self._values = ensure_capacity(self._values, limit, self.unset)
        return read_only(self._values[:limit])

    def mutate(self, local_ids: np.ndarray, operator: str, operand: float) -> None:
        self._values = ensure_capacity(self._values, int(local_ids.max(initial=-1)) + 1,
                                       self.unset)
        if operator == "=":
            self._values[local_ids] = operand
        elif operator == "+=":
            self._values[local_ids] += operand
        else:
            self._values[local_ids] -= operand

    @property
    def nbytes(self) -> int:
        return self._values.nbytes


class AttributeStore:
    """Every attribute column of a schema. Guarded by the DocumentDB lock."""

    def __init__(self, schema: Schema) -> None:
        self.columns: dict[str, AttributeColumn] = {
            f.name: AttributeColumn(f) for f in schema.fields.values() if f.is_attribute}

    def index_document(self, local_id: int, fields: Mapping[str, Any]) -> None:
        for name, column in self.columns.items():
            if not column.mutable:
                column.set(local_id, fields.get(name))

    def assign(self, local_id: int, fields: Mapping[str, Any], names: set[str]) -> None:
        """In-place update of some attribute-only fields of a document."""
        for name in names:
            self.columns[name].set(local_id, fields.get(name))

    def clear(self, local_id: int) -> None:
        for column in self.columns.values():
            column.set(local_id, None)

    def mutable_values(self, local_id: int) -> dict[str, float]:
        """Mutable attribute values that differ from their start value (for snapshots/carry-over)."""
        return {name: float(column.get(local_id)) for name, column in self.columns.items()
                if column.mutable and column.get(local_id) != column.unset}

    def restore_mutable(self, local_id: int, values: Mapping[str, float]) -> None:
        for name, value in values.items():
            column = self.columns.get(name)
            if column is not None and column.mutable:
                column.set(local_id, value)

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
