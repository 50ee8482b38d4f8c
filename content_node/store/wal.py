"""Write-ahead log: append-only segment files of checksummed records, fsync'd before acknowledgement.

Segment file (format 4): an 8-byte file header `PSWAL\\0` + u16 version, then records. Record
(little endian): u32 payload length, u32 CRC32C(payload), u64 sequence, u32 CRC32C of those 16
header bytes, payload. The header checksum means a flipped length is detected, not followed.
Each group commit (the records one fsync makes durable) starts at a multiple of 4096 bytes: the
file header and every group are followed by zero bytes up to the next 4 KB boundary (at least a
record header's worth, else up to the boundary after), so no later write touches a block that
holds acknowledged bytes (why: `WriteAheadLog._sync_locked`). An all-zero
record header never checks out, so the reader knows padding when it sees one: it skips to the
boundary if every byte up to it is zero. A segment is created full of zeros to its capacity and
fsync'd before anything is appended; records are then written over the zeros in place (why:
`WriteAheadLog._open_segment`), so the zeros after the last group are the end of the log.

Replay rule (the prefix model: a crash leaves each file as a prefix of what was written):
- a header cut by EOF, or a valid header whose payload runs past EOF, is a *torn tail*: a write
  that never completed, so never acknowledged. It is truncated and logged with file, offset and
  the bytes dropped. Zero bytes up to EOF count as torn too (a power cut can leave zero-filled
  blocks after the last fsync'd record; an all-zero header never checks out). In a preallocated
  segment a torn write shows as zeros, not EOF: the pages of the groups after the last completed
  fsync (the only ones that can be incomplete) reach the disk in any order, and one that did not
  reads as the preallocated zeros. A record that fails its checks is torn if zeros mark the write
  that stopped (it runs into the zeros to EOF, or a whole zero sector follows it among the written
  bytes) and no later group follows (a record header that checks out at a 4 KB boundary: that group
  may have been acknowledged, so the damaged one was durable; see `_torn_in_place`). A segment that another follows was fsync'd
  whole before that one was created, so a torn tail there is corruption, unless the next segment
  starts right after its last whole record: a start whose replay could not cut the tail (a
  read-only disk) began that segment, and the tail holds nothing acknowledged: it is then left as
  it is (nothing appends there) and read as torn at every start. The file header's block is made
  durable with the file, before any group: damage there is corruption.
- a complete header with a bad checksum, a complete record with a bad payload checksum, or a
  sequence gap is *corruption*: `WalCorruption` (file and offset), never a truncation. That holds
  for the last record too (the file alone cannot tell a damaged record from a torn write), except
  where the preallocated zeros mark a torn write (above; a group a filesystem zeroed after its
  acknowledgement, what preallocation prevents, would read so too).
Padding that is not all zeros up to its boundary is damage like any other.
Format-3 segments (not preallocated: a torn write ends at EOF, so zeros inside a record are
corruption) and format-2 segments (no padding: groups follow each other within a block) are read as before.
Segments written by format 1 (no file header, u32 length, u32 CRC32(sequence + payload), u64
sequence) are still read, under the same torn/corrupt rule minus the header checksum (so there
a damaged length still reads as a torn tail: format 1 cannot tell them apart).

Segments are named `wal-<first sequence>.log`. A log opened for writing always starts a fresh
segment (replayed files are never appended to), so a format-1, -2 or -3 file is only ever read.
A segment that fills is followed by a new one, named by the record that did not fit, twice its
capacity (from 1 MB up to 64 MB); `rotate` (at a snapshot, which trims the log) starts one of 1 MB
again. The next segment is prepared in the background (wal_files.py): the append renames it.

Failed writes leave nothing behind: an append that fails (ENOSPC, EIO, EROFS) overwrites what it
wrote with zeros (never a truncation: no extent changes) before raising `WalWriteError`, and if
even that fails the next append (or sync) zeroes first. A disk too full for a new segment fails the
append that needed it, before anything is acknowledged. Every append is thus a probe: when space
comes back, writes work again. A failed fsync is different: Linux may already have dropped the dirty pages, so what
is on disk is unknown. The log then refuses every later write (`WalWriteError`, for good) until
the process restarts and replays what the disk really holds.

Group commit: `append` only hands bytes to the OS (callers serialize appends under their own lock,
so records are in sequence order); `sync(sequence)` returns once that record is on disk. One thread
fsyncs for everyone waiting, so concurrent writers share fsyncs instead of paying one each.
"""
from __future__ import annotations

