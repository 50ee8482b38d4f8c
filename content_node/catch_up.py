"""Replica catch-up: a restarted node replays its own log (DocumentDB recovery), then fetches what it
missed from its replicas in the other groups before it reports itself ready.

Placement is group-relative (searchlib.distribution.node_in_group), so node i of every group holds
the same buckets: one peer per other group. The container sends `Sync` with the peers that answer
pings, and the node catches up from each of them (one may be stale itself: with three groups, two
nodes that were down may list each other first); with none (one group, a fresh cluster) the node is ready at once,
unless it lost data to a damaged disk (`require_replica`): then only a completed catch-up makes it
ready, however long the replica takes to come back.

While it catches up, and until a catch-up since the node started finished from every replica, a
node with replicas refuses writes that read the stored document (partial updates, test-and-set
conditions, probes; `refusal`): its copy may lack a version only a replica acknowledged, whatever the
container believes (the container copies the result another owner wrote to it as a plain put).

Newest wins (store/timestamps.py): a fetched copy carries the timestamp of its newest operation
and is applied only if that is newer than the local one, under the database lock, so catch-up never
drops a newer local write (one the replica missed: it keeps it, and the replica merge,
replica_merge.py, copies it over later). A document the replica lacks is deleted here only if the
replica has its tombstone, newer than the local version: an acknowledged write that only this node
holds is never deleted. The same holds for a node that lost data and must rebuild.

Catch-up runs while live writes keep arriving (the container writes to every reachable node, ready
or not). A live write carries a newer timestamp than any copy fetched before it, so the rule above
already keeps a stale fetched copy from overwriting it. Beyond that, each live write during
catch-up bumps a per-document counter under `_lock`, and a fetched copy is applied under the same
lock only if no live write touched that document since the fetch was issued. If one did: a put or
remove defines the whole document, so it is settled; an update may have applied to a stale base,
so the document is fetched again and that copy may replace an equal timestamp (the update's own,
applied on the replica's newer base).
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, Protocol, Sequence, TypeVar

from content_node.store.timestamps import ABSENT, Stamp, newest_wins
from content_node.tls import secure_or_insecure_channel
from protos import content_node_pb2 as pb
from protos import content_node_pb2_grpc as pb_grpc
from searchlib.docid import global_id
from searchlib.errors import StorageError
from searchlib.timestamps import CLOCK
from searchlib.tls import TlsMaterial

log = logging.getLogger("content_node.catch_up")

AWAITING_SYNC, CATCHING_UP, READY = "awaiting-sync", "catching-up", "ready"
FETCH_BATCH = 256
RPC_TIMEOUT = 60.0
MAX_CATCH_UP_SECONDS = 600.0
SETTLE_SECONDS = 0.5  # lets writes already in flight to the replica land before it is listed
T = TypeVar("T")


def document_checksum(fields: dict) -> int:
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return int.from_bytes(hashlib.blake2b(canonical.encode(), digest_size=8).digest(), "big")


def list_documents(node) -> list[tuple[str, int]]:
    """(document id, checksum) of every document on `node`, all schemas."""
    listed: list[tuple[str, int]] = []
    for db in node.databases.values():
        with db.read_view():  # ids only under the lock; fields are read one by one below
            ids = [db.document_id(local_id) for local_id in db.alive.nonzero()[0].tolist()]
        for document_id in ids:
            fields = db.get(document_id)
            if fields is not None:
                listed.append((document_id, document_checksum(fields)))
    return listed


class Peer(Protocol):
    address: str

    def identity(self) -> tuple[str, int]: ...  # (application generation, distribution key)

    def list_documents(self) -> dict[str, int]: ...

    def fetch(self, document_ids: Sequence[str]) -> list[tuple[str, dict | None, int, int]]: ...

    def close(self) -> None: ...


class GrpcPeer:
    def __init__(self, address: str, tls: TlsMaterial | None = None) -> None:
        self.address = address
        self._channel = secure_or_insecure_channel(address, tls, [
            ("grpc.max_receive_message_length", 256 * 1024 * 1024)])
        self._stub = pb_grpc.ContentNodeStub(self._channel)

    def identity(self) -> tuple[str, int]:
        reply = self._stub.Ping(pb.PingRequest(), timeout=RPC_TIMEOUT)
        return reply.app_generation, reply.distribution_key

    def list_documents(self) -> dict[str, int]:
        reply = self._stub.ListDocuments(pb.ListDocumentsRequest(), timeout=RPC_TIMEOUT)
        return {entry.document_id: entry.checksum for entry in reply.documents}

    def fetch(self, document_ids: Sequence[str]) -> list[tuple[str, dict | None, int, int]]:
        """(id, fields or None, timestamp of the document or its tombstone, ABSENT if never seen,
        origin of the version: store/timestamps.py)."""
        reply = self._stub.FetchDocuments(pb.FetchDocumentsRequest(document_ids=list(document_ids)),
                                          timeout=RPC_TIMEOUT)
        return [(d.document_id, json.loads(d.fields_json) if d.found else None, d.timestamp, d.origin)
                for d in reply.documents]

    # the replica merge's calls (replica_merge.py)

    def bucket_checksums(self) -> dict[tuple[str, int], int]:
        reply = self._stub.BucketChecksums(pb.BucketChecksumsRequest(), timeout=RPC_TIMEOUT)
        return {(b.schema, b.bucket): b.checksum for b in reply.buckets}

    def bucket_entries(self, buckets: Sequence[tuple[str, int]]) -> list[Stamp]:
        request = pb.BucketEntriesRequest(buckets=[pb.BucketChecksum(schema=s, bucket=b) for s, b in buckets])
        reply = self._stub.BucketEntries(request, timeout=RPC_TIMEOUT)
        return [Stamp(e.document_id, e.timestamp, e.removed, origin=e.origin) for e in reply.entries]

    def put(self, document_id: str, fields: dict, timestamp: int, origin: int = 0) -> None:
        _check_feed(self._stub.Put(pb.PutRequest(document_id=document_id, timestamp=timestamp, origin=origin,
                                                 fields_json=json.dumps(fields, ensure_ascii=False),
                                                 replica_copy=True),
                                   timeout=RPC_TIMEOUT))

    def remove(self, document_id: str, timestamp: int) -> None:
        _check_feed(self._stub.Remove(pb.RemoveRequest(document_id=document_id, timestamp=timestamp),
                                      timeout=RPC_TIMEOUT))

    def close(self) -> None:
        self._channel.close()


def _check_feed(reply: pb.FeedReply) -> None:
    if not reply.ok:
        raise RuntimeError(f"the replica refused the copy: {reply.error.message}")


class ReplicaSync:
    """The node's catch-up state machine: awaiting-sync → catching-up → ready."""

    def __init__(self, node, dial: Callable[[str], Peer] = GrpcPeer) -> None:
        self._node = node
        self._dial = dial
        self._lock = threading.RLock()  # re-entered by live writes inside a `write_order()` batch
        self._writes: dict[str, tuple[int, int]] = {}  # id → (live writes, count at last full write)
        self._stale_bases: set[str] = set()  # refetched after a live update: an equal timestamp loses
        self._refused: set[str] = set()  # refused during this catch-up: fetched again at its end (`refuse`)
        self.state = AWAITING_SYNC
        self.remaining = 0
        self.fetched = 0
        self.synced_from = ""  # the peers the last catch-up finished from, comma-separated: the container's confirmation
        # the peers it was sent but did not finish from (it may lack writes only they hold): reported so
        # that a container started since still refuses updates here until it is synced with them
        self.unsynced_from = ""
        self.unsynced_generation = 0  # counts recordings into `unsynced_from` (`merged_with` clears older ones only)
        # CLOCK timestamp of the last completed catch-up, or replica merge that cleared `unsynced_from`: a
        # container drops its own record of this node's unsynced replicas on an empty report newer than it
        self.synced_at = 0
        # a catch-up since this process started was told its replicas (peers, unreachable) or that it
        # has none (sole_copy): only then does `unsynced_from` say what it lacks (`refusal`)
        self._told = False
        self._thread: threading.Thread | None = None
        self._required: str | None = None  # why the local data cannot be served alone
        self._required_marker: Path | None = None  # the file that remembers it across restarts

    def set_dialer(self, dial: Callable[[str], Peer]) -> None:
        """How peers are reached (with cluster TLS: a channel presenting this node's certificate)."""
        self._dial = dial

    def dial(self, address: str) -> Peer:
        return self._dial(address)

    def require_replica(self, reason: str, marker: Path | None = None) -> None:
        self._required, self._required_marker = reason, marker

    @property
    def ready(self) -> bool:
        return self.state == READY

    def refusal(self) -> str | None:
        """Why a write that reads the stored document (a partial update, a test-and-set condition, a
        write by selection) is refused here now; None: it is not. A node with replicas refuses it while
        it catches up (the first catch-up since it started or any later one: a resync means it missed
        a write), until a Sync told it which replicas it has (`_told`: an empty one from a container
        that does not say `sole_copy` or `unreachable` tells nothing), and while its last catch-up did
        not finish from some replica (`unsynced_from`, cleared by a later catch-up or a replica merge
        with it): its copy may lack an acknowledged version only a replica holds, and a result built on
        it would carry a newer timestamp and replace that version when the replicas meet (newest wins).
        It does not rely on the container having seen it restart or its replicas die (a new container
        cannot know; both may happen within one ping interval). The container copies the document
        from the owner that took the write to the one that refused it (a plain put), so a refusal
        during a resync is no new miss. Plain puts and removes define the whole document: newest wins
        is right for them, they are never refused. Without replicas: never refused."""
        if not getattr(self._node, "has_replica", False):
            return None
        if self.state == READY and self._told and not self.unsynced_from:
            return None
        why = ("is catching up with its replicas" if self.state == CATCHING_UP
               else "has not caught up with its replicas since it started" if not self._told
               else f"has not synced from its replicas {self.unsynced_from}")
        return (f"Content node {self._node.distribution_key} {why}: its copy of the document may be stale, "
                "so it applies no update or test-and-set condition now and wrote nothing. Retry later; "
                "puts and removes without a condition are accepted")

    def refuse(self, document_id: str) -> str | None:
        """`refusal` for a write of `document_id`. One refused during a catch-up is remembered: a
        replica took that write, and the container's copy of its result (update_repair.copy_to_refusers)
        may fail (that replica died) while only the container's memory knows of the miss; the end of the
        catch-up fetches it again from every peer (`_refetch_refused`)."""
        refusal = self.refusal()
        if refusal is not None:
            with self._lock:
                if self.state == CATCHING_UP:
                    self._refused.add(document_id)
        return refusal

    def merged_with(self, address: str, generation: int | None = None) -> None:
        """A replica merge with `address` finished: this node holds every version that replica held
        when they compared, as a catch-up from it would give (content_node/replica_merge.py).
        `generation`: `unsynced_generation` when the merge began; a record made since (the node missed
        writes from it after the comparison) stays."""
        with self._lock:
            if generation is not None and generation != self.unsynced_generation:
                return
            if self.state == READY and address in self.unsynced_from.split(","):
                self.unsynced_from = ",".join(a for a in self.unsynced_from.split(",") if a != address)
                self.synced_at = CLOCK.next()
                log.info("synced from %s by a replica merge", address)

    def unsynced_report(self) -> tuple[str, str, int]:
        """(`state`, `unsynced_from`, `synced_at`) read together, for a ping: the container drops its
        record on a ready node's empty report newer than it (search_cluster.py: the rule), so a state
        read apart could pair one catch-up's end with another's start."""
        with self._lock:
            return self.state, self.unsynced_from, self.synced_at

    def _record_unsynced(self, unsynced_from: str) -> None:
        with self._lock:
            self.unsynced_from = unsynced_from
            self.unsynced_generation += 1

    def live_write(self, document_id: str, full: bool, apply: Callable[[], T]) -> T:
        """Run a client write; while not ready, record it so catch-up never overwrites it."""
        if self.state == READY:
            return apply()
        with self._lock:
            count, full_at = self._writes.get(document_id, (0, 0))
            count += 1
            self._writes[document_id] = (count, count if full else full_at)
            return apply()

    def write_order(self):
        """Held around a batch of live writes that holds a database's write lock throughout
        (content_node/feed_batch.py): catch-up takes this lock before a database's, so a batch must
        too, whatever the state (a resync may begin while the batch runs)."""
        return self._lock

    def start(self, peers: Sequence[str], wait: bool = False, resync: bool = False,
              unreachable: Sequence[str] = (), sole_copy: bool = False) -> bool:
        """Begin catching up from `peers` (none: ready now). False if already started. `resync`:
        a ready node catches up again (the container saw it miss writes while it was stalled).
        `unreachable`: its replicas that do not answer now: it stays unsynced from them (reported in
        `unsynced_from`, refusing reads for write) until a catch-up from them; a ready node told so
        with no peer records them at once. `sole_copy`: the container knows no replica of it (or an
        operator declared its replicas lost): nothing to be unsynced from. An empty order without
        either (a container older than `unreachable`) serves the node as is but tells it nothing."""
        with self._lock:
            if self.state == READY and not peers and (unreachable or sole_copy):
                self._told = True
                self._record_unsynced("" if sole_copy else ",".join(
                    dict.fromkeys([*filter(None, self.unsynced_from.split(",")), *unreachable])))
            if self.state == CATCHING_UP or (self.state == READY and not (resync and peers)):
                return False
            if self._required and not peers:
                return False  # nobody to rebuild from yet: stay out of service, asked again later
            self.state = CATCHING_UP
            self.fetched, self.synced_from = 0, ""
        self._thread = threading.Thread(target=self._run, args=(list(peers), list(unreachable), sole_copy),
                                        name="catch-up", daemon=True)
        self._thread.start()
        if wait:
            self._thread.join()
        return True

    def _run(self, peers: list[str], unreachable: Sequence[str] = (), sole_copy: bool = False) -> None:
        """Catch up from every peer, not only the first that answers: with three or more groups one
        may be stale itself (down too, or catching up), so only all of them together hold every
        acknowledged write. Every peer is listed first, and every document any of them lists
        differently from this node is fetched from each of them: newest wins per document,
        tombstones included, whatever the order of the peers (a tombstone a peer holds is not in its
        listing, so a document it removed is fetched from it too once another peer lists it).
        `synced_from` lists the peers it finished from: the container keeps a node that missed writes
        out of rotation until it finished from every one it could (a failing one is retried later)."""
        started, cannot_store, failed = time.monotonic(), None, []
        dialed: list[tuple[str, Peer]] = []
        try:
            for address in peers:
                try:
                    peer = self._dial(address)
                    dialed.append((address, peer))
                    check_replica(self._node, peer)
                except Exception as error:  # noqa: BLE001 - the other replicas still
                    failed.append(address)
                    log.warning("catch-up from %s failed: %s", address, error)
            if dialed:
                time.sleep(SETTLE_SECONDS)
            listed: list[tuple[str, Peer, dict[str, int]]] = []
            for address, peer in dialed:
                if address in failed:
                    continue
                try:
                    listed.append((address, peer, peer.list_documents()))
                except Exception as error:  # noqa: BLE001 - the other replicas still
                    failed.append(address)
                    log.warning("catch-up from %s failed: %s", address, error)
            local = dict(list_documents(self._node)) if listed else {}
            dirty = {document_id for _, _, remote in listed for document_id in remote.keys() | local.keys()
                     if remote.get(document_id) != local.get(document_id)}
            for address, peer, _ in listed:
                try:
                    self._catch_up_from(peer, set(dirty))
                    log.info("caught up from %s in %.1fs: %d documents fetched", address,
                             time.monotonic() - started, self.fetched)
                except StorageError as error:  # this node's disk (full, read-only): no other replica helps
                    cannot_store = error
                    log.warning("catch-up from %s failed: %s", address, error)
                    break
                except Exception as error:  # noqa: BLE001 - the other replicas still
                    failed.append(address)
                    log.warning("catch-up from %s failed: %s", address, error)
            if cannot_store is None:
                cannot_store = self._refetch_refused(listed, failed)
        finally:
            for _, peer in dialed:
                peer.close()
        if cannot_store is None:
            # the peers it finished from, in order: the container serves it once every peer that
            # could be synced was, and retries the others later (container/dispatch/search_cluster.py)
            self.synced_from = ",".join(address for address in peers if address not in failed)
            self._record_unsynced(",".join([*failed, *unreachable]))
        if peers and not failed and cannot_store is None:
            self._rebuilt()  # lost data is rebuilt only from every replica it was sent
        elif peers and cannot_store is None:
            log.warning("could not catch up from %s; serving what the local log and the other replicas gave",
                        ", ".join(failed))
        with self._lock:
            # lost data, or writes this node missed and cannot store yet: serving would hide acknowledged
            # documents from every query this group answers; wait for the next Sync to try again
            if self._required or cannot_store:
                log.warning("still not serving: %s", self._required or cannot_store)
                self.state = AWAITING_SYNC
                return
            if self._refused:  # refused after the last refetch: unsynced until a catch-up or merge
                self._record_unsynced(",".join(dict.fromkeys([*filter(None, self.unsynced_from.split(",")),
                                                              *peers])))
                self._refused.clear()
            self.state = READY
            self.synced_at = CLOCK.next()  # with `unsynced_from` final (under the lock `unsynced_report` takes)
            self._told = self._told or bool(peers or unreachable or sole_copy)
            self.remaining = 0
            self._writes.clear()
            self._stale_bases.clear()

    def _rebuilt(self) -> None:
        if self._required_marker is not None:
            self._required_marker.unlink(missing_ok=True)
        self._required = self._required_marker = None

    def _refetch_refused(self, listed: list, failed: list[str]) -> StorageError | None:
        """The documents refused during the catch-up (`refuse`), fetched from every peer it listed
        (newest wins), until no new one is refused; a peer that fails now stays unsynced (`failed`)."""
        for _ in range(10):  # each round is short; refusals stop once the container's copies land
            with self._lock:
                refused, self._refused = self._refused, set()
            if not refused:
                return None
            for address, peer, _ in listed:
                if address in failed:
                    continue
                try:
                    self._catch_up_from(peer, set(refused))
                except StorageError as error:
                    log.warning("catch-up from %s failed: %s", address, error)
                    return error
                except Exception as error:  # noqa: BLE001 - the other replicas still
                    failed.append(address)
                    log.warning("refetching %d refused documents from %s failed: %s", len(refused), address, error)
        return None

    def _catch_up_from(self, peer: Peer, dirty: set[str]) -> None:
        """Fetch `dirty` from `peer` and apply each copy that is newer (store/timestamps.py)."""
        deadline = time.monotonic() + MAX_CATCH_UP_SECONDS
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="catch-up-apply") as pool:
            while dirty:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{len(dirty)} documents still differ after {MAX_CATCH_UP_SECONDS}s")
                self.remaining = len(dirty)
                batch = sorted(dirty)[:FETCH_BATCH]
                marks = {document_id: self._writes.get(document_id, (0, 0))[0] for document_id in batch}
                fetched = peer.fetch(batch)
                retry = self._apply_batch(pool, fetched, marks)
                dirty.difference_update(batch)
                dirty.update(retry)
                if retry and len(retry) == len(batch):
                    time.sleep(0.05)  # the replica has not seen those updates yet

    def _apply_batch(self, pool: ThreadPoolExecutor, fetched: Iterable[tuple[str, dict | None, int, int]],
                     marks: dict[str, int]) -> set[str]:
        retry: set[str] = set()
        with self._lock:  # no live write may slip between the check and the apply
            applicable = []
            for document_id, fields, timestamp, origin in fetched:
                count, full_at = self._writes.get(document_id, (0, 0))
                refetched = document_id in self._stale_bases
                if count == marks[document_id]:
                    applicable.append((document_id, fields, timestamp, refetched, origin))
                elif full_at <= marks[document_id]:
                    retry.add(document_id)  # only updates since the fetch: maybe on a stale base
            self._stale_bases.difference_update(document_id for document_id, *_ in applicable)
            self._stale_bases.update(retry)
            # concurrent applies share WAL fsyncs (group commit)
            applied = sum(pool.map(lambda item: apply_copy(self._node, *item), applicable))
        self.fetched += applied
        return retry


