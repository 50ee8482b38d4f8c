"""Write-ahead log format 3: every group commit starts on a fresh 4 KB block, so a failed or torn
write of the next group cannot reach an acknowledged record (measured on ext4 over a loop device on
a full tmpfs: the failed write-back of the next group zeroed the block it started in, which held the
tail of the record before it). Format-2 segments, which share that block, still replay as before."""
from __future__ import annotations

import errno
import json
import logging
import os
import random
import shutil
import struct
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from content_node.store.wal import (
    BLOCK, WalCorruption, WalWriteError, WriteAheadLog, encode_record, padded_end, replay, segment_path)

V2_HEADER = struct.pack("<6sH", b"PSWAL\x00", 2)
RECORD_HEADER = 20
FIXTURE = Path(__file__).parent / "data" / "format3_sidecar"  # a data directory with format-2 log segments


def payload(sequence: int, size: int) -> bytes:
    return bytes([sequence % 255 + 1]) * size  # never a zero byte: zeroing always changes a record


def write_groups(directory: Path, sizes: list[list[int]]) -> tuple[Path, list[tuple[int, int]]]:
    """Each inner list one group commit (appends, then one sync); return the segment and each
    group's (start, end) file offsets, its padding included: what its write-back writes."""
    wal = WriteAheadLog(directory, 1)
    spans, sequence = [], 0
    for group in sizes:
        start = wal.position
        for size in group:
            sequence += 1
            wal.append(sequence, payload(sequence, size))
        wal.sync(sequence)
        spans.append((start, wal.position))
    wal.close()
    return wal.segment, spans


def write_format_2(directory: Path, sizes: list[list[int]]) -> tuple[Path, list[tuple[int, int]]]:
    """The same records as format 2 wrote them: each group right after the one before."""
    data, spans, sequence = bytearray(V2_HEADER), [], 0
    for group in sizes:
        start = len(data)
        for size in group:
            sequence += 1
            data += encode_record(sequence, payload(sequence, size))
        spans.append((start, len(data)))
    path = segment_path(directory, 1)
    path.write_bytes(bytes(data))
    return path, spans


