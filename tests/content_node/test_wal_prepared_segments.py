"""The next WAL segment is prepared ahead of need by a background thread (store/wal_files.py): the
append that fills a segment renames the prepared file instead of writing up to 64 MB of zeros and
fsyncing them under the database lock. A preparation that failed leaves the append to create the
file as before, and a disk too full for both refuses that append before anything is acknowledged."""
from __future__ import annotations

import errno
import os

import pytest

from content_node.store.wal import (
    FIRST_CAPACITY, WalWriteError, WriteAheadLog, list_segments, replay, segment_path)
from content_node.store.wal_files import PREPARED_NAME, SegmentPreparer, write_zeros

RECORD = b"r" * (100 * 1024)  # 26 blocks a group: 9 fill the first (1 MB) segment


def fill_first_segment(wal: WriteAheadLog, through: int = 10) -> None:
    for sequence in range(1, through + 1):
        wal.append(sequence, RECORD)
        wal.sync(sequence)


def payloads(directory) -> list[bytes]:
    return [record.payload for record in replay(directory)]


def disk_full(fd, offset, length):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_the_append_that_fills_a_segment_renames_the_prepared_file_and_writes_no_zeros(tmp_path):
    wal = WriteAheadLog(tmp_path, 1)
    assert wal._preparer.wait()
    prepared = (tmp_path / PREPARED_NAME).stat()
    assert prepared.st_size == 2 * FIRST_CAPACITY and prepared.st_blocks * 512 >= prepared.st_size
    zeroed = []
    wal._write_zeros = lambda fd, offset, length: zeroed.append(length) or write_zeros(fd, offset, length)
    fill_first_segment(wal)
    second = segment_path(tmp_path, 10)
    assert wal.segment == second and second.stat().st_ino == prepared.st_ino, "renamed, not created"
    assert zeroed == [], "the append wrote no zeros"
    assert wal._preparer.wait() and (tmp_path / PREPARED_NAME).stat().st_size == 4 * FIRST_CAPACITY
    wal.close()
    assert not (tmp_path / PREPARED_NAME).exists(), "closing removes the prepared file"
    assert payloads(tmp_path) == [RECORD] * 10 and list_segments(tmp_path) == [segment_path(tmp_path, 1), second]


def test_a_failed_preparation_leaves_the_append_to_create_the_segment(tmp_path, monkeypatch):
    monkeypatch.setattr(SegmentPreparer, "_write_zeros", staticmethod(disk_full))
    wal = WriteAheadLog(tmp_path, 1)
    assert not wal._preparer.wait() and wal._preparer.failure == os.strerror(errno.ENOSPC)
    assert not (tmp_path / PREPARED_NAME).exists(), "the partial file is removed"
    fill_first_segment(wal)  # space for the append's own: it creates the file
    assert wal.segment == segment_path(tmp_path, 10) and wal.segment.stat().st_size == 2 * FIRST_CAPACITY
    monkeypatch.undo()
    wal.append(11, b"and on")
    wal.sync(11)
    wal.close()
    assert payloads(tmp_path) == [RECORD] * 10 + [b"and on"]


def test_a_disk_too_full_to_prepare_or_create_the_next_segment_refuses_the_append_cleanly(tmp_path, monkeypatch):
    monkeypatch.setattr(SegmentPreparer, "_write_zeros", staticmethod(disk_full))
    wal = WriteAheadLog(tmp_path, 1)
    wal._write_zeros = disk_full  # the append's own creation fails too
    with pytest.raises(WalWriteError, match="No space left"):
        fill_first_segment(wal)
    assert wal.write_error == os.strerror(errno.ENOSPC)
    assert list_segments(tmp_path) == [segment_path(tmp_path, 1)] and not (tmp_path / PREPARED_NAME).exists()
    assert payloads(tmp_path) == [RECORD] * 9, "every acknowledged record, nothing of the refused one"
    del wal._write_zeros  # space came back: the refused record is the probe
    monkeypatch.undo()
    wal.append(10, RECORD)
    wal.sync(10)
    assert wal.write_error is None
    wal.close()
    assert payloads(tmp_path) == [RECORD] * 10


def test_a_rotation_starts_again_at_the_first_capacity_from_the_prepared_file(tmp_path):
    """A snapshot trims the log: the segment after it is 1 MB again, not the size the log had grown to."""
    wal = WriteAheadLog(tmp_path, 1)
    fill_first_segment(wal)  # now in a 2 MB segment, a 4 MB one prepared
    assert wal.segment.stat().st_size == 2 * FIRST_CAPACITY and wal._preparer.wait()
    prepared = (tmp_path / PREPARED_NAME).stat()
    wal.rotate(11)
    assert wal.segment.stat().st_size == FIRST_CAPACITY and wal.segment.stat().st_ino == prepared.st_ino
    assert wal._preparer.wait() and (tmp_path / PREPARED_NAME).stat().st_size == 2 * FIRST_CAPACITY
    for sequence in range(11, 21):  # it fills and doubles as the first one did
        wal.append(sequence, RECORD)
        wal.sync(sequence)
    assert wal.segment == segment_path(tmp_path, 20) and wal.segment.stat().st_size == 2 * FIRST_CAPACITY
    wal.close()
    assert payloads(tmp_path) == [RECORD] * 20


def test_a_prepared_file_left_by_a_crash_is_replaced_and_never_replayed(tmp_path):
    (tmp_path / PREPARED_NAME).write_bytes(b"half-written junk")
    wal = WriteAheadLog(tmp_path, 1)
    wal.append(1, b"one")
    wal.sync(1)
    assert wal._preparer.wait() and (tmp_path / PREPARED_NAME).read_bytes()[8:] == bytes(2 * FIRST_CAPACITY - 8)
    wal.close()
    assert payloads(tmp_path) == [b"one"]
