"""Updates and removes by selection (/document/v1 PUT/DELETE with `selection`): a document's write
counts as done only if a replica took it. One that reached no replica (every owner went down
between the page and the write) is an error, never a document counted as updated or removed. A
stale replica that resumes late never applies what the newest version refused."""
from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import pytest

from container.dispatch.content_client import NodeAddress, NodeUnavailable, UnsyncedOwner
from container.dispatch.search_cluster import SearchCluster
from container.http import visit_handler
from container.http.visit_handler import VisitHandler, _NodeRefused
from content_node.replica_merge import merge_with
from searchlib.docid import global_id
from searchlib.errors import ErrorCode
from searchlib.sequencing import KeySequencer
from searchlib.wire.feed_codec import FeedResult, StoredVersion
from searchlib.wire.visit_codec import VisitCall, VisitedDocument, VisitPage
from tests.container.test_condition_settling import ID, Replica, StalledReplica, replicas  # noqa: F401 - fixture
from tests.content_node.test_replica_merge import InProcessMergePeer

DOCUMENT = VisitedDocument(global_id("id:test:doc::x"), "id:test:doc::x", {"title": "x"})


class Owner:
    def __init__(self, key: int, down: bool, full: bool = False) -> None:
        self.node, self.down, self.full = NodeAddress(key, key, f"host:{key}"), down, full

    async def remove(self, document, timeout, timestamp, **step):
        if self.down:
            raise NodeUnavailable(f"content node {self.node.distribution_key} went down")
        if self.full and not step.get("probe"):
            return FeedResult(False, error_code=ErrorCode.INSUFFICIENT_STORAGE, message="No space left on device")
        return FeedResult(True, found=True, base=7)  # a probe's: the selection held on version 7


def write(monkeypatch, owners, document=DOCUMENT, operation=None, timeout: float = 5.0, seen_down=None,
          missed=None, stale_base=None):
    """`stale_base`: the refusal's message (None: none), or the refusal itself (keys → message)."""
    missed = [] if missed is None else missed
    cluster = SimpleNamespace(note_missed_write=missed.append, writes=KeySequencer(),
                              stale_base_refusal=stale_base if callable(stale_base) else lambda keys: stale_base, health={
        owner.node.distribution_key: SimpleNamespace(reachable=reachable) for owner, reachable in
        zip(owners, [True] * len(owners) if seen_down is None else [not down for down in seen_down])})
    cluster.note_refused_writes = lambda outcomes: SearchCluster.note_refused_writes(cluster, outcomes)
    cluster.stale_owner_refusals = lambda clients: {}  # no owner missed a write (the real rule: test_stale_owner)
    cluster.order_resyncs = lambda keys, timeout: asyncio.sleep(0)  # the order itself: test_stale_owner
    handler = SimpleNamespace(_cluster=cluster, _global_types=frozenset())
    monkeypatch.setattr(visit_handler, "holders", lambda *args: owners)
    operation = operation or (lambda client, document, left, timestamp, **step: client.remove(
        document, left, timestamp, **step))
    written = asyncio.run(VisitHandler._write_everywhere(handler, document, operation, time.monotonic() + timeout))
    return written, missed


def test_a_write_one_replica_took_counts_and_the_other_catches_up(monkeypatch):
    assert write(monkeypatch, [Owner(0, down=False), Owner(1, down=True)]) == (True, [1])


class Refusing(Owner):
    """Refuses the write as its copy may be stale (the node's guard) but takes the copy of the result;
    holds `held` (by default older than the base, 7, the taker wrote on)."""

    def __init__(self, key: int, held: StoredVersion = StoredVersion({"title": "x"}, timestamp=5)) -> None:
        super().__init__(key, down=False)
        self.copies: list[tuple[str, int]] = []
        self.held = held

    async def get_version(self, document_id, timeout):
        return self.held

    async def get(self, document_id, timeout):
        return self.held.fields

    async def remove(self, document, timeout, timestamp=0, **step):
        if isinstance(document, str):  # the copy: a plain remove of the id at the taker's timestamp
            self.copies.append((document, timestamp))
            return FeedResult(True)
        raise UnsyncedOwner("content node 1 is catching up with its replicas")


class Taker(Owner):
    async def get_version(self, document_id, timeout):
        return StoredVersion(None, timestamp=42, removed=True)


def test_an_owner_that_refused_as_stale_gets_the_result_and_is_not_left_lacking_it(monkeypatch):
    refusing = Refusing(1)
    assert write(monkeypatch, [Taker(0, down=False), refusing]) == (True, [])
    assert refusing.copies == [(DOCUMENT.document_id, 42)]  # the taker's tombstone


def test_a_write_taken_on_an_older_version_than_the_refusing_owner_holds_is_undone(monkeypatch):
    refusing = Refusing(1, held=StoredVersion(None, timestamp=9, removed=True))  # a remove the taker missed
    with pytest.raises(_NodeRefused, match="it was undone") as refused:
        write(monkeypatch, [Taker(0, down=False), refusing])
    assert refused.value.status == 503
    (document_id, timestamp), = refusing.copies  # its tombstone written again, at a new timestamp
    assert document_id == DOCUMENT.document_id and timestamp > 42


