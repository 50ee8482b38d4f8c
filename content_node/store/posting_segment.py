"""Immutable, compact posting lists for all terms of one field (CSR layout, like a Lucene segment).

For term id t, postings t are rows term_offsets[t]:term_offsets[t+1] of doc_ids / term_freqs,
sorted by doc id; their positions are the flat run positions[position_offsets[t]:...], grouped per
posting in the same order (a posting has exactly term_freq positions). Small dtypes are used
where they fit (term frequencies as uint16, positions as uint16 when short), and widened only
for the slice a query reads.

Segments are built from flat posting arrays (sorted stably by term) and merged by offsets: every
document of the newer segment has a higher local id than those of the older one, since local ids
only grow, so a term's merged postings are the older's then the newer's. Postings of dead
documents are dropped while building and merging.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from content_node.store.arrays import ensure_capacity

EMPTY_INT32 = np.empty(0, dtype=np.int32)
_TF_MAX = np.iinfo(np.uint16).max


class Postings:
    """Postings of one term in one field: only documents alive when read. The positions are read
    from the segment on first use (`positions_of`), and so are the term frequencies when given as a
    function: weakAnd and OR read only the documents, bm25 the frequencies too, and the positions
    are most of a posting list's bytes."""

    __slots__ = ("doc_ids", "_freqs", "_offsets", "_flat", "_positions_of", "_watch")

    def __init__(self, doc_ids: np.ndarray, term_freqs: np.ndarray | Callable[[], np.ndarray],
                 position_offsets: np.ndarray | None = None, flat_positions: np.ndarray | None = None, *,
                 positions_of: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None) -> None:
        if (position_offsets is None) == (positions_of is None):
            raise ValueError("give the positions or a function that reads them, not both")
        self.doc_ids = doc_ids  # int32, sorted ascending
        self._freqs = term_freqs
        self._offsets, self._flat, self._positions_of = position_offsets, flat_positions, positions_of
        self._watch: Callable[["Postings", float], None] | None = None

    @property
    def term_freqs(self) -> np.ndarray:
        """int32, number of occurrences per document."""
        freqs = self._freqs
        if callable(freqs):  # queries share cached postings: two threads may both read the same values
            started = time.perf_counter()
            freqs = self._freqs = freqs()
            self._grew(started)
        return freqs

    @property
    def position_offsets(self) -> np.ndarray:
        """int64, len(doc_ids)+1: positions of i are flat_positions[off[i]:off[i+1]]."""
        if self._offsets is None:
            self._read_positions()
        return self._offsets

    @property
    def flat_positions(self) -> np.ndarray:
        """int32, token positions within the field, ascending per document."""
        if self._offsets is None:
            self._read_positions()
        return self._flat

    @property
    def nbytes(self) -> int:
        """Bytes held now (positions not yet read are not held)."""
        held = self.doc_ids.nbytes + (0 if callable(self._freqs) else self._freqs.nbytes)
        return held + (self._offsets.nbytes + self._flat.nbytes if self._offsets is not None else 0)

    def watch(self, grew: Callable[["Postings", float], None]) -> None:
        """Call `grew(self, seconds taken)` after reading the frequencies or positions
        (a cache holding these postings counts their bytes); nothing when both are read already."""
        if callable(self._freqs) or self._offsets is None:
            self._watch = grew

    def _grew(self, started: float) -> None:
        if self._watch is not None:
            self._watch(self, time.perf_counter() - started)

    def _read_positions(self) -> None:
        # queries share cached postings: two threads may both read, and both get the same arrays
        started = time.perf_counter()
        offsets, flat = self._positions_of()
        self._flat, self._offsets = flat, offsets
        self._grew(started)

    def positions(self, index: int) -> np.ndarray:
        return self.flat_positions[self.position_offsets[index]: self.position_offsets[index + 1]]

    def __len__(self) -> int:
        return len(self.doc_ids)


EMPTY_POSTINGS = Postings(EMPTY_INT32, EMPTY_INT32, np.zeros(1, dtype=np.int64), EMPTY_INT32)


