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
from container.http.update_repair import held_after, undo_on_a_newer_refuser
from content_node.catch_up import read_stamped
from content_node.node import ContentNode
from content_node.replica_merge import bucket_checksums, merge_with
from protos import content_node_pb2 as pb
from searchlib.errors import UnsyncedReplicaError
from searchlib.selection import ConditionNotMet
from searchlib.timestamps import CLOCK
from searchlib.wire import feed_codec
from tests.container.test_update_repair import APP, ID, ServiceClient, put, run_repair, update_both
from tests.content_node.test_replica_merge import InProcessMergePeer

ACKNOWLEDGED = {"title": "v4", "text": "another container's put"}


class Raced(ServiceClient):
    """`race` (once) runs right after this node's document is read (`get`, as a rewrite reads its
    source): another container's put lands then."""

    def __init__(self, node: ContentNode) -> None:
        super().__init__(node)
        self.race = None

    async def get(self, document_id, timeout):
        fields = await super().get(document_id, timeout)
        self._raced()
        return fields

    async def get_version(self, document_id, timeout):
        reply = self._service.Get(pb.GetRequest(document_id=document_id), None)
        return feed_codec.decode_get_reply(pb.GetReply.FromString(reply.SerializeToString()))

    def _raced(self) -> None:
        race, self.race = self.race, None
        if race is not None:
            race()


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
    t1 = CLOCK.next()
    put(a, "v1", t1)
    put(b, "v1", t1)
    put(a, "v2", CLOCK.next())
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
    t1 = CLOCK.next()
    put(a, "v1", t1)
    put(b, "v1", t1)
    put(a, "v2", CLOCK.next())
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
    and writes its version to both (`repair`, which reads b's document again: the race comes after).
    A put acknowledged on both meanwhile is newer than what the undo read and than the update a took:
    each refuses the undo's write, and the put's version is written."""
    a, b = pair
    t1 = CLOCK.next()
    put(a, "v1", t1)
    put(b, "v1", t1)
    put(b, "v2", CLOCK.next())  # a missed it
    timestamp = CLOCK.next()
    outcomes = {a: asyncio.run(a.update(ID, {"text": {"assign": "updated"}}, False, 5.0, timestamp=timestamp)),
                b: UnsyncedOwner("content node 2 is catching up")}
    assert outcomes[a].base == t1
    b.race = lambda: acknowledged_put(a, b)
    undone = asyncio.run(undo_on_a_newer_refuser(ID, outcomes, lambda: 5.0, held_after(outcomes, timestamp)))
    assert undone is not None and undone.status == 503, undone  # the update is not acknowledged
    converged_on_the_acknowledged_put(a, b)


def test_a_repair_of_a_document_written_by_others_all_along_is_an_error(pair):
    """Every round's read is followed by another acknowledged put: after REWRITE_ROUNDS the repair
    gives up (503) rather than overwrite one; the puts' version stands."""
    a, b = pair
    put(a, "v2", CLOCK.next())
    t3, outcomes = update_both(a, b, create=True)

    def again() -> None:
        acknowledged_put(a, b)
        a.race = b.race = again
    a.race = b.race = again
    message = run_repair(outcomes, t3)
    assert "could not be reconciled" in message and "written by others" in message
    a.race = b.race = None
    converged_on_the_acknowledged_put(a, b)


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
