"""Replica merge (Vespa's bucket merge): a node and a replica in another group compare what they
hold and each document ends up at its newest version on both sides.

1. Both list per-bucket checksums of (global id, timestamp, removed, origin) (store/timestamps.py, kept up
   to date on every write, so this is cheap: ~1k numbers a schema), after pruning old tombstones.
2. Only the buckets whose checksums differ are listed in detail: (id, timestamp, removed, origin).
3. Per document, the newest timestamp wins (`plan`; at an equal timestamp the higher origin: an
   update's result computed on a newer base, store/timestamps.py): newer here → pushed to the peer (a Put or
   Remove with that timestamp), newer there → pulled (fetched with its timestamp, applied here). A
   newer tombstone deletes; a newer put/update copies the whole document. A tombstone older than
   the prune cutoff counts as absent (both sides are dropping it).

Safety: every copy is applied through the newest-wins rule under the receiving database's lock, on
both sides, so a live write that lands while the merge runs (with its newer timestamp) is never
overwritten by an older copy, and a copy of the very same operation is a no-op. A document is only
ever deleted by a tombstone newer than it: an acknowledged write that one replica alone holds is
copied to the other, never dropped.

Updates during a merge: a live update that lands here on the stale version the merge is about to
replace gets the update's timestamp, so the newer copy is refused, yet its base was stale. The
merge sees that (a pull refused because of a version an update wrote after the listing) and takes
the peer's result of the same update instead (equal timestamp, applied on the newer base), waiting
up to SETTLE_SECONDS for the update to reach the peer.

An update that reached a replica holding a stale base outside a merge gets the same timestamp on
both sides with different content: the container sees the differing bases in the replies and
repairs it at once (container/http/update_repair.py, as Vespa's two-phase updates); should that
repair reach no replica (or the container die first), the results' origins differ, so the
checksums see it and the merge copies the result on the newest base.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Protocol, Sequence

from content_node.catch_up import FETCH_BATCH, apply_copy, check_replica, read_stamped
from content_node.store.timestamps import ABSENT, Stamp
from searchlib.docid import global_id

log = logging.getLogger("content_node.replica_merge")

Bucket = tuple[str, int]  # (schema, merge bucket)
SETTLE_SECONDS = 5.0


class MergePeer(Protocol):
    address: str

    def identity(self) -> tuple[str, int]: ...

    def bucket_checksums(self) -> dict[Bucket, int]: ...

    def bucket_entries(self, buckets: Sequence[Bucket]) -> list[Stamp]: ...

    def fetch(self, document_ids: Sequence[str]) -> list[tuple[str, dict | None, int, int]]: ...

    def put(self, document_id: str, fields: dict, timestamp: int, origin: int = 0) -> None: ...

    def remove(self, document_id: str, timestamp: int) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class MergeReport:
    buckets_differing: int = 0
    documents_compared: int = 0
    pulled: int = 0
    pushed: int = 0
    unsettled: int = 0  # updated here on a stale version and still differing from the peer's result

    def __add__(self, other: "MergeReport") -> "MergeReport":
        return MergeReport(*(a + b for a, b in zip(self.astuple(), other.astuple())),
                           self.unsettled + other.unsettled)

    def astuple(self) -> tuple[int, int, int, int]:
        return self.buckets_differing, self.documents_compared, self.pulled, self.pushed


def bucket_checksums(node, now: float | None = None) -> dict[Bucket, int]:
    """This node's checksums, every schema (old tombstones pruned first, as on the peer)."""
    now = time.time() if now is None else now
    checksums: dict[Bucket, int] = {}
    for name, db in node.databases.items():
        db.timestamps.prune(now)
        checksums.update(((name, bucket), value) for bucket, value in db.timestamps.checksums().items())
    return checksums


def bucket_entries(node, buckets: Sequence[Bucket]) -> list[Stamp]:
    by_schema: dict[str, list[int]] = {}
    for schema, bucket in buckets:
        by_schema.setdefault(schema, []).append(bucket)
    return [stamp for schema, numbers in by_schema.items() if schema in node.databases
            for stamp in node.databases[schema].timestamps.bucket_entries(numbers)]


def effective(stamp: Stamp | None, cutoff: int) -> int:
    if stamp is None or (stamp.removed and stamp.timestamp < cutoff):
        return ABSENT
    return stamp.timestamp


def version(stamp: Stamp | None, cutoff: int) -> tuple[int, int]:
    """What orders two versions: timestamp, then origin (an update's result on a newer base)."""
    timestamp = effective(stamp, cutoff)
    return timestamp, (0 if timestamp == ABSENT else stamp.origin)


def plan(local: dict[str, Stamp], remote: dict[str, Stamp], cutoff: int) -> tuple[list[Stamp], list[Stamp]]:
    """(pull: the peer's newer versions, push: this node's newer versions); equal: nothing."""
    pull, push = [], []
    for document_id in sorted(local.keys() | remote.keys()):
        mine, theirs = version(local.get(document_id), cutoff), version(remote.get(document_id), cutoff)
        if theirs > mine:
            pull.append(remote[document_id])
        elif mine > theirs:
            push.append(local[document_id])
    return pull, push


