"""Snapshot segments: immutable files of document records, and the manifest that names a snapshot's.

A snapshot at sequence S is `manifest-<S>.json`, listing segment files in order; loading applies
their records in that order (a later record of a document replaces an earlier one, a remove record
removes it). Each snapshot writes only the documents written since the previous one (a new
segment), so persisting a write costs the same at any corpus size. Superseded records are garbage:
when they outnumber the live documents the next snapshot rewrites every document into one segment
(amortized: a constant per write), and once there are more than `MAX_SEGMENTS` files the adjacent
pair with the fewest records is merged (from the files, outside any lock).

Segment file: `PSSEG\\0` + u16 version, then records: u32 payload length, u32 CRC32C(payload),
payload. Payload: u8 kind (1 put, 2 remove), u16 id length, u32 meta length, u8 tensor count, the
document id, meta JSON (`{"fields": ..., "mutable": ..., "ts": t, "origin": o}` for a put, origin
when not 0; `{"ts": t}` for a remove), then per dense tensor: u8 name length, u8 cell dtype, u32
cells of the tensor, u32 cells stored (the rest are zero), the name, the raw cells. Vectors are thus
stored once, in binary, at their cell type.

Timestamps (manifest format 4): "ts" is the operation timestamp of the version the record holds
(store/timestamps.py), so a document's timestamp is persisted with it, in the same record, at the
cost of what changed. A remove record with "ts" is a tombstone: it stays in the segments until it is
older than the prune cutoff (a merge that leaves nothing older under it drops it then; a full
snapshot writes only the tombstones still held). Format 3 records have no "ts" (their timestamps,
if any, are in a sidecar file: store/timestamps.py); the first snapshot after loading one is full.

Manifest: one JSON line (format, last sequence, segments with their record count and byte size),
then `{"crc32c": c}` of that line. Write order (`crash_point` names each step, for tests): each
segment to a temporary file, fsync, rename; fsync the directory; the manifest likewise; then older
manifests, unreferenced segments and covered log segments go (recovery.py `retain`). A crash
before the manifest rename leaves the previous manifest and the log after it: nothing is lost.
"""
from __future__ import annotations

import json
import re
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from google_crc32c import Checksum, value as crc32c

from content_node.store.snapshot import SnapshotDocument, SnapshotError
from content_node.store.tensor_column import DenseTensorRows
from content_node.store.durable_files import fsync_directory, replaced_durably
from searchlib.stop_progress import advance

MANIFEST_PREFIX = "manifest-"
MANIFEST_SUFFIX = ".json"
SEGMENT_PREFIX = "segment-"
SEGMENT_SUFFIX = ".seg"
FORMAT_VERSION = 4  # of the snapshot as a whole (1 and 2: one JSON-lines file, snapshot.py)
_READABLE_FORMATS = (3, 4)  # 3: no timestamps in the records
MAX_SEGMENTS = 12
_MAGIC = b"PSSEG\x00"
_FILE_HEADER = struct.Struct("<6sH")
_RECORD = struct.Struct("<II")
_PAYLOAD = struct.Struct("<BHIB")
_TENSOR = struct.Struct("<BBII")
PUT, REMOVE = 1, 2
_DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.uint16), np.dtype(np.int8))


def crash_point(step: str) -> None:
    """Called after each step of a snapshot write (tests raise or exit here)."""


@dataclass(frozen=True, slots=True)
class SegmentInfo:
    name: str
    entries: int
    bytes: int


@dataclass(frozen=True, slots=True)
class Manifest:
    path: Path
    last_sequence: int
    segments: tuple[SegmentInfo, ...]
    format: int = FORMAT_VERSION

    @property
    def entries(self) -> int:
        return sum(segment.entries for segment in self.segments)


# -- records ---------------------------------------------------------------------------------------

