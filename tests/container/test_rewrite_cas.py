"""The container's rewrites after a read (update_repair.py: a repair, an undo) are compare-and-sets on
the version it knows each replica holds: another container's put acknowledged between the read and
the rewrite is never replaced by the older content re-stamped newer; it is read and written to
all instead. In-process content nodes reached through their servicer and the wire codec; the other
container's put lands from a hook right after the read. And the node's side of the rule."""
from __future__ import annotations

import asyncio
import json

import pytest

from container.dispatch.content_client import NodeTimeout, UnsyncedOwner
from container.http.update_repair import held_after, reach_refusers, settle_condition, undo_on_a_newer_refuser
from content_node.catch_up import apply_copy, read_stamped
from content_node.node import ContentNode
from content_node.replica_merge import bucket_checksums, merge_with
from searchlib.errors import UnsyncedReplicaError
from searchlib.selection import ConditionNotMet
from searchlib.timestamps import CLOCK
from tests.container.test_update_repair import (APP, ID, ServiceClient, put, repair_answer, run_repair,
                                                 update_both)
from tests.content_node.test_replica_merge import InProcessMergePeer

ACKNOWLEDGED = {"title": "v4", "text": "another container's put"}


class Raced(ServiceClient):
    """`race` (once) runs right after this node's document is read (`get_version`, as a rewrite reads
    its source): another container's put (or a catch-up's copy) lands then."""

    def __init__(self, node: ContentNode) -> None:
        super().__init__(node)
        self.race = None

    async def get_version(self, document_id, timeout):
        version = await super().get_version(document_id, timeout)
        race, self.race = self.race, None
        if race is not None:
            race()
        return version


@pytest.fixture
def pair(tmp_path):
    nodes = ContentNode(APP, tmp_path / "a", 0), ContentNode(APP, tmp_path / "b", 2)
    for node in nodes:
        node.sync.start([], wait=True)
    yield Raced(nodes[0]), Raced(nodes[1])
    for node in nodes:
        node.close()


def acknowledged_put(*clients) -> int:
    """Another container's put, stamped after this container's write, to `clients`."""
    timestamp = CLOCK.next()
    for client in clients:
        client.node.put(ID, json.dumps(ACKNOWLEDGED), timestamp=timestamp)
    return timestamp


def v1_on_both_v2_on(newer: Raced, a: Raced, b: Raced) -> int:
    """Both replicas hold v1 (its timestamp returned); `newer` also holds v2 (the other missed it)."""
    t1 = CLOCK.next()
    put(a, "v1", t1)
    put(b, "v1", t1)
    put(newer, "v2", CLOCK.next())
    return t1


def converged_on_the_acknowledged_put(a: Raced, b: Raced) -> None:
    merge_with(b.node, InProcessMergePeer(a.node))
    assert a.node.get(ID) == b.node.get(ID) == ACKNOWLEDGED
    assert bucket_checksums(a.node) == bucket_checksums(b.node)


@pytest.mark.parametrize("landed_on", ["both", "one"])
def test_a_put_acknowledged_between_the_repairs_read_and_write_is_never_overwritten(pair, landed_on):
    """a holds v2, b missed it; an update applies to both (different results). The repair reads a, and
    then another container's put lands (on both: acknowledged; on b only: still on its way to a). The
    repair's put of a's older result at its newer timestamp must not replace it: refused where the put
    landed, and the put's version is then what is written to all."""
    a, b = pair
    v1_on_both_v2_on(a, a, b)
    t3, outcomes = update_both(a, b)
    landed: list[int] = []
    a.race = lambda: landed.append(acknowledged_put(*((a, b) if landed_on == "both" else (b,))))
    assert run_repair(outcomes, t3) == ""
    if landed_on == "one":  # the other container's put reaches a now: older than the repair's, a no-op
        a.node.put(ID, json.dumps(ACKNOWLEDGED), timestamp=landed[0])
    assert read_stamped(b.node, ID)[1] >= landed[0]
    converged_on_the_acknowledged_put(a, b)


