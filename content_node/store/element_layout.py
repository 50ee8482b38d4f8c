"""Where the elements of an array (or weighted set) field lie among the positions its inverted index
stores: every element ELEMENT_GAP positions after the end of the one before, so a position alone
does not say which element it is in once a distance exceeds the gap. The index keeps each
document's element lengths (ElementLengths, beside its postings and in its image), so the element of
an occurrence, its position within it and the element's length are known exactly, with no document
read again: Vespa's per-occurrence element id and element length (TermFieldMatchDataPosition).

A document whose value is one string (or that was indexed before element lengths were kept and
needs none, see `convert_image`) records no elements: it is one element of its field length."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from content_node.store.arrays import ensure_capacity

ELEMENT_GAP = 16  # positions skipped between array elements, so phrases never span two elements


@dataclass(frozen=True, slots=True)
class Layout:
    """The elements of some documents (rows): row k's are elements bounds[k]:bounds[k+1], each
    with its length and its first stored position."""
    bounds: np.ndarray  # int64, rows + 1
    lengths: np.ndarray  # int64 per element
    starts: np.ndarray  # int64 per element, stored position of its first word

    def locate(self, rows: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """The element (an index into lengths/starts) of each stored position of a row."""
        rows = np.asarray(rows, dtype=np.int64)
        positions = np.asarray(positions, dtype=np.int64)
        if not len(rows):
            return rows
        element_rows = np.repeat(np.arange(len(self.bounds) - 1, dtype=np.int64), np.diff(self.bounds))
        scale = int(max(self.starts.max(initial=0), positions.max())) + 1
        keys = element_rows * scale + self.starts
        return np.searchsorted(keys, rows * scale + positions, side="right") - 1

    def ordinal(self, elements: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Each element's index within its row (Vespa's element id among the row's text elements)."""
        return np.asarray(elements, dtype=np.int64) - self.bounds[np.asarray(rows, dtype=np.int64)]


def layout(counts: np.ndarray, firsts: np.ndarray, flat: np.ndarray, single_lengths: np.ndarray) -> Layout:
    """The Layout of rows with `counts` recorded elements starting at `firsts` in `flat` (a row
    with none: one element of its `single_lengths`)."""
    counts = np.asarray(counts, dtype=np.int64)
    single = counts == 0
    per_row = np.where(single, 1, counts)
    bounds = np.concatenate(([0], np.cumsum(per_row))).astype(np.int64)
    total = int(bounds[-1])
    within = np.arange(total, dtype=np.int64) - np.repeat(bounds[:-1], per_row)
    at = np.repeat(np.asarray(firsts, dtype=np.int64), per_row) + within
    row_single = np.repeat(single, per_row)
    lengths = np.where(row_single, np.repeat(np.asarray(single_lengths, dtype=np.int64), per_row),
                       flat[np.where(row_single, 0, at)] if len(flat) else 0).astype(np.int64)
    spans = lengths + ELEMENT_GAP
    before = np.cumsum(spans) - spans  # exclusive running sum, restarted at each row
    return Layout(bounds, lengths, before - np.repeat(before[bounds[:-1]], per_row))


class ElementLengths:
    """Per local id the lengths of its value's elements (none recorded for a string value), appended
    as documents are indexed (local ids are never reused; a removed row's are left until an image
    is written, which keeps only rows below its limit that hold some)."""

    def __init__(self) -> None:
        self._counts = np.zeros(0, dtype=np.int32)
        self._firsts = np.zeros(0, dtype=np.int64)
        self._flat = np.zeros(0, dtype=np.int32)
        self._used = 0

    def add(self, local_id: int, lengths: list[int] | None) -> None:
        if lengths is None:
            return
        self._counts = ensure_capacity(self._counts, local_id + 1)
        self._firsts = ensure_capacity(self._firsts, local_id + 1)
        self._flat = ensure_capacity(self._flat, self._used + len(lengths))
        self._flat[self._used:self._used + len(lengths)] = lengths
        self._counts[local_id] = len(lengths)
        self._firsts[local_id] = self._used
        self._used += len(lengths)

    def remove(self, local_id: int) -> None:
        if local_id < len(self._counts):
            self._counts[local_id] = 0

    def layout(self, local_ids: np.ndarray, field_lengths: np.ndarray) -> Layout:
        local_ids = np.asarray(local_ids, dtype=np.int64)
        self._counts = ensure_capacity(self._counts, int(local_ids.max(initial=-1)) + 1)
        self._firsts = ensure_capacity(self._firsts, len(self._counts))
        return layout(self._counts[local_ids], self._firsts[local_ids], self._flat[:self._used],
                      field_lengths[local_ids])

    @property
    def nbytes(self) -> int:
        return self._counts.nbytes + self._firsts.nbytes + self._flat.nbytes

    def export_image(self, limit: int) -> dict[str, np.ndarray]:
        counts = ensure_capacity(self._counts, limit)[:limit].astype(np.int32)
        firsts = ensure_capacity(self._firsts, limit)[:limit]
        at = np.repeat(firsts - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))
        return {"element_counts": counts, "element_lengths": self._flat[at.astype(np.int64)].copy()}

    @classmethod
    def from_image(cls, counts: np.ndarray, flat: np.ndarray, limit: int) -> "ElementLengths":
        if len(counts) != limit or int(counts.sum()) != len(flat) or (counts < 0).any():
            raise ValueError("element lengths do not match the documents")
        found = cls()
        found._counts = counts.astype(np.int32)
        found._firsts = (np.cumsum(counts, dtype=np.int64) - counts).astype(np.int64)
        found._flat = flat.astype(np.int32)
        found._used = len(flat)
        return found


def convert_image(doc_ids: list[np.ndarray], positions: list[np.ndarray], lengths: np.ndarray,
                  alive: np.ndarray) -> ElementLengths:
    """Element lengths for an image written before they were kept: none recorded where every
    stored position of an alive document is below its length (one element as far as any occurrence
    tells: a string, or an array whose words are all in its first element); ValueError when some
    document has more (it is re-indexed from its stored value)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    for ids, at in zip(doc_ids, positions):
        ids = ids.astype(np.int64)
        if len(ids) and (alive[ids] & (at >= lengths[ids])).any():
            raise ValueError("an image without element lengths over documents of many elements: re-indexing")
    return ElementLengths()
