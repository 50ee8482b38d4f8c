"""Per document, the timestamp of its newest operation, and remove entries (tombstones: id and
timestamp of a remove, kept after the document is gone) — what replicas compare to agree on the
newest version of every document (Vespa's bucket merge, content_node/replica_merge.py).

Newest wins: an operation is applied only if its timestamp is greater than the stored one (a
document never seen counts as ABSENT, older than everything, so even a timestamp-0 copy of old data
fills it). An equal timestamp is the same operation again (a retry, or a copy the merge pushed
first): a no-op, which also makes a retried arithmetic update apply once.

Origin: an update computes its result from whatever version the node held, so replicas holding
different versions (one missed a put) store different results under the update's one timestamp.
Each entry therefore also has an origin: 0 for a put or remove (its content is the operation's
alone), and for an update's result its history since the last put or remove, `update_origin`: that
root's timestamp in the high bits (a result computed on a newer put orders higher, however many
updates followed), then how many updates were applied since (one that missed an update has fewer),
then a hash of their timestamps (any other difference, ordered arbitrarily but the same on every
node). At an equal timestamp the higher origin wins: copies carry their origin, so the merge
converges replicas that the update repair could not (container/http/update_repair.py: a repair
that reached no replica, or a container that died before repairing).

Per merge bucket (MERGE_BUCKET_BITS of the document's bucket), the XOR of a hash of (global id,
timestamp, removed, origin) over its entries is kept up to date on every write, so two replicas find
the buckets they differ in from ~1k numbers and list only those in detail.

Tombstones are pruned once older than `max_age` (Vespa's removed-db prune age, two weeks): a replica
that was away longer can bring a removed document back, as in Vespa. Durable as the documents are,
in the same records: WAL records carry their operation's timestamp, and snapshot segment records
their version's (a remove record its tombstone's: store/segments.py), so a snapshot persists the
entries that changed since the previous one. Older formats still load: manifests of format 3 with a
whole-file sidecar of every entry (`timestamps-<sequence>.jsonl`, checksummed; written up to main
at b023d37), and snapshots without either (written before timestamps existed), whose
documents load at timestamp 0.
"""
from __future__ import annotations

import hashlib
import heapq
import json
import threading
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
from google_crc32c import Checksum

from content_node.store.snapshot import SnapshotDocument, SnapshotError
from content_node.store.snapshots import list_snapshots, snapshot_sequence
from searchlib.docid import DISTRIBUTION_BITS, bucket_of, global_id
from searchlib.timestamps import CLOCK, timestamp_of

ABSENT = -1  # the stored timestamp of a document never seen: older than every operation
GID_BYTES = 12  # searchlib.docid.global_id
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
    origin: int = 0  # an update's result: `update_origin` of its base; 0 otherwise (see the module doc)


def merge_bucket(gid: bytes) -> int:
    return bucket_of(gid) >> (DISTRIBUTION_BITS - MERGE_BUCKET_BITS)


def entry_hash(gid: bytes, stamp: Stamp) -> int:
    data = gid + stamp.timestamp.to_bytes(8, "little", signed=True) + (b"\x01" if stamp.removed else b"\x00")
    if stamp.origin:  # (left out when 0: entries written before origins existed hash as they did)
        data += stamp.origin.to_bytes(8, "little")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


_ROOT_SHIFT, _COUNT_SHIFT = 12, 6  # root timestamp + 1 in the 52 high bits: enough until the year 2112


