"""Per document, the timestamp of its newest operation, and remove entries (tombstones: id and
timestamp of a remove, kept after the document is gone) — what replicas compare to agree on the
newest version of every document (Vespa's bucket merge, content_node/replica_merge.py).

Newest wins: an operation is applied only if its timestamp is greater than the stored one (a
document never seen counts as ABSENT, older than everything, so even a timestamp-0 copy of old data
fills it). An equal timestamp is the same operation again (a retry, or a copy the merge pushed
first): a no-op, which also makes a retried arithmetic update apply once.

Per merge bucket (MERGE_BUCKET_BITS of the document's bucket), the XOR of a hash of (global id,
timestamp, removed) over its entries is kept up to date on every write, so two replicas find the
buckets they differ in from ~1k numbers and list only those in detail.

Tombstones are pruned once older than `max_age` (Vespa's removed-db prune age, two weeks): a replica
that was away longer can bring a removed document back, as in Vespa. Durable as the documents are:
removes are WAL records with their timestamp, and each snapshot has a sidecar file of every entry at
its sequence (`timestamps-<sequence>.jsonl`, checksummed). A snapshot without one (written before
timestamps existed) loads its documents at timestamp 0.
"""
from __future__ import annotations

import hashlib
import heapq
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from google_crc32c import Checksum, value as crc32c_value

from content_node.store.snapshot import SnapshotError
from content_node.store.snapshots import list_snapshots, snapshot_sequence
from content_node.store.wal import fsync_directory, replaced_durably
from searchlib.docid import DISTRIBUTION_BITS, bucket_of, global_id
from searchlib.timestamps import CLOCK, timestamp_of

ABSENT = -1  # the stored timestamp of a document never seen: older than every operation
MERGE_BUCKET_BITS = 10  # 1024 checksums a schema: ~50 entries a bucket at 50k documents
DEFAULT_TOMBSTONE_MAX_AGE = 14 * 24 * 3600.0  # seconds (Vespa: two weeks)
SIDECAR_PREFIX = "timestamps-"
SIDECAR_SUFFIX = ".jsonl"


class Superseded(Exception):
    """The stored version of the document is as new as the operation or newer: nothing written."""


@dataclass(frozen=True, slots=True)
class Stamp:
    document_id: str
    timestamp: int
    removed: bool = False
    updated: bool = False  # written by an update (on whatever base the node had): not persisted


def merge_bucket(gid: bytes) -> int:
    return bucket_of(gid) >> (DISTRIBUTION_BITS - MERGE_BUCKET_BITS)


def entry_hash(gid: bytes, stamp: Stamp) -> int:
    data = gid + stamp.timestamp.to_bytes(8, "little", signed=True) + (b"\x01" if stamp.removed else b"\x00")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


class DocumentTimestamps:
    """The entries of one DocumentDB. Writers call `record` under the database lock after the
    operation is logged and applied; the merge reads from other threads (own lock)."""

    def __init__(self, max_age: float = DEFAULT_TOMBSTONE_MAX_AGE) -> None:
        self.max_age = max_age
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self._entries: dict[bytes, Stamp] = {}
        self._buckets: dict[int, set[bytes]] = {}
        self._sums: dict[int, int] = {}
        self._removes: list[tuple[int, bytes]] = []  # heap of (timestamp, gid) of tombstones, oldest first

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, gid: bytes) -> Stamp | None:
        return self._entries.get(gid)

    def timestamp(self, gid: bytes) -> int:
        stamp = self._entries.get(gid)
        return ABSENT if stamp is None else stamp.timestamp

    def newest_only(self, gid: bytes, timestamp: int | None, condition: Callable | None = None,
                    allow_equal: bool = False) -> Callable:
        """A DocumentDB write condition (checked under its lock): refuse with Superseded unless
        `timestamp` is newer than the stored one (None: assigned now, so newest), then `condition`."""
        def check(stored):
            if timestamp is not None:
                current = self.timestamp(gid)
                if timestamp < current or (timestamp == current and not allow_equal):
                    raise Superseded(f"stored timestamp {current} >= {timestamp}")
            if condition is not None:
                condition(stored)
        return check

    def record(self, document_id: str, gid: bytes, timestamp: int, removed: bool = False,
               updated: bool = False) -> None:
        with self._lock:
            self._set(gid, Stamp(document_id, timestamp, removed, updated))

    def _set(self, gid: bytes, stamp: Stamp | None) -> None:
        bucket = merge_bucket(gid)
        old = self._entries.pop(gid, None)
        change = entry_hash(gid, old) if old is not None else 0
        if stamp is not None:
            self._entries[gid] = stamp
            self._buckets.setdefault(bucket, set()).add(gid)
            change ^= entry_hash(gid, stamp)
            if stamp.removed:  # a heap entry whose tombstone was replaced since is skipped by `prune`
                heapq.heappush(self._removes, (stamp.timestamp, gid))
        else:
            members = self._buckets.get(bucket)
            if members is not None:
                members.discard(gid)
                if not members:
                    del self._buckets[bucket]
        total = self._sums.get(bucket, 0) ^ change
        if total:
            self._sums[bucket] = total
        else:
            self._sums.pop(bucket, None)

    def cutoff(self, now: float) -> int:
        """Tombstones older than this timestamp are pruned (and ignored when replicas compare)."""
        return timestamp_of(now - self.max_age)

    def prune(self, now: float) -> int:
        """Drop tombstones older than `max_age`; how many went (the cost is in those alone)."""
        cutoff, pruned = self.cutoff(now), 0
        with self._lock:
            while self._removes and self._removes[0][0] < cutoff:
                timestamp, gid = heapq.heappop(self._removes)
                stamp = self._entries.get(gid)
                if stamp is not None and stamp.removed and stamp.timestamp == timestamp:
                    self._set(gid, None)
                    pruned += 1
        return pruned

    def checksums(self) -> dict[int, int]:
        """Merge bucket → XOR of its entry hashes (buckets without entries left out)."""
        with self._lock:
            return dict(self._sums)

    def bucket_entries(self, buckets: Iterable[int]) -> list[Stamp]:
        with self._lock:
            return [self._entries[gid] for bucket in buckets for gid in self._buckets.get(bucket, ())]

    def stamps(self) -> list[Stamp]:
        """Every entry (a consistent cut when taken under the database lock, for snapshots)."""
        with self._lock:
            return list(self._entries.values())

    def load(self, snapshot: Path, live_ids: Iterator[str]) -> None:
        """After the snapshot's documents are loaded: its sidecar, or timestamp 0 for each document
        when it has none. A damaged sidecar is a damaged snapshot (recovery falls back)."""
        path = sidecar_path(snapshot.parent, snapshot_sequence(snapshot))
        stamps = read_sidecar(path) if path.exists() else (Stamp(i, 0) for i in live_ids)
        with self._lock:
            for stamp in stamps:
                self._set(global_id(stamp.document_id), stamp)