import json
import logging
import os
import struct
import threading
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

from google_crc32c import value as crc32c

from content_node.store.durable_files import fsync_directory
from content_node.store.wal_files import SegmentPreparer, create_segment, write_zeros, zero_sector

log = logging.getLogger(__name__)

FILE_MAGIC = b"PSWAL\x00"
FORMAT_VERSION = 4  # 3: the same layout, not preallocated; 2: no padding to 4 KB after each group
BLOCK = 4096  # every group commit starts at a multiple of this (a page; a whole number of fs blocks)
# a segment is created full of zeros; the first holds 1 MB, each that fills doubles it up to 64 MB
FIRST_CAPACITY, MAX_CAPACITY = 1 << 20, 64 << 20
_FILE_HEADER = struct.Struct("<6sH")
_HEADER = struct.Struct("<IIQ")  # length, payload CRC32C, sequence
_HEADER_CHECK = struct.Struct("<I")
_HEADER_SIZE = _HEADER.size + _HEADER_CHECK.size
_MAX_PAYLOAD = 1 << 30  # a larger length can only be garbage
SEGMENT_PREFIX = "wal-"
SEGMENT_SUFFIX = ".log"


class WalCorruption(Exception):
    """A record before the tail of a segment is damaged: the log cannot be trusted past `offset`."""

    def __init__(self, path: Path, offset: int, reason: str) -> None:
        self.path, self.offset, self.reason = Path(path), offset, reason
        super().__init__(f"write-ahead log {path} is corrupt at byte {offset} ({reason})")


class WalWriteError(Exception):
    """A record could not be written or made durable; it is not acknowledged."""


@dataclass(frozen=True, slots=True)
class LogRecord:
    sequence: int
    payload: bytes


def encode_record(sequence: int, payload: bytes) -> bytes:
    header = _HEADER.pack(len(payload), crc32c(payload), sequence)
    return header + _HEADER_CHECK.pack(crc32c(header)) + payload


def file_header() -> bytes:
    return _FILE_HEADER.pack(FILE_MAGIC, FORMAT_VERSION)


def padded_end(size: int) -> int:
    """Where the next group starts after a group (or the file header) that ends at `size`."""
    gap = -size % BLOCK
    return size + gap + (BLOCK if 0 < gap < _HEADER_SIZE else 0)  # padding starts with a whole zero header


def segment_path(directory: Path, first_sequence: int) -> Path:
    return directory / f"{SEGMENT_PREFIX}{first_sequence:020d}{SEGMENT_SUFFIX}"


def segment_first_sequence(path: Path) -> int:
    return int(path.name[len(SEGMENT_PREFIX):-len(SEGMENT_SUFFIX)])


def list_segments(directory: Path) -> list[Path]:
    """Segments in sequence order (the zero-padded names sort numerically)."""
    return sorted(p for p in directory.glob(f"{SEGMENT_PREFIX}*{SEGMENT_SUFFIX}") if p.is_file())


@dataclass(frozen=True, slots=True)
class SegmentScan:
    records: list[LogRecord]
    valid_length: int  # bytes spanned by the file header and the whole records
    corruption: WalCorruption | None = None  # set: `records` are the ones before the damage
    end: int | None = None  # where the written bytes end (None: at EOF); past it only preallocated zeros
    preallocated: bool = False  # format 4


def read_segment(path: Path) -> SegmentScan:
    """The records of a segment up to a torn tail or the first damage (see the module doc)."""
    data = path.read_bytes()
    if data.startswith(FILE_MAGIC):
        if len(data) < _FILE_HEADER.size:
            return SegmentScan([], 0)
        version = _FILE_HEADER.unpack_from(data)[1]
        if version not in (2, 3, FORMAT_VERSION):
            return SegmentScan([], 0, WalCorruption(path, 0, f"unknown segment format version {version}"))
        return _scan(path, data, _FILE_HEADER.size, _header_v2, padded=version >= 3,
                     preallocated=version == FORMAT_VERSION)
    if len(data) < _HEADER.size:
        return SegmentScan([], 0)  # a file header (or a format-1 first record) cut short by a crash
    if _HEADER.unpack_from(data)[2] != segment_first_sequence(path):
        # not a format-1 file (which starts with the record its name gives): a damaged file header
        return SegmentScan([], 0, WalCorruption(path, 0, "unrecognized segment file header"))
    return _scan(path, data, 0, _header_v1)