def update_origin(base: Stamp | None) -> int:
    """The origin of an update's result computed on `base` (None: no document), see the module doc."""
    if base is None or not base.origin:  # on a put or remove (or nothing): the root of a history
        root, count, history = (ABSENT if base is None else base.timestamp) + 1, 0, 0
    else:
        root, count, history = base.origin >> _ROOT_SHIFT, (base.origin >> _COUNT_SHIFT) & 63, base.origin & 63
    data = history.to_bytes(1, "little") + base.timestamp.to_bytes(8, "little", signed=True) if base else b""
    history = hashlib.blake2b(data, digest_size=1).digest()[0] & 63
    return (root << _ROOT_SHIFT | min(count + 1, 63) << _COUNT_SHIFT | history) & ((1 << 64) - 1)


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
        self.tombstone_count = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, gid: bytes) -> Stamp | None:
        return self._entries.get(gid)

    def timestamp(self, gid: bytes) -> int:
        stamp = self._entries.get(gid)
        return ABSENT if stamp is None else stamp.timestamp

    def newest_only(self, gid: bytes, timestamp: int | None, condition: Callable | None = None,
                    allow_equal: bool = False, origin: int = 0) -> Callable:
        """A DocumentDB write condition (checked under its lock): refuse with Superseded unless
        `timestamp` is newer than the stored one (None: assigned now, so newest), or equal with a
        higher `origin` (a copy of an update's result on a newer base), then `condition`."""
        def check(stored):
            if timestamp is not None:
                stamp = self._entries.get(gid) or Stamp("", ABSENT)
                current = stamp.timestamp
                if timestamp < current or (timestamp == current and not allow_equal and origin <= stamp.origin):
                    raise Superseded(f"stored timestamp {current} >= {timestamp}")
            if condition is not None:
                condition(stored)
        return check

    def record(self, document_id: str, gid: bytes, timestamp: int, removed: bool = False,
               updated: bool = False, origin: int = 0) -> None:
        with self._lock:
            self._set(gid, Stamp(document_id, timestamp, removed, updated, origin))

    def _set(self, gid: bytes, stamp: Stamp | None) -> None:
        bucket = merge_bucket(gid)
        old = self._entries.pop(gid, None)
        change = entry_hash(gid, old) if old is not None else 0
        self.tombstone_count += (stamp is not None and stamp.removed) - (old is not None and old.removed)
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

    def loaded(self, document: SnapshotDocument) -> None:
        """A snapshot record as recovery applies it (in order): the entry of the version it holds."""
        gid = global_id(document.document_id)
        with self._lock:
            if not document.removed:  # no timestamp: written before timestamps existed (or in a sidecar)
                self._set(gid, Stamp(document.document_id, document.timestamp or 0, origin=document.origin))
            elif document.timestamp is not None:  # a tombstone
                self._set(gid, Stamp(document.document_id, document.timestamp, removed=True))
            else:  # a plain removal (a pruned tombstone's, or an older format's)
                self._set(gid, None)

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

    def tombstones(self) -> list[tuple[bytes, Stamp]]:
        """(global id, entry) of every tombstone (for a full snapshot)."""
        with self._lock:
            return [(gid, stamp) for gid, stamp in self._entries.items() if stamp.removed]

    def capture(self) -> tuple[dict[bytes, Stamp], dict[int, int]]:
        """Under the database lock, cheaply: the entries and bucket sums (entries are immutable), for
        `export_image` outside it (an index image: store/index_image.py)."""
        with self._lock:
            return dict(self._entries), dict(self._sums)

    def load_image(self, arrays: dict[str, np.ndarray]) -> None:
        """Every entry from `export_image`'s arrays, replacing the table (a record would load an
        entry as `loaded` does: no `updated` flag). ValueError if they do not fit together: the
        caller clears the table and loads from the records instead."""
        gids, timestamps, removed, origins = arrays["gids"], arrays["timestamps"], arrays["removed"], arrays["origins"]
        ends, blob, buckets, sums = arrays["id_ends"], arrays["ids"], arrays["buckets"], arrays["sums"]
        count = len(timestamps)
        if gids.shape != (count, GID_BYTES) or gids.dtype != np.uint8 or timestamps.dtype != np.int64 \
                or removed.shape != (count,) or removed.dtype != np.bool_ or origins.shape != (count,) \
                or origins.dtype != np.uint64 or ends.shape != (count,) or ends.dtype != np.int64 \
                or blob.ndim != 1 or blob.dtype != np.uint8 or buckets.shape != sums.shape \
                or sums.dtype != np.uint64 or buckets.dtype != np.int64:
            raise ValueError("timestamp arrays do not fit together")
        starts = np.concatenate([np.zeros(1, np.int64), ends[:-1]])
        if count and (ends[-1] != len(blob) or np.any(ends < starts)):
            raise ValueError("document id offsets do not fit the ids")
        raw, text = gids.tobytes(), blob.tobytes()
        if text.isascii():  # byte offsets are character offsets: one decode
            text = text.decode()
            ids = [text[a:b] for a, b in zip(starts.tolist(), ends.tolist())]
        else:
            ids = [text[a:b].decode() for a, b in zip(starts.tolist(), ends.tolist())]
        keys = [raw[i: i + GID_BYTES] for i in range(0, len(raw), GID_BYTES)]
        tombstones = removed.tolist()
        stamps = list(map(Stamp, ids, timestamps.tolist(), tombstones, repeat(False, count), origins.tolist()))
        merge = (gids[:, :4].copy().view("<u4").ravel() & ((1 << DISTRIBUTION_BITS) - 1)) >> (DISTRIBUTION_BITS - MERGE_BUCKET_BITS)
        order = np.argsort(merge, kind="stable")
        groups, firsts = np.unique(merge[order], return_index=True)
        with self._lock:
            self.clear()
            self._entries = dict(zip(keys, stamps))
            if len(self._entries) != count:
                raise ValueError("a global id twice")
            for bucket, members in zip(groups.tolist(), np.split(order, firsts[1:])):
                self._buckets[bucket] = set(itemgetter(*members.tolist())(keys)) if len(members) > 1 else {keys[members[0]]}
            self._sums = {bucket: total for bucket, total in zip(buckets.tolist(), sums.tolist()) if total}
            self._removes = [(stamp.timestamp, key) for key, stamp, dead in zip(keys, stamps, tombstones) if dead]
            heapq.heapify(self._removes)
            self.tombstone_count = len(self._removes)

    def load_sidecar(self, snapshot: Path) -> None:
        """After the snapshot's documents are loaded (and stamped from its records): its sidecar,
        if it has one (format 3), replaces every entry. A damaged sidecar is a damaged snapshot
        (recovery falls back)."""
        path = sidecar_path(snapshot.parent, snapshot_sequence(snapshot))
        if not path.exists():
            return
        stamps = read_sidecar(path)
        with self._lock:
            self.clear()
            for stamp in stamps:
                self._set(global_id(stamp.document_id), stamp)


