"""Stored document fields per local id, as zlib-compressed JSON in one contiguous arena.

Compression halves the resident size of text-heavy corpora; summaries decode only the few
documents of a result window, so the decode cost stays off the matching path. Documents are small,
so each is compressed with a preset dictionary: the first 32 KiB of JSON this store saw (field
names and the corpus's common words; another fifth smaller on scifact). The dictionary lives as
long as the store (rebuilt from the recovered documents at startup, or loaded with an index image), and the few documents
stored before it existed are recompressed once it does. One arena (instead of a bytes object per
document) avoids heap fragmentation between long-lived blobs; space of replaced or removed
documents is reclaimed by compacting once it is half the arena.
"""
from __future__ import annotations

import functools
import json
import zlib
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

from content_node.store.arrays import ensure_capacity
from searchlib import exact_json

# level 4 with the dictionary: ~45% of level 6's CPU a document on the write path (0.046 against
# 0.10 ms a scifact abstract), 4% larger (602 against 577 bytes); any level reads back alike
_COMPRESSION_LEVEL = 4
_DICTIONARY_BYTES = 32 * 1024  # zlib's window: a longer dictionary would not be used
_NOT_STORED = -1
# Inflated JSON of the documents read last: queries fill the same well-ranked documents again
# (47% of the hits of the 300 scifact test queries on a node repeat an earlier one), and a
# summary's inflate is most of its cost. An entry goes when its document is stored or dropped.
INFLATED_CACHE_BYTES = 4 * 1024 * 1024


def encode_fields(fields: dict[str, Any]) -> bytes:
    """The canonical serialized form of a document's fields (also what the WAL records)."""
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class DocumentStore:
    def __init__(self) -> None:
        self._arena = bytearray()
        self._starts = np.zeros(0, dtype=np.int64)
        self._lengths = np.zeros(0, dtype=np.int32)
        self._garbage = 0
        self._sample: bytearray | None = bytearray()  # JSON seen until the dictionary is made
        self._dictionary: bytes | None = None
        self._primed: Any = None  # a compressor with the dictionary loaded: copied for each document
        self._last: tuple[bytes | None, bytes] = (None, b"")  # the last JSON stored, compressed
        self._inflated: OrderedDict[int, bytes] = OrderedDict()  # local id → its JSON, least recent first
        self._inflated_bytes = 0

    def store(self, local_id: int, fields_json: bytes) -> None:
        self.drop(local_id)
        if self._sample is not None:
            self._sample += fields_json
            if len(self._sample) >= _DICTIONARY_BYTES:
                self._make_dictionary()
        if self._last[0] != fields_json:  # documents whose stored part repeats (vectors only: "{}")
            self._last = (fields_json, self._compress(fields_json))  # compress once
        compressed = self._last[1]
        self._starts = ensure_capacity(self._starts, local_id + 1, _NOT_STORED)
        self._lengths = ensure_capacity(self._lengths, local_id + 1, 0)
        self._starts[local_id] = len(self._arena)
        self._lengths[local_id] = len(compressed)
        self._arena += compressed

    def drop(self, local_id: int) -> None:
        inflated = self._inflated.pop(local_id, None)
        if inflated is not None:
            self._inflated_bytes -= len(inflated)
        if local_id >= len(self._starts) or self._starts[local_id] == _NOT_STORED:
            return
        self._garbage += int(self._lengths[local_id])
        self._starts[local_id] = _NOT_STORED
        self._lengths[local_id] = 0
        if self._garbage > 4096 and self._garbage * 2 > len(self._arena):
            self._compact()

    def compressed(self, local_id: int) -> bytes | None:
        """A copy of the stored blob (safe to use after the lock is released)."""
        if local_id >= len(self._starts) or self._starts[local_id] == _NOT_STORED:
            return None
        start = int(self._starts[local_id])
        return bytes(self._arena[start: start + int(self._lengths[local_id])])

    def fields_json(self, local_id: int, cache: bool = True) -> bytes | None:
        """The stored JSON (called under the database's lock, as every method here). `cache=False`
        for reads that replace or drop the document next (writes): they would only evict hot entries."""
        found = self._inflated.get(local_id)
        if found is not None:
            self._inflated.move_to_end(local_id)
            return found
        found = self.decoder()(self.compressed(local_id))
        if cache and found is not None and len(found) * 16 <= INFLATED_CACHE_BYTES:
            self._inflated[local_id] = found
            self._inflated_bytes += len(found)
            while self._inflated_bytes > INFLATED_CACHE_BYTES:
                self._inflated_bytes -= len(self._inflated.popitem(last=False)[1])
        return found

    def decoder(self) -> Callable[[bytes | None], bytes | None]:
        """Decompresses blobs taken from `compressed` now (also after the dictionary is made)."""
        return functools.partial(_decompress, dictionary=self._dictionary)

    def fields(self, local_id: int, cache: bool = True) -> dict[str, Any] | None:
        raw = self.fields_json(local_id, cache)
        return None if raw is None else exact_json.loads(raw)

    @property
    def stored_bytes(self) -> int:
        return len(self._arena) + self._starts.nbytes + self._lengths.nbytes

    @property
    def inflated_bytes(self) -> int:
        """JSON held inflated for the next reads (at most INFLATED_CACHE_BYTES)."""
        return self._inflated_bytes

    def export_image(self, limit: int) -> dict[str, np.ndarray]:
        """Copies of the arena and of the rows below `limit` (store/index_image.py)."""
        self._starts = ensure_capacity(self._starts, limit, _NOT_STORED)
        self._lengths = ensure_capacity(self._lengths, limit, 0)
        return {"arena": np.frombuffer(bytes(self._arena), dtype=np.uint8),
                "starts": self._starts[:limit].copy(), "lengths": self._lengths[:limit].copy(),
                "garbage": np.array([self._garbage], dtype=np.int64),
                "dictionary": _bytes_array(self._dictionary), "sample": _bytes_array(self._sample)}

    @classmethod
    def from_image(cls, arrays: dict[str, np.ndarray]) -> "DocumentStore":
        store = cls()
        store._arena = bytearray(arrays["arena"])  # one copy (the buffer protocol)
        store._starts = arrays["starts"].astype(np.int64)
        store._lengths = arrays["lengths"].astype(np.int32)
        if len(store._starts) != len(store._lengths) or int((store._starts + store._lengths).max(initial=0)) > len(store._arena):
            raise ValueError("document rows point outside the arena")
        store._garbage = int(arrays["garbage"][0])
        dictionary, sample = arrays["dictionary"], arrays["sample"]
        store._dictionary = dictionary[1:].tobytes() if dictionary[0] else None
        store._sample = bytearray(sample[1:].tobytes()) if sample[0] else None
        return store

    def _make_dictionary(self) -> None:
        plain = self.decoder()
        stored = np.flatnonzero(self._starts != _NOT_STORED).tolist()
        raw = [plain(self.compressed(local_id)) for local_id in stored]
        self._dictionary = bytes(self._sample[-_DICTIONARY_BYTES:])
        self._primed = zlib.compressobj(_COMPRESSION_LEVEL, zdict=self._dictionary)
        self._sample = None
        self._last = (None, b"")
        arena = bytearray()
        for local_id, fields_json in zip(stored, raw):
            compressed = self._compress(fields_json)
            self._starts[local_id] = len(arena)
            self._lengths[local_id] = len(compressed)
            arena += compressed
        self._arena = arena
        self._garbage = 0

    def _compress(self, fields_json: bytes) -> bytes:
        if self._primed is None:
            return zlib.compress(fields_json, _COMPRESSION_LEVEL)
        # copying a primed compressor skips loading the 32 KiB dictionary (hashing it) per document:
        # the same bytes as a new compressobj(zdict=...), in 60% of the time
        compressor = self._primed.copy()
        return compressor.compress(fields_json) + compressor.flush()

    def _compact(self) -> None:
        stored = np.flatnonzero(self._starts != _NOT_STORED)
        arena = bytearray()
        for local_id in stored.tolist():
            start = int(self._starts[local_id])
            self._starts[local_id] = len(arena)
            arena += self._arena[start: start + int(self._lengths[local_id])]
        self._arena = arena
        self._garbage = 0