def test_a_rewrite_that_timed_out_but_applied_is_not_taken_for_another_containers_write(pair):
    """The repair's write to a times out, applied (a stalled node); b refuses it, holding a put that
    landed after the read. The next round writes that put's version: a, holding the repair's own
    write, must take it (it is not a newer write of another container, whose older content would
    then be written over the put in a third round)."""
    a, b = pair
    v1_on_both_v2_on(a, a, b)
    t3, outcomes = update_both(a, b)
    a.race = lambda: acknowledged_put(b)
    applied_then_stalled = a.put

    async def stalls_once(*args, **kwargs):
        a.put = applied_then_stalled
        await applied_then_stalled(*args, **kwargs)
        raise NodeTimeout("content node 0 timed out")
    a.put = stalls_once
    assert run_repair(outcomes, t3) == ""
    converged_on_the_acknowledged_put(a, b)


def test_a_put_acknowledged_after_the_undo_read_the_refuser_is_never_overwritten(pair):
    """b (catching up) refused an update a applied on an older version than b holds: the undo reads b
    and writes the version it read to both (`repair`: the race comes right after the read).
    A put acknowledged on both meanwhile is newer than what the undo read and than the update a took:
    each refuses the undo's write, and the put's version is written."""
    a, b = pair
    t1 = v1_on_both_v2_on(b, a, b)  # a missed it
    timestamp = CLOCK.next()
    outcomes = {a: asyncio.run(a.update(ID, {"text": {"assign": "updated"}}, False, 5.0, timestamp=timestamp)),
                b: UnsyncedOwner("content node 2 is catching up")}
    assert outcomes[a].base == t1
    b.race = lambda: acknowledged_put(a, b)
    undone = asyncio.run(undo_on_a_newer_refuser(ID, outcomes, lambda: 5.0, held_after(outcomes, timestamp)))
    assert undone is not None and undone.status == 503, undone  # the update is not acknowledged
    converged_on_the_acknowledged_put(a, b)


def test_the_takers_write_copied_to_the_refuser_by_its_catch_up_is_not_a_newer_version(pair):
    """The race test_failover.py hit with shorter load phases: a and b hold v1; an update (tw) is
    taken by a on v1, b refuses it (catching up, so it refetches the document at its catch-up's end);
    that refetch copies a's result (tw) onto b before the container reads b. tw is newer than a's base
    but it is this write's own version: no undo (it was a 503 'undone' while the update stayed
    applied everywhere); b has the write."""
    a, b = pair
    t1 = CLOCK.next()
    put(a, "v1", t1)
    put(b, "v1", t1)
    tw = CLOCK.next()
    outcomes = {a: asyncio.run(a.update(ID, {"text": {"assign": "updated"}}, False, 5.0, timestamp=tw)),
                b: UnsyncedOwner("content node 2 is catching up")}
    assert outcomes[a].base == t1
    fields, timestamp, origin = read_stamped(a.node, ID)  # the catch-up's fetch from a, applied on b
    assert timestamp == tw and apply_copy(b.node, ID, fields, timestamp, origin=origin)
    undone, copied = asyncio.run(reach_refusers(ID, outcomes, lambda: 5.0, held_after(outcomes, tw)))
    assert undone is None and copied == {b}
    assert a.node.get(ID) == b.node.get(ID) == {"title": "v1", "text": "updated"}
    assert read_stamped(b.node, ID)[1] == tw and bucket_checksums(a.node) == bucket_checksums(b.node)


def countdown(calls: int):
    """A request deadline that passes after `calls` looks at it."""
    left = iter(range(calls, -1, -1))
    return lambda: 5.0 if next(left, 0) > 0 else 0.0


