"""Two-phase repair of an update that replicas applied to different versions (Vespa's distributor
runs updates two-phase on buckets whose replicas are not in sync; this repairs after the fact).

The gap: an update with timestamp t3 that reaches replica A holding v2 (t2) and replica B still
holding v1 (t1: a container died between its two writes of v2) leaves both at t3 with different
contents. The same holds when one replica lacks the document (a create=true update creates it from
the update alone there; without create it does nothing there). The nodes' checksums see it (each
result's origin names the history it was computed on, content_node/store/timestamps.py), but only at
the next merge (PHASEDSEARCH_MERGE_INTERVAL); this repairs it before the update is acknowledged.

The rule (`repair_source`): each node reports the stored timestamp it evaluated the update against
(its base, read under its database lock; -1 when it had no document; none when the update was
superseded by a newer or the same write, so it did not evaluate it now). Replicas that evaluated it
against equal bases computed the same result from the same version: nothing more to do. When the
bases differ, the replica with the newest base holds the right result (the others missed a newer
write); before the update is acknowledged, the container reads that replica's document and writes it
as a put (or, if that replica's newest version is a remove, a remove) with a NEW timestamp, newer
than the update's, to every replica of the update.

Why this converges: the new timestamp is unique and newer than every version involved, so every
replica it reaches holds the right content under a timestamp no stale copy has. If it reaches all,
they agree. If it reaches some but not all (a node failed or went down meanwhile), those now differ
in timestamp from the rest, which the bucket checksums see: the next merge (or the catch-up of the
node that missed it) copies the newest version, the repaired one, to the others. If it reaches none
(the source could not be read, or every put failed), the client gets an error instead of an
acknowledgement (the replicas were reachable moments ago, so this takes a second failure within
milliseconds of the first); the next merge then copies the result computed on the newest base
(the higher origin) to the others, as it does when a container dies before repairing.

The repair runs within the update's turn (searchlib/sequencing.py): the container's next write of
the document is stamped and sent after it. A write from another container stamped before the
repair put that lands after it loses to it, as to any newer put (newest wins).

Compare-and-set: every write this module sends on the container's behalf after a read (a repair,
an undo) is conditional on the version the container knows each replica holds, the one it wrote
there and was acknowledged, or read from it (`Held`, sent as `tested_base`): a replica holding a newer
version refuses it (content_node/node.py `_tested`), so a version already there is never replaced by
the older content re-stamped newer. A refusal on a timestamp this request wrote itself (`Held.ours`:
a rewrite that timed out yet applied, or the write's own version copied there by a catch-up or merge)
is no other container's write: the same content is written again on it. Any other refusal is
another container's write, the newest now: it is read and written to every replica in the next
round (`repair`), until the request's deadline. What this does not guarantee: when the document keeps
changing until the deadline, refusals are left next to replicas that took the older content
re-stamped newer, which the next merge may copy over the refused write; the answer is then 504
(outcome unknown: the update was applied, so a retry could apply it twice). A write stamped before a
rewrite that lands after it, where the rewrite is already, loses to it (newest wins), as to any newer put.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Awaitable, Callable, Mapping

from container.dispatch.content_client import UnsyncedOwner
from searchlib.errors import UNSYNCED_STATUS
from searchlib.timestamps import CLOCK
from searchlib.wire.feed_codec import FeedResult, StoredVersion

log = logging.getLogger("container.document.repair")


class Held(dict):
    """Owner -> the stored timestamp it is known to hold (at most): what this container wrote there
    and it acknowledged, or read from it; a newer one there is another container's write, unless it is
    one of `ours`: the timestamps this request wrote (the write's own, each rewrite's), which a
    replica may hold without the container knowing (a rewrite that timed out yet applied, a catch-up
    or merge that copied a taker's version). A refusal on one of ours is no other container's write."""

    def __init__(self, versions: Mapping[object, int], ours: set[int]) -> None:
        super().__init__(versions)
        self.ours = ours


def held_after(outcomes: Mapping[object, object], timestamp: int) -> Held:
    """What each owner that answered holds after a write at `timestamp`: that write where it took
    it; the version it tested where a condition failed. Not an owner that did not answer (it may or
    may not have applied it: `ours` says so when it refuses a rewrite) nor one that refused it as
    stale (nothing written): those are read before written to."""
    return Held({client: outcome.base if outcome.condition_failed and outcome.base is not None else timestamp
                 for client, outcome in outcomes.items() if isinstance(outcome, FeedResult)}, {timestamp})


def repair_source(outcomes: Mapping[object, object]):
    """The replica whose result of the update is right when replicas evaluated it against different
    bases (the newest base); None when they agree or fewer than two evaluated it."""
    bases = {client: outcome.base for client, outcome in outcomes.items()
             if isinstance(outcome, FeedResult) and outcome.ok and outcome.base is not None}
    if len(set(bases.values())) < 2:
        return None
    return max(bases, key=lambda client: bases[client])


_UNKNOWN = ("Outcome unknown: replicas applied the write to different versions, and the document was written "
            "by others while it was being reconciled: some replicas may hold a version written again from an "
            "older one. Do not retry blindly (an update may apply twice): read the document")


async def repair(document_id: str, outcomes: Mapping[object, object], timeout: Callable[[], float], held: Held,
                 clock: Callable[[], int] = CLOCK.next, read: Mapping[object, StoredVersion] | None = None
                 ) -> Unacknowledged | None:
    """Make the replicas of an update agree (see the module docstring): None when they already did or
    the repair reached at least one replica; otherwise the answer, 504: the update was applied but the
    replicas are not made equal (nothing rewritten, or the document changing under it until the deadline).
    Each write is conditional on `held` (updated with what it writes); a replica that refuses it holds a newer
    version, which the next round reads and writes to all, unless that version is one of ours.
    `read`: versions the caller read already (the first round writes the source's as read: read again,
    it may be this request's write, copied there meanwhile)."""
    source = repair_source(outcomes)
    if source is None:
        return None
    targets = [client for client, outcome in outcomes.items() if isinstance(outcome, FeedResult) and outcome.ok]
    bases = {_key(client): outcomes[client].base for client in targets}
    first, read = True, dict(read or {})
    while True:
        try:
            version = read.pop(source) if source in read else await source.get_version(document_id, timeout())
        except Exception as error:  # noqa: BLE001 - reported: the replicas stay different
            log.error("update of %s applied to different versions (bases %s) and the newest could not be read "
                      "from content node %s: %s", document_id, bases, _key(source), error)
            if not first:  # earlier rounds rewrote some replicas, others refused: unknown
                return Unacknowledged(504, f"{_UNKNOWN} ({error})")
            return _unreconciled(str(error))
        if version.timestamp in held.ours and held.get(source) not in held.ours:
            # it held a version not ours (a failed condition's, a refuser's) and now holds this request's
            # write, copied there by a merge or catch-up: the version it decided on is gone, the write applied
            log.error("update of %s: content node %s, holding the newest version, now holds this write's (%d)",
                      document_id, _key(source), version.timestamp)
            return Unacknowledged(504, "Outcome unknown: the write was applied on an older version than a replica "
                                  "held, and that replica's version was replaced by the write's before it could be "
                                  "written again: read the document")
        held[source] = version.timestamp  # it takes its own content back, not refuses it as newer
        timestamp = clock()
        held.ours.add(timestamp)
        reached, problems, newer = 0, [], {}
        for client in targets:
            try:
                result = await _rewrite_ours(client, document_id, version.fields, timeout, timestamp, held)
            except Exception as error:  # noqa: BLE001 - counted: a partial repair is visible to the merge
                problems.append(f"content node {_key(client)}: {error}")  # held unchanged: maybe not applied
                continue
            if result.ok:
                reached, held[client] = reached + 1, timestamp
            elif result.condition_failed and result.base is not None:  # another container's, since the read
                newer[client] = held[client] = result.base
            else:
                problems.append(f"content node {_key(client)}: {result.message}")
        log.warning("update of %s applied to different versions (bases %s): wrote the newest (node %s) at "
                    "timestamp %d to %d of %d replicas%s%s", document_id, bases, _key(source), timestamp, reached,
                    len(targets), f" ({'; '.join(problems)})" if problems else "",
                    f"; nodes {[_key(c) for c in newer]} hold newer versions" if newer else "")
        if not newer:
            break
        if timeout() <= 0:  # refused acknowledged writes remain next to rewritten older content
            return Unacknowledged(504, f"{_UNKNOWN} (nodes {sorted(_key(c) for c in newer)} hold newer versions)")
        first, source = False, max(newer, key=lambda client: newer[client])  # the newest now
    if reached:
        return None
    if not first:  # earlier rounds rewrote some replicas
        return Unacknowledged(504, f"{_UNKNOWN} ({'; '.join(problems)})")
    return _unreconciled("; ".join(problems))


def _unreconciled(why: str) -> Unacknowledged:
    """Nothing was rewritten, but the update itself was applied (on different versions): not a 503,
    whose retry would apply a non-idempotent update (an increment) twice."""
    return Unacknowledged(504, "Outcome unknown: replicas applied the update to different versions and could not "
                          f"be reconciled: {why}. Do not retry blindly: read the document")


async def _rewrite_ours(client, document_id: str, fields: dict | None, timeout: Callable[[], float],
                        timestamp: int, held: Held) -> FeedResult:
    """`_rewrite` conditional on `held[client]`; refused on a version of ours (its stored timestamp
    is one this request wrote), the same content is written again on it: no other container's write."""
    while True:
        result = await _rewrite(client, document_id, fields, timeout(), timestamp, held[client])
        if not (result.condition_failed and result.base in held.ours and result.base != held[client]):
            return result
        held[client] = result.base
        if result.base == timestamp:  # this very rewrite applied already (a retried or late one)
            return FeedResult(True, base=result.base)


def _rewrite(client, document_id: str, fields: dict | None, timeout: float, timestamp: int,
             tested_base: int) -> Awaitable[FeedResult]:
    """A version read from one replica written again to another at a new timestamp: a replica copy
    (taken whatever the node's language settings now), conditional on the version `client` is known
    to hold (`tested_base`: a newer one is refused)."""
    if fields is None:
        return client.remove(document_id, timeout, timestamp=timestamp, tested_base=tested_base)
    return client.put(document_id, fields, timeout, timestamp=timestamp, tested_base=tested_base, replica_copy=True)


@dataclass(frozen=True, slots=True)
class Unacknowledged:
    """The answer to a write the owners that took it cannot acknowledge (`undo_on_a_newer_refuser`)."""
    status: int
    message: str


async def undo_on_a_newer_refuser(document_id: str, outcomes: Mapping[object, object],
                                  timeout: Callable[[], float], held: Held) -> Unacknowledged | None:
    """An owner that refused a write as stale (UnsyncedOwner) may still hold a newer version than the
    one the owners that took it applied it to (they missed a write only it has; their catch-up has
    not run yet). Acknowledged, the result (a newer timestamp) would replace that version everywhere.
    Then the refuser's version is written again at a new timestamp to every owner that answered
    (`repair`), undoing the write, which is answered as not applied. A refuser that cannot be read
    may hold such a version: the write is not acknowledged (504, outcome unknown; the caller notes it
    as missing the write). None: no refuser holds a version newer than the bases the takers report.
    The undo is conditional on what each owner holds (`held`: the refusers' as read here)."""
    # the versions the owners that answered judged it on: a failed condition's too (the settled
    # condition wrote that version again when it was the newest, `settle_condition`)
    bases = {client: outcome.base for client, outcome in outcomes.items() if isinstance(outcome, FeedResult)
             and (outcome.ok or outcome.condition_failed) and outcome.base is not None}
    refusers = [client for client, outcome in outcomes.items() if isinstance(outcome, UnsyncedOwner)]
    if not refusers or not any(outcomes[client].ok for client in bases):
        return None
    newer: dict = {}
    versions: dict[object, StoredVersion] = {}
    unread: list[str] = []
    for client in refusers:
        try:
            version = await client.get_version(document_id, timeout())
        except Exception as error:  # noqa: BLE001 - it may hold a newer version: not acknowledged
            log.warning("could not read %s from content node %s: %s", document_id, _key(client), error)
            unread.append(f"content node {_key(client)}: {error}")
            continue
        held[client] = version.timestamp  # a version of ours (a taker's copied meanwhile) is not newer
        if (version.fields is not None or version.removed) and version.timestamp > max(bases.values()) \
                and version.timestamp not in held.ours:
            newer[client], versions[client] = version.timestamp, version
    # a refuser is also an owner the container refused as stale (SearchCluster.stale_owner_refusals):
    # if it died since the last ping it cannot be read, and the answer is 504 for up to a ping interval
    unknown = ("Outcome unknown: the write was taken by some replicas, but content nodes that refused it "
               "(catching up) could not be read to see whether they hold a newer version ("
               + "; ".join(unread) + "). Retry later")
    if not newer:
        return Unacknowledged(504, unknown) if unread else None
    log.warning("write of %s taken on older versions (bases %s) than content nodes %s hold (%s): undoing it",
                document_id, {_key(c): b for c, b in bases.items()}, [_key(c) for c in newer], newer)
    unrepaired = await repair(document_id, {client: FeedResult(True, base=base)
                                            for client, base in {**bases, **newer}.items()}, timeout, held,
                               read=versions)
    if unread:
        return Unacknowledged(504, unknown)
    if unrepaired is not None:  # the undo reached no owner, or not for sure: the takers may still hold the write
        return Unacknowledged(504, f"Outcome unknown: content nodes {sorted(_key(c) for c in newer)} hold a newer "
                              "version of the document than the replicas that took the write applied it to, and "
                              f"undoing the write did not complete ({unrepaired.message}). Retry later")
    return Unacknowledged(UNSYNCED_STATUS, f"Content nodes {sorted(_key(c) for c in newer)} hold a newer version "
                          "of the document than the replicas that took the write applied it to, and could not take "
                          "it themselves yet: it was undone, nothing was written. Retry later")


async def copy_to_refusers(document_id: str, outcomes: Mapping[object, object],
                           timeout: Callable[[], float]) -> set:
    """Owners that refused a write as their copy may be stale (UnsyncedOwner: catching up, or not
    synced from a replica) while another owner took it: each gets the taker's resulting version as a
    replica copy (a remove for a tombstone) at the taker's timestamp and origin (equal checksums), which
    a node never refuses (newest wins: it replaces only older versions, so, stamped as read, it is
    conditional on them already; no language check: the version was acknowledged). Its catch-up may have listed
    the document before the write; without the copy only this container's memory (note_missed_write)
    would know it lacks the write, and a later update sent to it alone would build on the older base.
    Returns the refusers
    that have the version now (the others are noted as missing the write)."""
    refusers = [client for client, outcome in outcomes.items() if isinstance(outcome, UnsyncedOwner)]
    takers = [client for client, outcome in outcomes.items() if isinstance(outcome, FeedResult) and outcome.ok]
    if not refusers or not takers:
        return set()
    versions: list[StoredVersion] = []
    for taker in takers:
        try:
            versions.append(await taker.get_version(document_id, timeout()))
        except Exception as error:  # noqa: BLE001 - another taker, or the refusers are noted as missing it
            log.warning("could not read %s from content node %s to copy it to %s: %s", document_id, _key(taker),
                        [_key(client) for client in refusers], error)
    if not versions:
        return set()
    newest = max(versions, key=lambda version: version.order)
    if newest.fields is None and not newest.removed:
        return set(refusers)  # the write stored nothing (an update of a missing document): nothing to copy
    copied = set()
    for client in refusers:
        try:
            result = await (client.remove(document_id, timeout(), timestamp=newest.timestamp) if newest.fields is None
                            else client.put(document_id, newest.fields, timeout(), timestamp=newest.timestamp,
                                            origin=newest.origin, replica_copy=True))
        except Exception as error:  # noqa: BLE001 - noted as missing the write: it catches up
            log.warning("could not copy %s to content node %s: %s", document_id, _key(client), error)
            continue
        if result.ok:
            copied.add(client)
        else:
            log.warning("content node %s refused the copy of %s: %s", _key(client), document_id, result.message)
    return copied


async def reach_refusers(document_id: str, outcomes: Mapping[object, object], timeout: Callable[[], float],
                         held: Held) -> tuple[Unacknowledged | None, set]:
    """The step after a write is taken (and repaired or settled), shared by the document API and
    writes by selection: undone when a refuser holds a newer version (`undo_on_a_newer_refuser`),
    else the takers' version copied to the refusers (`copy_to_refusers`, the refusers that have it)."""
    if (undone := await undo_on_a_newer_refuser(document_id, outcomes, timeout, held)) is not None:
        return undone, set()
    return None, await copy_to_refusers(document_id, outcomes, timeout)


@dataclass(frozen=True, slots=True)
class Settled:
    held: bool  # the condition held on the replica that tested the newest version
    message: str  # that replica's refusal when it did not
    unrepaired: Unacknowledged | None  # the answer when the replicas could not be made equal


async def settle_condition(document_id: str, outcomes: Mapping[object, object], timeout: Callable[[], float],
                           held: Held) -> Settled | None:
    """A test-and-set condition (or a write-by-selection's selection) that held on some replicas and
    not on others, which tested different versions (a replica missed a write): the replica that
    tested the newest decides, and its document, written again at a new timestamp to every replica
    that judged (`repair`), undoes the others' verdict. Otherwise a write refused on the newest
    version could replace it through the merge. None: the replicas agreed."""
    judged = {client: outcome for client, outcome in outcomes.items() if isinstance(outcome, FeedResult)
              and (outcome.ok or outcome.condition_failed) and outcome.base is not None}
    if len({outcome.ok for outcome in judged.values()}) < 2 or len({o.base for o in judged.values()}) < 2:
        return None
    newest = judged[max(judged, key=lambda client: judged[client].base)]
    as_applied = {client: FeedResult(True, base=outcome.base) for client, outcome in judged.items()}
    return Settled(newest.ok, newest.message, await repair(document_id, as_applied, timeout, held))


def _key(client) -> object:
    node = getattr(client, "node", None)
    return getattr(node, "distribution_key", client)