def _decompress(compressed: bytes | None, dictionary: bytes | None) -> bytes | None:
    if compressed is None:
        return None
    if dictionary is None:
        return zlib.decompress(compressed)
    found = _inflate_checked(compressed, dictionary)
    return zlib.decompressobj(zdict=dictionary).decompress(compressed) if found is None else found


def _inflate_checked(compressed: bytes, dictionary: bytes) -> bytes | None:
    """A zlib stream made with `dictionary`, inflated raw: zlib checks the dictionary's id by its
    Adler-32 for every stream (32 KiB summed: two thirds of a summary's decompression), here taken
    once per dictionary; the header, the dictionary id and the data's Adler-32 are still checked.
    None when any check fails (the caller's full zlib decode then reports it as before)."""
    header = compressed[:2]
    if len(compressed) < 10 or header[0] & 0x0F != 8 or not header[1] & 0x20 or int.from_bytes(header, "big") % 31:
        return None
    if int.from_bytes(compressed[2:6], "big") != _adler32(dictionary):
        return None
    inflater = zlib.decompressobj(-15, zdict=dictionary)
    try:
        out = inflater.decompress(compressed[6:])
    except zlib.error:
        return None
    trailer = inflater.unused_data
    if not inflater.eof or len(trailer) != 4 or int.from_bytes(trailer, "big") != zlib.adler32(out):
        return None
    return out


@functools.lru_cache(maxsize=8)
def _adler32(dictionary: bytes) -> int:  # a store's one dictionary object: its hash is cached too
    return zlib.adler32(dictionary)


def _bytes_array(value: bytes | bytearray | None) -> np.ndarray:
    """`value` as uint8, after a first byte saying whether it is there (None vs empty)."""
    return np.frombuffer(b"\x00" if value is None else b"\x01" + bytes(value), dtype=np.uint8)
