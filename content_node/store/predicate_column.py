"""The attribute of a `predicate` field: per local id the number of its predicate in a table of
distinct parsed predicates (-1 when unset). Documents that share a predicate text share one
entry, so a query evaluates each distinct predicate once and spreads the results with numpy."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from content_node.store.arrays import ensure_capacity
from searchlib.predicate import Predicate, parse_predicate
from searchlib.schema.model import Field


@dataclass(frozen=True, slots=True)
class PredicateValues:
    ids: np.ndarray  # int32 per local id: index into `predicates`, -1 when unset
    predicates: tuple[Predicate, ...]


class PredicateColumn:
    mutable = False
    numeric = False
    unset = None

    def __init__(self, field: Field) -> None:
        self.name = field.name
        self._ids = np.zeros(0, dtype=np.int32)
        self._texts: list[str] = []
        self._parsed: list[Predicate] = []
        self._number: dict[str, int] = {}

    def set(self, local_id: int, value: Any) -> None:
        self._ids = ensure_capacity(self._ids, local_id + 1, -1)
        if value is None:
            self._ids[local_id] = -1
            return
        number = self._number.get(value)
        if number is None:  # texts stay in the table: replaced predicates are few and small
            number = self._number[value] = len(self._texts)
            self._texts.append(value)
            self._parsed.append(parse_predicate(value))
        self._ids[local_id] = number

    def get(self, local_id: int) -> Any:
        number = int(self._ids[local_id]) if local_id < len(self._ids) else -1
        return None if number < 0 else self._texts[number]

    def values(self, limit: int) -> PredicateValues:
        self._ids = ensure_capacity(self._ids, limit, -1)
        return PredicateValues(self._ids[:limit].copy(), tuple(self._parsed))

    @property
    def nbytes(self) -> int:
        return self._ids.nbytes + sum(len(text) for text in self._texts)
