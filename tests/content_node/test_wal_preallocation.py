"""WAL format 4: a segment is created full of zeros and fsync'd before anything is appended; records
are written over the zeros in place, so no group's fsync allocates a block or changes an extent
(on ext4 over a full device a failed conversion of a new block's unwritten extent zeroed the
acknowledged block beside it: BENCHMARKS.md "WAL groups on fresh 4 KB blocks")."""
from __future__ import annotations

import errno
import os
import subprocess
import time
from pathlib import Path

import pytest

from content_node.store import wal as wal_module
from content_node.store.wal import (
    BLOCK, FIRST_CAPACITY, WalWriteError, WriteAheadLog, file_header, list_segments, read_segment, replay,
    segment_path)


def payloads(directory: Path) -> list[bytes]:
    return [record.payload for record in replay(directory)]


def test_a_new_segment_is_written_full_of_zeros_and_appends_never_grow_it(tmp_path):
    wal = WriteAheadLog(tmp_path, 1)
    created = wal.segment.stat()
    assert created.st_size == FIRST_CAPACITY and created.st_blocks * 512 >= FIRST_CAPACITY, "written, not a hole"
    assert wal.segment.read_bytes() == file_header() + bytes(FIRST_CAPACITY - 8)
    for sequence in range(1, 51):
        wal.append(sequence, b"x" * 3000)
        wal.sync(sequence)
    after = wal.segment.stat()
    assert (after.st_size, after.st_blocks) == (created.st_size, created.st_blocks), "overwritten in place"
    assert after.st_ino == created.st_ino and wal.position == BLOCK + 50 * BLOCK
    wal.close()
    assert payloads(tmp_path) == [b"x" * 3000] * 50
    assert wal.segment.stat().st_size == FIRST_CAPACITY, "the zero tail is the end of the log: nothing cut"


def test_a_full_segment_is_fsynced_then_followed_by_one_twice_its_size(tmp_path):
    wal = WriteAheadLog(tmp_path, 1)
    fsynced = []
    wal._fsync = lambda fd: fsynced.append(fd) or os.fsync(fd)
    first_fd = wal._fd
    record = b"r" * (100 * 1024)
    for sequence in range(1, 12):  # ~100 KB a group: the 10th does not fit in 1 MB
        wal.append(sequence, record)
        wal.sync(sequence)
    assert fsynced.count(first_fd) == 10, "9 groups fit (26 blocks each), then the rotation fsyncs it"
    first, second = list_segments(tmp_path)
    assert second == segment_path(tmp_path, 10) and wal.segment == second
    assert second.stat().st_size == 2 * FIRST_CAPACITY
    wal.append(12, b"y" * (3 * FIRST_CAPACITY))  # larger than the next capacity: a segment that fits it
    wal.sync(12)
    assert wal.segment == segment_path(tmp_path, 12) and wal.segment.stat().st_size > 3 * FIRST_CAPACITY
    wal.close()
    assert payloads(tmp_path) == [record] * 11 + [b"y" * (3 * FIRST_CAPACITY)]
    assert [r.sequence for r in read_segment(first).records] == list(range(1, 10))


def test_a_group_split_across_a_rotation_is_acknowledged_whole(tmp_path):
    wal = WriteAheadLog(tmp_path, 1)
    for sequence in range(1, 21):  # one group of 20 × 100 KB: rotates in the middle of it
        wal.append(sequence, bytes([sequence]) * (100 * 1024))
    wal.sync(20)
    assert len(list_segments(tmp_path)) == 2 and wal.fsync_count == 1
    wal.close()
    assert payloads(tmp_path) == [bytes([n]) * (100 * 1024) for n in range(1, 21)]


def test_a_kill_9_between_a_group_and_its_fsync_keeps_what_reached_the_page_cache(tmp_path):
    """A killed process's writes are in the page cache, whole: the group replays (it was never
    acknowledged, so keeping it is as correct as dropping it), and nothing after it is damaged."""
    script = f"""
import os
from pathlib import Path
from content_node.store.wal import WriteAheadLog
wal = WriteAheadLog(Path({str(tmp_path)!r}), 1)
wal.append(1, b"acknowledged")
wal.sync(1)
wal.append(2, b"written, never fsynced")
os.kill(os.getpid(), 9)
"""
    killed = subprocess.run(["python", "-c", script], cwd=Path(__file__).parents[2], capture_output=True)
    assert killed.returncode == -9, killed.stderr
    assert payloads(tmp_path) == [b"acknowledged", b"written, never fsynced"]
    wal = WriteAheadLog(tmp_path, 3)  # the next start appends to a fresh segment
    wal.append(3, b"after the restart")
    wal.sync(3)
    wal.close()
    assert payloads(tmp_path)[-1] == b"after the restart"


def test_a_crash_while_a_segment_is_created_leaves_an_empty_segment_that_is_created_again(tmp_path):
    write = WriteAheadLog(tmp_path, 1)
    write.append(1, b"kept")
    write.rotate(2)
    write.close()
    partial = segment_path(tmp_path, 2)
    partial.write_bytes(file_header() + bytes(5000))  # the crash: the zeros only partly written
    assert payloads(tmp_path) == [b"kept"] and partial.stat().st_size == 5008
    wal = WriteAheadLog(tmp_path, 2)
    assert wal.segment == partial and partial.stat().st_size == FIRST_CAPACITY
    wal.append(2, b"new")
    wal.sync(2)
    wal.close()
    assert payloads(tmp_path) == [b"kept", b"new"]