def _header_v2(data: bytes, offset: int) -> tuple[int, int, int, str | None]:
    length, checksum, sequence = _HEADER.unpack_from(data, offset)
    stored, = _HEADER_CHECK.unpack_from(data, offset + _HEADER.size)
    if crc32c(data[offset:offset + _HEADER.size]) != stored:
        return 0, 0, 0, "record header checksum mismatch"
    return length, checksum, sequence, None


def _header_v1(data: bytes, offset: int) -> tuple[int, int, int, str | None]:
    length, checksum, sequence = _HEADER.unpack_from(data, offset)
    return length, checksum, sequence, None


def _scan(path: Path, data: bytes, offset: int, header, padded: bool = False,
          preallocated: bool = False) -> SegmentScan:
    legacy = header is _header_v1
    header_size = _HEADER.size if legacy else _HEADER_SIZE
    records: list[LogRecord] = []
    expected = segment_first_sequence(path)
    # preallocated: the written bytes end where the zeros to EOF begin (one C-speed pass)
    written = len(data.rstrip(b"\x00")) if preallocated else len(data)

    def torn() -> SegmentScan:
        return SegmentScan(records, offset, None, max(offset, written), preallocated)

    def damaged(reason: str, record_end: int | None = None, header_ok: bool = False) -> SegmentScan:
        """Zeros to EOF from the record's start: torn; preallocated: see `_torn_in_place` (never in
        the file header's block: it was made durable with the file, before any group)."""
        later = record_end if header_ok else offset + 1
        if (offset >= BLOCK and _torn_in_place(data, offset, record_end, written, later)
                if preallocated else not data[offset:].strip(b"\x00")):
            return torn()
        return SegmentScan(records, offset, WalCorruption(path, offset, reason), written, preallocated)

    while offset < len(data):
        if padded and offset % BLOCK and not data[offset:offset + header_size].strip(b"\x00"):
            boundary = padded_end(offset)  # a group's padding (or the file header's)
            if boundary > len(data) or data[offset:boundary].strip(b"\x00"):
                return damaged("zero bytes where a record should start, not padding to a 4 KB boundary")
            offset = boundary
            continue
        if offset + header_size > len(data):
            return torn()  # the header never fully reached the file
        length, checksum, sequence, problem = header(data, offset)
        if problem:
            return damaged(problem, offset + header_size)
        if length > _MAX_PAYLOAD:
            return damaged(f"impossible record length {length}", offset + header_size)
        end = offset + header_size + length
        if end > len(data):
            return torn()  # the payload never fully reached the file
        payload = data[offset + header_size:end]
        actual = _crc32_v1(sequence, payload) if legacy else crc32c(payload)
        if actual != checksum:
            return damaged("record checksum mismatch", end, header_ok=not legacy)
        if sequence != expected:  # a whole record: never a torn write
            return SegmentScan(records, offset, WalCorruption(path, offset, f"sequence {sequence} where "
                                                              f"{expected} was expected"), written, preallocated)
        records.append(LogRecord(sequence, payload))
        expected += 1
        offset = end
    return torn()