@dataclass(frozen=True, slots=True)
class FlatPostings:
    """Postings in arbitrary term order (documents ascending within a term), before building."""

    term_ids: np.ndarray
    doc_ids: np.ndarray
    term_freqs: np.ndarray
    positions: np.ndarray  # grouped per posting, term_freqs[i] entries for posting i

    @staticmethod
    def concatenate(parts: list["FlatPostings"]) -> "FlatPostings":
        if not parts:
            return FlatPostings(EMPTY_INT32, EMPTY_INT32, EMPTY_INT32, EMPTY_INT32)
        return FlatPostings(*(np.concatenate([getattr(p, name) for p in parts])
                              for name in ("term_ids", "doc_ids", "term_freqs", "positions")))


class PendingPostings:
    """Append buffer for the postings of newly added documents. Its capacity is reused across
    freezes, so feeding does not churn small per-document arrays through the heap."""

    def __init__(self) -> None:
        self._term_ids = np.zeros(0, dtype=np.int32)
        self._doc_ids = np.zeros(0, dtype=np.int32)
        self._term_freqs = np.zeros(0, dtype=np.int32)
        self._positions = np.zeros(0, dtype=np.int32)
        self.num_postings = 0
        self._num_positions = 0

    def append(self, term_ids: np.ndarray, doc_id: int, term_freqs: np.ndarray,
               positions: np.ndarray) -> None:
        start, end = self.num_postings, self.num_postings + len(term_ids)
        self._term_ids = ensure_capacity(self._term_ids, end)
        self._doc_ids = ensure_capacity(self._doc_ids, end)
        self._term_freqs = ensure_capacity(self._term_freqs, end)
        self._term_ids[start:end] = term_ids
        self._doc_ids[start:end] = doc_id
        self._term_freqs[start:end] = term_freqs
        first, last = self._num_positions, self._num_positions + len(positions)
        self._positions = ensure_capacity(self._positions, last)
        self._positions[first:last] = positions
        self.num_postings, self._num_positions = end, last

    def take(self) -> FlatPostings:
        """Copies of the buffered postings; the buffer is empty afterwards."""
        flat = FlatPostings(self._term_ids[: self.num_postings].copy(),
                            self._doc_ids[: self.num_postings].copy(),
                            self._term_freqs[: self.num_postings].copy(),
                            self._positions[: self._num_positions].copy())
        self.num_postings = self._num_positions = 0
        return flat

    @property
    def nbytes(self) -> int:
        return (self._term_ids.nbytes + self._doc_ids.nbytes + self._term_freqs.nbytes
                + self._positions.nbytes)


@dataclass(frozen=True, slots=True)
class PostingSegment:
    term_offsets: np.ndarray  # uint32 (int64 past 4G postings), num_terms+1
    position_offsets: np.ndarray  # same, num_terms+1 (per term, into positions)
    doc_ids: np.ndarray  # int32
    term_freqs: np.ndarray  # uint16 (clipped) or int32
    positions: np.ndarray  # uint16 or int32

    @property
    def num_terms(self) -> int:
        return len(self.term_offsets) - 1

    @property
    def num_postings(self) -> int:
        return len(self.doc_ids)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.term_offsets, self.position_offsets, self.doc_ids,
                                      self.term_freqs, self.positions))

    def postings(self, term_id: int) -> Postings:
        if term_id >= self.num_terms:
            return EMPTY_POSTINGS
        start, end = int(self.term_offsets[term_id]), int(self.term_offsets[term_id + 1])
        if start == end:
            return EMPTY_POSTINGS
        first = int(self.position_offsets[term_id])

        def term_freqs() -> np.ndarray:  # widened when a query asks (weakAnd never does)
            return self.term_freqs[start:end].astype(np.int32)

        def positions_of() -> tuple[np.ndarray, np.ndarray]:
            freqs = postings.term_freqs
            position_offsets = np.zeros(len(freqs) + 1, dtype=np.int64)
            np.cumsum(freqs, out=position_offsets[1:])
            return position_offsets, self.positions[first: first + int(position_offsets[-1])].astype(np.int32)

        postings = Postings(self.doc_ids[start:end], term_freqs, positions_of=positions_of)
        return postings

    def flatten(self) -> FlatPostings:
        counts = np.diff(self.term_offsets)
        term_ids = np.repeat(np.arange(self.num_terms, dtype=np.int32), counts)
        return FlatPostings(term_ids, self.doc_ids, self.term_freqs.astype(np.int32),
                            self.positions.astype(np.int32))


