"""Index images: what a DocumentDB derives from its documents (local ids, the compressed document
store, every field's term dictionary, posting segments and statistics, the attribute columns, the
document timestamps), saved as numpy arrays beside a snapshot, so that a restart loads them instead
of re-indexing (and of reading every record's timestamp: Restored.load_stamps).

Why whole images, written now and then, and not per segment: posting lists, statistics and the
local id space are global to a field, so a per-segment index would have to be merged (and its
removes applied) at every load. Instead, as the HNSW graphs (vector_indexes.py), an image is
written at the cut of a snapshot when the documents changed since the previous image reach
1/`DUE_FRACTION` of the live ones (by the background snapshot thread: the arrays are captured under
the lock, written outside it) and at every full snapshot: its cost is linear in the corpus, so a
constant per write amortized. At close an image is written only when more documents changed since
the last one than re-indexing at restart would take about as long as writing it (`CLOSE_SKIP_*`):
a close after a recent image writes only the snapshot's short segment. A restart loads the newest
image at or before the snapshot it recovers from, re-applies only the documents whose newest record
in that snapshot is in a segment the image did not cover (snapshots.py `changed_since`), removes
those the snapshot no longer holds, then replays the log as before. A close that does write an
image reports its progress (searchlib/stop_progress.py), so `phasedsearch down` waits for it.

An image keeps the local ids as they were, dead rows included (re-indexing compacts them): one
with more dead rows than live ones is not loaded, so dead rows stay bounded.

File `index-<sequence>.img`: `PSIMG\\0` + u16 version, u32 header length, u32 CRC32C of the
header, the header (JSON: sequence, the covered segments, local id limit, per array its name,
dtype, shape, offset, byte size and zlib CRC-32), then each array's bytes at its 64-byte aligned
offset, read with `np.fromfile`. Written to a temporary name, fsynced, renamed, directory fsynced
(durable_files.replaced_durably), after the snapshot's manifest; older images are deleted only then. Any
damage (checksum, size, an array that does not fit the schema) makes the load fall back to the
image before it or to re-indexing: an image is a cache of the snapshot, never the only copy. So
does a field index built with other analysis settings than the schema's now (FieldIndex.analysis).
"""
from __future__ import annotations

import json
import logging
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
from google_crc32c import value as crc32c

from content_node.store.attributes import AttributeStore, ImageUnsupported
from content_node.store.document_store import DocumentStore
from content_node.store.inverted_index import FieldIndex, indexed_as_text
from content_node.store.local_ids import LocalIds
from content_node.store.segments import Manifest, SegmentInfo, is_manifest, read_manifest, read_stamps
from content_node.store.snapshot import SnapshotDocument
from content_node.store.snapshots import Cut, changed_since
from content_node.store.timestamps import DocumentTimestamps, Stamp, export_image as export_stamps
from content_node.store.durable_files import fsync_directory, replaced_durably
from searchlib.schema.model import Schema
from searchlib.stop_progress import advance

log = logging.getLogger(__name__)

IMAGE_PREFIX = "index-"
IMAGE_SUFFIX = ".img"
DUE_FRACTION = 8  # an image once the documents changed since the last one are 1/8 of the live ones
DUE_MINIMUM = 10_000  # ... but not for fewer changes than this (small corpora re-index in seconds)
CLOSE_SKIP_MAX = 5_000  # a close writes no image when at most this many documents changed since the last
CLOSE_SKIP_FRACTION = 32  # ... and at most 1/32 of the live ones (re-indexing one costs ~32× its share of an image)
_MAGIC = b"PSIMG\x00"
_VERSION = 1
_PREAMBLE = struct.Struct("<6sHII")
_ALIGN = 64
_CHUNK = 1 << 24  # bytes an array is written in, one unit of progress each (a stopping node reports it)


class ImageError(Exception):
    """An image that cannot be used: the snapshot is loaded by re-indexing instead."""


def crash_point(step: str) -> None:
    """Called after each step of an image write (tests raise here)."""


@dataclass(frozen=True, slots=True)
class Image:
    path: Path
    sequence: int
    segments: tuple[SegmentInfo, ...]  # of the snapshot the image was taken with
    limit: int  # local ids
    arrays: dict[str, np.ndarray]

    def part(self, prefix: str) -> dict[str, np.ndarray]:
        """The arrays saved under `prefix.`, by their names after it."""
        start = len(prefix) + 1
        return {name[start:]: array for name, array in self.arrays.items() if name.startswith(prefix + ".")}


def image_path(directory: Path, sequence: int) -> Path:
    return directory / f"{IMAGE_PREFIX}{sequence:020d}{IMAGE_SUFFIX}"


def image_sequence(path: Path) -> int:
    return int(path.name[len(IMAGE_PREFIX):-len(IMAGE_SUFFIX)])


def list_images(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"{IMAGE_PREFIX}*{IMAGE_SUFFIX}"))


