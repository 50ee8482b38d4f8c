"""Term → dense term id, compact: a Python dict costs ~120 bytes per term (str, int and slot
objects), about as much as the postings themselves for a scifact-sized vocabulary.

Recent terms live in a dict; once it holds an eighth of the vocabulary they move into a sorted
array of (in-process) string hashes with their ids, verified against the term text kept in one
byte blob. ~30 bytes per consolidated term, and no long-lived small objects fragmenting the heap.
Ids are never reassigned: postings refer to them.
"""
from __future__ import annotations

import bisect
from typing import Iterator

import numpy as np

from content_node.store.arrays import ensure_capacity

_MIN_RECENT = 4096


class TermDictionary:
    def __init__(self) -> None:
        self._recent: dict[str, int] = {}
        self._hashes = np.zeros(0, dtype=np.int64)  # sorted; hash() is stable within a process
        self._hash_ids = np.zeros(0, dtype=np.int32)
        self._views()
        self._text = bytearray()
        self._text_ends = np.zeros(0, dtype=np.int64)  # term id → end offset in _text
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def get(self, term: str) -> int | None:
        term_id = self._recent.get(term)
        if term_id is not None:
            return term_id
        return self._consolidated_lookup(term)

    def ids(self, tokens: list[str]) -> np.ndarray:
        """Term ids of `tokens` (in order), adding terms not seen before."""
        unique = list(dict.fromkeys(tokens))
        found = list(map(self._recent.get, unique))  # C-level loops where a Python one is not needed
        missing = [index for index, term_id in enumerate(found) if term_id is None]
        if missing:
            looked_up = self._consolidated_lookup_many([unique[index] for index in missing])
            new = [index for index, term_id in zip(missing, looked_up) if term_id is None]
            for index, term_id in zip(missing, looked_up):
                found[index] = term_id
            for index, term_id in zip(new, self._add_all([unique[index] for index in new])):
                found[index] = term_id
        if len(unique) == len(tokens):  # distinct already (a feed batch's terms)
            return np.array(found, dtype=np.int32)
        by_term = dict(zip(unique, found))
        return np.fromiter(map(by_term.__getitem__, tokens), dtype=np.int32, count=len(tokens))

    def term(self, term_id: int) -> str:
        start = int(self._text_ends[term_id - 1]) if term_id else 0
        return self._text[start: int(self._text_ends[term_id])].decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        return (self.term(term_id) for term_id in range(self._count))

    @property
    def nbytes(self) -> int:
        return (self._hashes.nbytes + self._hash_ids.nbytes + len(self._text)
                + self._text_ends.nbytes + 120 * len(self._recent))

    def export_image(self) -> dict[str, np.ndarray]:
        """The term texts in id order (the hashes are per process: recomputed at load)."""
        return {"text": np.frombuffer(bytes(self._text), dtype=np.uint8),
                "text_ends": self._text_ends[: self._count].copy()}

    @classmethod
    def from_image(cls, arrays: dict[str, np.ndarray]) -> "TermDictionary":
        dictionary = cls()
        dictionary._text = bytearray(arrays["text"])
        dictionary._text_ends = arrays["text_ends"].astype(np.int64)
        dictionary._count = len(dictionary._text_ends)
        ends = dictionary._text_ends.tolist()
        if ends != sorted(ends) or (ends and ends[-1] != len(dictionary._text)):
            raise ValueError("term text offsets are not ascending to the end of the text")
        text = dictionary._text
        dictionary._recent = {text[start:end].decode("utf-8"): term_id
                              for term_id, (start, end) in enumerate(zip([0, *ends], ends))}
        if len(dictionary._recent) != dictionary._count:
            raise ValueError("a term is in the dictionary twice")
        dictionary._consolidate()
        return dictionary

    def _add_all(self, terms: list[str]) -> range:
        """Add distinct new terms, ids in order: one text append and one check for consolidation
        for all of them (when it runs changes no id)."""
        first = self._count
        encoded = [term.encode("utf-8") for term in terms]
        ends = len(self._text) + np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)))
        self._text += b"".join(encoded)
        self._text_ends = ensure_capacity(self._text_ends, first + len(terms))
        self._text_ends[first:first + len(terms)] = ends
        ids = range(first, first + len(terms))
        self._recent.update(zip(terms, ids))
        self._count += len(terms)
        if len(self._recent) > max(_MIN_RECENT, self._count // 8):
            self._consolidate()
        return ids

    def _consolidate(self) -> None:
        recent_hashes = np.fromiter((hash(t) for t in self._recent), dtype=np.int64,
                                    count=len(self._recent))
        recent_ids = np.fromiter(self._recent.values(), dtype=np.int32, count=len(self._recent))
        hashes = np.concatenate([self._hashes, recent_hashes])
        order = np.argsort(hashes, kind="stable")
        self._hashes = hashes[order]
        self._hash_ids = np.concatenate([self._hash_ids, recent_ids])[order]
        self._views()
        self._recent = {}

    def _views(self) -> None:
        """The sorted hashes and their ids read as Python ints (memoryviews): a lookup reads ~20 of
        them, and numpy's searchsorted and scalar reads cost ~10 us a term against ~1 us."""
        self._hash_view = memoryview(self._hashes)
        self._id_view = memoryview(self._hash_ids)

    def _consolidated_lookup_many(self, terms: list[str]) -> list[int | None]:
        """Vectorized `_consolidated_lookup`: one searchsorted for the terms' hashes, and their
        texts compared with the candidates' in one array comparison (a hash collision: walked)."""
        count = len(self._hashes)
        if not count:
            return [None] * len(terms)
        hashes = np.fromiter(map(hash, terms), dtype=np.int64, count=len(terms))
        slots = np.minimum(np.searchsorted(self._hashes, hashes), count - 1)
        hit = self._hashes[slots] == hashes
        candidates = self._hash_ids[slots]
        ends = self._text_ends[candidates]
        starts = np.where(candidates > 0, self._text_ends[np.maximum(candidates - 1, 0)], 0)
        encoded = list(map(str.encode, terms))
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(terms))
        same = hit & (ends - starts == lengths)
        if same.any():  # byte by byte: each candidate's text against its term's (only those of equal length)
            pick = np.flatnonzero(same)
            picked_lengths = lengths[pick]
            wanted = np.frombuffer(b"".join([encoded[index] for index in pick.tolist()]), dtype=np.uint8)
            offsets = np.cumsum(picked_lengths) - picked_lengths
            shift = np.repeat(starts[pick] - offsets, picked_lengths)
            text = np.frombuffer(self._text, dtype=np.uint8)
            differs = text[shift + np.arange(len(wanted))] != wanted
            nonempty = picked_lengths > 0
            mismatched = np.zeros(len(pick), dtype=bool)
            if len(wanted):
                mismatched[nonempty] = np.add.reduceat(differs, offsets[nonempty]) > 0
            same[pick[mismatched]] = False
        found: list[int | None] = [int(c) if s else None for c, s in zip(candidates.tolist(), same.tolist())]
        for index in np.flatnonzero(hit & ~same).tolist():  # a hash collision: walk the equal-hash run
            found[index] = self._consolidated_lookup(terms[index])
        return found

    def _consolidated_lookup(self, term: str) -> int | None:
        hashes = self._hash_view
        if not len(hashes):
            return None
        term_hash = hash(term)
        index = bisect.bisect_left(hashes, term_hash)
        while index < len(hashes) and hashes[index] == term_hash:
            candidate = self._id_view[index]
            if self.term(candidate) == term:  # a hash collision is possible, so verify
                return candidate
            index += 1
        return None
