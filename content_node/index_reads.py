"""The reads of a DocumentDB's inverted indexes (postings and the statistics BM25 and friends are
computed from at query time), kept apart from the database's write and lifecycle code."""
from __future__ import annotations

import numpy as np

from content_node.store.inverted_index import FieldIndex
from content_node.store.posting_segment import Postings


class IndexReads:
    """Mixed into DocumentDB, whose `_lock`, `_indexes` (field → FieldIndex), `_local_ids` and
    `schema` it reads."""

    @property
    def index_fields(self) -> tuple[str, ...]:
        return tuple(self._indexes)  # type: ignore[attr-defined]

    def postings(self, field: str, term: str) -> Postings:
        with self._lock:  # type: ignore[attr-defined]
            return self._index(field).postings(term)

    def document_frequency(self, field: str, term: str) -> int:
        """Number of alive documents whose `field` contains `term`."""
        with self._lock:  # type: ignore[attr-defined]
            return self._index(field).document_frequency(term)

    def field_lengths(self, field: str) -> np.ndarray:
        with self._lock:  # type: ignore[attr-defined]
            return self._index(field).field_lengths(self._local_ids.limit)  # type: ignore[attr-defined]

    def average_field_length(self, field: str, per_element: bool = False) -> float:
        """Mean token count over alive documents that have the field (or over their elements)."""
        with self._lock:  # type: ignore[attr-defined]
            index = self._index(field)
            return index.average_element_length() if per_element else index.average_length()

    def documents_with_field(self, field: str) -> int:
        with self._lock:  # type: ignore[attr-defined]
            return self._index(field).documents_with_field

    def terms(self, field: str) -> list[str]:
        with self._lock:  # type: ignore[attr-defined]
            return list(self._index(field).terms())

    def _index(self, field: str) -> FieldIndex:
        index = self._indexes.get(field)  # type: ignore[attr-defined]
        if index is None:
            raise KeyError(f"field '{field}' has no inverted index in schema '{self.schema.name}'")  # type: ignore[attr-defined]
        return index