def check_replica(node, peer: Peer) -> None:
    """Copying from a peer: only from a replica of the same distribution (the same application
    generation, and not a node of this node's own group, which owns other buckets). A Sync or
    Merge naming anything else is refused, whoever sent it."""
    generation, key = peer.identity()
    if generation != node.generation:
        raise ValueError(f"peer {peer.address} serves application generation {generation[:12] or '-'}, "
                         f"this node {node.generation[:12]}: not a replica")
    group = node.group_keys
    if key == node.distribution_key or (group is not None and len(group) > 1 and key in group):
        raise ValueError(f"peer {peer.address} (node {key}) is in this node's own group: not a replica")


def apply_copy(node, document_id: str, fields: dict | None, timestamp: int, allow_equal: bool = False,
               origin: int = 0) -> bool:
    """Apply a replica's version of a document if it is newer than the local one (equal with a
    higher `origin`: store/timestamps.py; `allow_equal`: or as new: a refetch after an update on a
    stale base); True if it was applied. No fields and no tombstone (ABSENT): the replica never saw
    the document, which is no reason to delete it."""
    if fields is None and timestamp == ABSENT:
        return False
    db = node.database_for(document_id)
    if fields is None:
        write = lambda check, ts: db.remove(document_id, condition=check, timestamp=ts) or True  # noqa: E731
    else:
        write = lambda check, ts: db.put(document_id, fields, condition=check, timestamp=ts,  # noqa: E731
                                         origin=origin, replica_copy=True) or True
    return newest_wins(db, document_id, timestamp, write, allow_equal=allow_equal, superseded=False,
                       origin=origin)


def read_stamped(node, document_id: str) -> tuple[dict | None, int, int]:
    """A document's fields (None: not stored), the timestamp of its newest operation and its
    origin (store/timestamps.py), of one version (writers wait while they are read)."""
    db = node.database_for(document_id)
    with db.read_view():
        stamp = db.timestamps.get(global_id(document_id))
        return db.get(document_id), (ABSENT if stamp is None else stamp.timestamp), (stamp.origin if stamp else 0)
