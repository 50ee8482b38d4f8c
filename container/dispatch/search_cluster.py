"""The content nodes the container knows: grouped, pinged for health, document counts and catch-up
state, and rotated over for queries.

A node is *in rotation* (`up`) when it answers pings and reports itself ready (caught up with its
replicas). A node that answers but is still awaiting sync is told which replicas to catch up from:
the same-index nodes of the other groups that are in rotation (placement is group-relative, see
searchlib.distribution.node_in_group). A group is *complete* when all its nodes are in rotation;
queries go to complete groups round robin, and only when none is complete to the best partial one.
The container is *initialized* (its health "up") once every group has been complete at least once;
after that a node that drops does not make the container unready again (as Vespa).

A node catches up from the replicas that answer pings, in rotation or not (a replica catching up
itself still holds what it took while the other was down; newest wins on both sides). A node that
caught up while some replica was unreachable (both down, it came back first) may lack writes only
that replica took: when that replica answers again, the node leaves rotation and catches up from it
before serving again, as Vespa keeps a bucket's stale replica out of service until bucket sync is
done. With every replica down it serves what it holds (availability), and only then; until it has
synced from those replicas it takes no write that reads the stored document (`unsynced_replicas`:
updates and test-and-set conditions are refused with 503, plain puts and removes go). A node that
missed writes is in rotation again only once it reports that its catch-up, ordered after its last
missed write, finished from the replicas it was sent (PingReply.synced_from lists them). One that
failed from every one leaves it out of rotation; one that failed from some (a peer died mid-way, an
RPC error) puts it in rotation with those recorded as unsynced, like unreachable ones: no write is
lost (the failed replica still holds what only it acknowledged, and the node re-syncs from it, as
the replica merge also repairs), but until then queries on the node may miss those writes, and a
document GET does not take its answer alone (`in_service`) and it takes no update or condition
(`unsynced_replicas`); the node reports those peers too (PingReply.unsynced_from), so a container
started since rebuilds the record from its first answer; a node sent no peers is told which replicas
were unreachable (SyncRequest.unreachable) and reports them the same way. The node's record is the
authority where it can be: this container drops its own once the node reports none after a catch-up
or merge newer than the record (`_synced_since_record`; a catch-up another container ordered, a merge
it drove), and keeps it otherwise (the record may be newer than the node's last catch-up). The node is the authority
besides: while it catches up, and until a catch-up since it started finished from every replica, it
refuses updates and conditions itself (content_node/catch_up.py ReplicaSync.refusal), which covers what
pings cannot see (it restarted and its replica died within one interval); dispatch treats that refusal
as an owner that did not take the write (content_client.UnsyncedOwner) and copies it the result the
other owner wrote. Either way the retry waits a backoff
that doubles with each failure (SYNC_RETRY_MAX at most): a full catch-up lists every document on
every peer, not something to repeat every ping. Not when no replica answers (it serves as is, nothing
to wait for) or it missed a new write (the replicas that took it are there to sync from).

Replicas that are all in rotation are merged when the container starts and then periodically
(container/dispatch/replica_merges.py), which repairs writes that reached only some of them.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from container.dispatch.content_client import ContentNodeClient, UnsyncedOwner
from container.dispatch.feed_block import FeedBlock
from container.dispatch.replica_merges import MergeScheduler
from searchlib.errors import NoBackendsError
from searchlib.query.search_path import SearchPath
from searchlib.schema.model import ResourceLimits
from searchlib.wire.feed_codec import FeedResult, NodeStatus
from searchlib.sequencing import KeySequencer

log = logging.getLogger("container.dispatch")

PING_INTERVAL = 0.5
PING_TIMEOUT = 1.5
SYNC_RETRY_MIN, SYNC_RETRY_MAX = 1.0, 60.0  # seconds before a catch-up that failed is tried again
AWAITING_SYNC = "awaiting-sync"


@dataclass
class NodeHealth:
    up: bool = True  # in rotation; optimistic until the first ping says otherwise
    reachable: bool = True  # answers pings (writes go to reachable nodes, ready or not)
    state: str = "ready"
    catch_up_remaining: int = 0
    active_docs: int = 0
    last_sequence: int = 0
    app_generation: str = ""
    last_seen: float = 0.0
    down_since: float = 0.0  # time.time() the node left rotation
    missed_writes: bool = False  # a write was not delivered: catch up again before serving
    misses: int = 0  # writes noted missed so far: a catch-up ordered before the latest may lack it
    unsynced: frozenset[int] = frozenset()  # replicas unreachable at its last catch-up (may hold newer writes)
    synced_at: int = 0  # the node's last reported PingReply.synced_at
    unsynced_mark: int = 0  # `synced_at` when `unsynced` was last set (`_record_unsynced`)
    # a catch-up that clears `missed_writes` once the node reports it finished from one of these peers:
    # (peer addresses, `unsynced` then); None: none pending
    pending_sync: tuple[frozenset[str], frozenset[int]] | None = None
    sync_failures: int = 0  # catch-ups in a row that failed from some peer (the backoff's exponent)
    retry_at: float = 0.0  # time.monotonic() before which no catch-up is started again after one failed
    error: str = ""
    write_error: str = ""  # the node refuses writes (disk full, read-only) but may still serve queries
    disk_usage: float = 0.0  # fractions in use, as its last ping reported (the feed block's input)
    memory_usage: float = 0.0


class SearchCluster:
    def __init__(self, clients: Sequence[ContentNodeClient], generation: str = "", name: str = "content",
                 resource_limits: ResourceLimits = ResourceLimits()) -> None:
        self.generation = generation  # a node on another application package stays out of rotation
        self.feed_block = FeedBlock(name, resource_limits)  # puts and updates refused while a node is full
        self.clients = {client.node.distribution_key: client for client in clients}
        self.health = {key: NodeHealth() for key in self.clients}
        self.groups: dict[int, list[int]] = {}
        for client in clients:
            self.groups.setdefault(client.node.group, []).append(client.node.distribution_key)
        for keys in self.groups.values():
            keys.sort()
        self._group_order = sorted(self.groups)
        self._next_group = 0
        self._complete_once: set[int] = set()  # groups seen complete by a round of pings
        self._ping_task: asyncio.Task | None = None
        self.merges = MergeScheduler(self)
        self.writes = KeySequencer()  # one write of a document at a time, whichever handler (searchlib/sequencing.py)

    def group_nodes(self, group: int) -> list[ContentNodeClient]:
        return [self.clients[key] for key in self.groups[group]]

    def is_complete(self, group: int) -> bool:
        return all(self.health[key].up for key in self.groups[group])

    @property
    def initialized(self) -> bool:
        return len(self._complete_once) == len(self.groups)

    def not_yet_in_rotation(self) -> list[int]:
        """Keys of the nodes out of rotation in groups that have never been complete."""
        return [key for group, keys in sorted(self.groups.items()) if group not in self._complete_once
                for key in keys if not self.health[key].up]

    def pick_group(self, exclude: Iterable[int] = ()) -> int | None:
        """Round robin over complete groups (minus `exclude`); None when no such group exists."""
        excluded = set(exclude)
        for step in range(len(self._group_order)):
            group = self._group_order[(self._next_group + step) % len(self._group_order)]
            if group not in excluded and self.is_complete(group):
                self._next_group = (self._next_group + step + 1) % len(self._group_order)
                return group
        return None

    def best_partial_group(self) -> int:
        """With no complete group: the one whose nodes in rotation hold the most documents."""
        if not self._group_order:
            raise NoBackendsError("No content nodes to search: the container was started without any")

        def served(group: int) -> tuple[int, int]:
            keys = [key for key in self.groups[group] if self.health[key].up]
            return len(keys), sum(self.health[key].active_docs for key in keys)

        return max(self._group_order, key=served)

    def route(self, path: SearchPath | None) -> tuple[int, list[ContentNodeClient]]:
        """Group and nodes for a query: normal dispatch without a path; with `model.searchPath`
        the selected nodes of a selected group (a complete one if the path allows a choice)."""
        if path is None:
            group = self.pick_group()
            group = self.best_partial_group() if group is None else group
            return group, self.group_nodes(group)
        candidates = [self._group_order[index] for index in path.candidate_groups(len(self._group_order))]
        group = next((g for g in candidates if self.is_complete(g)), candidates[0])
        keys = self.groups[group]
        return group, [self.clients[keys[index]] for index in path.node_indexes(len(keys))]

    def searchable_nodes(self, group: int) -> tuple[list[ContentNodeClient], list[tuple[int, int]]]:
        """The group's nodes in rotation, and (key, last known documents) of those out of it."""
        serving = [self.clients[key] for key in self.groups[group] if self.health[key].up]
        absent = [(key, self.health[key].active_docs) for key in self.groups[group] if not self.health[key].up]
        return serving, absent

    def known_active_docs(self) -> dict[int, int]:
        return {key: health.active_docs for key, health in self.health.items()}

    def take_out_of_rotation(self, key: int, reason: str) -> None:
        """A query saw the node fail: stop sending it queries until a ping says it is back."""
        health = self.health[key]
        if health.up:
            log.warning("content node %d out of rotation: %s", key, reason)
            health.up, health.down_since, health.error = False, time.time(), reason

    def note_missed_write(self, key: int) -> None:
        """A write to the node was not delivered (down, stalled, timed out): it must catch up from
        a replica before it serves queries again, even if it never restarts. A catch-up already
        running may have read the document from its peer before the write got there: its end no
        longer counts, and another is started once it is over."""
        health = self.health[key]
        health.missed_writes, health.misses, health.pending_sync = True, health.misses + 1, None
        health.retry_at = 0.0  # a new miss: catch up now, from the replicas that have it, not after a backoff

    def note_merged(self, key: int, peers: Sequence[int], misses: Mapping[int, int]) -> None:
        """A replica merge `key` drove with `peers` (in turn) finished without error: each side got
        the newest version of every document the other held when they compared, so `key` no longer
        lacks writes only a peer took, nor a peer those of `key` and of the peers merged before it.
        Not for a node that missed a write since the merge began (`misses` then): it catches up."""
        for index, other in enumerate((key, *peers)):
            covered = set(peers) if other == key else {key, *peers[:index - 1]}
            health = self.health[other]
            if health.misses == misses[other] and health.unsynced & covered:
                log.info("content node %d synced from %s by a replica merge", other, sorted(health.unsynced & covered))
                health.unsynced = health.unsynced - covered
                if not health.unsynced:
                    health.sync_failures, health.retry_at = 0, 0.0

    def feed_refusal(self) -> str | None:
        """Why puts and updates are refused now (a node above a resource limit); None: they are not."""
        return self.feed_block.refusal({key: client.node.address for key, client in self.clients.items()})

    def note_refused_writes(self, outcomes: Mapping[ContentNodeClient, object]) -> None:
        """Owners that refused a write (a full disk: 507) another owner applied lack it: noted as
        missed, so they catch up (or a merge repairs them) before serving reads and queries again."""
        if any(isinstance(outcome, FeedResult) and outcome.ok for outcome in outcomes.values()):
            for client, outcome in outcomes.items():
                if isinstance(outcome, FeedResult) and not outcome.ok and not outcome.condition_failed:
                    log.warning("content node %d refused a write a replica applied (%s): it must catch up",
                                client.node.distribution_key, outcome.message)
                    self.note_missed_write(client.node.distribution_key)

    def lacks_a_returned_replica(self, key: int) -> bool:
        """A replica unreachable (or failing) when the node last caught up answers again and may hold
        writes the node lacks: it must sync with it before serving (flagged by the next round of
        pings), once the backoff after a failed catch-up is over."""
        return time.monotonic() >= self.health[key].retry_at and self._may_lack_writes(key)

    def _may_lack_writes(self, key: int) -> bool:
        return self._any_syncable(self.health[key].unsynced)

    def _any_syncable(self, keys: Iterable[int]) -> bool:
        return any(self._can_sync_from(other) for other in keys)

    def in_service(self, key: int) -> bool:
        """In rotation and known to hold every acknowledged write: a read may take its answer alone."""
        health = self.health[key]
        return health.up and not health.missed_writes and not self._may_lack_writes(key)

    def unsynced_replicas(self, key: int) -> frozenset[int]:
        """Replicas that may hold newer versions than `key` and that it has not caught up from: it
        serves what it holds because none was reachable (it missed writes, or restarted, and had no
        one to catch up from), or its catch-up from them failed (they answer: it is retried).
        While not empty a write that reads the stored document (an update, a test-and-set condition)
        must not be applied on it: built on an old version with a newer timestamp, its result would
        replace the newer version when the replicas meet (newest wins), losing an acknowledged write.
        Whole-document puts and removes may: newest wins is right for them. One rule ends it: the node
        got every version those replicas hold, by a catch-up from them or a replica merge with them
        (note_merged) it missed no write during; until then no such write can build on a stale base."""
        health = self.health[key]
        if health.unsynced:
            return health.unsynced
        replicas = self.replica_keys(key)  # a ping saw it stale, the catch-up order not yet sent:
        if self.may_be_stale(key) and replicas and not any(self._can_sync_from(other) for other in replicas):
            return frozenset(replicas)
        return frozenset()

    def may_be_stale(self, key: int) -> bool:
        """Reachable, but it missed a write or awaits its catch-up, and it has replicas: what it
        stores may be older than an acknowledged write one of them holds (a single copy holds the
        newest there is, as the node's own rule says). The node itself refuses a write that reads the
        stored version once its resync order lands, which the container that saw the miss sends before
        acknowledging the write (`order_resyncs`), so a miss another container saw is covered too; if
        that order was not delivered, this container refuses on the node's behalf until a ping's does."""
        health = self.health[key]
        return (health.reachable and (health.missed_writes or health.state == AWAITING_SYNC)
                and bool(self.replica_keys(key)))

    def stale_owner_refusals(self, clients: Iterable[ContentNodeClient]) -> dict:
        """client → the UnsyncedOwner outcome the node would give, for each of `clients` that
        `may_be_stale`: a write that reads the stored version is not sent there. Built on its old
        version with a newer timestamp it would beat the acknowledged write it missed when the replicas
        meet; refused, it gets the taker's result as a replica copy (update_repair.copy_to_refusers),
        or, when nobody took it, the answer is 503 (nothing written)."""
        return {client: UnsyncedOwner(f"content node {client.node.distribution_key} missed writes and is not "
                                      "caught up yet: it may hold a stale version")
                for client in clients if self.may_be_stale(client.node.distribution_key)}

    def stale_base_refusal(self, keys: Iterable[int]) -> str | None:
        """Why a write that reads the stored document may not go to the owners `keys` now (one of
        them serves as is, `unsynced_replicas`): the 503's message; None: it may. `keys`: only the
        owners it is sent to (not those seen down: they miss it and catch up)."""
        keys = list(keys)
        missing = sorted({other for key in keys for other in self.unsynced_replicas(key)})
        if not missing:
            return None
        serving = [key for key in keys if self.unsynced_replicas(key)]
        down = [key for key in missing if not self._can_sync_from(key)]
        answering = [key for key in missing if key not in down]  # a catch-up from it failed: retried
        which = " and ".join(part for part in (down and f"unavailable (content nodes {down})",
                                               answering and f"not yet synced from (content nodes {answering})") if part)
        return (f"Replicas that may hold a newer version of the document are {which}; content nodes {serving} "
                "serve only what they hold until synced with them: an update or a test-and-set condition is not "
                "applied, nothing was written. Puts and removes without a condition are accepted")

    def replicas_of(self, key: int) -> list[str]:
        """Addresses of the nodes in rotation that hold the same buckets as `key` (other groups)."""
        return [self.clients[other].node.address for other in self.replica_keys(key) if self.health[other].up]

    def replica_keys(self, key: int) -> list[int]:
        """Keys of the nodes holding the same buckets as `key` (same index in the other groups)."""
        group = self.clients[key].node.group
        index = self.groups[group].index(key)
        return [keys[index] for other, keys in sorted(self.groups.items()) if other != group and index < len(keys)]

    def _can_sync_from(self, key: int) -> bool:
        """Answers pings on this application package (content_node/catch_up.py checks it again)."""
        health = self.health[key]
        return health.reachable and not (self.generation and health.app_generation
                                          and health.app_generation != self.generation)

    def replica_clients(self, key: int) -> list[ContentNodeClient]:
        """Clients of the nodes in rotation holding the same documents as `key` (other groups)."""
        by_address = {client.node.address: client for client in self.clients.values()}
        return [by_address[address] for address in self.replicas_of(key)]

    async def ping_all(self) -> None:
        await asyncio.gather(*(self._ping(key, client) for key, client in self.clients.items()))
        self.feed_block.update({key: (health.disk_usage, health.memory_usage)
                                for key, health in self.health.items() if health.reachable})
        self._complete_once.update(group for group in self.groups if self.is_complete(group))
        await self._start_catch_ups()
        self.merges.schedule()

    async def _ping(self, key: int, client: ContentNodeClient) -> None:
        health = self.health[key]
        ordered = health.pending_sync
        try:
            status = await client.ping(PING_TIMEOUT)
        except Exception as error:  # noqa: BLE001 - any failure means down
            if health.up or health.reachable:
                log.warning("content node %d is down: %s", key, error)
                health.down_since = time.time()
            health.up, health.reachable, health.error = False, False, str(error)
            return
        if health.pending_sync is not ordered:  # a write ordered its catch-up (or missed it) while this
            health.reachable = True  # ping was out: the answer predates that, and would settle it as done
            return
        health.synced_at = status.synced_at
        if health.pending_sync is not None and status.state != "catching-up":
            self._settle_sync(key, health, status.synced_from if status.state == "ready" else "")
        elif not health.last_seen and status.state == "ready" and status.unsynced_from:
            # its first answer to this container (restarted since): the node's own record of the
            # peers its last catch-up did not finish from, which an earlier container kept
            self._record_unsynced(health, health.unsynced | self._keys_at(status.unsynced_from.split(",")))
        elif status.state == "catching-up" and health.pending_sync is None:
            # a catch-up this container did not order (it restarted meanwhile) may fail: once it
            # ends, the node catches up again on this container's order before serving
            health.missed_writes = True
        if health.unsynced and self._synced_since_record(health, status):
            log.info("content node %d reports it synced from its replicas: %s no longer unsynced",
                     key, sorted(health.unsynced))
            health.unsynced, health.sync_failures, health.retry_at = frozenset(), 0, 0.0
        ready, problem = status.ready and not health.missed_writes, ""
        if self.generation and status.app_generation and status.app_generation != self.generation:
            ready = False
            problem = (f"application package generation mismatch: node has {status.app_generation[:12]}, "
                       f"container has {self.generation[:12]}")
            if health.up:
                log.warning("content node %d out of rotation: %s", key, problem)
        if ready and not health.up:
            log.info("content node %d is back in rotation", key)
        elif not ready and health.up:
            health.down_since = time.time()
        health.up, health.reachable, health.error = ready, True, problem
        health.state = status.state or ("ready" if ready else AWAITING_SYNC)
        health.catch_up_remaining, health.write_error = status.catch_up_remaining, status.write_error
        health.active_docs, health.last_sequence = status.active_docs, status.last_sequence
        health.app_generation, health.last_seen = status.app_generation, time.time()
        health.disk_usage, health.memory_usage = status.disk_usage, status.memory_usage

    def _settle_sync(self, key: int, health: NodeHealth, synced_from: str) -> None:
        """The node's catch-up ended. Finished from every peer it was sent: its missed writes are
        repaired. From some: it serves, the others recorded as unsynced (re-synced from after the
        backoff). From none: the flag stays and a catch-up is started again after the backoff."""
        peers, unsynced = health.pending_sync
        health.pending_sync = None
        failed = peers - set(synced_from.split(","))
        if failed:
            health.sync_failures += 1
            backoff = min(SYNC_RETRY_MAX, SYNC_RETRY_MIN * 2 ** (health.sync_failures - 1))
            health.retry_at = time.monotonic() + backoff
            log.warning("content node %d did not finish catching up from %s: retrying in %.0fs",
                        key, sorted(failed), backoff)
        else:
            health.sync_failures, health.retry_at = 0, 0.0
        if failed != peers:
            health.missed_writes = False
            self._record_unsynced(health, unsynced | self._keys_at(failed))

    @staticmethod
    def _record_unsynced(health: NodeHealth, unsynced: frozenset[int]) -> None:
        health.unsynced, health.unsynced_mark = unsynced, health.synced_at

    @staticmethod
    def _synced_since_record(health: NodeHealth, status: NodeStatus) -> bool:
        """The node's own record ends this container's (`unsynced`): it is ready and unsynced from no
        replica after a catch-up or merge it completed after the record was made (a `synced_at` newer
        than the one it reported then: its own clock on both sides). A record made since its last one
        (a replica this container saw unreachable) stays, as does every record while the node
        reports none (a node before synced_at) or still lists a replica: the container's record goes
        by its own rules then (`_settle_sync`, note_merged)."""
        return status.state == "ready" and not status.unsynced_from and status.synced_at > health.unsynced_mark

    def _keys_at(self, addresses: Iterable[str]) -> frozenset[int]:
        by_address = {client.node.address: key for key, client in self.clients.items()}
        return frozenset(by_address[address] for address in addresses if address in by_address)

    def _backoff_over(self, key: int) -> bool:
        """A catch-up may be started: the backoff after a failed one is over, or no replica answers
        (nothing to wait for: it serves as is, with the unsynced record). A write missed meanwhile
        ends the backoff (note_missed_write): the replicas that have it are waiting to be synced from."""
        return time.monotonic() >= self.health[key].retry_at or not self._any_syncable(self.replica_keys(key))

    async def _start_catch_ups(self) -> None:
        """Restarted nodes (awaiting sync) catch up; so do ready nodes that missed writes, and those
        that caught up while a replica was unreachable, once it answers again."""
        for key, health in self.health.items():
            if health.reachable and self.lacks_a_returned_replica(key):
                health.missed_writes = True
                self.take_out_of_rotation(key, "a replica that was down when it caught up is back: syncing with it")
        waiting = [key for key, health in self.health.items() if health.reachable and not health.up
                   and (health.state == AWAITING_SYNC or health.missed_writes and health.state == "ready")
                   and health.pending_sync is None  # none: one ordered since this round's ping (order_resyncs)
                   and self._backoff_over(key)]

        await asyncio.gather(*(self._order_catch_up(key) for key in waiting))

    async def _order_catch_up(self, key: int, timeout: float = PING_TIMEOUT) -> None:
        """Send the node its catch-up order (Sync): from the replicas that answer, `resync` unless it
        awaits its first catch-up; the one definition, for the ping loop and for a write a reachable owner
        missed (`order_resyncs`). Not delivered: logged, asked again on a later ping."""
        sources = [other for other in self.replica_keys(key) if self._can_sync_from(other)]
        peers = [self.clients[other].node.address for other in sources]
        unsynced = frozenset(self.replica_keys(key)) - frozenset(sources)
        # the replicas left out: the node refuses reads for write until synced from them, and
        # reports them (unsynced_from), so a container started meanwhile knows (`_ping`); none
        # known at all: it is the only copy (an empty order without that flag tells it nothing)
        order = {"resync": self.health[key].state != AWAITING_SYNC, "sole_copy": not self.replica_keys(key),
                 "unreachable": [self.clients[other].node.address for other in sorted(unsynced)]}
        if order["resync"] and not peers:
            # nothing to catch up from: serve as is, once the node itself knows which replicas it
            # lacks (a container restarted since, or another one, knows nothing of this miss)
            try:
                await self.clients[key].sync([], timeout, **order)
            except Exception as error:  # noqa: BLE001 - retried on the next ping
                log.warning("could not tell content node %d its replicas are unreachable: %s", key, error)
                return
            self.health[key].missed_writes = False
            self._record_unsynced(self.health[key], unsynced)
            return
        if peers and not order["resync"]:
            # a restarted node may lack writes they took that this container never saw it miss (a
            # new container never has): only a catch-up it reports finished from them (synced_from)
            # puts it in rotation; one cut short (the peer died) is done again when that peer is back
            self.health[key].missed_writes = True
        misses = self.health[key].misses
        try:
            started = await self.clients[key].sync(peers, timeout, **order)
            health = self.health[key]
            if peers and health.missed_writes:
                # not started, or a write missed meanwhile: the flag stays and a ping asks again
                if started and health.misses == misses:
                    health.pending_sync = (frozenset(peers), unsynced)
            else:
                health.missed_writes = False
                self._record_unsynced(health, unsynced)
            if started:  # a node that must rebuild refuses an empty list each ping: no log line each
                log.info("content node %d %s from %s", key,
                         "catching up again" if order["resync"] else "catching up",
                         peers or "nobody (no replica in service)")
        except Exception as error:  # noqa: BLE001 - retried on the next ping
            log.warning("could not start catch-up on content node %d: %s", key, error)

    async def order_resyncs(self, keys: Iterable[int], timeout: float) -> None:
        """Before a write some owners `keys` missed is acknowledged: each that `may_be_stale` (reachable,
        with replicas) gets its resync order now, not at the next ping, so it refuses reads for write
        from every container (a second one, or this one restarted, has no record of the miss) until
        it caught up. Not delivered (it stalls, or died unseen): logged, and the write is answered as
        before; this container's record still guards its own writes, and a ping orders it again. That
        double fault (the order lost, then another container's update while the taker is down) remains,
        and it is the usual case for an owner that timed out: its write used up the deadline, so the
        order gets almost no time. One already catching up declines the order and keeps refusing."""
        keys = [key for key in dict.fromkeys(keys) if self.may_be_stale(key)]
        await asyncio.gather(*(self._order_catch_up(key, timeout) for key in keys))

    def start(self) -> None:
        async def loop() -> None:
            while True:
                try:
                    await self.ping_all()
                except Exception:  # noqa: BLE001 - the health loop must never die
                    log.exception("health check failed")
                await asyncio.sleep(PING_INTERVAL)

        self._ping_task = asyncio.get_running_loop().create_task(loop())

    async def close(self) -> None:
        if self._ping_task:
            self._ping_task.cancel()
        await self.merges.close()
        await asyncio.gather(*(client.close() for client in self.clients.values()), return_exceptions=True)