def _torn_in_place(data: bytes, start: int, record_end: int | None, written: int, later: int) -> bool:
    """In a preallocated segment, is the damage at `start` a write that never completed rather than
    damage to acknowledged bytes? Pages of an interrupted write that never reached the disk read as
    the preallocated zeros, in any order (a later page may have, an earlier one not). Only the
    groups after the last completed fsync can be incomplete, and every group starts at a 4 KB
    boundary: a record header that checks out at a boundary after the damage (from `later`) is a
    later group, so the damaged one may have been acknowledged: corruption (conservative: a torn
    group's own record that happens to start on a boundary reads so too). Else it is torn when
    zeros mark where the write stopped: the record runs into the zeros to EOF, or a whole zero
    sector lies between the damage and the end of the written bytes (a flipped bit leaves none)."""
    marked = written <= start or (record_end is not None and record_end > written) or zero_sector(data, start, written)
    boundaries = range(-(-later // BLOCK) * BLOCK, min(written, len(data) - _HEADER_SIZE + 1), BLOCK)
    return marked and not any(_header_v2(data, boundary)[3] is None for boundary in boundaries)


def _crc32_v1(sequence: int, payload: bytes) -> int:
    return zlib.crc32(payload, zlib.crc32(struct.pack("<Q", sequence)))


def replay(directory: Path, after_sequence: int = 0, read_only: bool = False) -> Iterator[LogRecord]:
    """Every record with sequence > after_sequence, in order. Torn tails are truncated (and
    logged; `read_only`: left as they are, for a directory another node owns); damage raises
    WalCorruption after the records before it have been yielded."""
    segments = list_segments(directory)
    previous: int | None = None  # the last sequence seen, to detect gaps between segments
    for index, path in enumerate(segments):
        following = segments[index + 1] if index + 1 < len(segments) else None
        if following is not None and segment_first_sequence(following) <= after_sequence + 1:
            continue  # every record of this segment is at or before `after_sequence`
        scan = read_segment(path)
        end = path.stat().st_size if scan.end is None else scan.end
        if scan.corruption is None and scan.valid_length < end:
            resumed = scan.records[-1].sequence + 1 if scan.records else segment_first_sequence(path)
            if following is not None and scan.preallocated and segment_first_sequence(following) != resumed:
                # a full segment is made durable before `following` is created: what it loses is damage
                scan = replace(scan, corruption=WalCorruption(
                    path, scan.valid_length, "a record cut short in a segment that another one follows"))
            elif following is None and not read_only:  # the last segment: appends go on after its whole records
                _cut_torn_tail(path, scan.valid_length, end)
            # else one the next start resumed right after (its cut had failed): nothing appends to
            # it, so it is left as it is and read as torn each time (replay never changes a segment
            # before one where it may yet find corruption)
        for record in scan.records:
            wanted = after_sequence + 1 if previous is None else previous + 1
            if record.sequence > wanted or (previous is not None and record.sequence < wanted):
                raise WalCorruption(path, 0, f"sequence gap: record {record.sequence} follows "
                                             f"{wanted - 1}, a segment is missing or damaged")
            previous = record.sequence
            if record.sequence > after_sequence:
                yield record
        if scan.corruption is not None:
            raise scan.corruption


def _cut_torn_tail(path: Path, valid_length: int, size: int) -> None:
    log.warning("write-ahead log %s has a torn tail at byte %d: dropping %d bytes of a write that "
                "never completed", path, valid_length, size - valid_length)
    try:
        _truncate(path, valid_length)
    except OSError as error:  # read-only: harmless, replay skips the same tail next time
        log.warning("could not truncate %s: %s", path, error)


class WriteAheadLog:
    """The segment being written (call `replay` first: this always starts a fresh segment)."""

    # the system calls that can fail with a full or broken disk (tests substitute failing ones)
    _write = staticmethod(os.write)
    _fsync = staticmethod(os.fsync)
    _write_zeros = staticmethod(write_zeros)  # also the preallocation of a segment created inline

    def __init__(self, directory: Path, next_sequence: int) -> None:
        self._directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._path = segment_path(directory, next_sequence)
        self._fd = -1
        self._size = 0  # bytes of the file header, whole records and padding in the current segment
        self._capacity = FIRST_CAPACITY  # of the next segment a full one is followed by
        self._end = 0  # the current segment's preallocated size
        self._dirty = 0  # a failed write may have left bytes in [_size, _dirty) (zeroed before the next)
        self._retired: list[int] = []  # full segments, fsync'd, closed by the next sync (one may use them)
        self._write_error: str | None = None  # the last append failed (cleared by a success)
        self._broken: str | None = None  # an fsync failed: no write is accepted any more
        self._written_sequence = next_sequence - 1
        self._durable_sequence = next_sequence - 1
        self._syncing = False
        self._condition = threading.Condition()
        # held by each append and by `_sync_locked` while it ends the group (after the condition)
        self._append_lock = threading.Lock()
        self.fsync_count = 0  # observable group-commit effectiveness
        if self._path.exists() and read_segment(self._path).records:
            raise RuntimeError(f"{self._path} already holds records: replay the log before writing")
        self._preparer = SegmentPreparer(directory, file_header())
        try:
            self._open_segment(next_sequence, 0, FIRST_CAPACITY)
        except OSError as error:  # a read-only or full disk: serve reads, refuse writes, retry later
            self._write_error = describe(error)
            log.error("cannot create write-ahead log segment %s: %s", self._path, error)

    @property
    def segment(self) -> Path:
        return self._path

    @property
    def position(self) -> int:
        """Where the next record goes in the current segment (its file is preallocated past it)."""
        return self._size

    @property
    def write_error(self) -> str | None:
        """Why writes are refused now (None while the log accepts them)."""
        return self._broken or self._write_error

    def append(self, sequence: int, payload: bytes) -> None:
        """Write one record to the OS (not yet durable). Callers append in sequence order.
        Raises WalWriteError with the file as it was before the call."""
        record = encode_record(sequence, payload)
        with self._append_lock:
            if self._broken:
                raise WalWriteError(self._broken)
            if self._fd >= 0 and self._size + len(record) > self._end:
                self._retire_full_segment()
            self._write_all(record, sequence)
            self._written_sequence = sequence

    def _retire_full_segment(self) -> None:
        """The record does not fit: the next append creates a segment. This one is made durable
        first, so a segment that another follows never ends in a torn write (replay relies on it),
        and without what a failed append left after its last record."""
        try:
            self._clean()
        except OSError as error:
            self._write_error = describe(error)
            raise WalWriteError(self._write_error) from error
        try:
            self._fsync(self._fd)
        except OSError as error:
            self._broken = (f"{describe(error)}: an fsync failed, so what is on disk is unknown; "
                            "the node accepts no writes until it restarts")
            log.error("fsync of %s failed: %s; refusing writes until restart", self._path, error)
            raise WalWriteError(self._broken) from error
        self._retired.append(self._fd)
        self._fd = -1

    def _write_all(self, data: bytes, sequence: int) -> None:
        """Write `data` over the preallocated zeros after the last whole record (under the append
        lock), or leave the file as it was and raise WalWriteError."""
        try:
            if self._fd < 0:
                self._open_segment(sequence, len(data), self._capacity)
            self._clean()
            self._dirty = self._size + len(data)
            os.lseek(self._fd, self._size, os.SEEK_SET)
            view = memoryview(data)
            while view:
                written = self._write(self._fd, view)
                view = view[written:]
            self._dirty = 0
        except OSError as error:
            self._roll_back()
            self._write_error = describe(error)
            log.error("write-ahead log append to %s failed (not acknowledged): %s", self._path, error)
            raise WalWriteError(self._write_error) from error
        self._size += len(data)
        self._write_error = None

    def _clean(self) -> None:
        """Zero what an earlier failed write left past the last whole record (raises OSError)."""
        if self._dirty:
            self._write_zeros(self._fd, self._size, self._dirty - self._size)
            self._dirty = 0

    def _roll_back(self) -> None:
        if self._dirty and self._fd >= 0:
            try:
                self._clean()
            except OSError as error:  # the next append (or sync) tries again first
                log.error("could not zero %s back from byte %d: %s", self._path, self._size, error)

    def sync(self, sequence: int) -> None:
        """Block until the record with `sequence` (and every earlier one) is on disk."""
        with self._condition:
            while self._durable_sequence < sequence:
                if self._broken:
                    raise WalWriteError(self._broken)
                if self._syncing:
                    self._condition.wait()
                    continue
                self._sync_locked()

    def rotate(self, next_sequence: int) -> list[Path]:
        """Make everything durable, start segment `wal-<next_sequence>`; return older segments."""
        with self._condition:
            while self._syncing:
                self._condition.wait()
            if self._broken:
                raise WalWriteError(self._broken)
            self._sync_locked()
            if segment_path(self._directory, next_sequence) == self._path:
                return [p for p in list_segments(self._directory) if p != self._path]  # nothing new
            with self._append_lock:
                old_fd = self._fd
                # the log was trimmed: it grows from the first capacity again (raises OSError with
                # the old segment current)
                self._open_segment(next_sequence, 0, FIRST_CAPACITY)
            if old_fd >= 0:
                os.close(old_fd)
        return [p for p in list_segments(self._directory) if p != self._path]

    def close(self) -> None:
        with self._condition:
            while self._syncing:
                self._condition.wait()
            try:
                if not self._broken:
                    self._sync_locked()
            finally:
                for fd in [*self._retired, self._fd]:
                    if fd >= 0:
                        os.close(fd)
                self._fd, self._retired = -1, []
                self._preparer.close()
                # for good: a write racing the shutdown must not reopen (and truncate) the segment
                self._broken = self._broken or "the write-ahead log is closed: the node is stopping"

    def _open_segment(self, first_sequence: int, record_size: int, capacity: int) -> None:
        """Make segment `wal-<first_sequence>` current: `capacity` bytes (more if the record needs
        it), full of zeros (its file header aside) and fsync'd, its name durable. Appends then write
        over allocated, written blocks in place, so no group's fsync allocates a block or changes an
        extent (on ext4 over a full device, converting the unwritten extent of a new block failed and
        zeroed the acknowledged block beside it). The prepared file is renamed when there is one
        (wal_files.py); else it is created here, and a full disk fails here, before anything is
        acknowledged (the partial file is removed). Then the next one is prepared."""
        path = segment_path(self._directory, first_sequence)
        size = max(capacity, padded_end(BLOCK + record_size))
        fd = self._preparer.take(path, size)
        if fd is None:
            fd = create_segment(path, size, file_header(), self._write_zeros)
        self._fd, self._path, self._end, self._dirty = fd, path, size, 0
        self._size = padded_end(_FILE_HEADER.size)
        self._capacity = min(2 * capacity, MAX_CAPACITY)
        self._preparer.start(self._capacity)

    def _sync_locked(self) -> None:
        """fsync with the condition released, so writers keep appending (to the next group) meanwhile.
        First the group is padded to a 4 KB boundary (under the append lock: nothing is appended
        between its last record and the padding): the preallocated zeros are the padding, so this
        only moves the position. Its last block is then written back once, whole, and never again:
        the next group starts in a fresh block, so a failed or torn write of it cannot reach
        acknowledged bytes (on ext4 a failed write-back read back as zeros across the block it
        started in). Bytes a failed append left there are zeroed first, or the sync fails."""
        with self._append_lock:
            for fd in self._retired:  # fsync'd when retired; no sync runs now that could use them
                os.close(fd)
            self._retired = []
            target, fd = self._written_sequence, self._fd
            if fd < 0:  # no segment since the last one was retired (and fsync'd): all is durable
                self._durable_sequence = max(self._durable_sequence, target)
                return
            try:
                self._clean()
            except OSError as error:
                self._write_error = describe(error)
                raise WalWriteError(self._write_error) from error
            self._size = padded_end(self._size)
        self._syncing = True
        self._condition.release()
        try:
            self._fsync(fd)
        except OSError as error:
            self._broken = (f"{describe(error)}: an fsync failed, so what is on disk is unknown; "
                            "the node accepts no writes until it restarts")
            log.error("fsync of %s failed: %s; refusing writes until restart", self._path, error)
        finally:
            self._condition.acquire()
            self._syncing = False
            self._condition.notify_all()
        if self._broken:
            raise WalWriteError(self._broken)
        self.fsync_count += 1
        self._durable_sequence = max(self._durable_sequence, target)


def describe(error: OSError) -> str:
    """A short reason without paths: it reaches clients."""
    return error.strerror or type(error).__name__


def remove_segments(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
    if paths:
        fsync_directory(paths[0].parent)


def segments_covered_by(directory: Path, sequence: int) -> list[Path]:
    """Segments every record of which is at or before `sequence` (a snapshot makes them redundant)."""
    segments = list_segments(directory)
    return [path for path, following in zip(segments, segments[1:])
            if segment_first_sequence(following) <= sequence + 1]


def _truncate(path: Path, length: int) -> None:
    with open(path, "r+b") as handle:
        handle.truncate(length)
        handle.flush()
        os.fsync(handle.fileno())


def put_payload(document_id: str, fields_json: bytes, timestamp: int = 0, origin: int = 0) -> bytes:
    """`timestamp`: the operation's (store/timestamps.py); records without one replay as 0. `origin`:
    the version's (an update's result), when not 0."""
    return (b'{"op":"put","id":' + json.dumps(document_id).encode() + b',"ts":%d' % timestamp
            + (b',"origin":%d' % origin if origin else b"") + b',"fields":' + fields_json + b"}")


def remove_payload(document_id: str, timestamp: int = 0) -> bytes:
    return b'{"op":"remove","id":' + json.dumps(document_id).encode() + b',"ts":%d}' % timestamp