def put_record(document_id: str, fields_json: bytes, mutable: dict[str, float],
               tensors: Iterable[tuple[str, DenseTensorRows, int]], timestamp: int, origin: int = 0) -> bytes:
    """A put record from already-serialized fields and the dense tensor rows held by attributes."""
    meta = (b'{"fields":' + fields_json + (b',"mutable":' + json.dumps(mutable).encode() if mutable else b"")
            + b',"ts":%d' % timestamp + (b',"origin":%d}' % origin if origin else b"}"))
    blocks = []
    for name, rows, row in tensors:
        start = int(rows.starts[row])
        if start < 0:
            continue
        cells = rows.arena[start: start + int(rows.lengths[row])]
        encoded = name.encode()
        blocks.append(_TENSOR.pack(len(encoded), _DTYPES.index(cells.dtype), int(np.prod(rows.type.dense_shape)), len(cells))
                      + encoded + cells.tobytes())
    identifier = document_id.encode()
    return _PAYLOAD.pack(PUT, len(identifier), len(meta), len(blocks)) + identifier + meta + b"".join(blocks)


def remove_record(document_id: str, timestamp: int | None) -> bytes:
    """A remove; with `timestamp` also a tombstone (None: one already pruned, a plain removal)."""
    identifier, meta = document_id.encode(), b"{}" if timestamp is None else b'{"ts":%d}' % timestamp
    return _PAYLOAD.pack(REMOVE, len(identifier), len(meta), 0) + identifier + meta


def _record_id(payload: bytes) -> tuple[int, bytes]:
    kind, id_length, _, _ = _PAYLOAD.unpack_from(payload)
    return kind, payload[_PAYLOAD.size: _PAYLOAD.size + id_length]


def _tombstone_timestamp(payload: bytes) -> int | None:
    """The timestamp of a remove record's tombstone (None: a plain removal)."""
    _, id_length, meta_length, _ = _PAYLOAD.unpack_from(payload)
    start = _PAYLOAD.size + id_length
    timestamp = json.loads(payload[start: start + meta_length]).get("ts")
    return None if timestamp is None else int(timestamp)


def _decode(payload: bytes) -> SnapshotDocument:
    kind, id_length, meta_length, tensor_count = _PAYLOAD.unpack_from(payload)
    offset = _PAYLOAD.size
    document_id = payload[offset: offset + id_length].decode()
    offset += id_length
    meta = json.loads(payload[offset: offset + meta_length])
    offset += meta_length
    timestamp = meta.get("ts")
    timestamp = None if timestamp is None else int(timestamp)
    if kind == REMOVE:
        return SnapshotDocument(document_id, {}, {}, removed=True, timestamp=timestamp)
    fields = meta["fields"]
    for _ in range(tensor_count):
        name_length, dtype, total, stored = _TENSOR.unpack_from(payload, offset)
        offset += _TENSOR.size
        name = payload[offset: offset + name_length].decode()
        offset += name_length
        cells = np.zeros(total, dtype=np.float64)
        size = stored * _DTYPES[dtype].itemsize
        cells[:stored] = np.frombuffer(payload, dtype=_DTYPES[dtype], count=stored, offset=offset)
        offset += size
        fields[name] = {"values": cells}  # an array: the column takes it as is (tensor_column.py)
    if offset != len(payload):
        raise ValueError("record length does not match its contents")
    return SnapshotDocument(document_id, fields, meta.get("mutable") or {}, timestamp=timestamp,
                            origin=int(meta.get("origin", 0)))


# -- segment files ---------------------------------------------------------------------------------

def segment_number(name: str) -> int:
    return int(name[len(SEGMENT_PREFIX):-len(SEGMENT_SUFFIX)])


def list_segment_files(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"{SEGMENT_PREFIX}*{SEGMENT_SUFFIX}"))


def write_segment(directory: Path, number: int, payloads: Iterable[bytes]) -> SegmentInfo:
    """Write a segment durably under its final name (not yet in any manifest: unreferenced
    segments are deleted, so a crash here leaves only garbage)."""
    final = directory / f"{SEGMENT_PREFIX}{number:012d}{SEGMENT_SUFFIX}"
    entries, size = 0, _FILE_HEADER.size
    with replaced_durably(final, lambda step: crash_point(f"segment-{step}"), buffering=1 << 20) as handle:
        handle.write(_FILE_HEADER.pack(_MAGIC, 1))
        for payload in payloads:
            handle.write(_RECORD.pack(len(payload), crc32c(payload)))
            handle.write(payload)
            entries += 1
            size += _RECORD.size + len(payload)
            if not entries & 1023:
                advance()  # a stopping node reports it (searchlib/stop_progress.py)
    return SegmentInfo(final.name, entries, size)


