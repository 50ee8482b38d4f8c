"""Test-and-set and bucket ownership on a ContentNode in process: a false condition writes nothing
(not even a WAL record), conditions see concurrent writes atomically, and a node refuses client
writes for buckets another node of its group owns while catch-up still applies them."""
from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from content_node.catch_up import apply_copy
from content_node.node import ContentNode
from searchlib.distribution import node_in_group
from searchlib.docid import global_id
from searchlib.errors import WrongDistributionError
from searchlib.selection import ConditionNotMet, SelectionError

MUSIC = Path(__file__).resolve().parents[1] / "apps" / "music"


def doc(n) -> str:
    return f"id:ns:music::{n}"


@pytest.fixture
def node(tmp_path):
    running = ContentNode(MUSIC, tmp_path / "data", 0)
    yield running
    running.close()


def test_a_false_condition_writes_nothing(node):
    node.put(doc(1), json.dumps({"artist": "A", "year": 2015}))
    sequence = node.last_sequence
    with pytest.raises(ConditionNotMet):
        node.put(doc(1), json.dumps({"artist": "B"}), condition="music.year == 2000")
    with pytest.raises(ConditionNotMet):
        node.update(doc(1), json.dumps({"year": {"assign": 1}}), False, condition="music.artist == 'B'")
    with pytest.raises(ConditionNotMet):
        node.remove(doc(1), condition="not music")
    assert node.last_sequence == sequence and node.get(doc(1))["artist"] == "A"
    node.update(doc(1), json.dumps({"year": {"increment": 1}}), False, condition="music.year == 2015")
    node.put(doc(1), json.dumps({"artist": "C"}), condition='music.artist = "A*"')
    assert node.get(doc(1)) == {"artist": "C"}
    assert node.remove(doc(1), condition='id.specific == "1"') and node.get(doc(1)) is None


def test_missing_documents_follow_vespa(node):
    for write in (lambda: node.put(doc(2), "{}", condition="music"),
                  lambda: node.update(doc(2), "{}", False, condition="music"),
                  lambda: node.remove(doc(2), condition="music")):
        with pytest.raises(ConditionNotMet, match="does not exist"):
            write()
    node.update(doc(2), json.dumps({"year": {"assign": 1}}), True, condition="music.year == 99")
    node.put(doc(3), json.dumps({"year": 3}), condition="false", create=True)
    assert node.get(doc(2)) == {"year": 1} and node.get(doc(3)) == {"year": 3}
    with pytest.raises(SelectionError):
        node.put(doc(3), "{}", condition="music.year ==")


def test_concurrent_conditional_increments_never_lose_or_double_apply(node):
    """Compare-and-swap from 8 threads: each attempt reads the year and conditions on it; exactly
    one attempt per value wins, so the final count equals the number of successes."""
    node.put(doc(4), json.dumps({"year": 0}))
    wins = []

    def worker():
        for _ in range(25):
            seen = node.get(doc(4))["year"]
            try:
                node.update(doc(4), json.dumps({"year": {"assign": seen + 1}}), False,
                            condition=f"music.year == {seen}")
                wins.append(seen)
            except ConditionNotMet:
                pass

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == list(range(len(wins))) and node.get(doc(4))["year"] == len(wins)


def test_a_node_refuses_writes_for_buckets_it_does_not_own(tmp_path):
    node = ContentNode(MUSIC, tmp_path / "owner", 1, group_keys=[0, 1, 2])
    try:
        ids = [doc(n) for n in range(40)]
        mine = [i for i in ids if node_in_group(global_id(i), [0, 1, 2]) == 1]
        theirs = [i for i in ids if i not in mine]
        assert mine and theirs
        for document_id in mine:
            node.put(document_id, json.dumps({"year": 1}))
        for write in (lambda i: node.put(i, "{}"), lambda i: node.update(i, "{}", True),
                      lambda i: node.remove(i)):
            with pytest.raises(WrongDistributionError) as refused:
                write(theirs[0])
            owner = node_in_group(global_id(theirs[0]), [0, 1, 2])
            assert f"content node {owner} owns" in refused.value.message and "bucket 0x" in refused.value.message
        assert apply_copy(node, theirs[1], {"year": 2}, 5)  # catch-up from a replica goes around the check
        assert node.get(theirs[1]) == {"year": 2} and node.active_documents == len(mine) + 1
    finally:
        node.close()


def test_a_probe_tests_the_condition_as_the_write_would_and_writes_nothing(node):
    """Replicated test-and-set's first step (container/http/condition_probe.py): the stored timestamp
    the condition held on, or ConditionNotMet carrying it; a late probe is harmless."""
    node.put(doc(1), json.dumps({"artist": "A", "year": 2015}), timestamp=100)
    sequence = node.last_sequence
    assert node.probe(doc(1), "music.year == 2015", create=False) == 100
    with pytest.raises(ConditionNotMet) as refused:
        node.probe(doc(1), "music.year == 2000", create=False)
    assert refused.value.base == 100
    with pytest.raises(ConditionNotMet):
        node.probe(doc(2), "music.year == 2000", create=False)  # missing: refused unless the write may create it
    assert node.probe(doc(2), "music.year == 2000", create=True) == -1
    assert node.last_sequence == sequence and node.get(doc(2)) is None


def test_a_write_pinned_to_a_tested_version_applies_on_it_or_an_older_one_and_refuses_a_newer_one(node):
    """Replicated test-and-set's second step: the condition held on version `tested_base` (the newest
    of any replica's); a replica that is not newer applies the write without testing again (it may be
    stale and fail the condition itself), one that is newer refuses it, carrying its version."""
    node.put(doc(1), json.dumps({"artist": "stale", "year": 1}), timestamp=100)
    condition = "music.artist == 'newest'"  # false on this stale copy: the probe found it true on version 200
    assert node.put(doc(1), json.dumps({"artist": "W"}), condition, timestamp=300, tested_base=200) == 100
    assert node.get(doc(1))["artist"] == "W"
    with pytest.raises(ConditionNotMet) as refused:  # stored 300 is newer than the version tested
        node.remove_on_base(doc(1), condition, timestamp=400, tested_base=200)
    assert refused.value.base == 300 and node.get(doc(1))["artist"] == "W"
    assert node.update_on_base(doc(1), json.dumps({"year": {"assign": 5}}), False, condition, timestamp=500,
                               tested_base=300) == (True, 300)
    assert node.remove_on_base(doc(1), condition, timestamp=600, tested_base=500) == (True, 500)
    assert node.get(doc(1)) is None


def test_a_probe_in_a_feed_batch_answers_like_a_write_and_writes_nothing(node):
    from content_node.service import ContentNodeService
    from protos import content_node_pb2 as pb

    node.put(doc(1), json.dumps({"artist": "A", "year": 2015}), timestamp=100)
    sequence = node.last_sequence
    probes = [pb.FeedOperation(probe=pb.ProbeRequest(document_id=doc(1), condition=condition))
              for condition in ("music.year == 2015", "music.year == 2000")]
    held, refused = ContentNodeService(node).Feed(pb.FeedBatchRequest(operations=probes), None).replies
    assert held.ok and held.base_timestamp == 100
    assert not refused.ok and refused.condition_failed and refused.base_timestamp == 100
    assert node.last_sequence == sequence
