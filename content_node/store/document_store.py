"""Stored document fields per local id, kept as zlib-compressed JSON.

Compression halves the resident size of text-heavy corpora; summaries decode only the few
documents of a result window, so the decode cost stays off the matching path.
"""
from __future__ import annotations

import json
import zlib
from typing import Any

_COMPRESSION_LEVEL = 1  # fast; most of the gain of higher levels for short documents


def encode_fields(fields: dict[str, Any]) -> bytes:
    """The canonical serialized form of a document's fields (also what the WAL records)."""
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class DocumentStore:
    def __init__(self) -> None:
        self._compressed: list[bytes | None] = []

    def store(self, local_id: int, fields_json: bytes) -> None:
        while len(self._compressed) <= local_id:
            self._compressed.append(None)
        self._compressed[local_id] = zlib.compress(fields_json, _COMPRESSION_LEVEL)

    def drop(self, local_id: int) -> None:
        self._compressed[local_id] = None

    def fields_json(self, local_id: int) -> bytes | None:
        return decompress(self.compressed(local_id))

    def compressed(self, local_id: int) -> bytes | None:
        """The stored blob as is (immutable, so it may be read after the lock is released)."""
        return self._compressed[local_id] if local_id < len(self._compressed) else None

    def fields(self, local_id: int) -> dict[str, Any] | None:
        raw = self.fields_json(local_id)
        return None if raw is None else json.loads(raw)

    @property
    def stored_bytes(self) -> int:
        return sum(len(c) for c in self._compressed if c is not None)


def decompress(compressed: bytes | None) -> bytes | None:
    return None if compressed is None else zlib.decompress(compressed)