def read_segment_payloads(directory: Path, segment: SegmentInfo) -> Iterator[bytes]:
    """The record payloads of a segment, read as a stream (a base segment is most of a node's
    data); SnapshotError if the file is not exactly what the manifest says."""
    path = directory / segment.name
    try:
        handle = open(path, "rb", buffering=1 << 20)
    except FileNotFoundError:
        raise SnapshotError(path, 0, "segment file missing") from None
    with handle:
        size = os.fstat(handle.fileno()).st_size
        if size != segment.bytes:
            raise SnapshotError(path, min(size, segment.bytes), f"holds {size} bytes, the manifest says {segment.bytes}")
        header = handle.read(_FILE_HEADER.size)
        if len(header) < _FILE_HEADER.size or _FILE_HEADER.unpack(header) != (_MAGIC, 1):
            raise SnapshotError(path, 0, "unrecognized segment file header")
        offset, count = _FILE_HEADER.size, 0
        while offset < size:
            record = handle.read(_RECORD.size)
            if len(record) < _RECORD.size:
                raise SnapshotError(path, offset, "record header cut short")
            length, checksum = _RECORD.unpack(record)
            payload = handle.read(min(length, size - offset))  # a damaged length cannot make it read past the end
            if len(payload) != length or crc32c(payload) != checksum:
                raise SnapshotError(path, offset, "record checksum mismatch")
            count += 1
            offset += _RECORD.size + length
            if not count & 1023:
                advance()
            yield payload
    if count != segment.entries:
        raise SnapshotError(path, offset, f"holds {count} records, the manifest says {segment.entries}")


def read_documents(manifest: Manifest) -> Iterator[SnapshotDocument]:
    directory = manifest.path.parent
    for segment in manifest.segments:
        for payload in read_segment_payloads(directory, segment):
            yield decode_record(directory / segment.name, payload)


def decode_record(path: Path, payload: bytes) -> SnapshotDocument:
    try:
        return _decode(payload)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, struct.error) as error:
        raise SnapshotError(path, 0, f"record does not decode: {type(error).__name__}") from None


_STAMP_TAIL = re.compile(rb',?"ts":(\d+)(?:,"origin":(\d+))?}\Z')  # put_record/remove_record write them last
_STAMP_TAIL_BYTES = len(b',"ts":%d,"origin":%d}' % (2**64, 2**64))  # the longest tail those two write


def read_stamps(manifest: Manifest) -> Iterator[SnapshotDocument]:
    """Every record of `manifest` in apply order with its id, kind, timestamp and origin only (no
    fields): what the document timestamps need when an index image holds the documents (and
    not their timestamps, or not all of them: index_image.Restored.load_stamps). The meta's
    tail is read, not the fields JSON; a record without "ts" (format 3) has timestamp None."""
    directory = manifest.path.parent
    for segment in manifest.segments:
        for payload in read_segment_payloads(directory, segment):
            kind, id_length, meta_length, _ = _PAYLOAD.unpack_from(payload)
            start = _PAYLOAD.size + id_length
            tail = _STAMP_TAIL.search(payload, max(start, start + meta_length - _STAMP_TAIL_BYTES), start + meta_length)
            timestamp = None if tail is None else int(tail.group(1))
            origin = int(tail.group(2)) if tail is not None and tail.group(2) else 0
            yield SnapshotDocument(payload[_PAYLOAD.size: start].decode(), {}, {}, removed=kind == REMOVE,
                                   timestamp=timestamp, origin=origin)


def record_id(payload: bytes) -> tuple[int, bytes]:
    """(PUT or REMOVE, the UTF-8 document id) of a record, without decoding the rest."""
    return _record_id(payload)


