"""Test-and-set on replicas in two steps, as Vespa's distributor does on replicas that may differ
(its condition probe), for a conditional put, update or remove and for a write by selection:

1. probe: every owner tests the condition against the version it holds and writes nothing (a
   ProbeRequest of its own, so that a node that does not know it refuses it, never writes);
2. the owner that tested the newest version decides (`newest_verdict`). Refused: the answer is 412
   and no write is sent at all. Held: the write goes to every owner with that version's timestamp
   (`tested_base`); an owner whose version is not newer applies it without testing again (a stale
   replica takes the outcome decided on the newest version), one whose version is newer (a write
   came between the steps) refuses it as a failed condition, and `settle_condition` makes the
   replicas agree.

Why two steps: with the condition tested in the write itself, a stalled stale replica (SIGSTOP)
that resumed after the container had answered still tested its old version, applied a write the
newest version had refused, and the merge (newest timestamp wins) then replaced the acknowledged
newer version on every replica. A deadline on the write cannot close that: a node may stall
between its check and its reply, or die there. Here a probe that arrives late writes nothing, and
a write that arrives late is one the newest version accepted (or is refused by any newer one).

An owner that stalls during the probe is waited for until the timeout (it may hold the newest
version); without its answer, a refusal by the newest of the others is still a refusal (nothing
was written), and otherwise the write is not sent (504); as for an owner whose probe was still
queued in the container behind earlier writes to it at the deadline (busy, not dead: `silence`;
503, never sent). A dead owner is not waited for, nor one that health checks saw down before the
write (it has been missing writes); the pinned write reaches them when they return, harmlessly.
One owner (one group) needs no probe: the write tests the condition itself.
"""
from __future__ import annotations

from typing import Mapping

from container.dispatch.content_client import NodeOverloaded, NodeTimeout, NodeUnavailable, UnsyncedOwner
from searchlib.wire.feed_codec import FeedResult


def newest_verdict(outcomes: Mapping[object, object]) -> FeedResult | None:
    """The probe answer of the owner that tested the newest version; None when none answered. On a
    tie, a refusal: replicas can hold different results of one update under one timestamp."""
    judged = [outcome for outcome in outcomes.values() if isinstance(outcome, FeedResult)
              and (outcome.ok or outcome.condition_failed) and outcome.base is not None]
    return max(judged, key=lambda outcome: (outcome.base, not outcome.ok), default=None)


def silence(outcomes: Mapping[object, object]) -> Exception | None:
    """Why an owner that is alive gave no verdict, or None: it did not answer within the timeout
    (stalled: NodeTimeout, answered 504), or its probe was never sent (NodeOverloaded: queued behind
    earlier writes to the busy node at the deadline, answered 503). Either may hold a newer version
    than the owners that answered: the condition is not judged without it, and nothing is written."""
    return next((o for o in outcomes.values() if isinstance(o, NodeTimeout)),
                next((o for o in outcomes.values() if isinstance(o, NodeOverloaded)), None))


def untested_status(problem: Exception) -> int:
    """The answer to a condition `silence` kept from being judged: nothing was written either way,
    but a stalled owner's outcome is the timeout's 504, a busy one's the retryable 503."""
    return 504 if isinstance(problem, NodeTimeout) else 503


def as_judged(outcomes: Mapping[object, object], tested_base: int) -> dict:
    """The written step's outcomes for `settle_condition`: an owner that did not answer may have
    applied the write (on a version not newer than `tested_base`; a dead one, before it died), so when an
    owner that answered refused it on a newer version, that version is written again to all at a newer
    timestamp. Not an owner that refused it as stale (UnsyncedOwner: nothing written there): it may hold
    a newer version, which must be read before anything is written to it (update_repair.reach_refusers)."""
    return {client: FeedResult(True, base=tested_base) if isinstance(outcome, (NodeUnavailable, NodeTimeout))
            and not isinstance(outcome, UnsyncedOwner) else outcome for client, outcome in outcomes.items()}