def prefixed(prefix: str, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {f"{prefix}.{name}": array for name, array in arrays.items()}


def write_image(directory: Path, sequence: int, segments: tuple[SegmentInfo, ...], limit: int,
                arrays: dict[str, np.ndarray]) -> Path:
    """Write `arrays` (captured under the DocumentDB lock at `sequence`, the cut of the snapshot
    whose manifest names `segments`) durably, then delete every other image."""
    arrays = {name: np.ascontiguousarray(array) for name, array in arrays.items()}
    entries, offset = [], 0
    for name, array in arrays.items():
        if array.dtype.hasobject:
            raise TypeError(f"{name}: object arrays are not saved")
        entries.append([name, array.dtype.str, list(array.shape), offset, array.nbytes, zlib.crc32(array)])
        offset += -(-array.nbytes // _ALIGN) * _ALIGN
        advance()
    header = json.dumps({"sequence": sequence, "limit": limit, "arrays": entries,
                         "segments": [[s.name, s.entries, s.bytes] for s in segments]}).encode()
    start = -(-(_PREAMBLE.size + len(header)) // _ALIGN) * _ALIGN
    final = image_path(directory, sequence)
    with replaced_durably(final, lambda step: crash_point(f"image-{step}"), buffering=1 << 20) as handle:
        handle.write(_PREAMBLE.pack(_MAGIC, _VERSION, len(header), crc32c(header)) + header)
        position = _PREAMBLE.size + len(header)
        for (_, _, _, offset, size, _), array in zip(entries, arrays.values()):
            handle.write(b"\x00" * (start + offset - position))
            data = memoryview(array).cast("B") if size else memoryview(b"")
            for chunk in range(0, size, _CHUNK):
                handle.write(data[chunk: chunk + _CHUNK])
                advance()
            position = start + offset + size
    fsync_directory(directory)
    crash_point("image-directory-fsync")
    for path in list_images(directory):
        if path != final:
            path.unlink(missing_ok=True)
    for temporary in directory.glob(f"{IMAGE_PREFIX}*{IMAGE_SUFFIX}.tmp"):
        temporary.unlink(missing_ok=True)
    return final


def read_image(path: Path) -> Image:
    """Every array of the image at `path`, checked against its checksum; ImageError on damage."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(0)
            magic, version, header_length, header_crc = _PREAMBLE.unpack(handle.read(_PREAMBLE.size))
            if magic != _MAGIC or version != _VERSION:
                raise ImageError(f"{path.name}: not an index image of version {_VERSION}")
            header = handle.read(header_length)
            if len(header) != header_length or crc32c(header) != header_crc:
                raise ImageError(f"{path.name}: header checksum mismatch")
            body = json.loads(header)
            start = -(-(_PREAMBLE.size + header_length) // _ALIGN) * _ALIGN
            arrays = {}
            for name, dtype, shape, offset, nbytes, checksum in body["arrays"]:
                dtype = np.dtype(dtype)
                if dtype.hasobject or start + offset + nbytes > size or int(np.prod(shape)) * dtype.itemsize != nbytes:
                    raise ImageError(f"{path.name}: array {name} does not fit the file")
                handle.seek(start + offset)
                array = np.fromfile(handle, dtype=dtype, count=int(np.prod(shape))).reshape(shape)
                if zlib.crc32(array) != checksum:
                    raise ImageError(f"{path.name}: array {name} checksum mismatch")
                arrays[name] = array
            segments = tuple(SegmentInfo(str(n), int(e), int(b)) for n, e, b in body["segments"])
            return Image(path, int(body["sequence"]), segments, int(body["limit"]), arrays)
    except (OSError, ValueError, KeyError, TypeError, struct.error) as error:
        raise ImageError(f"{path.name}: {type(error).__name__}: {error}") from None


def usable_images(directory: Path, sequence: int) -> list[Path]:
    """Images a snapshot at `sequence` can start from (taken at or before it), newest first."""
    return [path for path in reversed(list_images(directory)) if image_sequence(path) <= sequence]


# -- a DocumentDB's images ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Captured:
    limit: int
    arrays: dict[str, np.ndarray]
    stamps: tuple[dict[bytes, Stamp], dict[int, int]] | None = None  # DocumentTimestamps.capture, for `write`


@dataclass(frozen=True, slots=True)
class Restored:
    local_ids: LocalIds
    documents: DocumentStore
    indexes: dict[str, FieldIndex]
    attributes: AttributeStore
    changed: Iterator[SnapshotDocument]  # to apply on top (snapshots.changed_since)
    live: set[bytes] | None  # every document the snapshot holds (None: exactly the image's)
    manifest: Manifest | None = None  # of the snapshot loaded
    covered: tuple[SegmentInfo, ...] = ()  # the image's segments
    stamps: dict[str, np.ndarray] | None = None  # the document timestamps at the image (None: an older image)

    @property
    def parts(self) -> tuple:
        return self.local_ids, self.documents, self.indexes, self.attributes, self.changed

    def gone(self) -> list[int]:
        """Local ids alive in the image whose document the snapshot no longer holds."""
        if self.live is None:
            return []
        return [local_id for local_id in self.local_ids.alive_local_ids().tolist()
                if self.local_ids.document_id(local_id).encode("utf-8") not in self.live]

    def load_stamps(self, timestamps: DocumentTimestamps) -> None:
        """The document timestamps of the snapshot: the image's, then the records of the segments
        written since, when the snapshot is the image's segments plus newer ones; otherwise (an older
        image without them, segments merged since, arrays that do not fit) every record's, read
        without its fields (segments.read_stamps): the same entries, one Python step a record."""
        records = self.manifest
        if self.stamps is not None and self.manifest.segments[:len(self.covered)] == self.covered:
            try:
                timestamps.load_image(self.stamps)
                records = Manifest(self.manifest.path, self.manifest.last_sequence,
                                   self.manifest.segments[len(self.covered):])
            except (ValueError, KeyError, IndexError) as error:
                log.warning("timestamps of the index image are unusable (%s); reading every record's", error)
                timestamps.clear()
        for document in read_stamps(records):
            timestamps.loaded(document)


class IndexImages:
    """When a DocumentDB writes an image, and loading the newest usable one (see the module doc)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.changes = 0  # documents changed since the newest image (or not in any image)
        self.closing = False  # the next snapshot is the one at close (see CLOSE_SKIP_MAX)
        self._unsupported: str | None = None

    def capture(self, cut: Cut | None, local_ids: LocalIds, documents: DocumentStore, indexes: dict[str, FieldIndex],
                attributes: AttributeStore, timestamps: DocumentTimestamps | None = None) -> Captured | None:
        """Under the DocumentDB lock, at `cut` (None: nothing changed since the newest snapshot):
        the arrays of an image, if one is due."""
        self.changes += len(cut.changed) if cut is not None else 0
        alive = local_ids.alive_count
        due = (cut is not None and cut.full) or self.changes >= max(DUE_MINIMUM, alive // DUE_FRACTION) or \
            (self.closing and self.changes > min(CLOSE_SKIP_MAX, alive // CLOSE_SKIP_FRACTION))
        if self._unsupported or not self.changes or not due:
            return None
        limit = local_ids.limit
        try:
            arrays = {**prefixed("ids", local_ids.export_image()), **prefixed("store", documents.export_image(limit)),
                      **prefixed("attributes", attributes.export_image(limit))}
        except ImageUnsupported as error:
            self._unsupported = str(error)
            log.info("no index images for %s: %s (restarts re-index)", self.directory, error)
            return None
        for name, index in indexes.items():
            arrays.update(prefixed(f"index.{name}", index.export_image(limit)))
            advance()
        return Captured(limit, arrays, None if timestamps is None else timestamps.capture())

    def write(self, manifest: Manifest | None, captured: Captured | None) -> None:
        """Outside the lock, once `manifest` (the snapshot of the cut `captured` was taken at) is durable."""
        if captured is None or manifest is None:
            return
        arrays = captured.arrays
        if captured.stamps is not None:  # built here, outside the lock
            arrays = {**arrays, **prefixed("stamps", export_stamps(*captured.stamps))}
        try:
            write_image(self.directory, manifest.last_sequence, manifest.segments, captured.limit, arrays)
            self.changes = 0
        except OSError as error:  # the snapshot is complete: a missing image costs only re-indexing
            log.error("index image not written: %s", error)

    def restore(self, snapshot: Path, schema: Schema) -> Restored | None:
        """The newest image usable with `snapshot` installed into fresh structures, with what to
        apply on top; None: re-index every document (no usable image)."""
        if not is_manifest(snapshot):
            return None
        manifest = read_manifest(snapshot)
        for path in usable_images(self.directory, manifest.last_sequence):
            try:
                image = read_image(path)
                if image.limit > 2 * int(image.arrays["ids.alive"].sum()) + DUE_MINIMUM:
                    log.info("index image %s is mostly dead rows: re-indexing compacts them", path.name)
                    return None
                parts = _install(image, schema)
            except (ImageError, ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
                log.warning("index image %s is unusable (%s); trying an older one or re-indexing", path.name, error)
                continue
            changed, live = changed_since(manifest, image.segments)
            log.info("index image %s loaded (%d local ids)", path.name, image.limit)
            return Restored(*parts, changed, live, manifest, image.segments, image.part("stamps") or None)
        return None


def _install(image: Image, schema: Schema) -> tuple[LocalIds, DocumentStore, dict[str, FieldIndex], AttributeStore]:
    local_ids = LocalIds.from_image(image.part("ids"))
    if local_ids.limit != image.limit:
        raise ImageError("local id count does not match the header")
    documents = DocumentStore.from_image(image.part("store"))
    indexes = {f.name: FieldIndex.from_image(f, local_ids, image.part(f"index.{f.name}"))
               for f in schema.fields.values() if f.is_index and indexed_as_text(f.type)}
    attributes = AttributeStore(schema)
    attributes.load_image(image.part("attributes"), image.limit)
    return local_ids, documents, indexes, attributes
