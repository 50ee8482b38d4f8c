"""Write-ahead log: append-only segment files of checksummed records, fsync'd before acknowledgement.

Record layout (little endian): u32 payload length, u32 CRC32 of (sequence + payload),
u64 sequence, payload bytes. A record whose header or payload is cut short or fails its CRC ends
the segment: it is the tail of a write that never completed (kill -9, power loss), so it was
never acknowledged. Replay truncates such a tail so later appends follow valid records.

Segments are named `wal-<first sequence>.log`; a snapshot rotates to a fresh segment so that
older segments can be deleted once the snapshot is durable.

Group commit: `append` only hands bytes to the OS (callers serialize appends under their own lock,
so records are in sequence order); `sync(sequence)` returns once that record is on disk. One thread
fsyncs for everyone waiting, so concurrent writers share fsyncs instead of paying one each.
"""
from __future__ import annotations

import logging
import os
import struct
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

log = logging.getLogger(__name__)

_HEADER = struct.Struct("<IIQ")
_SEQUENCE = struct.Struct("<Q")
_MAX_PAYLOAD = 1 << 30  # a larger length can only be garbage
SEGMENT_PREFIX = "wal-"
SEGMENT_SUFFIX = ".log"


@dataclass(frozen=True, slots=True)
class LogRecord:
    sequence: int
    payload: bytes


def encode_record(sequence: int, payload: bytes) -> bytes:
    checksum = zlib.crc32(payload, zlib.crc32(_SEQUENCE.pack(sequence)))
    return _HEADER.pack(len(payload), checksum, sequence) + payload


def segment_path(directory: Path, first_sequence: int) -> Path:
    return directory / f"{SEGMENT_PREFIX}{first_sequence:020d}{SEGMENT_SUFFIX}"


def list_segments(directory: Path) -> list[Path]:
    """Segments in sequence order (the zero-padded names sort numerically)."""
    return sorted(p for p in directory.glob(f"{SEGMENT_PREFIX}*{SEGMENT_SUFFIX}") if p.is_file())


def read_segment(path: Path) -> tuple[list[LogRecord], int]:
    """The valid records of a segment and the byte length they span (the rest is a torn tail)."""
    data = path.read_bytes()
    records: list[LogRecord] = []
    offset = 0
    while offset + _HEADER.size <= len(data):
        length, checksum, sequence = _HEADER.unpack_from(data, offset)
        end = offset + _HEADER.size + length
        if length > _MAX_PAYLOAD or end > len(data):
            break
        payload = data[offset + _HEADER.size: end]
        if zlib.crc32(payload, zlib.crc32(_SEQUENCE.pack(sequence))) != checksum:
            break
        records.append(LogRecord(sequence, payload))
        offset = end
    return records, offset


def replay(directory: Path, after_sequence: int = 0) -> Iterator[LogRecord]:
    """Every valid record with sequence > after_sequence, in order; torn tails are cut off."""
    for path in list_segments(directory):
        records, valid_length = read_segment(path)
        if valid_length < path.stat().st_size:
            log.warning("wal segment has a torn tail, truncating",
                        extra={"segment": str(path), "valid_bytes": valid_length,
                               "file_bytes": path.stat().st_size})
            _truncate(path, valid_length)
        for record in records:
            if record.sequence > after_sequence:
                yield record


class WriteAheadLog:
    """The open tail segment of a log directory (call `replay` first to recover its contents)."""

    def __init__(self, directory: Path, next_sequence: int) -> None:
        self._directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        segments = list_segments(directory)
        path = segments[-1] if segments else segment_path(directory, next_sequence)
        self._path = path
        self._fd = _open_append(path)
        fsync_directory(directory)
        self._written_sequence = next_sequence - 1
        self._durable_sequence = next_sequence - 1
        self._syncing = False
        self._condition = threading.Condition()
        self.fsync_count = 0  # observable group-commit effectiveness

    @property
    def segment(self) -> Path:
        return self._path

    def append(self, sequence: int, payload: bytes) -> None:
        """Write one record to the OS (not yet durable). Callers append in sequence order."""
        record = encode_record(sequence, payload)
        view = memoryview(record)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        with self._condition:
            self._written_sequence = sequence

    def sync(self, sequence: int) -> None:
        """Block until the record with `sequence` (and every earlier one) is on disk."""
        with self._condition:
            while self._durable_sequence < sequence:
                if self._syncing:
                    self._condition.wait()
                    continue
                self._sync_locked()

    def rotate(self, next_sequence: int) -> list[Path]:
        """Make everything durable, start segment `wal-<next_sequence>`; return older segments."""
        with self._condition:
            while self._syncing:
                self._condition.wait()
            self._sync_locked()
            old_fd, old_path = self._fd, self._path
            self._path = segment_path(self._directory, next_sequence)
            self._fd = _open_append(self._path)
            os.close(old_fd)
        fsync_directory(self._directory)
        return [p for p in list_segments(self._directory) if p != self._path]

    def close(self) -> None:
        with self._condition:
            while self._syncing:
                self._condition.wait()
            self._sync_locked()
            os.close(self._fd)
            self._fd = -1

    def _sync_locked(self) -> None:
        """fsync with the condition released, so writers keep appending meanwhile."""
        target, fd = self._written_sequence, self._fd
        self._syncing = True
        self._condition.release()
        try:
            os.fsync(fd)
        finally:
            self._condition.acquire()
            self._syncing = False
            self._condition.notify_all()
        self.fsync_count += 1
        self._durable_sequence = max(self._durable_sequence, target)


def remove_segments(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
    if paths:
        fsync_directory(paths[0].parent)


def _open_append(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def _truncate(path: Path, length: int) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(length)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_directory(directory: Path) -> None:
    """Make a created, renamed or deleted file name itself durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