def test_a_write_is_sent_nowhere_while_an_owner_serves_as_is(monkeypatch):
    """The selection reads the stored version: not on an owner that may hold a stale one
    (SearchCluster.unsynced_replicas, tested with the document write path in test_write_availability)."""
    sent = []
    operation = lambda client, document, left, timestamp, **step: sent.append(client) or client.remove(  # noqa: E731
        document, left, timestamp, **step)
    with pytest.raises(_NodeRefused) as refused:
        write(monkeypatch, [Owner(0, down=False), Owner(1, down=False)], operation=operation,
              stale_base="Replicas that may hold a newer version of the document are unavailable")
    assert refused.value.status == 503 and "newer version" in refused.value.message and sent == []


def test_only_the_owners_a_write_is_sent_to_are_judged_stale(monkeypatch):
    """An owner health checks see down gets nothing (it misses the write): whether it may be stale
    does not matter."""
    judged = []
    refusal = lambda keys: judged.append(sorted(keys))  # noqa: E731 - None: not refused
    assert write(monkeypatch, [Owner(0, down=True), Owner(1, down=False)], seen_down=[True, False],
                 stale_base=refusal) == (True, [0])
    assert judged == [[1]]


def test_a_write_one_replica_refused_fails_and_that_replica_catches_up(monkeypatch):
    missed = []
    with pytest.raises(_NodeRefused) as refused:
        write(monkeypatch, [Owner(0, down=False), Owner(1, down=False, full=True)], missed=missed)
    assert refused.value.status == 507 and "No space left on device" in refused.value.message
    assert missed == [1]  # it lacks what owner 0 applied: out of service until it caught up


def test_a_write_no_replica_took_is_an_error_not_a_document_counted(monkeypatch):
    with pytest.raises(_NodeRefused) as refused:
        write(monkeypatch, [Owner(0, down=True), Owner(1, down=True)])
    assert refused.value.status == 503 and "id:test:doc::x" in refused.value.message


def test_a_stale_replica_stalled_past_the_timeout_does_not_remove_what_the_newest_keeps(monkeypatch, replicas):
    """The page came from b, which missed v2 and still matches; b stalls until after the handler gave
    up on it. Its late request must not remove its v1 (the merge would spread the tombstone over the
    acknowledged v2): the newest replica's verdict decides, and it keeps v2."""
    a, b = replicas
    stalled = StalledReplica(b, 1)
    stale = VisitedDocument(global_id(ID), ID, {"title": "v1"})
    operation = lambda client, document, left, timestamp, **step: client.remove(  # noqa: E731
        document.document_id, left, 'doc.title=="v1"', timestamp=timestamp, **step)
    assert write(monkeypatch, [Replica(a, 0), stalled], stale, operation, timeout=0.3) == (False, [])
    stalled.resume()
    merge_with(b, InProcessMergePeer(a))
    assert a.get(ID)["title"] == b.get(ID)["title"] == "v2"


def test_an_owner_health_checks_see_down_is_not_waited_for(monkeypatch, replicas):
    """b stalled long ago: a delete by selection does not hold each document until the deadline for
    it; a decides, takes the write, and b is noted to catch up."""
    a, b = replicas
    newest = VisitedDocument(global_id(ID), ID, {"title": "v2"})
    operation = lambda client, document, left, timestamp, **step: client.remove(  # noqa: E731
        document.document_id, left, 'doc.title=="v2"', timestamp=timestamp, **step)
    started = time.monotonic()
    assert write(monkeypatch, [Replica(a, 0), StalledReplica(b, 1)], newest, operation, timeout=5,
                 seen_down=[False, True]) == (True, [1])
    assert time.monotonic() - started < 2 and a.get(ID) is None


class VisitingNode:
    def __init__(self, dead: bool) -> None:
        self.dead = dead

    async def visit(self, call, timeout):
        if self.dead:  # killed before health checks noticed
            raise NodeUnavailable("content node 1 (host:1) is unavailable")
        return VisitPage((DOCUMENT,), None)


def test_a_page_from_a_group_with_a_node_just_killed_is_read_from_another_group():
    groups = {0: [VisitingNode(dead=False), VisitingNode(dead=True)], 1: [VisitingNode(dead=False)]}
    picked = []

    def pick_group(exclude=()):
        group = next(g for g in groups if g not in exclude)
        picked.append(group)
        return group
    cluster = SimpleNamespace(pick_group=pick_group, group_nodes=groups.get)
    visit = visit_handler._Visit(VisitCall(), 10, "[document]", False, time.monotonic() + 5)
    documents, continuation = asyncio.run(VisitHandler._page(SimpleNamespace(_cluster=cluster), visit))
    assert picked == [0, 1] and documents == [DOCUMENT] and continuation is None
