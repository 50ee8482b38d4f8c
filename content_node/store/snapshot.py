"""Snapshots: the full document set at one sequence number, written atomically.

Format: JSON lines. The first line is a header `{"format": 1, "last_sequence": N, "documents": n}`,
then one line per document `{"id": ..., "fields": {...}}` (plus `"mutable": {...}` for mutable
attribute values, which are not fed and so not in the WAL). The file is written to a temporary
name, fsync'd and renamed, so a reader only ever sees a complete snapshot; the document count in
the header is checked on load as a second line of defence.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from content_node.store.wal import fsync_directory

log = logging.getLogger(__name__)

SNAPSHOT_PREFIX = "snapshot-"
SNAPSHOT_SUFFIX = ".jsonl"
FORMAT_VERSION = 1


class SnapshotError(Exception):
    """A snapshot file that cannot be trusted."""


@dataclass(frozen=True, slots=True)
class SnapshotDocument:
    document_id: str
    fields: dict[str, Any]
    mutable: dict[str, float]


def snapshot_path(directory: Path, last_sequence: int) -> Path:
    return directory / f"{SNAPSHOT_PREFIX}{last_sequence:020d}{SNAPSHOT_SUFFIX}"


def list_snapshots(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"{SNAPSHOT_PREFIX}*{SNAPSHOT_SUFFIX}"))


def document_line(document_id: str, fields_json: bytes, mutable: dict[str, float]) -> bytes:
    """One snapshot line, built from already-serialized fields (no re-encoding of the document)."""
    line = b'{"id":' + json.dumps(document_id).encode() + b',"fields":' + fields_json
    if mutable:
        line += b',"mutable":' + json.dumps(mutable).encode()
    return line + b"}\n"


def write_snapshot(directory: Path, last_sequence: int, lines: Iterable[bytes]) -> Path:
    """Write all document lines as the snapshot at `last_sequence`; durable when this returns."""
    body = list(lines)
    header = json.dumps({"format": FORMAT_VERSION, "last_sequence": last_sequence,
                         "documents": len(body)}).encode() + b"\n"
    final = snapshot_path(directory, last_sequence)
    temporary = final.with_suffix(".tmp")
    with open(temporary, "wb") as handle:
        handle.write(header)
        handle.writelines(body)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, final)
    fsync_directory(directory)
    return final


def latest_snapshot(directory: Path) -> Path | None:
    snapshots = list_snapshots(directory)
    return snapshots[-1] if snapshots else None


def read_snapshot(path: Path) -> tuple[int, Iterator[SnapshotDocument]]:
    """(last sequence, documents). Raises SnapshotError if the file is not a complete snapshot."""
    handle = open(path, "rb")
    try:
        header = json.loads(handle.readline())
        if header.get("format") != FORMAT_VERSION:
            raise SnapshotError(f"snapshot {path} has unknown format {header.get('format')!r}")
    except (ValueError, AttributeError) as error:
        handle.close()
        raise SnapshotError(f"snapshot {path} has no valid header") from error
    except BaseException:
        handle.close()
        raise
    return int(header["last_sequence"]), _documents(handle, path, int(header["documents"]))


def _documents(handle, path: Path, expected: int) -> Iterator[SnapshotDocument]:
    count = 0
    with handle:
        for line in handle:
            record = json.loads(line)
            count += 1
            yield SnapshotDocument(record["id"], record["fields"], record.get("mutable") or {})
    if count != expected:
        raise SnapshotError(f"snapshot {path} holds {count} documents, header says {expected}")


def remove_snapshots_except(directory: Path, keep: Path) -> None:
    for path in list_snapshots(directory):
        if path != keep:
            path.unlink(missing_ok=True)
    for temporary in directory.glob(f"{SNAPSHOT_PREFIX}*.tmp"):
        temporary.unlink(missing_ok=True)