def test_a_repair_of_a_document_written_by_others_until_the_deadline_is_outcome_unknown(pair):
    """Every round's read is followed by another put, acknowledged on b (still on its way to a): the
    repair rounds until the request's deadline, then answers 504 (the update was applied, some rewrites
    were too: a 503 would invite a retry applying it twice); never a lost write where a put landed."""
    a, b = pair
    v1_on_both_v2_on(a, a, b)
    t3, outcomes = update_both(a, b)
    late: list[tuple[dict, int]] = []

    def again() -> None:
        timestamp, fields = CLOCK.next(), {"title": f"x{len(late)}", "text": "ack"}
        b.node.put(ID, json.dumps(fields), timestamp=timestamp)
        late.append((fields, timestamp))
        a.race = b.race = again
    a.race = b.race = again
    answer = repair_answer(outcomes, t3, countdown(12))
    assert answer is not None and answer.status == 504 and "Outcome unknown" in answer.message, answer
    assert len(late) > 3  # rounds bounded by the deadline, not a count
    assert b.node.get(ID) == late[-1][0]  # refused: never overwritten


def test_a_copy_of_the_undone_write_on_the_refuser_is_not_another_containers_write(pair):
    """b holds v2 (t2), a missed it; an update (tw) is taken by a on v1, b refuses it (catching up). The
    undo reads b (v2), then b's catch-up copies a's version (tw) onto b. b refuses the undo's write on
    tw: that is this request's own write, not a newer one, so v2 (as the undo read it, not read
    again) is written to b again, never the update read back from b (which would lose v2 while the
    client is told it was undone)."""
    a, b = pair
    v1_on_both_v2_on(b, a, b)  # acknowledged; a missed it
    tw = CLOCK.next()
    outcomes = {a: asyncio.run(a.update(ID, {"text": {"assign": "updated"}}, False, 5.0, timestamp=tw)),
                b: UnsyncedOwner("content node 2 is catching up")}
    b.race = lambda: b.node.put(ID, json.dumps(a.node.get(ID)), timestamp=tw, replica_copy=True)
    undone = asyncio.run(undo_on_a_newer_refuser(ID, outcomes, lambda: 5.0, held_after(outcomes, tw)))
    assert undone is not None and undone.status == 503 and "undone" in undone.message, undone
    assert a.node.get(ID) == b.node.get(ID) == {"title": "v2", "text": "body"}
    assert bucket_checksums(a.node) == bucket_checksums(b.node)


def test_a_condition_settled_after_a_merge_copied_the_takers_write_keeps_the_newest_verdict(pair):
    """The condition held on a (v1) and failed on b (v2, newest): b decides (412) and its version is
    written to both. A merge copies a's write (tw) onto b right after b is read: b's refusal on tw is
    this request's own write; v2 is written again on it, never the write read back from b."""
    a, b = pair
    v1_on_both_v2_on(b, a, b)
    tw = CLOCK.next()
    condition = 'doc.title=="v1"'
    outcomes = {c: asyncio.run(c.put(ID, {"title": "w", "text": "w"}, 5.0, condition, timestamp=tw)) for c in (a, b)}
    assert outcomes[a].ok and outcomes[b].condition_failed
    b.race = lambda: b.node.put(ID, json.dumps(a.node.get(ID)), timestamp=tw, replica_copy=True)
    settled = asyncio.run(settle_condition(ID, outcomes, lambda: 5.0, held_after(outcomes, tw)))
    assert a.node.get(ID) == b.node.get(ID) == {"title": "v2", "text": "body"}
    assert settled is not None and not settled.held and not settled.unrepaired, settled  # 412


def test_a_condition_settled_after_the_newest_replica_took_a_copy_of_the_write_is_outcome_unknown(pair):
    """As above, but the merge copies a's write onto b before b is read: b's version (v2), which
    decided the condition, is gone and the write is applied everywhere: 504, never a 412 (nothing
    written) nor the write's content passed off as b's verdict."""
    a, b = pair
    v1_on_both_v2_on(b, a, b)
    tw = CLOCK.next()
    outcomes = {c: asyncio.run(c.put(ID, {"title": "w", "text": "w"}, 5.0, 'doc.title=="v1"', timestamp=tw))
                for c in (a, b)}
    b.node.put(ID, json.dumps(a.node.get(ID)), timestamp=tw, replica_copy=True)  # the merge, before the read
    settled = asyncio.run(settle_condition(ID, outcomes, lambda: 5.0, held_after(outcomes, tw)))
    assert settled is not None and settled.unrepaired is not None and settled.unrepaired.status == 504, settled
    assert a.calls.count("put") == b.calls.count("put") == 1  # the condition's own: nothing rewritten