def test_a_long_zero_tail_is_read_in_one_step(tmp_path, monkeypatch):
    wal = WriteAheadLog(tmp_path, 1)
    wal.append(1, b"only record")
    monkeypatch.setattr(wal_module, "FIRST_CAPACITY", 64 << 20)  # a rotation starts at the first capacity
    wal.rotate(2)
    wal.append(2, b"in a 64 MB segment")
    wal.sync(2)
    wal.close()
    segment = segment_path(tmp_path, 2)
    assert segment.stat().st_size == 64 << 20
    started = time.perf_counter()
    scan = read_segment(segment)
    elapsed = time.perf_counter() - started
    assert [r.payload for r in scan.records] == [b"in a 64 MB segment"]
    assert scan.corruption is None and scan.valid_length == 2 * BLOCK and scan.end == 2 * BLOCK
    assert elapsed < 2.0, f"{elapsed:.2f} s for a 64 MB zero tail"  # ~0.05 s; a block-by-block scan: seconds


@pytest.fixture
def tiny_disk(tmp_path):
    """An 8 MB tmpfs (mounting needs root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)],
                                           capture_output=True).returncode:
        pytest.skip("mounting a tmpfs needs root (the failing-write tests cover the rule with a substituted write)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(directory: Path, leave: int) -> Path:
    """Fill the file system but `leave` bytes (about)."""
    filler = directory / "filler"
    free = os.statvfs(directory).f_bavail * os.statvfs(directory).f_frsize
    filler.write_bytes(bytes(max(0, free - leave)))
    return filler


def test_a_disk_too_full_for_a_segment_refuses_writes_before_anything_is_acknowledged(tiny_disk):
    log_dir = tiny_disk / "wal"
    log_dir.mkdir()
    filler = fill(tiny_disk, 256 * 1024)
    wal = WriteAheadLog(log_dir, 1)
    assert wal.write_error == os.strerror(errno.ENOSPC)
    assert list_segments(log_dir) == [], "the partial segment is removed"
    with pytest.raises(WalWriteError, match="No space left"):
        wal.append(1, b"refused")
    filler.unlink()  # space came back: the next append creates the segment
    wal.append(1, b"accepted")
    wal.sync(1)
    assert wal.write_error is None
    wal.close()
    assert payloads(log_dir) == [b"accepted"]


def test_a_disk_too_full_for_the_next_segment_refuses_the_record_that_needed_it(tiny_disk):
    log_dir = tiny_disk / "wal"
    wal = WriteAheadLog(log_dir, 1)
    assert wal._preparer.wait(), "the 2 MB successor is prepared (its space taken) before the disk fills"
    filler = fill(tiny_disk, 256 * 1024)
    record = b"r" * (100 * 1024)
    sequence = 0
    with pytest.raises(WalWriteError, match="No space left"):
        while sequence < 40:
            wal.append(sequence + 1, record)
            sequence += 1
            wal.sync(sequence)
    # 9 records fill the first segment, 19 the prepared one; its 4 MB successor could be neither
    # prepared nor created: the record that needed it is refused, nothing of either is left
    assert sequence == 28 and list_segments(log_dir) == [segment_path(log_dir, 1), segment_path(log_dir, 10)]
    assert not wal._preparer.path.exists() and wal._preparer.failure == os.strerror(errno.ENOSPC)
    filler.unlink()
    wal.append(29, record)
    wal.sync(29)
    wal.close()
    assert payloads(log_dir) == [record] * 29


def test_a_full_segment_is_not_retired_with_a_failed_appends_bytes_in_it(tmp_path):
    """A segment that another follows must end in whole records: what a failed append left (its
    zeroing failed too) is zeroed before the segment is fsync'd and retired, or the append fails."""
    wal = WriteAheadLog(tmp_path, 1)
    record = b"r" * (100 * 1024)
    for sequence in range(1, 10):  # 9 groups of 26 blocks: the segment is full
        wal.append(sequence, record)
        wal.sync(sequence)

    def partial(fd, data):
        os.write(fd, bytes(data[:50]))
        raise OSError(errno.EIO, "Input/output error")

    def no_zeroing(fd, offset, length):
        raise OSError(errno.EIO, "Input/output error")

    wal._write, wal._write_zeros = partial, no_zeroing
    with pytest.raises(WalWriteError):
        wal.append(10, b"small enough to fit")
    del wal._write
    with pytest.raises(WalWriteError, match="Input/output error"):
        wal.append(10, record)  # needs the next segment: the junk cannot be zeroed, nothing retired
    assert list_segments(tmp_path) == [segment_path(tmp_path, 1)]
    del wal._write_zeros
    wal.append(10, record)
    wal.sync(10)
    wal.close()
    assert len(list_segments(tmp_path)) == 2 and payloads(tmp_path) == [record] * 10
