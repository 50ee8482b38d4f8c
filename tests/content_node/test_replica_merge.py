"""The replica merge in process: two nodes, each a replica of the other, end with the newest
version of every document on both sides (newest timestamp wins; equal is a no-op), an
acknowledged write one side alone holds is copied and never deleted, and a live write during the
merge is never overwritten by an older copy."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from content_node.catch_up import list_documents, read_stamped
from content_node.node import ContentNode
from content_node.replica_merge import MergeReport, bucket_checksums, bucket_entries, merge_with, plan
from content_node.store import segments
from content_node.store.segments import read_manifest
from content_node.store.timestamps import Stamp
from content_node.store.wal import list_segments, segment_first_sequence
from searchlib.timestamps import timestamp_of

APP = Path(__file__).resolve().parents[2] / "schemas"
NOW = 2_000_000_000.0  # seconds; timestamps below are microseconds near it
T = timestamp_of(NOW)


def doc(n: str) -> str:
    return f"id:test:doc::{n}"


def fields(text: str) -> str:
    return json.dumps({"title": text, "text": text})


class InProcessMergePeer:
    """A MergePeer backed by another ContentNode; `before_fetch` interleaves live writes."""

    def __init__(self, node: ContentNode, before_fetch=None) -> None:
        self.address = "in-process"
        self._node = node
        self._before_fetch = before_fetch

    def identity(self):
        return self._node.generation, self._node.distribution_key

    def bucket_checksums(self):
        return bucket_checksums(self._node, NOW)

    def bucket_entries(self, buckets):
        return bucket_entries(self._node, buckets)

    def fetch(self, document_ids):
        answer = [(d, *read_stamped(self._node, d)) for d in document_ids]
        if self._before_fetch:
            self._before_fetch(document_ids)
        return answer

    def put(self, document_id, fields_, timestamp, origin=0):
        self._node.put(document_id, json.dumps(fields_), timestamp=timestamp, origin=origin)

    def remove(self, document_id, timestamp):
        self._node.remove(document_id, timestamp=timestamp)

    def close(self):
        pass


@pytest.fixture
def pair(tmp_path):
    nodes = ContentNode(APP, tmp_path / "a", 0), ContentNode(APP, tmp_path / "b", 2)
    for node in nodes:
        node.sync.start([], wait=True)
    yield nodes
    for node in nodes:
        node.close()


def merge(a: ContentNode, b: ContentNode, before_fetch=None) -> MergeReport:
    return merge_with(a, InProcessMergePeer(b, before_fetch), NOW)


def assert_identical(a: ContentNode, b: ContentNode) -> None:
    assert dict(list_documents(a)) == dict(list_documents(b))
    assert bucket_checksums(a, NOW) == bucket_checksums(b, NOW)


def test_a_put_loses_to_a_newer_remove_on_either_side(pair):
    a, b = pair
    for node in pair:
        node.put(doc("x"), fields("x"), timestamp=T + 10)
        node.put(doc("y"), fields("y"), timestamp=T + 10)
    b.remove(doc("x"), timestamp=T + 20)  # the remove reached b only
    a.remove(doc("y"), timestamp=T + 20)  # and this one a only
    report = merge(a, b)
    assert (report.pulled, report.pushed) == (1, 1)
    assert a.get(doc("x")) is None and b.get(doc("y")) is None
    assert_identical(a, b)
    assert merge(a, b) == MergeReport()  # converged: no bucket differs any more


def test_a_remove_loses_to_a_newer_put(pair):
    a, b = pair
    for node in pair:
        node.put(doc("x"), fields("first"), timestamp=T + 10)
    a.remove(doc("x"), timestamp=T + 20)
    b.put(doc("x"), fields("put again"), timestamp=T + 30)
    merge(a, b)
    assert a.get(doc("x"))["title"] == b.get(doc("x"))["title"] == "put again"
    assert_identical(a, b)


def test_a_write_one_replica_alone_holds_is_copied_never_deleted(pair):
    a, b = pair
    a.put(doc("only-a"), fields("acknowledged by a alone"), timestamp=T + 1)
    b.put(doc("only-b"), fields("acknowledged by b alone"), timestamp=T + 2)
    report = merge(a, b)
    assert (report.pulled, report.pushed) == (1, 1)
    for node in pair:
        assert node.get(doc("only-a"))["title"] == "acknowledged by a alone"
        assert node.get(doc("only-b"))["title"] == "acknowledged by b alone"


def test_an_update_the_stale_replica_missed_arrives_as_the_whole_document(pair):
    a, b = pair
    for node in pair:
        node.put(doc("x"), fields("base"), timestamp=T + 10)
    a.update(doc("x"), json.dumps({"text": {"assign": "updated"}}), False, timestamp=T + 20)
    merge(b, a)  # b (stale) drives: it pulls
    assert b.get(doc("x")) == {"title": "base", "text": "updated"} == a.get(doc("x"))
    b.update(doc("x"), json.dumps({"text": {"assign": "late"}}), False, timestamp=T + 15)
    assert b.get(doc("x"))["text"] == "updated", "an update older than the stored version is not applied"


def test_equal_timestamps_are_a_no_op(pair):
    a, b = pair
    a.put(doc("x"), fields("same operation"), timestamp=T + 10)
    b.put(doc("x"), fields("same operation"), timestamp=T + 10)
    assert merge(a, b) == MergeReport()
    sequence = a.last_sequence
    a.put(doc("x"), fields("a retry of the same put"), timestamp=T + 10)
    a.update(doc("x"), json.dumps({"text": {"assign": "retried update"}}), False, timestamp=T + 10)
    assert a.last_sequence == sequence and a.get(doc("x"))["title"] == "same operation"
    assert plan({"d": Stamp("d", 5)}, {"d": Stamp("d", 5, removed=True)}, 0) == ([], [])


def test_a_live_write_during_the_merge_is_never_overwritten(pair):
    a, b = pair
    b.put(doc("x"), fields("copy on the replica"), timestamp=T + 10)

    def live_write(document_ids):  # lands on a after b answered, before a applies the copy
        a.put(doc("x"), fields("live"), timestamp=T + 30)

    merge(a, b, live_write)
    assert a.get(doc("x"))["title"] == "live"
    merge(a, b)
    assert b.get(doc("x"))["title"] == "live"


def test_tombstones_survive_a_restart_and_are_pruned_after_their_age(tmp_path):
    node = ContentNode(APP, tmp_path / "n", 0, tombstone_max_age=3600)
    node.put(doc("old"), fields("old"), timestamp=T - timestamp_of(7200))
    node.remove(doc("old"), timestamp=T - timestamp_of(7100))  # older than the hour
    node.remove(doc("recent"), timestamp=T - timestamp_of(60))  # never existed here: still kept
    node.databases["doc"].snapshot()
    node.remove(doc("after-snapshot"), timestamp=T - timestamp_of(30))  # in the log only
    node.databases["doc"]._wal.close()  # a crash
    again = ContentNode(APP, tmp_path / "n", 0, tombstone_max_age=3600)
    stamps = again.databases["doc"].timestamps
    assert {s.document_id for s in stamps.stamps() if s.removed} == {doc("old"), doc("recent"), doc("after-snapshot")}
    assert stamps.prune(NOW) == 1
    assert {s.document_id for s in stamps.stamps()} == {doc("recent"), doc("after-snapshot")}
    again.close()


def test_an_expired_tombstone_is_neither_copied_nor_obeyed(pair):
    a, b = pair
    local = {"gone": Stamp("gone", 5, removed=True), "kept": Stamp("kept", 6)}
    assert plan(local, {}, cutoff=10) == ([], [local["kept"]])
    assert plan({}, {"kept": Stamp("kept", 4), "gone": Stamp("gone", 5, removed=True)}, cutoff=10)[0] == \
        [Stamp("kept", 4)]


def test_log_records_written_before_timestamps_load_as_timestamp_zero(tmp_path):
    """(Snapshots of that time: tests/content_node/test_incremental_snapshots.py, legacy fixtures.)"""
    node = ContentNode(APP, tmp_path / "n", 0)
    node.put(doc("snapshotted"), fields("new"), timestamp=T)
    node.databases["doc"].snapshot()
    node.databases["doc"]._wal.append(node.last_sequence + 1, b'{"op":"put","id":"id:test:doc::logged",'
                                                            b'"fields":{"title":"old log record"}}')
    node.databases["doc"]._wal.close()
    again = ContentNode(APP, tmp_path / "n", 0)
    stamps = again.databases["doc"].timestamps
    assert sorted((s.document_id, s.timestamp) for s in stamps.stamps()) == [
        (doc("logged"), 0), (doc("snapshotted"), T)]
    again.put(doc("logged"), fields("any new write is newer"), timestamp=1)
    assert again.get(doc("logged"))["title"] == "any new write is newer"
    again.close()


def test_a_tombstone_in_merged_snapshot_segments_survives_a_crash_and_stops_a_resurrection(tmp_path, monkeypatch):
    """The remove reached a alone; a's tombstones live only in its snapshot segments (the log is
    trimmed), whose merges drop plain removes: a stale copy on b must still be deleted, not copied back."""
    monkeypatch.setattr(segments, "MAX_SEGMENTS", 2)  # every snapshot after the second merges segments
    a, b = ContentNode(APP, tmp_path / "a", 0), ContentNode(APP, tmp_path / "b", 2)
    for node in (a, b):
        node.put(doc("x"), fields("removed on a only"), timestamp=T + 10)
    a.databases["doc"].snapshot()  # segment 1: x
    a.remove(doc("x"), timestamp=T + 20)
    a.remove(doc("y"), timestamp=T + 21)  # reached a before its put, which went to b alone
    b.put(doc("y"), fields("older than its remove"), timestamp=T + 5)
    a.databases["doc"].snapshot()  # segment 2: both tombstones
    for n in range(3):
        a.put(doc(f"filler-{n}"), fields("filler"), timestamp=T + 30 + n)
        a.databases["doc"].snapshot()  # the first merges segments 1 and 2 (nothing older under them)
    assert len(read_manifest(a.databases["doc"]._snapshots.current).segments) == 2
    assert segment_first_sequence(list_segments(tmp_path / "a" / "doc")[0]) > a.last_sequence - 3, \
        "the removes are in no log segment any more"
    a.databases["doc"]._wal.close()  # a crash: what is on disk is all there is
    a = ContentNode(APP, tmp_path / "a", 0)
    for node in (a, b):
        node.sync.start([], wait=True)
    try:
        merge(a, b)
        assert a.get(doc("x")) is b.get(doc("x")) is None and a.get(doc("y")) is b.get(doc("y")) is None
        assert_identical(a, b)
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("driver", ["stale", "newest"])
def test_an_update_on_different_bases_is_seen_by_the_checksums_and_merged_to_the_newest_base(tmp_path, driver):
    """No update repair ran (the container died first): both hold the update's timestamp, with
    different contents; the origins (persisted: a crash and restart keep them) tell them apart."""
    a, b = ContentNode(APP, tmp_path / "a", 0), ContentNode(APP, tmp_path / "b", 2)
    for node in (a, b):
        node.put(doc("x"), fields("v1"), timestamp=T + 10)
    a.put(doc("x"), fields("v2"), timestamp=T + 20)  # never reached b
    for node in (a, b):
        node.update(doc("x"), json.dumps({"text": {"assign": "updated"}}), False, timestamp=T + 30)
        node.update(doc("x"), json.dumps({"text": {"assign": "again"}}), False, timestamp=T + 40)  # chained
    assert a.get(doc("x")) != b.get(doc("x"))
    a.databases["doc"].snapshot()  # a's versions from the segments, b's from the log
    for node in (a, b):
        node.databases["doc"]._wal.close()  # a crash
    a, b = ContentNode(APP, tmp_path / "a", 0), ContentNode(APP, tmp_path / "b", 2)
    try:
        for node in (a, b):
            node.sync.start([], wait=True)
        assert bucket_checksums(a, NOW) != bucket_checksums(b, NOW)
        report = merge(b, a) if driver == "stale" else merge(a, b)
        assert report.pulled + report.pushed == 1
        assert a.get(doc("x")) == b.get(doc("x")) == {"title": "v2", "text": "again"}
        assert_identical(a, b)
        assert merge(a, b) == MergeReport()
        b.update(doc("x"), json.dumps({"text": {"assign": "retry"}}), False, timestamp=T + 40)
        assert b.get(doc("x"))["text"] == "again", "a retried update is still a no-op"
    finally:
        a.close()
        b.close()


def test_a_live_update_on_the_stale_version_during_the_merge_takes_the_peers_result(pair):
    a, b = pair
    a.put(doc("x"), fields("stale base"), timestamp=T + 10)
    b.put(doc("x"), fields("newer base"), timestamp=T + 20)
    operations = json.dumps({"text": {"assign": "updated"}})

    def live_update(document_ids):  # lands on both after the listing, before a applies b's copy
        a.update(doc("x"), operations, False, timestamp=T + 30)  # on a's stale base
        b.update(doc("x"), operations, False, timestamp=T + 30)

    merge(a, b, live_update)
    assert a.get(doc("x")) == b.get(doc("x")) == {"title": "newer base", "text": "updated"}
    assert_identical(a, b)


def test_a_remove_racing_the_merge_is_never_undone_by_its_copies(pair):
    a, b = pair
    b.put(doc("pulled"), fields("only on b"), timestamp=T + 10)  # a pulls it...
    a.put(doc("pushed"), fields("only on a"), timestamp=T + 10)  # ...and pushes this one

    def remove_everywhere(document_ids):  # acknowledged removes landing mid-merge on both replicas
        for node in pair:
            node.remove(doc("pulled"), timestamp=T + 20)
            node.remove(doc("pushed"), timestamp=T + 20)

    merge_with(a, InProcessMergePeer(b, remove_everywhere), NOW)  # the fetch answered before the removes
    for node in pair:
        assert node.get(doc("pulled")) is None and node.get(doc("pushed")) is None
    assert_identical(a, b)


def test_a_remove_landing_between_the_push_read_and_its_put_wins(pair):
    a, b = pair
    a.put(doc("x"), fields("only on a"), timestamp=T + 10)

    class RemoveBeforePut(InProcessMergePeer):
        def put(self, document_id, fields_, timestamp, origin=0):
            for node in pair:  # read already: the copy in hand is older than this remove
                node.remove(document_id, timestamp=T + 20)
            super().put(document_id, fields_, timestamp, origin)

    assert merge_with(a, RemoveBeforePut(b), NOW).pushed == 1
    assert a.get(doc("x")) is None and b.get(doc("x")) is None
    assert_identical(a, b)