EMPTY_SEGMENT = PostingSegment(np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int64),
                               EMPTY_INT32, EMPTY_INT32.astype(np.uint16),
                               EMPTY_INT32.astype(np.uint16))


def build_segment(flat: FlatPostings, num_terms: int, alive: np.ndarray) -> PostingSegment:
    """A segment of the postings of alive documents, sorted by (term, doc)."""
    keep = alive[flat.doc_ids] if len(flat.doc_ids) else np.zeros(0, dtype=np.bool_)
    if not keep.all():
        flat = FlatPostings(flat.term_ids[keep], flat.doc_ids[keep], flat.term_freqs[keep],
                            flat.positions[np.repeat(keep, flat.term_freqs)])
    order = np.argsort(flat.term_ids, kind="stable")  # stable: docs stay ascending per term
    term_freqs = flat.term_freqs[order]
    positions = flat.positions[_ragged_gather_index(flat.term_freqs, order)]
    term_counts = np.bincount(flat.term_ids, minlength=num_terms)[:num_terms]
    term_offsets = np.zeros(num_terms + 1, dtype=np.int64)
    np.cumsum(term_counts, out=term_offsets[1:])
    positions_per_term = np.bincount(flat.term_ids, weights=flat.term_freqs,
                                     minlength=num_terms)[:num_terms]
    position_offsets = np.zeros(num_terms + 1, dtype=np.int64)
    np.cumsum(positions_per_term.astype(np.int64), out=position_offsets[1:])
    segment = PostingSegment(
        term_offsets=_compact_offsets(term_offsets),
        position_offsets=_compact_offsets(position_offsets),
        doc_ids=flat.doc_ids[order].astype(np.int32),
        term_freqs=_compact_term_freqs(term_freqs),
        positions=_compact_positions(positions),
    )
    return _frozen(segment)


def merge_segments(older: PostingSegment, newer: FlatPostings | PostingSegment, num_terms: int,
                   alive: np.ndarray) -> PostingSegment:
    """`older` plus postings of documents added after it (all with higher local ids): the segment
    `build_segment` makes of both together, by offsets. Each term's postings are older's then
    newer's, so a posting's place in the merged arrays is its place in its own segment moved by
    the other segment's postings of lower terms (and of its own term, for newer's): one scatter, no
    sort of the postings both hold (only newer's, when they come unsorted)."""
    if isinstance(newer, FlatPostings):
        newer = build_segment(newer, num_terms, alive)
    older, newer = _alive_only(older, alive), _alive_only(newer, alive)
    if not newer.num_postings and older.num_terms == num_terms:
        return _with_compact_offsets(older)  # older may be EMPTY_SEGMENT or an image's (int64 offsets)
    old_counts, new_counts = _term_counts(older, num_terms), _term_counts(newer, num_terms)
    term_offsets = _offsets(old_counts + new_counts)
    new_before = _offsets(new_counts)  # newer's postings of lower terms, by term
    old_through = term_offsets - new_before  # older's postings of lower terms and of the term
    slots = _scatter_slots(newer.num_postings, old_through[1:], new_counts)
    old_positions, new_positions = (_term_counts(s, num_terms, s.position_offsets) for s in (older, newer))
    position_offsets = _offsets(old_positions + new_positions)
    new_positions_before = _offsets(new_positions)
    places = _scatter_slots(len(newer.positions), (position_offsets - new_positions_before)[1:], new_positions)
    segment = PostingSegment(
        term_offsets=_compact_offsets(term_offsets),
        position_offsets=_compact_offsets(position_offsets),
        doc_ids=_scattered(older.doc_ids, newer.doc_ids, slots, np.int32),
        term_freqs=_compact_term_freqs(_scattered(older.term_freqs, newer.term_freqs, slots)),
        positions=_compact_positions(_scattered(older.positions, newer.positions, places)),
    )
    return _frozen(segment)


