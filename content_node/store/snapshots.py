"""Incremental snapshots of one DocumentDB: which documents changed since the last snapshot, the
consistent cut that freezes them, and the segments + manifest written from it (store/segments.py).

`touched` is called for every applied put and remove (DocumentDB `_stamp`: a remove of a document
not held here too, for its tombstone); `cut` (under the DocumentDB lock) takes the
changed set and decides between an incremental snapshot (only those documents) and a full one
(every document: when no manifest exists yet, after a failed snapshot, whose changes would
otherwise be forgotten, or when superseded records outnumber the live documents and tombstones).
Each record carries its document's timestamp, and a remove record the tombstone's (segments.py), so
timestamps persist at the cost of what changed. Snapshots in the older one-file format (snapshot.py)
and manifests of format 3 (timestamps in a whole-file sidecar) are still loaded; the first snapshot
after one is full.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from content_node.store import segments
from content_node.store.segments import (
    PUT, Manifest, SegmentInfo, decode_record, is_manifest, manifest_sequence, merge_segments, put_record,
    read_documents, read_manifest, read_segment_payloads, record_id, remove_record, write_manifest, write_segment)
from content_node.store.snapshot import (
    SnapshotDocument, SnapshotError, list_snapshots as list_legacy, read_snapshot as read_legacy,
    snapshot_sequence as legacy_sequence, with_values)
from content_node.store.tensor_column import DenseTensorColumn, DenseTensorRows


@dataclass(frozen=True, slots=True)
class Cut:
    sequence: int
    full: bool
    base: Manifest | None
    changed: dict[bytes, str]  # global id → document id of every document written since `base`


class Snapshots:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._manifest: Manifest | None = None
        self._changed: dict[bytes, str] = {}
        self._full = True
        self._next_segment = segments.next_segment_number(directory)

    @property
    def current(self) -> Path | None:
        return None if self._manifest is None else self._manifest.path

    @property
    def manifest(self) -> Manifest | None:
        return self._manifest

    @property
    def changes(self) -> int:
        """Documents written since the newest snapshot."""
        return len(self._changed)

    def touched(self, gid: bytes, document_id: str) -> None:
        self._changed[gid] = document_id

    def loaded(self, path: Path) -> None:
        """Recovery loaded the snapshot at `path`: later changes are relative to it."""
        self._changed.clear()
        self._manifest = read_manifest(path) if is_manifest(path) else None
        self._full = self._manifest is None or self._manifest.format < segments.FORMAT_VERSION

    def cut(self, sequence: int, live: int) -> Cut | None:
        """Under the DocumentDB lock (`live`: documents and tombstones held). None: the newest
        snapshot is at `sequence` already."""
        base = self._manifest
        if base is not None and not self._full and base.last_sequence == sequence:
            return None
        full = self._full or base is None or base.entries + len(self._changed) > 2 * live
        changed, self._changed, self._full = self._changed, {}, False
        return Cut(sequence, full, base, changed)

    def failed(self) -> None:
        """The snapshot of the last cut did not complete: its changes are only in the log now."""
        self._full = True

    def write(self, cut: Cut, payloads: Iterator[bytes], cutoff: int) -> Path:
        """`cutoff`: tombstones older than this are pruned (merges drop their records)."""
        kept = [] if cut.full else list(cut.base.segments)
        if cut.full or cut.changed:
            kept.append(write_segment(self.directory, self._take_number(), payloads))
        while (index := segments.SegmentPlan(kept).merge_candidate()) is not None:
            kept[index: index + 2] = [merge_segments(self.directory, self._take_number(),
                                                     kept[index: index + 2], index == 0, cutoff)]
        self._manifest = write_manifest(self.directory, cut.sequence, kept)
        return self._manifest.path

    def _take_number(self) -> int:
        number, self._next_segment = self._next_segment, self._next_segment + 1
        return number


def freeze(cut: Cut, local_ids, documents, attributes, attribute_held: frozenset[str], timestamps) -> Iterator[bytes]:
    """Under the DocumentDB lock: what the cut's records are made of (immutable blobs, timestamps
    and frozen attribute readers; `timestamps`: store/timestamps.py's DocumentTimestamps). The
    returned records are encoded later, outside the lock."""
    dense = {name for name in attribute_held if isinstance(attributes.columns[name], DenseTensorColumn)}
    limit = local_ids.limit
    held = attributes.frozen_values(attribute_held - dense, limit)
    tensors = {name: attributes.frozen_rows(name, limit) for name in sorted(dense)}
    if cut.full:
        wanted = [(local_ids.document_id(i), local_ids.global_ids[i], i) for i in local_ids.alive_local_ids().tolist()]
        wanted += [(stamp.document_id, gid, None) for gid, stamp in timestamps.tombstones()]
    else:
        wanted = [(document_id, gid, local_ids.lookup(gid)) for gid, document_id in cut.changed.items()]
    entries = [(document_id, local_id, None if local_id is None else documents.compressed(local_id),
                {} if local_id is None else attributes.mutable_values(local_id), timestamps.get(gid))
               for document_id, gid, local_id in wanted]
    return _records(entries, documents.decoder(), held, tensors)


def _records(entries: list, decompress: Callable[[bytes | None], bytes | None],
             held: Mapping[str, Callable[[int], Any]], tensors: Mapping[str, DenseTensorRows]) -> Iterator[bytes]:
    for document_id, local_id, blob, mutable, stamp in entries:
        if local_id is None:  # a tombstone pruned since is a plain removal
            yield remove_record(document_id, stamp.timestamp if stamp is not None and stamp.removed else None)
        else:  # 0: data written before timestamps existed, never stamped
            yield put_record(document_id, with_values(decompress(blob), held, local_id), mutable,
                             [(name, rows, local_id) for name, rows in tensors.items()],
                             0 if stamp is None else stamp.timestamp, 0 if stamp is None else stamp.origin)


# -- snapshots of every format, for recovery ---------------------------------------------------

def list_snapshots(directory: Path) -> list[Path]:
    """Every snapshot (manifest or older single file), oldest first; at one sequence the manifest
    (written later, from the loaded single file) counts as the newer."""
    found = list_legacy(directory) + sorted(directory.glob(f"{segments.MANIFEST_PREFIX}*{segments.MANIFEST_SUFFIX}"))
    return sorted(found, key=lambda path: (snapshot_sequence(path), is_manifest(path)))


def snapshot_sequence(path: Path) -> int:
    return manifest_sequence(path) if is_manifest(path) else legacy_sequence(path)


def read_snapshot(path: Path) -> tuple[int, Iterator[SnapshotDocument]]:
    """(last sequence, documents in apply order); the documents raise SnapshotError on damage."""
    if not is_manifest(path):
        return read_legacy(path)
    manifest = read_manifest(path)
    return manifest.last_sequence, read_documents(manifest)


def changed_since(manifest: Manifest, covered: tuple[SegmentInfo, ...]) -> tuple[Iterator[SnapshotDocument], set[bytes] | None]:
    """For an index image taken with the snapshot whose segments were `covered`: the documents
    of `manifest` whose newest record is a put in a segment written (or merged) since, in apply
    order, and the UTF-8 ids of every document `manifest` holds (None: nothing to reconcile). When
    `manifest` is the covered segments plus newer ones (no merge since), the newer ones' records,
    removes included, are simply applied on top. Otherwise a document whose newest record is in a
    covered segment has not changed since the image, and every record's id is read to find those:
    cheap beside decoding and indexing."""
    if manifest.segments[:len(covered)] == covered:  # only segments appended since: their records, in order
        return read_documents(Manifest(manifest.path, manifest.last_sequence, manifest.segments[len(covered):])), None
    directory, unchanged = manifest.path.parent, set(covered)
    newest: dict[bytes, tuple[int, int]] = {}  # id → (segment index, record index); -1: removed
    for index, segment in enumerate(manifest.segments):
        for position, payload in enumerate(read_segment_payloads(directory, segment)):
            kind, identifier = record_id(payload)
            newest[identifier] = (index, position) if kind == PUT else (-1, -1)
    wanted = {place for place in newest.values() if place[0] >= 0 and manifest.segments[place[0]] not in unchanged}
    live = {identifier for identifier, place in newest.items() if place[0] >= 0}

    def documents() -> Iterator[SnapshotDocument]:
        for index in sorted({index for index, _ in wanted}):
            segment = manifest.segments[index]
            for position, payload in enumerate(read_segment_payloads(directory, segment)):
                if (index, position) in wanted:
                    yield decode_record(directory / segment.name, payload)

    return documents(), live


def verify_snapshot(path: Path) -> SnapshotError | None:
    try:
        for _ in read_snapshot(path)[1]:
            pass
    except SnapshotError as error:
        return error
    return None
