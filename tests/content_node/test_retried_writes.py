"""A write retried with its timestamp (the container resends to a node that timed out) finds the
first attempt stored and is a no-op, but it is acknowledged only once the first attempt's log
record is on disk: otherwise a node killed before that fsync loses a write it acknowledged."""
from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from content_node.node import ContentNode
from content_node.store.wal import WriteAheadLog
from searchlib.timestamps import CLOCK

APP = Path(__file__).resolve().parents[2] / "schemas"
ID = "id:test:doc::x"


@pytest.fixture
def node(tmp_path):
    node = ContentNode(APP, tmp_path / "n", 0)
    node.sync.start([], wait=True)
    yield node
    node.close()


def stalled_fsync(monkeypatch):
    """The next fsync blocks until released (a disk stall)."""
    entered, release = threading.Event(), threading.Event()
    original = WriteAheadLog._fsync

    def fsync(fd):
        if not release.is_set():
            entered.set()
            assert release.wait(10)
        original(fd)
    monkeypatch.setattr(WriteAheadLog, "_fsync", staticmethod(fsync))
    return entered, release


@pytest.mark.parametrize("kind", ["put", "update", "remove"])
def test_a_retry_is_acknowledged_only_once_the_first_attempt_is_durable(node, monkeypatch, kind):
    node.put(ID, json.dumps({"title": "base"}), timestamp=CLOCK.next())
    timestamp = CLOCK.next()
    write = {"put": lambda: node.put(ID, json.dumps({"title": "new"}), timestamp=timestamp),
             "update": lambda: node.update(ID, json.dumps({"title": {"assign": "new"}}), False, timestamp=timestamp),
             "remove": lambda: node.remove(ID, timestamp=timestamp)}[kind]
    entered, release = stalled_fsync(monkeypatch)
    first = threading.Thread(target=write)
    first.start()
    assert entered.wait(10), "the first attempt is logged and waits for its fsync"
    retried = threading.Event()
    retry = threading.Thread(target=lambda: (write(), retried.set()))
    retry.start()
    assert not retried.wait(0.5), "the retry must not be acknowledged before the first attempt is durable"
    release.set()
    first.join(10)
    retry.join(10)
    assert retried.is_set()
    assert node.databases["doc"]._wal._durable_sequence == node.last_sequence
