"""Index images written in the background while the database takes writes, and closes that need no
image of their own (store/index_image.py): a close waits for an image being written and keeps it,
a close after a recent image writes none, and a crash (kill -9) at any step of a background image
write loses no acknowledged write, including those acknowledged while it was being written."""
from __future__ import annotations

import threading

import pytest

from content_node.document_db import DocumentDB
from content_node.store import index_image
from content_node.store.index_image import image_sequence, list_images
from searchlib.stop_progress import work_done
from tests.content_node.test_index_images import (  # noqa: F401 - reindexed is a fixture
    SCHEMA, STEPS, SimulatedCrash, answers, fed, put, reindexed, reopen, write_round)


class PausedImage:
    """Holds the background image writer at `step` (index_image.crash_point) until released; a
    crashed one then dies there as the process would (SimulatedCrash ends its thread)."""

    def __init__(self, monkeypatch, step: str) -> None:
        self.step, self.reached, self.released, self.crash = step, threading.Event(), threading.Event(), False
        monkeypatch.setattr(index_image, "crash_point", self._point)

    def _point(self, name: str) -> None:
        if name == self.step and threading.current_thread().name == "snapshot":
            self.reached.set()
            assert self.released.wait(60)
            if self.crash:
                raise SimulatedCrash()


def background_image(db: DocumentDB, paused: PausedImage) -> None:
    """Start the automatic snapshot (the one `_acknowledge` starts), with an image due."""
    db._start_snapshot()
    assert paused.reached.wait(60), "the background snapshot wrote no image"


@pytest.fixture
def due_soon(monkeypatch):
    monkeypatch.setattr(index_image, "DUE_MINIMUM", 20)  # an image once 20 documents changed


def test_a_close_waits_for_the_background_image_and_writes_none_of_its_own(tmp_path, reindexed, monkeypatch, due_soon):
    db, _ = fed(tmp_path)
    db.close()
    db, _ = reopen(tmp_path, reindexed)
    write_round(db, 5, range(300, 340))  # enough changed for an image
    paused = PausedImage(monkeypatch, "image-write")
    background_image(db, paused)
    cut = db.last_sequence
    for n in range(3):  # writes go on while the image is written (its arrays were captured under the lock)
        put(db, 1000 + n, 5)
    before = answers(db)
    closing = threading.Thread(target=db.close)
    closing.start()
    closing.join(0.5)
    assert closing.is_alive(), "the close waits for the image being written"
    progress = work_done()
    paused.released.set()
    closing.join(60)
    assert not closing.is_alive() and work_done() > progress, "the image write reports progress"
    (image,) = list_images(tmp_path)
    assert image_sequence(image) == cut, "the background image is kept; 3 changes since need no new one"
    again, count = reopen(tmp_path, reindexed)
    assert count == 3, "only the documents written after the image are re-indexed"
    assert answers(again) == before
    again.close()


def test_a_close_after_a_recent_image_writes_only_the_snapshot(tmp_path, reindexed):
    db, _ = fed(tmp_path)
    db.close()
    (image,) = list_images(tmp_path)
    db, _ = reopen(tmp_path, reindexed)
    put(db, 2000, 1)  # one new document: below CLOSE_SKIP_MAX and 1/32 of the live ones
    put(db, 3, 1)
    before = answers(db)
    db.close()
    assert list_images(tmp_path) == [image]
    again, count = reopen(tmp_path, reindexed)
    assert count == 2 and answers(again) == before
    write_round(again, 8, range(600, 640))  # many changes: the close writes a new image
    before = answers(again)
    again.close()
    assert list_images(tmp_path) != [image] and len(list_images(tmp_path)) == 1
    third, count = reopen(tmp_path, reindexed)
    assert count == 0 and answers(third) == before
    third.close()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the crash ends the thread
@pytest.mark.parametrize("step", STEPS)
def test_a_kill_9_during_a_background_image_loses_no_acknowledged_write(tmp_path, reindexed, monkeypatch, due_soon, step):
    db, _ = fed(tmp_path)
    db.close()
    db, _ = reopen(tmp_path, reindexed)
    write_round(db, 6, range(300, 340))
    paused = PausedImage(monkeypatch, step)
    background_image(db, paused)
    write_round(db, 7, range(400, 410))  # acknowledged while the image is being written
    db.remove("id:ns:doc::301")
    before = answers(db)
    db.flush_mutable_attributes()
    db._wal.close()  # the process dies: the image write stops at `step`, nothing else runs
    paused.crash = True
    paused.released.set()
    db._background_snapshot.join(60)
    monkeypatch.setattr(index_image, "crash_point", lambda name: None)
    again, _ = reopen(tmp_path, reindexed)
    assert answers(again) == before
    write_round(again, 9, range(500, 540))
    after = answers(again)
    again.close()
    last, count = reopen(tmp_path, reindexed)
    assert count == 0 and answers(last) == after
    last.close()
