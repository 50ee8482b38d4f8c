"""Which files a document database recovers from, what it does with damaged ones, which it keeps.

Recovery: the newest snapshot that reads back intact, then every log record after it. A damaged
or truncated snapshot falls back to the one before it (kept for that, with the log segments after
it: see `retain`), which is complete, so nothing is lost and nothing needs reporting beyond a log
line; the damaged file is moved aside.

Damage that loses data (a corrupt log record, or no intact snapshot the log can be replayed onto)
depends on whether the node has a replica in another group:
- with one (`rebuild`), the damaged files are moved aside (`<name>.corrupt-<UTC time>`), the
  database keeps what it read up to the damage (checksummed, so trustworthy) and reports that it
  must be rebuilt: the node then stays out of service until catch-up from the replica has made it
  hold exactly the replica's documents (deleting what the replica no longer has).
- without one, `StoreCorruption` names the file and the offset, and nothing is touched, so the
  operator can restore the file or move it aside knowingly.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from content_node.store import segments
from content_node.store.index_image import list_images
from content_node.store.segments import is_manifest, list_segment_files, read_manifest, read_stamps, referenced_segments
from content_node.store.snapshot import SnapshotError
from content_node.store.snapshots import list_snapshots, read_snapshot, snapshot_sequence, verify_snapshot
from content_node.store.timestamps import DocumentTimestamps, retain_sidecars
from content_node.store.durable_files import fsync_directory
from content_node.store.wal import (
    LogRecord, WalCorruption, list_segments, remove_segments, replay, segment_first_sequence,
    segments_covered_by)
from searchlib.docid import global_id

log = logging.getLogger(__name__)


class StoreCorruption(Exception):
    """Stored data is damaged and no replica can replace it: the node must not start."""

    def __init__(self, damage: WalCorruption | SnapshotError) -> None:
        self.damage = damage
        super().__init__(str(damage))

    @property
    def path(self) -> Path:
        return self.damage.path

    @property
    def offset(self) -> int:
        return self.damage.offset


@dataclass(frozen=True, slots=True)
class Recovered:
    last_sequence: int
    replayed: int
    rebuild_reason: str | None  # set: data was lost locally, catch up from a replica before serving


def recover(directory: Path, *, load_snapshot: Callable[[Path], int], reset: Callable[[], None],
            apply: Callable[[LogRecord], None], rebuild: bool, read_only: bool = False) -> Recovered:
    """Load the newest intact snapshot (`load_snapshot` returns its sequence; `reset` clears what a
    failed one left), then `apply` each later log record. Raises StoreCorruption, see module doc.
    `read_only` (not with `rebuild`): nothing in `directory` is moved aside or cut (a directory
    this node does not own, `recovered_entries`)."""
    assert not (rebuild and read_only), "a rebuild moves damaged files aside"
    last_sequence, snapshot_damage, newer = 0, None, []
    for snapshot in reversed(list_snapshots(directory)):
        try:
            last_sequence = _load(load_snapshot, snapshot)
            break
        except SnapshotError as error:
            log.error("%s; falling back to the snapshot before it", error)
            snapshot_damage = snapshot_damage or error
            newer.append(snapshot)
            reset()
    else:
        if snapshot_damage is not None and not _log_starts_at_one(directory):
            return _lost(directory, snapshot_damage, rebuild, reset, everything=True)
    if snapshot_damage is not None and not read_only:
        quarantine(newer)  # the ones tried before the one that loaded
    replayed = 0
    try:
        for record in replay(directory, after_sequence=last_sequence, read_only=read_only):
            apply(record)
            last_sequence = record.sequence
            replayed += 1
    except WalCorruption as error:
        outcome = _lost(directory, error, rebuild, reset, everything=False)
        return Recovered(last_sequence, replayed, outcome.rebuild_reason)
    return Recovered(last_sequence, replayed, None)


def recovered_entries(directory: Path) -> DocumentTimestamps:
    """The document timestamps (documents and tombstones) a DocumentDB opened on `directory` would
    hold, read without writing anything there (a DocumentDB opens a log segment, may move damaged
    files aside and cut a torn log tail, and snapshots at close): the records' ids and stamps, not
    their fields. Raises StoreCorruption where opening it without a replica would."""
    entries = DocumentTimestamps()

    def load_snapshot(snapshot: Path) -> int:
        if is_manifest(snapshot):
            manifest = read_manifest(snapshot)
            sequence, documents = manifest.last_sequence, read_stamps(manifest)
        else:
            sequence, documents = read_snapshot(snapshot)
        for document in documents:
            entries.loaded(document)
        entries.load_sidecar(snapshot)
        return sequence

    def apply(record: LogRecord) -> None:  # as DocumentDB._replay stamps it
        op = json.loads(record.payload)
        entries.record(op["id"], global_id(op["id"]), op.get("ts", 0), op["op"] == "remove",
                       origin=op.get("origin", 0))

    recover(directory, load_snapshot=load_snapshot, reset=entries.clear, apply=apply, rebuild=False, read_only=True)
    return entries


def _load(load_snapshot: Callable[[Path], int], snapshot: Path) -> int:
    """A damaged line can still parse as JSON and fail only when applied (say, bad tensor cells),
    before the checksum at the end is reached: then the checksum decides between damage and bug."""
    try:
        return load_snapshot(snapshot)
    except SnapshotError:
        raise
    except Exception:
        damage = verify_snapshot(snapshot)
        if damage is None:
            raise
        raise damage from None


def _lost(directory: Path, damage: WalCorruption | SnapshotError, rebuild: bool,
          reset: Callable[[], None], everything: bool) -> Recovered:
    if not rebuild:
        raise StoreCorruption(damage)
    if everything:  # no snapshot to stand on: start empty, the replica supplies every document
        reset()
        quarantine([*list_snapshots(directory), *list_segments(directory), *list_images(directory)])
    else:  # the damaged segment and everything after it: records past a gap cannot be replayed
        damaged_first = segment_first_sequence(damage.path) if damage.path.name.startswith("wal-") else 0
        quarantine([p for p in list_segments(directory) if segment_first_sequence(p) >= damaged_first])
    reason = f"{damage}; moved aside, rebuilding from a replica"
    log.error(reason)
    return Recovered(0, 0, reason)


def _log_starts_at_one(directory: Path) -> bool:
    segments = list_segments(directory)
    return not segments or segment_first_sequence(segments[0]) == 1


def quarantine(paths: list[Path]) -> list[Path]:
    """Rename damaged files out of the way (never delete them: an operator may want them)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    moved = []
    for path in paths:
        target = path.with_name(f"{path.name}.corrupt-{stamp}")
        path.rename(target)
        log.warning("moved %s aside to %s", path, target.name)
        moved.append(target)
    if paths:
        fsync_directory(paths[0].parent)
    return moved


def retain(directory: Path, newest: Path) -> None:
    """After `newest` is durable: keep it and the snapshot before it, the segment files they name
    and the log segments needed to replay from that previous one (its fallback); delete the rest
    (older snapshots, unreferenced segments, temporary files of interrupted writes)."""
    snapshots = list_snapshots(directory)
    older = snapshots[:snapshots.index(newest)]
    keep = {newest, *older[-1:]}
    for path in snapshots:
        if path not in keep:
            path.unlink(missing_ok=True)
    retain_sidecars(directory)  # of format-3 snapshots: a kept one still needs its own
    segments.crash_point("retain-snapshots")
    referenced = referenced_segments(path for path in keep if is_manifest(path))
    for path in list_segment_files(directory):
        if path.name not in referenced:
            path.unlink(missing_ok=True)
    for pattern in ("snapshot-*.tmp", "manifest-*.tmp", "segment-*.tmp", "timestamps-*.tmp"):
        for temporary in directory.glob(pattern):
            temporary.unlink(missing_ok=True)
    fsync_directory(directory)
    segments.crash_point("retain-segments")
    base = snapshot_sequence(older[-1]) if older else snapshot_sequence(newest)
    remove_segments(segments_covered_by(directory, base))
    segments.crash_point("log-trim")
