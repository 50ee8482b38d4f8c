"""A write batch's words mapped to term ids over its bytes, not a Python string a word.

The words of a batch's documents that are stemmed alike (one stemming language of one field) are
written into one byte buffer, separated by spaces: ASCII text as `ascii_word_bytes` gives it
(lowercased, every separator a space, so its words are the runs of other bytes), and any other
value's words (`field_words`: Unicode text, arrays, capped values) joined by spaces in UTF-8 (a word
never holds a space). numpy finds the words in the buffer and hashes each one's bytes, 8 at a time;
a per-field open-addressing table of the words seen before (`WordHashes`) gives their term ids, each
hit checked byte for byte against the word it stands for. Only the batch's words not in the table
become strings, once each, and go through `WordTermIds.ids` (stemming, term dictionary) in the
order of their first occurrence, so new terms get the ids the per-word path gives them.

A hash collision (two different words with one 64-bit hash: checked, never assumed away) makes the
caller index the batch by the per-word path instead, which gives the same index.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from content_node.store.arrays import ensure_capacity

_SPACE = 32
LONG_WORD = 64  # bytes: longer words are resolved as strings (rare; hashing them costs a step per 8 bytes)
_PAD = 8  # bytes after a buffer's last word, so an 8-byte read at any word start stays inside
_PRIME = np.uint64(0x100000001B3)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)  # the first n bytes of a read


def word_spans(buffer: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of every run of non-space bytes (a word) in `buffer`, in order."""
    data = np.frombuffer(buffer, dtype=np.uint8)
    edges = np.diff((data != _SPACE).view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts = np.flatnonzero(edges == 1)
    return starts, np.flatnonzero(edges == -1) - starts


def _wide(data: np.ndarray) -> np.ndarray:
    """Overlapping little-endian 8-byte reads of `data` (a uint8 array ending in _PAD spare bytes):
    element i holds bytes i..i+7."""
    first = data[:8].view("<u8")
    return as_strided(first, shape=(len(data) - 7,), strides=(1,), writeable=False)


def _chunk(wide: np.ndarray, starts: np.ndarray, lengths: np.ndarray, chunk: int) -> np.ndarray:
    """Bytes 8·chunk… of each word (up to 8, the rest zero); every word is longer than 8·chunk."""
    return wide[starts + 8 * chunk] & _MASKS[np.minimum(lengths - 8 * chunk, 8)]


def _hashes(wide: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """A non-zero 64-bit hash of each word's bytes and length (words are never empty)."""
    hashes = _chunk(wide, starts, lengths, 0)
    longer = np.flatnonzero(lengths > 8)
    chunk = 1
    while len(longer):
        hashes[longer] = hashes[longer] * _PRIME ^ _chunk(wide, starts[longer], lengths[longer], chunk)
        chunk += 1
        longer = longer[lengths[longer] > 8 * chunk]
    hashes = (hashes ^ lengths.astype(np.uint64)) * _MIX
    return hashes ^ (hashes >> np.uint64(29)) | np.uint64(1)


def _same(wide: np.ndarray, starts: np.ndarray, other: np.ndarray, other_starts: np.ndarray,
          lengths: np.ndarray) -> bool:
    """Whether each word equals the other one of the same length, byte for byte."""
    todo = np.arange(len(starts))
    chunk = 0
    while len(todo):
        if (_chunk(wide, starts[todo], lengths[todo], chunk)
                != _chunk(other, other_starts[todo], lengths[todo], chunk)).any():
            return False
        chunk += 1
        todo = todo[lengths[todo] > 8 * chunk]
    return True


class WordHashes:
    """Term ids of words by hash (linear probing, at most half full), with each word's bytes to
    check a hit. Bounded: cleared when it would hold more than LIMIT words (a field's working
    vocabulary fits: scifact's text has ~25,000 distinct words) or BYTE_LIMIT bytes of them (long
    words); a batch's new words over either are not remembered. A word not found is only resolved
    the slower way."""

    LIMIT = 1 << 16
    BYTE_LIMIT = 8 << 20

    def __init__(self) -> None:
        self.clear()

    def clear(self, capacity: int = 1 << 10) -> None:  # small: a field of short values never grows it
        self._slots = np.zeros(capacity, dtype=np.uint64)  # a word's hash, 0: empty
        self._slot_words = np.zeros(capacity, dtype=np.int32)
        self._count = 0
        self._keys = np.zeros(0, dtype=np.uint64)  # by word number
        self._ids = np.zeros(0, dtype=np.int32)
        self._starts = np.zeros(0, dtype=np.int64)  # in the arena
        self._lengths = np.zeros(0, dtype=np.int64)
        self._arena = np.zeros(_PAD, dtype=np.uint8)
        self._arena_used = 0

    def _find(self, hashes: np.ndarray) -> np.ndarray:
        """The slot holding each hash, or the empty slot where its probe ends."""
        mask = len(self._slots) - 1
        slots = (hashes >> np.uint64(64 - mask.bit_length())).astype(np.int64)
        todo = np.arange(len(hashes))
        while len(todo):
            found = self._slots[slots[todo]]
            todo = todo[(found != hashes[todo]) & (found != 0)]
            slots[todo] = (slots[todo] + 1) & mask
        return slots

    def lookup(self, wide: np.ndarray, hashes: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray | None:
        """The term id of each word, -1 where unknown; None when a hash is another word's."""
        slots = self._find(hashes)
        hit = np.flatnonzero(self._slots[slots] == hashes)
        ids = np.full(len(hashes), -1, dtype=np.int32)
        if not len(hit):
            return ids
        words = self._slot_words[slots[hit]]
        if (self._lengths[words] != lengths[hit]).any() or not _same(
                wide, starts[hit], _wide(self._arena), self._starts[words], lengths[hit]):
            return None
        ids[hit] = self._ids[words]
        return ids

    def add(self, keys: np.ndarray, ids: np.ndarray, data: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> None:
        """Remember words (distinct hashes not in the table) with their term ids and bytes."""
        size = int(lengths.sum())
        if self._count + len(keys) > self.LIMIT or self._arena_used + size > self.BYTE_LIMIT:
            self.clear()
            if len(keys) > self.LIMIT or size > self.BYTE_LIMIT:
                return
        first = np.cumsum(lengths) - lengths
        within = np.arange(size, dtype=np.int64) - np.repeat(first, lengths)
        self._arena = ensure_capacity(self._arena, self._arena_used + len(within) + _PAD)
        self._arena[self._arena_used:self._arena_used + len(within)] = data[np.repeat(starts, lengths) + within]
        numbers = np.arange(self._count, self._count + len(keys), dtype=np.int32)
        self._keys = np.concatenate((self._keys, keys))
        self._ids = np.concatenate((self._ids, ids))
        self._starts = np.concatenate((self._starts, first + self._arena_used))
        self._lengths = np.concatenate((self._lengths, lengths))
        self._arena_used += len(within)
        self._count += len(keys)
        if 2 * self._count > len(self._slots):  # rehash all into twice the slots (or more)
            capacity = 2 * len(self._slots)
            while 2 * self._count > capacity:
                capacity *= 2
            self._slots = np.zeros(capacity, dtype=np.uint64)
            self._slot_words = np.zeros(capacity, dtype=np.int32)
            keys, numbers = self._keys, np.arange(self._count, dtype=np.int32)
        self._place(keys, numbers)

    @property
    def nbytes(self) -> int:
        return sum(array.nbytes for array in (self._slots, self._slot_words, self._keys, self._ids,
                                               self._starts, self._lengths, self._arena))

    def _place(self, keys: np.ndarray, numbers: np.ndarray) -> None:
        todo = np.arange(len(keys))
        while len(todo):  # keys that end at one empty slot: the first takes it, the others probe on
            slots = self._find(keys[todo])
            _, first = np.unique(slots, return_index=True)
            self._slots[slots[first]] = keys[todo[first]]
            self._slot_words[slots[first]] = numbers[todo[first]]
            todo = np.delete(todo, first)


def buffer_term_ids(buffer: bytes, starts: np.ndarray, lengths: np.ndarray, table: WordHashes,
                    resolve) -> np.ndarray | None:
    """The term id of each word (`starts`, `lengths`) of `buffer`, in order: known words from
    `table`, the others resolved by `resolve(distinct words in order of first occurrence)` and
    remembered. Words over LONG_WORD bytes are neither hashed nor remembered (hashing and checking
    go 8 bytes a step): each occurrence is resolved as a string. None on a hash collision (nothing
    is remembered then)."""
    if not len(starts):
        return np.zeros(0, dtype=np.int32)
    data = np.frombuffer(buffer + bytes(_PAD), dtype=np.uint8)
    wide = _wide(data)
    ids = np.full(len(starts), -1, dtype=np.int32)
    short = np.flatnonzero(lengths <= LONG_WORD)
    long = np.flatnonzero(lengths > LONG_WORD)
    short_starts, short_lengths = starts[short], lengths[short]
    hashes = _hashes(wide, short_starts, short_lengths)
    found = table.lookup(wide, hashes, short_starts, short_lengths)
    if found is None:
        return None
    ids[short] = found
    unknown = np.flatnonzero(found < 0)  # among the short words
    if not len(unknown) and not len(long):
        return ids
    keys, first_of, inverse = np.unique(hashes[unknown], return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    representative = unknown[first_of][inverse]  # the first word with each hash, for every unknown word
    if (short_lengths[representative] != short_lengths[unknown]).any() or not _same(
            wide, short_starts[unknown], wide, short_starts[representative], short_lengths[unknown]):
        return None
    resolved = np.concatenate((short[unknown[first_of]], long))  # by index in the batch
    order = np.argsort(resolved, kind="stable")  # by first occurrence
    words = [buffer[start:start + length].decode("utf-8", "surrogatepass")
             for start, length in zip(starts[resolved[order]].tolist(), lengths[resolved[order]].tolist())]
    resolved_ids = np.empty(len(resolved), dtype=np.int32)
    resolved_ids[order] = resolve(words)
    distinct_ids = resolved_ids[:len(keys)]
    ids[short[unknown]] = distinct_ids[inverse]
    ids[long] = resolved_ids[len(keys):]
    if len(keys):
        table.add(keys, distinct_ids, data, short_starts[unknown[first_of]], short_lengths[unknown[first_of]])
    return ids