def sidecar_path(directory: Path, sequence: int) -> Path:
    return directory / f"{SIDECAR_PREFIX}{sequence:020d}{SIDECAR_SUFFIX}"


def write_sidecar(directory: Path, sequence: int, stamps: list[Stamp]) -> Path:
    """Durably, before the snapshot of `sequence` is renamed into place (so a snapshot that exists
    has its sidecar)."""
    final = sidecar_path(directory, sequence)
    checksum = Checksum()
    with replaced_durably(final) as handle:
        for stamp in stamps:
            line = json.dumps([stamp.document_id, stamp.timestamp, int(stamp.removed)],
                              ensure_ascii=False).encode() + b"\n"
            checksum.update(line)
            handle.write(line)
        handle.write(json.dumps({"end": True, "entries": len(stamps),
                                 "crc32c": int.from_bytes(checksum.digest(), "big")}).encode() + b"\n")
    fsync_directory(directory)
    return final


def read_sidecar(path: Path) -> list[Stamp]:
    """The entries, checked against the trailer: one checksum and one JSON parse for the whole
    body (a restart reads every document's entry; per-line parsing was most of its time)."""
    data = path.read_bytes()
    start = 0 if data.startswith(b"{") else data.find(b"\n{") + 1  # entries are arrays, the trailer an object
    if start == 0 and not data.startswith(b"{"):
        raise SnapshotError(path, 0, "timestamps file truncated: no trailer")
    body, trailer = data[:start], data[start:].split(b"\n", 1)[0]
    try:
        end = json.loads(trailer)
        values = json.loads(b"[" + body.rstrip(b"\n").replace(b"\n", b",") + b"]")  # JSON strings hold no newline
        if end["entries"] != len(values) or end["crc32c"] != crc32c_value(body):
            raise SnapshotError(path, 0, "timestamps checksum or count mismatch")
        return [Stamp(str(document_id), int(timestamp), bool(removed)) for document_id, timestamp, removed in values]
    except (ValueError, KeyError, TypeError) as error:
        raise SnapshotError(path, 0, f"timestamps line does not parse: {type(error).__name__}") from None


def retain_sidecars(directory: Path) -> None:
    """Keep the sidecars of the snapshots that are kept (store/recovery.py `retain`)."""
    kept = {snapshot_sequence(path) for path in list_snapshots(directory)}
    for path in directory.glob(f"{SIDECAR_PREFIX}*"):
        stem = path.name[len(SIDECAR_PREFIX):].split(".")[0]
        if not stem.isdigit() or int(stem) not in kept or not path.name.endswith(SIDECAR_SUFFIX):
            path.unlink(missing_ok=True)


def assign(timestamp: int | None) -> int:
    """The operation's timestamp, or one assigned now (writes that came without one)."""
    return CLOCK.next() if timestamp is None else timestamp


def newest_wins(timestamps: DocumentTimestamps, document_id: str, timestamp: int | None, write: Callable,
                condition: Callable | None = None, allow_equal: bool = False, superseded=True):
    """`write(check, timestamp)` under the newest-wins rule (`check`: the DocumentDB condition);
    `superseded` is what it returns when the stored version is newer (nothing written)."""
    try:
        return write(timestamps.newest_only(global_id(document_id), timestamp, condition, allow_equal), timestamp)
    except Superseded:
        return superseded