def fail_write_back(path: Path, start: int, end: int, garble: bool, seed: int = 0) -> None:
    """What a failed write-back of the bytes [start, end) can leave: every 4 KB block they touch
    zeroed, or (garble) every byte of those blocks changed."""
    data = bytearray(path.read_bytes())
    rng = random.Random(seed)
    for offset in range(start // BLOCK * BLOCK, min(-(-end // BLOCK) * BLOCK, len(data))):
        data[offset] = data[offset] ^ rng.randrange(1, 256) if garble else 0
    path.write_bytes(bytes(data))


def replay_all(directory: Path) -> tuple[list[bytes], WalCorruption | None]:
    payloads = []
    try:
        for record in replay(directory):
            payloads.append(record.payload)
    except WalCorruption as error:
        return payloads, error
    return payloads, None


def expected(sizes: list[list[int]], groups: int) -> list[bytes]:
    flat = [size for group in sizes[:groups] for size in group]
    return [payload(sequence, size) for sequence, size in enumerate(flat, start=1)]


GROUPS = [[700] * 8, [700] * 2]  # group 1 ends inside a block (format 2: at byte 5,768)


@pytest.mark.parametrize("garble", [False, True], ids=["zeroed", "garbled"])
def test_a_failed_write_back_of_the_next_group_spares_the_acknowledged_one(tmp_path, garble):
    segment, spans = write_groups(tmp_path, GROUPS)
    (first_start, first_end), (second_start, second_end) = spans
    assert first_start == BLOCK and first_end == second_start == 3 * BLOCK, "each group on fresh blocks"
    fail_write_back(segment, second_start, second_end, garble)
    payloads, error = replay_all(tmp_path)
    assert payloads == expected(GROUPS, 1), "every acknowledged record replays"
    if garble:  # damage that is not a prefix stays corruption, reported where the failed group starts
        assert error is not None and error.offset == second_start
    else:  # zeros to EOF: the failed group is gone like a write that never happened
        assert error is None and segment.read_bytes()[second_start:].strip(b"\x00") == b""


@pytest.mark.parametrize("garble", [False, True], ids=["zeroed", "garbled"])
def test_the_same_failure_destroys_an_acknowledged_record_in_format_2(tmp_path, garble):
    """The defect this format fixes: in format 2 the next group starts in the block that holds the
    acknowledged group's tail, so the same damage reaches acknowledged records."""
    segment, spans = write_format_2(tmp_path, GROUPS)
    (_, first_end), (second_start, second_end) = spans
    assert first_end == second_start and first_end % BLOCK
    fail_write_back(segment, second_start, second_end, garble)
    payloads, error = replay_all(tmp_path)
    assert len(payloads) < len(expected(GROUPS, 1)) and error is not None and error.offset < first_end


def test_groups_start_on_4_kb_boundaries_and_padding_is_zeros(tmp_path):
    sizes = [[10], [BLOCK - RECORD_HEADER - 5], [0], [3 * BLOCK], [1, 2, 3]]
    segment, spans = write_groups(tmp_path, sizes)
    data = segment.read_bytes()
    assert data[8:BLOCK] == bytes(BLOCK - 8), "the file header has its own block"
    ends = [start + sum(RECORD_HEADER + size for size in group) for (start, _), group in zip(spans, sizes)]
    for (start, end), records_end in zip(spans, ends):
        assert start % BLOCK == 0 and end % BLOCK == 0
        assert data[records_end:end] == bytes(end - records_end)
    # a group ending 5 bytes before a boundary: the padding never is shorter than a record header
    assert ends[1] == spans[1][0] + BLOCK - 5 and spans[1][1] == spans[1][0] + 2 * BLOCK
    assert [padded_end(n) for n in (8, BLOCK, 2 * BLOCK - RECORD_HEADER, 2 * BLOCK - 19)] == [
        BLOCK, BLOCK, 2 * BLOCK, 3 * BLOCK]
    assert replay_all(tmp_path) == (expected(sizes, len(sizes)), None)


@pytest.mark.parametrize("cut", [1, RECORD_HEADER - 1, RECORD_HEADER + 5, 720 + 3, 2 * 720 - 1])
def test_a_torn_last_group_is_dropped(tmp_path, caplog, cut):
    segment, spans = write_groups(tmp_path, GROUPS)
    second_start = spans[1][0]
    data = segment.read_bytes()
    kept = second_start + cut
    segment.write_bytes(data[:kept] + bytes(len(data) - kept))  # the crash: a prefix of it over the zeros
    whole = cut // 720  # records of the last group that reached the file whole
    dropped = len(data[:kept].rstrip(b"\x00")) - second_start - whole * 720
    with caplog.at_level(logging.WARNING):
        assert replay_all(tmp_path) == (expected(GROUPS, 1) + expected(GROUPS, 2)[8:8 + whole], None)
    assert segment.stat().st_size == second_start + whole * 720, "the torn bytes are cut"
    assert f"at byte {second_start + whole * 720}: dropping {dropped} bytes" in caplog.text


def test_a_last_group_cut_inside_its_padding_keeps_its_records(tmp_path):
    segment, spans = write_groups(tmp_path, GROUPS)
    records_end = spans[1][0] + 2 * 720
    segment.write_bytes(segment.read_bytes()[:records_end + 100])  # cut by EOF, as in format 3
    assert replay_all(tmp_path) == (expected(GROUPS, 2), None)
    assert segment.stat().st_size == records_end + 100, "nothing but zeros after the records: nothing cut"


def test_padding_that_is_not_all_zeros_is_corruption(tmp_path):
    segment, spans = write_groups(tmp_path, GROUPS)
    data = bytearray(segment.read_bytes())
    data[spans[1][0] - 1] = 1  # the last byte of group 1's padding
    segment.write_bytes(bytes(data))
    payloads, error = replay_all(tmp_path)
    assert payloads == expected(GROUPS, 1) and error is not None and error.offset == spans[0][0] + 8 * 720
    assert segment.read_bytes() == bytes(data), "corruption is never cut"


def test_zeroed_records_of_an_earlier_group_are_not_taken_for_its_padding(tmp_path):
    """Zeros from group 1's last record to its boundary look like padding; the next group's first
    sequence then does not follow, so the damage is still reported."""
    segment, spans = write_groups(tmp_path, GROUPS)
    data = bytearray(segment.read_bytes())
    last = spans[0][0] + 7 * 720
    assert last // BLOCK == spans[1][0] // BLOCK - 1, "the zeros look like padding up to the boundary"
    data[last:spans[1][0]] = bytes(spans[1][0] - last)
    segment.write_bytes(bytes(data))
    payloads, error = replay_all(tmp_path)
    assert payloads == expected(GROUPS, 1)[:7] and error is not None and "sequence 9 where 8" in str(error)


def test_appends_during_an_fsync_go_to_the_next_block(tmp_path):
    """The group is padded before its fsync, under the append lock: a writer appending while the
    fsync runs starts the next group on a fresh block."""
    wal = WriteAheadLog(tmp_path, 1)
    wal.append(1, b"first group")
    started, release = threading.Event(), threading.Event()

    def slow_fsync(fd):
        started.set()
        release.wait(10)
        os.fsync(fd)

    wal._fsync = slow_fsync
    syncing = threading.Thread(target=wal.sync, args=(1,))
    syncing.start()
    assert started.wait(10)
    assert wal.position == 2 * BLOCK, "padded before the fsync"
    wal.append(2, b"during the fsync")
    release.set()
    syncing.join()
    del wal._fsync
    wal.sync(2)
    wal.close()
    data = wal.segment.read_bytes()
    assert data[2 * BLOCK:2 * BLOCK + RECORD_HEADER + 16] == encode_record(2, b"during the fsync")
    assert [r.payload for r in replay(tmp_path)] == [b"first group", b"during the fsync"]


def test_format_2_segments_replay_as_before(tmp_path):
    records = b"".join(encode_record(n, b"old-%d" % n) for n in (1, 2, 3))
    old = segment_path(tmp_path, 1)
    old.write_bytes(V2_HEADER + records + encode_record(4, b"torn")[:10])
    assert replay_all(tmp_path) == ([b"old-1", b"old-2", b"old-3"], None)
    assert old.read_bytes() == V2_HEADER + records, "the torn tail is cut, nothing else"
    wal = WriteAheadLog(tmp_path, 4)
    wal.append(4, b"new")
    wal.close()
    assert replay_all(tmp_path) == ([b"old-1", b"old-2", b"old-3", b"new"], None)
    assert old.read_bytes() == V2_HEADER + records and wal.segment.read_bytes()[6] == 4


def test_format_2_has_no_padding_so_zeros_inside_it_are_corruption(tmp_path):
    first = encode_record(1, b"one")
    segment_path(tmp_path, 1).write_bytes(V2_HEADER + first + bytes(BLOCK) + encode_record(2, b"two"))
    payloads, error = replay_all(tmp_path)
    assert payloads == [b"one"] and error is not None and error.offset == len(V2_HEADER) + len(first)


def test_the_committed_format_2_segments_replay_unchanged(tmp_path):
    for segment in sorted(FIXTURE.glob("wal-*.log")):
        shutil.copy(segment, tmp_path / segment.name)
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    assert all(data[6] == 2 for data in before.values())
    records = list(replay(tmp_path, after_sequence=42))
    assert [r.sequence for r in records] == list(range(43, 43 + len(records))) and len(records) == 24
    assert all(json.loads(r.payload)["op"] in ("put", "remove") for r in records)
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.lists(st.integers(1, 3000), min_size=1, max_size=6), min_size=1, max_size=6),
       failed=st.integers(0, 5), garble=st.booleans(), seed=st.integers(0, 2**16))
