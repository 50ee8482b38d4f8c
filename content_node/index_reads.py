"""The reads of a DocumentDB's inverted indexes (postings and the statistics BM25 and friends are
computed from at query time), kept apart from the database's write and lifecycle code."""
from __future__ import annotations

import numpy as np

from content_node.matching.attribute_terms import (
    attribute_term_matches, element_kind, string_document_counts, string_fold)
from content_node.store.element_layout import Layout
from content_node.store.inverted_index import FieldIndex
from content_node.store.posting_segment import EMPTY_POSTINGS, Postings
from searchlib.query import tree as q


class IndexReads:
    """Mixed into DocumentDB, whose `_lock`, `_indexes` (field → FieldIndex), `_local_ids`,
    `_last_sequence` and `schema` it reads; it keeps `_string_counts` (field → (last sequence,
    local ids, counts)) on it."""

    @property
    def index_fields(self) -> tuple[str, ...]:
        return tuple(self._indexes)  # type: ignore[attr-defined]

    def postings(self, field: str, term: str) -> Postings:
        word = q.word_in_field(term, field)
        with self._lock:  # type: ignore[attr-defined]
            index = self._index(field)
            return EMPTY_POSTINGS if word is None else index.postings(word)

    def document_frequency(self, field: str, term: str) -> int:
        """Number of alive documents whose `field` contains `term`. For an attribute field (in a
        fieldset with index fields) Vespa's hit estimate of its blueprint, which the item's OR over
        its fields adds up: with `fast-search` the size of the term's posting list (the documents
        holding a matching value), without it every document (a scan, not estimated). A word
        meant for another field (searchlib.query.tree.field_word) is in none."""
        term = q.word_in_field(term, field)
        if term is None:
            return 0
        with self._lock:  # type: ignore[attr-defined]
            index = self._indexes.get(field)  # type: ignore[attr-defined]
            if index is not None:
                return index.document_frequency(term)
        spec = self.schema.fields.get(field)  # type: ignore[attr-defined]
        if spec is None or not spec.is_attribute:
            return self._index(field).document_frequency(term)  # raises: no index, no attribute
        if "fast-search" not in spec.attribute_properties:
            return self.doc_count  # type: ignore[attr-defined]
        if element_kind(spec) == "string":  # a lookup per word in counts made once per write
            return self._string_document_counts(field, spec).get(string_fold(spec)(term), 0)
        with self._lock:  # type: ignore[attr-defined]
            matches = attribute_term_matches(spec, self.attribute(field), term)  # type: ignore[attr-defined]
            return int(np.count_nonzero(self.alive[matches]))  # type: ignore[attr-defined]

    def _string_document_counts(self, field: str, spec) -> dict[str, int]:
        """Alive documents per value of a string attribute, kept until the next write (every write
        moves the last sequence number under the lock; a recovery starts new local ids): the same
        counts as matching each word against the column, without a pass over it per word and
        query. The pass runs outside the lock (writes and other queries go on) over the column
        and alive marks as they were; it is kept, and answers, only if no write came meanwhile (a
        write changes the arrays in place: the pass may have seen half of it); else it is made
        again under the lock (rare: a query holds `read_view`, which writes wait for)."""
        kept_by_field = self.__dict__.setdefault("_string_counts", {})
        with self._lock:  # type: ignore[attr-defined]
            generation = self._string_generation()
            kept = kept_by_field.get(field)
            if kept is not None and kept[0] == generation[0] and kept[1] is generation[1]:
                return kept[2]
            column, alive = self.attribute(field), self.alive  # type: ignore[attr-defined]
        counts = string_document_counts(spec, column, alive)
        with self._lock:  # type: ignore[attr-defined]
            now = self._string_generation()
            if now[0] != generation[0] or now[1] is not generation[1]:
                counts = string_document_counts(spec, self.attribute(field), self.alive)  # type: ignore[attr-defined]
            kept_by_field[field] = (*now, counts)
            return counts

    def _string_generation(self) -> tuple[int, object]:
        return self._last_sequence, self._local_ids  # type: ignore[attr-defined]

    def field_lengths(self, field: str) -> np.ndarray:
        with self._lock:  # type: ignore[attr-defined]
            return self._index(field).field_lengths(self._local_ids.limit)  # type: ignore[attr-defined]

    def element_layout(self, field: str, local_ids: np.ndarray) -> Layout:
        """Where the elements of these documents' `field` lie among its stored positions."""
        with self._lock:  # type: ignore[attr-defined]
            return self._index(field).element_layout(local_ids)

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
