"""Snapshots: the full document set at one sequence number, written atomically and checksummed.

Format 2: JSON lines. The first line is a header `{"format": 2, "last_sequence": N, "documents": n}`,
then one line per document `{"id": ..., "fields": {...}}` (plus `"mutable": {...}` for mutable
attribute values, which are not fed and so not in the WAL), then a trailer
`{"end": true, "documents": n, "crc32c": c}` where c is the CRC32C of every byte before it. A
snapshot without its trailer is truncated; one whose checksum differs is damaged. Either raises
`SnapshotError` (file and offset) once read to the end, so a reader applies documents as they come
and starts over from an older snapshot if the end says the file cannot be trusted. Format 1 (no
trailer, only the document count) is still read.

The file is written to a temporary name, fsync'd and renamed, and the directory fsync'd. The
previous snapshot is kept (with the log segments after it) so a damaged newest one has a fallback.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, Mapping

from google_crc32c import Checksum

from content_node.store.document_store import encode_fields
from content_node.store.durable_files import fsync_directory

log = logging.getLogger(__name__)

SNAPSHOT_PREFIX = "snapshot-"
SNAPSHOT_SUFFIX = ".jsonl"
FORMAT_VERSION = 2
_READABLE_FORMATS = (1, 2)
_TRAILER_START = b'{"end":'


class SnapshotError(Exception):
    """A snapshot file that cannot be trusted; `offset` is where reading it went wrong."""

    def __init__(self, path: Path, offset: int, reason: str) -> None:
        self.path, self.offset, self.reason = Path(path), offset, reason
        super().__init__(f"snapshot {path} is corrupt at byte {offset} ({reason})")


@dataclass(frozen=True, slots=True)
class SnapshotDocument:
    document_id: str
    fields: dict[str, Any]
    mutable: dict[str, float]
    removed: bool = False  # a remove record (segments only): the document is gone
    timestamp: int | None = None  # of this version (segments of format 4; a remove's: its tombstone)
    origin: int = 0  # of this version (store/timestamps.py)


def snapshot_path(directory: Path, last_sequence: int) -> Path:
    return directory / f"{SNAPSHOT_PREFIX}{last_sequence:020d}{SNAPSHOT_SUFFIX}"


def snapshot_sequence(path: Path) -> int:
    return int(path.name[len(SNAPSHOT_PREFIX):-len(SNAPSHOT_SUFFIX)])


def list_snapshots(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"{SNAPSHOT_PREFIX}*{SNAPSHOT_SUFFIX}"))


def document_line(document_id: str, fields_json: bytes, mutable: dict[str, float]) -> bytes:
    """One snapshot line, built from already-serialized fields (no re-encoding of the document)."""
    line = b'{"id":' + json.dumps(document_id).encode() + b',"fields":' + fields_json
    if mutable:
        line += b',"mutable":' + json.dumps(mutable).encode()
    return line + b"}\n"


def with_values(fields_json: bytes, frozen: Mapping[str, Callable[[int], Any]], local_id: int) -> bytes:
    """A stored document's JSON with its attribute-held values added back (for snapshots)."""
    extra = {name: value for name, read in frozen.items() if (value := read(local_id)) is not None}
    if not extra:
        return fields_json
    return encode_fields({**json.loads(fields_json), **extra})


def write_snapshot(directory: Path, last_sequence: int, lines: Iterable[bytes]) -> Path:
    """Write all document lines as the snapshot at `last_sequence`; durable when this returns."""
    body = list(lines)
    header = json.dumps({"format": FORMAT_VERSION, "last_sequence": last_sequence,
                         "documents": len(body)}).encode() + b"\n"
    final = snapshot_path(directory, last_sequence)
    temporary = final.with_suffix(".tmp")
    checksum = Checksum()
    try:
        with open(temporary, "wb") as handle:
            for chunk in (header, *body):
                checksum.update(chunk)
                handle.write(chunk)
            handle.write(json.dumps({"end": True, "documents": len(body),
                                     "crc32c": int.from_bytes(checksum.digest(), "big")}).encode() + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)  # a full disk must not keep a half snapshot's bytes
        raise
    fsync_directory(directory)
    return final


def latest_snapshot(directory: Path) -> Path | None:
    snapshots = list_snapshots(directory)
    return snapshots[-1] if snapshots else None


def read_snapshot(path: Path) -> tuple[int, Iterator[SnapshotDocument]]:
    """(last sequence, documents). The documents raise SnapshotError at the end (or at the first
    line that does not parse) if the file is not a complete, intact snapshot."""
    handle = open(path, "rb")
    try:
        first = handle.readline()
        header = json.loads(first)
        if not isinstance(header, dict) or header.get("format") not in _READABLE_FORMATS:
            raise SnapshotError(path, 0, f"unknown format {header.get('format') if isinstance(header, dict) else None!r}")
        sequence, expected = int(header["last_sequence"]), int(header["documents"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
        handle.close()
        raise SnapshotError(path, 0, f"no valid header: {type(error).__name__}") from None
    except BaseException:
        handle.close()
        raise
    checksum = Checksum(first) if header["format"] >= 2 else None
    return sequence, _documents(handle, path, expected, len(first), checksum)


def _documents(handle: BinaryIO, path: Path, expected: int, offset: int,
               checksum: Checksum | None) -> Iterator[SnapshotDocument]:
    count = 0
    with handle:
        for line in handle:
            if checksum is not None and line.startswith(_TRAILER_START):
                _check_trailer(path, offset, line, count, checksum)
                if handle.read(1):
                    raise SnapshotError(path, offset + len(line), "bytes after the trailer")
                return
            if not line.endswith(b"\n"):
                raise SnapshotError(path, offset, "the last line is cut short")
            try:
                record = json.loads(line)
                document = SnapshotDocument(record["id"], record["fields"], record.get("mutable") or {})
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                raise SnapshotError(path, offset, f"document line does not parse: {type(error).__name__}") from None
            if checksum is not None:
                checksum.update(line)
            count += 1
            offset += len(line)
            yield document
    if checksum is not None:
        raise SnapshotError(path, offset, f"truncated: no trailer after {count} documents")
    if count != expected:
        raise SnapshotError(path, offset, f"holds {count} documents, header says {expected}")


def _check_trailer(path: Path, offset: int, line: bytes, count: int, checksum: Checksum) -> None:
    if not line.endswith(b"\n"):
        raise SnapshotError(path, offset, "the trailer is cut short")
    try:
        trailer = json.loads(line)
        documents, stored = int(trailer["documents"]), int(trailer["crc32c"])
    except (ValueError, KeyError, TypeError) as error:
        raise SnapshotError(path, offset, f"trailer does not parse: {type(error).__name__}") from None
    if documents != count:
        raise SnapshotError(path, offset, f"holds {count} documents, trailer says {documents}")
    if stored != int.from_bytes(checksum.digest(), "big"):
        raise SnapshotError(path, offset, "checksum mismatch")


def remove_snapshots_except(directory: Path, keep: Iterable[Path]) -> None:
    kept = set(keep)
    for path in list_snapshots(directory):
        if path not in kept:
            path.unlink(missing_ok=True)
    for temporary in directory.glob(f"{SNAPSHOT_PREFIX}*.tmp"):
        temporary.unlink(missing_ok=True)