def test_a_failed_write_back_never_reaches_earlier_groups(sizes, failed, garble, seed):
    """Groups of random sizes; the write-back of group `failed` (the last one written) fails over
    every block it touches. Format 3 replays every earlier group whole; format 2, with the same
    records, loses one of them whenever the group before ends inside a block."""
    failed = min(failed, len(sizes) - 1)
    sizes = sizes[:failed + 1]
    acknowledged = expected(sizes, failed)
    for layout in (write_groups, write_format_2):
        with tempfile.TemporaryDirectory() as name:
            directory = Path(name)
            segment, spans = layout(directory, sizes)
            start, end = spans[failed]
            fail_write_back(segment, start, end, garble, seed)
            payloads, error = replay_all(directory)
            if layout is write_groups:
                assert payloads == acknowledged
                assert (error is None) != garble and (error is None or error.offset == start)
            elif failed and start % BLOCK:  # format 2: the failed group began inside an acknowledged block
                assert len(payloads) < len(acknowledged)


def test_a_failed_append_is_zeroed_before_the_group_is_padded_and_synced(tmp_path):
    """The padding is the preallocated zeros: a failed append's bytes left there (its zeroing failed
    too) must be zeroed before a sync acknowledges the group, or the sync fails."""
    wal = WriteAheadLog(tmp_path, 1)
    wal.append(1, b"waits for its padding")
    records_end = BLOCK + RECORD_HEADER + 21

    def full_disk(fd, data):  # writes part of the record, then the disk is full
        os.write(fd, bytes(data[:100]))
        raise OSError(errno.ENOSPC, "No space left on device")

    def broken_zeroing(fd, offset, length):
        raise OSError(errno.EIO, "Input/output error")

    wal._write, wal._write_zeros = full_disk, broken_zeroing
    with pytest.raises(WalWriteError, match="No space left"):
        wal.append(2, b"x" * 200)
    assert wal.segment.read_bytes()[records_end:records_end + 100] != bytes(100), "left behind"
    with pytest.raises(WalWriteError, match="Input/output error"):
        wal.sync(1)
    assert wal.fsync_count == 0
    del wal._write, wal._write_zeros  # the disk works again
    wal.sync(1)
    assert wal.fsync_count == 1 and wal.position == 2 * BLOCK
    assert wal.segment.read_bytes()[records_end:] == bytes(wal.segment.stat().st_size - records_end)
    wal.close()
    assert [r.payload for r in replay(tmp_path)] == [b"waits for its padding"]