def merge_segments(directory: Path, number: int, segments: list[SegmentInfo], first: bool,
                   cutoff: int) -> SegmentInfo:
    """One segment holding the last record of each document in `segments` (in order); when
    nothing older is left under them (`first`), removes are dropped unless they are tombstones at
    or after `cutoff` (a tombstone must outlive the restart until it is pruned: a replica may
    still hold the document it removed)."""
    latest: dict[bytes, tuple[int, int]] = {}
    for index, segment in enumerate(segments):
        for position, payload in enumerate(read_segment_payloads(directory, segment)):
            kind, identifier = _record_id(payload)
            if dropped := first and kind == REMOVE:
                timestamp = _tombstone_timestamp(payload)
                dropped = timestamp is None or timestamp < cutoff
            latest[identifier] = (-1, -1) if dropped else (index, position)
    wanted = {place for place in latest.values() if place[0] >= 0}
    del latest

    def kept() -> Iterator[bytes]:
        for index, segment in enumerate(segments):
            for position, payload in enumerate(read_segment_payloads(directory, segment)):
                if (index, position) in wanted:
                    yield payload

    return write_segment(directory, number, kept())


# -- manifests -------------------------------------------------------------------------------------

def manifest_path(directory: Path, last_sequence: int) -> Path:
    return directory / f"{MANIFEST_PREFIX}{last_sequence:020d}{MANIFEST_SUFFIX}"


def is_manifest(path: Path) -> bool:
    return path.name.startswith(MANIFEST_PREFIX) and path.name.endswith(MANIFEST_SUFFIX)


def manifest_sequence(path: Path) -> int:
    return int(path.name[len(MANIFEST_PREFIX):-len(MANIFEST_SUFFIX)])


def write_manifest(directory: Path, last_sequence: int, segments: list[SegmentInfo]) -> Manifest:
    """Make `segments` (already durable under their names) the snapshot at `last_sequence`."""
    fsync_directory(directory)  # the segments' names first
    crash_point("segments-directory-fsync")
    body = json.dumps({"format": FORMAT_VERSION, "last_sequence": last_sequence,
                       "segments": [[s.name, s.entries, s.bytes] for s in segments]},
                      separators=(",", ":")).encode()
    checksum = Checksum(body)
    final = manifest_path(directory, last_sequence)
    with replaced_durably(final, lambda step: crash_point(f"manifest-{step}")) as handle:
        handle.write(body + b"\n" + json.dumps({"crc32c": int.from_bytes(checksum.digest(), "big")}).encode() + b"\n")
    fsync_directory(directory)
    crash_point("manifest-directory-fsync")
    return Manifest(final, last_sequence, tuple(segments))


def read_manifest(path: Path) -> Manifest:
    data = path.read_bytes()
    lines = data.split(b"\n")
    try:
        if len(lines) != 3 or lines[2]:
            raise ValueError("not two lines")
        stored = int(json.loads(lines[1])["crc32c"])
        if crc32c(lines[0]) != stored:
            raise SnapshotError(path, 0, "checksum mismatch")
        body = json.loads(lines[0])
        if body.get("format") not in _READABLE_FORMATS:
            raise SnapshotError(path, 0, f"unknown format {body.get('format')!r}")
        segments = tuple(SegmentInfo(str(name), int(entries), int(size)) for name, entries, size in body["segments"])
        return Manifest(path, int(body["last_sequence"]), segments, int(body["format"]))
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise SnapshotError(path, 0, f"manifest does not parse: {type(error).__name__}") from None


def referenced_segments(manifests: Iterable[Path]) -> set[str]:
    names: set[str] = set()
    for path in manifests:
        try:
            names.update(segment.name for segment in read_manifest(path).segments)
        except (SnapshotError, OSError):
            continue  # a damaged manifest is moved aside by recovery; it protects nothing
    return names


def next_segment_number(directory: Path) -> int:
    numbers = [segment_number(p.name) for p in list_segment_files(directory)]
    numbers += [segment_number(p.name[:-len(".tmp")]) for p in directory.glob(f"{SEGMENT_PREFIX}*{SEGMENT_SUFFIX}.tmp")]
    return max(numbers, default=0) + 1


@dataclass
class SegmentPlan:
    """What the next merge of a manifest's segments should combine (see the module doc)."""
    segments: list[SegmentInfo] = field(default_factory=list)

    def merge_candidate(self) -> int | None:
        """Index i: merge segments i and i+1, the adjacent pair with the fewest records."""
        if len(self.segments) <= MAX_SEGMENTS:
            return None
        pairs = [(a.entries + b.entries, i) for i, (a, b) in enumerate(zip(self.segments, self.segments[1:]))]
        return min(pairs)[1]