def _alive_only(segment: PostingSegment, alive: np.ndarray) -> PostingSegment:
    """The segment without the postings of documents removed since it was built: a mask, no sort
    (the order of what is kept stands), each offset moved back by the entries dropped before it."""
    keep = alive[segment.doc_ids]
    if keep.all():
        return segment
    keep_positions = np.repeat(keep, segment.term_freqs.astype(np.int64))
    return _frozen(PostingSegment(
        term_offsets=_compact_offsets(_kept_before(keep, segment.term_offsets)),
        position_offsets=_compact_offsets(_kept_before(keep_positions, segment.position_offsets)),
        doc_ids=segment.doc_ids[keep],
        term_freqs=_compact_term_freqs(segment.term_freqs[keep]),
        positions=_compact_positions(segment.positions[keep_positions])))


def _kept_before(keep: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Each offset into the entries `keep` masks, as an offset into the kept ones."""
    kept = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum(keep, out=kept[1:])
    return kept[offsets.astype(np.int64)]


def _with_compact_offsets(segment: PostingSegment) -> PostingSegment:
    if segment.term_offsets.dtype == np.uint32 and segment.position_offsets.dtype == np.uint32:
        return segment
    return _frozen(PostingSegment(_compact_offsets(segment.term_offsets), _compact_offsets(segment.position_offsets),
                                  segment.doc_ids, segment.term_freqs, segment.positions))


def _frozen(segment: PostingSegment) -> PostingSegment:
    for array in (segment.term_offsets, segment.position_offsets, segment.doc_ids):
        array.flags.writeable = False  # postings hand out views of these
    return segment


def _term_counts(segment: PostingSegment, num_terms: int, offsets: np.ndarray | None = None) -> np.ndarray:
    """Per term id below `num_terms`, how many postings (or positions, by `offsets`) it holds."""
    counts = np.zeros(num_terms, dtype=np.int64)
    held = np.diff((segment.term_offsets if offsets is None else offsets).astype(np.int64))
    counts[: len(held)] = held
    return counts


def _offsets(counts: np.ndarray) -> np.ndarray:
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets


def _scatter_slots(new_total: int, old_through: np.ndarray, new_counts: np.ndarray) -> np.ndarray:
    """Which entries (postings or positions, grouped by term) of the merged arrays are newer's:
    the others are older's, in their order (a mask: the older side is most of a merge)."""
    new_slots = np.arange(new_total, dtype=np.int64) + np.repeat(old_through, new_counts)
    newer = np.zeros(int(old_through[-1]) + new_total if len(old_through) else new_total, dtype=bool)
    newer[new_slots] = True
    return newer


def _scattered(old: np.ndarray, new: np.ndarray, newer: np.ndarray,
               dtype: np.dtype | type | None = None) -> np.ndarray:
    out = np.empty(len(old) + len(new), dtype=dtype or np.promote_types(old.dtype, new.dtype))
    out[~newer], out[newer] = old, new
    return out


def _ragged_gather_index(lengths: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Indexes that reorder runs of `lengths` (stored back to back) into `order`."""
    lengths = lengths.astype(np.int64)
    starts = np.zeros(len(lengths), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    new_lengths = lengths[order]
    total = int(new_lengths.sum())
    new_starts = np.zeros(len(order), dtype=np.int64)
    np.cumsum(new_lengths[:-1], out=new_starts[1:])
    shift = np.repeat(starts[order] - new_starts, new_lengths)
    return np.arange(total, dtype=np.int64) + shift


def _compact_term_freqs(term_freqs: np.ndarray) -> np.ndarray:
    """uint16 unless a frequency exceeds it (then exact int32, so positions stay aligned)."""
    if term_freqs.dtype != np.uint16 and len(term_freqs) and int(term_freqs.max()) > _TF_MAX:
        return term_freqs.astype(np.int32, copy=False)
    return term_freqs.astype(np.uint16, copy=False)


def _compact_offsets(offsets: np.ndarray) -> np.ndarray:
    """Ascending offsets from 0: uint32 while they fit (one per term: a big share of small segments)."""
    return offsets.astype(np.uint32) if int(offsets[-1]) <= np.iinfo(np.uint32).max else offsets


def _compact_positions(positions: np.ndarray) -> np.ndarray:
    if positions.dtype != np.uint16 and len(positions) and int(positions.max()) > np.iinfo(np.uint16).max:
        return positions.astype(np.int32, copy=False)
    return positions.astype(np.uint16, copy=False)
