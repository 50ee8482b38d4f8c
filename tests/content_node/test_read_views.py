"""Read views (content_node/store/read_views.py): the shared/exclusive lock, the version history
and its pruning, and DocumentDB reading a document as of a view's generation."""
from __future__ import annotations

import threading
import time

from content_node.document_db import DocumentDB
from content_node.store.read_views import ReadWriteLock, Version, VersionHistory
from searchlib.docid import global_id
from tests.content_node.test_document_db import SCHEMA, doc_id


def version(text: str) -> Version:
    return Version(text, text.encode(), {}, lambda blob: b'{"title": "%s"}' % blob)


def test_readers_share_and_a_writer_waits_for_them() -> None:
    lock, events = ReadWriteLock(), []

    def write() -> None:
        with lock.exclusive():
            events.append("write")

    with lock.shared(), lock.shared():  # two queries at once
        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(0.05)
        events.append("reads done")
    writer.join(1.0)
    assert events == ["reads done", "write"]


def test_a_waiting_writer_holds_off_new_readers() -> None:
    lock, events = ReadWriteLock(), []
    reading = lock.shared()
    reading.__enter__()

    def write() -> None:
        with lock.exclusive():
            events.append("write")

    def read() -> None:
        with lock.shared():
            events.append("read")

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(0.05)
    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.05)
    assert events == []
    reading.__exit__(None, None, None)
    writer.join(1.0), reader.join(1.0)
    assert events == ["write", "read"]


def test_history_answers_as_of_a_generation_and_is_pruned_with_its_views() -> None:
    now = [0.0]
    history = VersionHistory(clock=lambda: now[0])
    assert not history.retaining()  # no view: writes keep nothing
    history.open(5, seconds=10)
    history.open(8, seconds=20)
    assert history.retaining()
    history.record(7, b"a", version("a@5"))  # a's version of generation 5 was replaced at 7
    history.record(9, b"a", version("a@8"))
    assert history.as_of(b"a", 5).fields() == {"title": "a@5"}
    assert history.as_of(b"a", 8).fields() == {"title": "a@8"}
    assert history.as_of(b"a", 9) is None and history.as_of(b"b", 5) is None  # current is right
    now[0] = 15.0  # view 5 expired: what only it could ask for goes
    assert history.retaining() and len(history) == 1
    assert history.as_of(b"a", 8).fields() == {"title": "a@8"}
    now[0] = 25.0
    assert not history.retaining() and len(history) == 0


def test_document_db_fills_as_of_the_view(tmp_path) -> None:
    with DocumentDB(SCHEMA, tmp_path) as db:
        db.put(doc_id(1), {"title": "first", "year": 2001})
        db.put(doc_id(2), {"title": "second", "year": 2002})
        with db.read_view() as view:
            generation = view.open_view(10.0)
        db.update(doc_id(1), {"title": {"assign": "changed"}, "year": {"assign": 1999}})
        db.remove(doc_id(2))
        db.put(doc_id(3), {"title": "new"})
        assert db.version_at(global_id(doc_id(1)), generation).fields() == {"title": "first", "year": 2001}
        assert db.version_at(global_id(doc_id(2)), generation).document_id == doc_id(2)
        assert db.version_at(global_id(doc_id(3)), generation) is None
        assert db.version_at(global_id(doc_id(1)), db.last_sequence) is None
        assert db.get(doc_id(1))["title"] == "changed"


def test_writes_without_open_views_keep_nothing(tmp_path) -> None:
    with DocumentDB(SCHEMA, tmp_path) as db:
        for n in range(20):
            db.put(doc_id(n % 3), {"title": f"v{n}"})
        assert len(db._history) == 0