def merge_with(node, peer: MergePeer, now: float | None = None) -> MergeReport:
    """One two-way merge of `node` with `peer` (a replica: check_replica first)."""
    now = time.time() if now is None else now
    mine, theirs = bucket_checksums(node, now), peer.bucket_checksums()
    differing = sorted(key for key in mine.keys() | theirs.keys() if mine.get(key) != theirs.get(key))
    if not differing:
        return MergeReport()
    local = {stamp.document_id: stamp for stamp in bucket_entries(node, differing)}
    remote = {stamp.document_id: stamp for stamp in peer.bucket_entries(differing)}
    cutoff = min((db.timestamps.cutoff(now) for db in node.databases.values()), default=0)
    pull, push = plan(local, remote, cutoff)
    pulled = sum(apply_copy(node, stamp.document_id, None, stamp.timestamp) for stamp in pull if stamp.removed)
    wanted = [stamp.document_id for stamp in pull if not stamp.removed]
    stale_updates: dict[str, int] = {}
    for start in range(0, len(wanted), FETCH_BATCH):  # fetched now: maybe newer than listed, never older
        for document_id, fields, timestamp, origin in peer.fetch(wanted[start:start + FETCH_BATCH]):
            if apply_copy(node, document_id, fields, timestamp, origin=origin):
                pulled += 1
            elif (updated := _updated_since(node, document_id, effective(local.get(document_id), ABSENT))) is not None:
                stale_updates[document_id] = updated
    pulled += _settle_stale_updates(node, peer, stale_updates)
    for stamp in push:
        fields, timestamp, origin = ((None, stamp.timestamp, 0) if stamp.removed
                                     else read_stamped(node, stamp.document_id))
        if fields is not None:
            peer.put(stamp.document_id, fields, timestamp, origin)
        elif timestamp != ABSENT:  # a tombstone (maybe one newer than listed): the newest version
            peer.remove(stamp.document_id, timestamp)
    return MergeReport(len(differing), len(local.keys() | remote.keys()), pulled, len(push), len(stale_updates))


def _updated_since(node, document_id: str, since: int) -> int | None:
    """The timestamp of the local version if an update wrote it and it is newer than `since`."""
    stamp = node.database_for(document_id).timestamps.get(global_id(document_id))
    return stamp.timestamp if stamp is not None and stamp.updated and stamp.timestamp > since else None


def _settle_stale_updates(node, peer: MergePeer, stale: dict[str, int]) -> int:
    """Replace each local result of an update on a stale base by the peer's result of the same
    update (equal timestamp) or anything newer, once the peer has it (`stale` keeps the others)."""
    settled, deadline = 0, time.monotonic() + SETTLE_SECONDS
    while stale:
        for document_id, fields, timestamp, origin in peer.fetch(sorted(stale)):
            if timestamp < stale[document_id]:
                continue  # the update has not reached the peer yet
            if apply_copy(node, document_id, fields, timestamp, allow_equal=timestamp == stale[document_id],
                          origin=origin):
                settled += 1
                del stale[document_id]
            elif (newer := _updated_since(node, document_id, timestamp)) is not None:
                stale[document_id] = newer  # yet another update landed here: wait for the peer's result
            else:
                del stale[document_id]  # a put or remove landed here since: it settles the document
        if stale and time.monotonic() > deadline:
            log.warning("%d documents updated here on a stale version during the merge still differ from "
                        "the peer's: e.g. %s", len(stale), next(iter(stale)))
            return settled
        if stale:
            time.sleep(0.05)
    return settled


class ReplicaMerger:
    """Runs merges for the Merge RPC, one at a time per node."""

    def __init__(self, node) -> None:
        self._node = node
        self._running = threading.Lock()

    def merge(self, peers: Sequence[str]) -> tuple[MergeReport, str]:
        """Merge with each peer in turn: (the sum of what was done, errors; "" if none)."""
        if not self._node.sync.ready:
            return MergeReport(), "not merging: the node is catching up"
        if not self._running.acquire(blocking=False):
            return MergeReport(), "not merging: a merge is already running"
        total, errors = MergeReport(), []
        try:
            for address in peers:
                peer = None
                started = time.monotonic()
                try:
                    peer = self._node.sync.dial(address)
                    check_replica(self._node, peer)
                    generation = self._node.sync.unsynced_generation  # before the checksums are compared
                    report = merge_with(self._node, peer)
                    if not report.unsettled:  # it holds what the peer held: no longer unsynced from it
                        self._node.sync.merged_with(address, generation)
                    total += report
                    if report.pulled or report.pushed:
                        log.info("merged with %s in %.0f ms: %d buckets differed, %d documents compared, "
                                 "%d pulled, %d pushed", address, (time.monotonic() - started) * 1000,
                                 *report.astuple())
                except Exception as error:  # noqa: BLE001 - reported to the container, next peer
                    log.warning("merge with %s failed: %s", address, error)
                    errors.append(f"{address}: {error}")
                finally:
                    if peer is not None:
                        peer.close()
        finally:
            self._running.release()
        return total, "; ".join(errors)