def export_image(entries: dict[bytes, Stamp], sums: dict[int, int]) -> dict[str, np.ndarray]:
    """`DocumentTimestamps.capture`'s cut as arrays (outside the database lock)."""
    stamps = list(entries.values())
    if any(stamp.removed and stamp.origin for stamp in stamps):  # not expected; records would drop it
        return {}
    encoded = [stamp.document_id.encode("utf-8") for stamp in stamps]
    return {
        "gids": np.frombuffer(b"".join(entries), dtype=np.uint8).reshape(len(stamps), GID_BYTES),
        "timestamps": np.fromiter((stamp.timestamp for stamp in stamps), np.int64, len(stamps)),
        "removed": np.fromiter((stamp.removed for stamp in stamps), np.bool_, len(stamps)),
        # a tombstone's record holds no origin (segments.remove_record): loaded, it has none
        "origins": np.fromiter((0 if stamp.removed else stamp.origin for stamp in stamps), np.uint64, len(stamps)),
        "id_ends": np.cumsum(np.fromiter(map(len, encoded), np.int64, len(stamps)), dtype=np.int64),
        "ids": np.frombuffer(b"".join(encoded), dtype=np.uint8),
        "buckets": np.fromiter(sums, np.int64, len(sums)),
        "sums": np.fromiter(sums.values(), np.uint64, len(sums)),
    }


def sidecar_path(directory: Path, sequence: int) -> Path:
    return directory / f"{SIDECAR_PREFIX}{sequence:020d}{SIDECAR_SUFFIX}"


def read_sidecar(path: Path) -> list[Stamp]:
    checksum, stamps = Checksum(), []
    with open(path, "rb") as handle:
        for line in handle:
            try:
                value = json.loads(line)
                if isinstance(value, dict):
                    if value["entries"] != len(stamps) or value["crc32c"] != int.from_bytes(checksum.digest(), "big"):
                        raise SnapshotError(path, 0, "timestamps checksum or count mismatch")
                    return stamps
                document_id, timestamp, removed = value
                stamps.append(Stamp(str(document_id), int(timestamp), bool(removed)))
            except (ValueError, KeyError, TypeError) as error:
                raise SnapshotError(path, 0, f"timestamps line does not parse: {type(error).__name__}") from None
            checksum.update(line)
    raise SnapshotError(path, 0, "timestamps file truncated: no trailer")


def retain_sidecars(directory: Path) -> None:
    """Keep the sidecars of the snapshots that are kept (store/recovery.py `retain`): a format-3
    manifest kept as the fallback of the first snapshot after an upgrade still needs its own."""
    kept = {snapshot_sequence(path) for path in list_snapshots(directory)}
    for path in directory.glob(f"{SIDECAR_PREFIX}*"):
        stem = path.name[len(SIDECAR_PREFIX):].split(".")[0]
        if not stem.isdigit() or int(stem) not in kept or not path.name.endswith(SIDECAR_SUFFIX):
            path.unlink(missing_ok=True)


def assign(timestamp: int | None) -> int:
    """The operation's timestamp, or one assigned now (writes that came without one)."""
    return CLOCK.next() if timestamp is None else timestamp


def newest_wins(db, document_id: str, timestamp: int | None, write: Callable, condition: Callable | None = None,
                allow_equal: bool = False, superseded=True, origin: int = 0):
    """`write(check, timestamp)` on DocumentDB `db` under the newest-wins rule (`check`: its write
    condition); `superseded` is what it returns when the stored version is as new or newer (nothing
    written), once that version is durable: a retry of a write whose first attempt is still waiting
    for its fsync must not be acknowledged before it (a crash then would lose an acknowledged write)."""
    try:
        check = db.timestamps.newest_only(global_id(document_id), timestamp, condition, allow_equal, origin)
        return write(check, timestamp)
    except Superseded:
        db.acknowledge_logged()
        return superseded
