"""The reads of a DocumentDB's inverted indexes (postings and the statistics BM25 and friends are
computed from at query time), kept apart from the database's write and lifecycle code."""
from __future__ import annotations

import numpy as np

from content_node.matching.attribute_terms import attribute_term_matches
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
        """Number of alive documents whose `field` contains `term`. For an attribute field (in a
        fieldset with index fields) Vespa's hit estimate of its blueprint, which the item's OR over
        its fields adds up: with `fast-search` the size of the term's posting list (the documents
        holding a matching value), without it every document (a scan, not estimated)."""
        with self._lock:  # type: ignore[attr-defined]
            index = self._indexes.get(field)  # type: ignore[attr-defined]
            if index is not None:
                return index.document_frequency(term)
        spec = self.schema.fields.get(field)  # type: ignore[attr-defined]
        if spec is None or not spec.is_attribute:
            return self._index(field).document_frequency(term)  # raises: no index, no attribute
        if "fast-search" not in spec.attribute_properties:
            return self.doc_count  # type: ignore[attr-defined]
        matches = attribute_term_matches(spec, self.attribute(field), term)  # type: ignore[attr-defined]
        return int(np.count_nonzero(self.alive[matches]))  # type: ignore[attr-defined]

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
