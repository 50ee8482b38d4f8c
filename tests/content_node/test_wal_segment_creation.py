"""How WAL segments come to be (store/wal_files.py) under crashes and concurrency: a `wal-*.log`
name always means a complete file, whatever moment a crash interrupts an inline creation."""
from __future__ import annotations

import os
import threading

import pytest

from content_node.store.wal import (
    FIRST_CAPACITY, WalCorruption, WriteAheadLog, file_header, list_segments, replay, segment_path)
from content_node.store.wal_files import CREATING_NAME, PREPARED_NAME, SegmentPreparer, write_zeros


class Crash(BaseException):
    """The process dying: nothing after it runs (not an OSError the log would handle)."""


def acknowledged(directory, through: int) -> None:
    wal = WriteAheadLog(directory, 1)
    for sequence in range(1, through + 1):
        wal.append(sequence, b"record %d" % sequence)
        wal.sync(sequence)
    wal.close()


def test_a_crash_while_a_segment_is_created_inline_leaves_no_segment_name(tmp_path, monkeypatch):
    """The start after a replay creates its segment inline (nothing is prepared yet); a crash half
    way through its zeros leaves only the temporary file: the acknowledged records replay, and the
    next start removes the temporary and writes on."""
    acknowledged(tmp_path, 4)

    def crashing(fd, offset, length):
        write_zeros(fd, offset, length // 2)
        raise Crash()

    monkeypatch.setattr(WriteAheadLog, "_write_zeros", staticmethod(crashing))
    with pytest.raises(Crash):
        WriteAheadLog(tmp_path, 5)
    monkeypatch.undo()
    assert list_segments(tmp_path) == [segment_path(tmp_path, 1)] and (tmp_path / CREATING_NAME).exists()
    assert [record.sequence for record in replay(tmp_path)] == [1, 2, 3, 4]
    wal = WriteAheadLog(tmp_path, 5)
    assert not (tmp_path / CREATING_NAME).exists(), "the next log removes the partial file"
    wal.append(5, b"record 5")
    wal.sync(5)
    wal.close()
    assert [record.sequence for record in replay(tmp_path)] == [1, 2, 3, 4, 5]


def test_a_segment_name_without_a_file_header_is_still_corruption(tmp_path):
    """No crash can leave it now (the name comes with the rename of a complete file): replay is not
    loosened for it."""
    acknowledged(tmp_path, 4)
    segment_path(tmp_path, 5).write_bytes(bytes(1 << 20))
    with pytest.raises(WalCorruption, match="unrecognized segment file header"):
        list(replay(tmp_path))


class CloseOnFirstRelease:
    """The preparer's condition, calling the preparer's close() the first time the taking thread
    releases it: a close racing `take` at the worst moment."""

    def __init__(self, preparer: SegmentPreparer) -> None:
        self._preparer, self._condition = preparer, preparer._condition
        self._thread, self._armed = threading.current_thread(), True

    def __enter__(self):
        return self._condition.__enter__()

    def __exit__(self, *exc):
        released = self._condition.__exit__(*exc)
        if self._armed and threading.current_thread() is self._thread:
            self._armed = False
            self._preparer.close()
        return released

    def __getattr__(self, name):
        return getattr(self._condition, name)


def test_a_close_racing_take_never_fails_it(tmp_path):
    """close() between take's wait and its use of the prepared file (it emptied the slot) failed
    with a TypeError (a 500): take gets the file whole or returns None and leaves no segment."""
    preparer = SegmentPreparer(tmp_path, file_header())
    preparer.start(FIRST_CAPACITY)
    assert preparer.wait()
    preparer._condition = CloseOnFirstRelease(preparer)
    target = segment_path(tmp_path, 1)
    fd = preparer.take(target, FIRST_CAPACITY)
    if fd is None:
        assert not target.exists() and not (tmp_path / PREPARED_NAME).exists()
    else:
        os.close(fd)
        assert target.stat().st_size == FIRST_CAPACITY and list(replay(tmp_path)) == []
    preparer.close()


def test_rotate_does_not_wait_for_a_larger_preparation(tmp_path, monkeypatch):
    """A snapshot's rotate (under the database lock) needs a 1 MB segment: it creates one rather
    than wait for the 2 MB (up to 64 MB, ~2 s) preparation in progress, which the next segment
    then uses, cut to its size."""
    release, writing = threading.Event(), threading.Event()

    def slow(fd, offset, length):
        writing.set()
        release.wait(30)
        write_zeros(fd, offset, length)

    monkeypatch.setattr(SegmentPreparer, "_write_zeros", staticmethod(slow))
    wal = WriteAheadLog(tmp_path, 1)  # its first segment inline; then 2 MB prepared, slowly
    wal.append(1, b"one")
    wal.sync(1)
    assert writing.wait(10)
    rotation = threading.Thread(target=wal.rotate, args=(2,))
    rotation.start()
    rotation.join(5)
    waited = rotation.is_alive()
    release.set()
    rotation.join()
    assert not waited, "rotate waited for the preparation"
    assert wal.segment == segment_path(tmp_path, 2) and wal.segment.stat().st_size == FIRST_CAPACITY
    assert wal._preparer.wait() and (tmp_path / PREPARED_NAME).stat().st_size == 2 * FIRST_CAPACITY
    big = b"b" * (100 * 1024)
    for sequence in range(2, 13):  # past the 1 MB segment: the prepared file is the next one
        wal.append(sequence, big)
        wal.sync(sequence)
    assert len(list_segments(tmp_path)) == 3 and list_segments(tmp_path)[-1].stat().st_size == 2 * FIRST_CAPACITY
    wal.close()
    assert [record.sequence for record in replay(tmp_path)] == list(range(1, 13))