def test_a_rewrite_that_timed_out_unapplied_does_not_let_a_later_round_overwrite_a_newer_write(pair):
    """a holds v2, b missed it; the repair reads a, then Z lands on b. Its rewrite to a times out,
    never applied, while X (stamped after Z, before the rewrite) is acknowledged on a. b refuses (Z):
    the next round's write of Z to a must be refused too (a's X is newer than anything known there),
    and X, the newest, is what the replicas end with."""
    a, b = pair
    v1_on_both_v2_on(a, a, b)
    t3, outcomes = update_both(a, b)
    stamps = {}

    def race() -> None:
        stamps["z"] = CLOCK.next()
        b.node.put(ID, json.dumps({"title": "Z", "text": "z"}), timestamp=stamps["z"])
        stamps["x"] = CLOCK.next()  # X, stamped by another container now
    a.race = race
    unstuck = a.put

    async def stuck(*args, **kwargs):
        a.put = unstuck
        a.node.put(ID, json.dumps(ACKNOWLEDGED), timestamp=stamps["x"])  # X, on a alone: acknowledged
        raise NodeTimeout("content node 0 timed out")
    a.put = stuck
    assert run_repair(outcomes, t3) == ""
    converged_on_the_acknowledged_put(a, b)


def test_the_source_takes_its_own_content_back_without_a_wasted_round(pair):
    """The repair reads its source's stored timestamp with the document: written back to it, the
    rewrite is conditional on that version (not refused as newer), so one round reaches both."""
    a, b = pair
    v1_on_both_v2_on(a, a, b)
    t3, outcomes = update_both(a, b)
    a.node.put(ID, json.dumps({"title": "v3", "text": "x"}), timestamp=CLOCK.next())  # after the update: a's
    assert run_repair(outcomes, t3) == ""
    assert a.calls.count("get") == 1 and a.calls.count("put") == 1 and b.calls.count("put") == 1, (a.calls, b.calls)
    assert a.node.get(ID) == b.node.get(ID) == {"title": "v3", "text": "x"}


def test_a_compare_and_set_is_refused_on_a_newer_version_and_taken_while_catching_up(tmp_path):
    """The node's side: `tested_base` without a condition refuses a write where a newer version is
    stored (as a condition that failed, with that version), and, reading no content, is taken by a node
    that refuses conditions because its copy may be stale."""
    node = ContentNode(APP, tmp_path / "n", 0, groups=2)  # replicas, no catch-up yet: its copy may be stale
    try:
        t1, t2 = CLOCK.next(), CLOCK.next()
        node.put(ID, json.dumps({"title": "v1", "text": "x"}), timestamp=t1)
        with pytest.raises(UnsyncedReplicaError):
            node.put(ID, json.dumps({"title": "c", "text": "x"}), "doc.title==\"v1\"", timestamp=t2)
        with pytest.raises(ConditionNotMet) as refused:
            node.put(ID, json.dumps({"title": "stale", "text": "x"}), timestamp=t2, tested_base=t1 - 1)
        assert refused.value.base == t1
        with pytest.raises(ConditionNotMet):
            node.remove_on_base(ID, timestamp=t2, tested_base=t1 - 1)
        assert node.get(ID)["title"] == "v1"
        assert node.put(ID, json.dumps({"title": "v2", "text": "x"}), timestamp=t2, tested_base=t1) == t1
        assert node.remove_on_base(ID, timestamp=CLOCK.next(), tested_base=t2) == (True, t2)
        assert node.get(ID) is None
    finally:
        node.close()
