"""Write-ahead log: record round trip, torn tails vs corruption, failed writes, group commit,
rotation, the format-1 reader; snapshots: checksums, truncation."""
from __future__ import annotations

import errno
import logging
import struct
import threading
import zlib

import pytest

from content_node.store.snapshot import (
    SnapshotError, document_line, latest_snapshot, read_snapshot, write_snapshot)
from content_node.store.wal import (
    WalCorruption, WalWriteError, WriteAheadLog, encode_record, file_header, list_segments, read_segment,
    replay, segment_path)

HEADER = 20  # record header bytes
FIRST = 4096  # the file header is padded to 4 KB: the first group starts there


def write_records(directory, payloads, first=1):
    wal = WriteAheadLog(directory, first)
    for offset, payload in enumerate(payloads):
        wal.append(first + offset, payload)
    wal.sync(first + len(payloads) - 1)
    wal.close()
    return wal.segment


def crash(segment, kept):
    """What a crash leaves of a preallocated segment: `kept` bytes written, zeros after them."""
    data = segment.read_bytes()
    segment.write_bytes(data[:kept] + bytes(len(data) - kept))


def payloads_of(directory, after=0):
    return [r.payload for r in replay(directory, after_sequence=after)]


def test_records_round_trip(tmp_path):
    write_records(tmp_path, [b"a", b"", b"x" * 10000])
    records = list(replay(tmp_path))
    assert [(r.sequence, r.payload) for r in records] == [(1, b"a"), (2, b""), (3, b"x" * 10000)]
    assert [r.sequence for r in replay(tmp_path, after_sequence=2)] == [3]
    assert list_segments(tmp_path)[0].read_bytes().startswith(b"PSWAL\x00\x04\x00")


@pytest.mark.parametrize("cut", [1, 5, HEADER - 1, HEADER, HEADER + 5, HEADER + len(b"second-record") - 1])
def test_torn_tail_is_truncated_and_reported(tmp_path, caplog, cut):
    segment = write_records(tmp_path, [b"first", b"second-record"])
    whole = FIRST + HEADER + len(b"first")
    crash(segment, whole + cut)  # the last write never finished
    dropped = len(segment.read_bytes()[:whole + cut].rstrip(b"\x00")) - whole  # its zero bytes at the end aside
    with caplog.at_level(logging.WARNING):
        assert payloads_of(tmp_path) == [b"first"]
    assert segment.stat().st_size == whole, "the torn tail was cut off"
    message = caplog.text
    assert str(segment) in message and f"at byte {whole}" in message and f"dropping {dropped} bytes" in message
    # later appends follow the valid records and are read back
    write_records(tmp_path, [b"again"], first=2)
    assert payloads_of(tmp_path) == [b"first", b"again"]


def test_a_segment_cut_inside_its_file_header_is_empty(tmp_path):
    segment_path(tmp_path, 1).write_bytes(file_header()[:3])
    assert payloads_of(tmp_path) == []


def test_zero_filled_tail_is_torn_not_corrupt(tmp_path):
    segment = write_records(tmp_path, [b"one"])
    segment.write_bytes(segment.read_bytes() + b"\x00" * 100)
    assert payloads_of(tmp_path) == [b"one"]


def flip(segment, offset, mask=0x01):
    data = bytearray(segment.read_bytes())
    data[offset] ^= mask
    segment.write_bytes(bytes(data))


@pytest.mark.parametrize("where, reason", [
    (0, "record header checksum mismatch"),  # the length: not followed, detected
    (6, "record header checksum mismatch"),  # the sequence
    (HEADER + 1, "record checksum mismatch"),  # the payload
])
def test_damage_before_the_tail_is_corruption_and_nothing_is_cut(tmp_path, where, reason):
    segment = write_records(tmp_path, [b"one", b"two", b"three"])
    second = FIRST + HEADER + 3
    flip(segment, second + where)
    size = segment.stat().st_size
    records = []
    with pytest.raises(WalCorruption, match=reason) as caught:
        records.extend(r.payload for r in replay(tmp_path))
    assert records == [b"one"]  # the records before the damage, then the error
    assert caught.value.path == segment and caught.value.offset == second
    assert f"{segment} is corrupt at byte {second}" in str(caught.value)
    assert segment.stat().st_size == size, "corruption is never truncated"


def test_a_damaged_last_record_is_corruption_too(tmp_path):
    segment = write_records(tmp_path, [b"one", b"two"])
    flip(segment, FIRST + 2 * HEADER + 6 - 1)
    with pytest.raises(WalCorruption, match="record checksum mismatch"):
        list(replay(tmp_path))


def test_a_missing_segment_is_a_sequence_gap(tmp_path):
    write_records(tmp_path, [b"a", b"b"], first=1)
    middle = write_records(tmp_path, [b"c"], first=3)
    write_records(tmp_path, [b"d"], first=4)
    middle.unlink()
    with pytest.raises(WalCorruption, match="sequence gap"):
        list(replay(tmp_path))
    # replaying after a snapshot that covers the missing records is fine
    assert payloads_of(tmp_path, after=3) == [b"d"]


def test_a_record_out_of_sequence_is_corruption(tmp_path):
    segment = segment_path(tmp_path, 1)
    segment.write_bytes(file_header() + encode_record(1, b"a") + encode_record(3, b"c"))
    with pytest.raises(WalCorruption, match="sequence 3 where 2 was expected"):
        list(replay(tmp_path))


def encode_v1(sequence, payload):
    checksum = zlib.crc32(payload, zlib.crc32(struct.pack("<Q", sequence)))
    return struct.pack("<IIQ", len(payload), checksum, sequence) + payload


def test_format_1_segments_are_still_read_and_never_appended_to(tmp_path):
    old = segment_path(tmp_path, 1)
    old.write_bytes(encode_v1(1, b"old-one") + encode_v1(2, b"old-two") + encode_v1(3, b"torn")[:9])
    assert payloads_of(tmp_path) == [b"old-one", b"old-two"]
    write_records(tmp_path, [b"new"], first=3)
    assert payloads_of(tmp_path) == [b"old-one", b"old-two", b"new"]
    assert old.read_bytes() == encode_v1(1, b"old-one") + encode_v1(2, b"old-two")


def test_format_1_damage_is_corruption(tmp_path):
    old = segment_path(tmp_path, 1)
    data = bytearray(encode_v1(1, b"old-one") + encode_v1(2, b"old-two"))
    data[18] ^= 0x10
    old.write_bytes(bytes(data))
    with pytest.raises(WalCorruption, match="at byte 0 .record checksum mismatch"):
        list(replay(tmp_path))


class FlakyDisk:
    """os.write that writes `partial` bytes of the next record then fails with `error`."""

    def __init__(self, error=errno.ENOSPC, partial=7):
        self.error, self.partial, self.failing = error, partial, True

    def __call__(self, fd, data):
        import os

        if not self.failing:
            return os.write(fd, data)
        os.write(fd, bytes(data[:self.partial]))
        raise OSError(self.error, os.strerror(self.error))


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EIO, errno.EROFS])
def test_a_failed_append_leaves_nothing_behind_and_later_writes_replay(tmp_path, error):
    wal = WriteAheadLog(tmp_path, 1)
    wal.append(1, b"acked")
    wal.sync(1)
    before = wal.segment.read_bytes()
    disk = FlakyDisk(error)
    wal._write = disk
    with pytest.raises(WalWriteError):
        wal.append(2, b"never acknowledged")
    assert wal.segment.read_bytes() == before  # the partial record overwritten with zeros
    assert wal.write_error
    disk.failing = False  # space came back: the next append is the probe
    wal.append(2, b"acked later")
    wal.sync(2)
    assert wal.write_error is None
    wal.close()
    assert payloads_of(tmp_path) == [b"acked", b"acked later"]


def test_when_even_the_roll_back_fails_the_next_append_truncates_first(tmp_path):
    wal = WriteAheadLog(tmp_path, 1)
    wal.append(1, b"acked")
    wal._write = FlakyDisk(partial=15)

    def no_zeroing(fd, offset, length):
        raise OSError(errno.EIO, "I/O error")

    wal._write_zeros = no_zeroing
    with pytest.raises(WalWriteError):
        wal.append(2, b"lost")
    start = FIRST + HEADER + 5
    assert wal.segment.read_bytes()[start:start + 15] == encode_record(2, b"lost")[:15], "still there"
    del wal._write, wal._write_zeros
    wal.append(2, b"kept")
    wal.sync(2)
    wal.close()
    assert payloads_of(tmp_path) == [b"acked", b"kept"]


def test_a_failed_fsync_refuses_every_later_write(tmp_path):
    wal = WriteAheadLog(tmp_path, 1)
    wal.append(1, b"a")

    def failing_fsync(fd):
        raise OSError(errno.EIO, "Input/output error")

    wal._fsync = failing_fsync
    with pytest.raises(WalWriteError, match="fsync failed"):
        wal.sync(1)
    del wal._fsync  # even when fsync would work again: the page cache is not to be trusted
    with pytest.raises(WalWriteError):
        wal.sync(1)
    with pytest.raises(WalWriteError):
        wal.append(2, b"b")
    assert "restarts" in wal.write_error
    wal.close()


def test_after_a_failed_fsync_the_segment_is_never_touched_again(tmp_path):
    """fsyncgate: after a failed fsync Linux may drop the dirty pages and a later fsync succeeds,
    so no write, truncation or fsync may follow on that segment, nor an acknowledgement."""
    wal = WriteAheadLog(tmp_path, 1)
    wal.append(1, b"acknowledged")
    wal.sync(1)
    wal.append(2, b"in the failed group")
    calls = []

    def failing_fsync(fd):
        calls.append("fsync")
        raise OSError(errno.EIO, "Input/output error")

    wal._fsync = failing_fsync
    wal._write = lambda fd, data: calls.append("write") or len(data)
    wal._write_zeros = lambda fd, offset, length: calls.append("zeros")
    before = wal.segment.read_bytes()
    with pytest.raises(WalWriteError, match="fsync failed"):
        wal.sync(2)
    for attempt in (lambda: wal.sync(2), lambda: wal.append(3, b"c"), lambda: wal.rotate(3)):
        with pytest.raises(WalWriteError):
            attempt()
    wal.sync(1)  # durable before the failure: still acknowledged
    wal.close()
    assert calls == ["fsync"] and wal.segment.read_bytes() == before  # the padding: the preallocated zeros


@pytest.mark.parametrize("layout", ["format 3", "followed by a segment", "last preallocated segment"])
def test_a_last_record_zeroed_from_a_block_boundary(tmp_path, layout):
    """Zeros from a block boundary inside the last record to EOF: a failed write-back of its own
    group (never acknowledged), or damage after the acknowledgement. Format 3 (not preallocated: a
    torn write ends at EOF) reports it as corruption. In a preallocated segment a torn write ends in
    the zeros, so the file alone cannot tell them apart: the last segment's is a torn tail (the
    damage preallocation prevents: no block is allocated after the acknowledgement); in a segment
    another follows, fsync'd whole before that one was created, it is corruption."""
    payloads = [bytes([n]) * 700 for n in range(1, 4)]
    segment = write_records(tmp_path, payloads)
    data = bytearray(segment.read_bytes())
    last = FIRST + 2 * (HEADER + 700)
    data[FIRST + 2048:] = bytes(len(data) - FIRST - 2048)  # a 1 KB block boundary inside the last payload
    assert last + HEADER < FIRST + 2048 < last + HEADER + 700
    if layout == "format 3":
        data[6] = 3
        data = data[:2 * FIRST] + bytes(1000)  # the next record's blocks: never written
    segment.write_bytes(bytes(data))
    if layout == "followed by a segment":
        write_records(tmp_path, [b"next"], first=4)
    records = []
    if layout == "last preallocated segment":
        assert payloads_of(tmp_path) == payloads[:2]
        return
    reason = "record checksum mismatch" if layout == "format 3" else "record cut short in a segment that another one follows"
    with pytest.raises(WalCorruption, match=reason) as caught:
        records.extend(r.payload for r in replay(tmp_path))
    assert records == payloads[:2] and caught.value.offset == last
    assert segment.read_bytes() == bytes(data), "corruption is never truncated"


def test_a_closed_log_refuses_writes_and_never_truncates_its_segment(tmp_path):
    """A write racing the node's shutdown (a merge or catch-up still applying copies after the
    server stopped) used to reopen the closed segment with O_TRUNC: the records in it were gone
    and the next replay found a sequence gap."""
    wal = WriteAheadLog(tmp_path, 1)
    wal.append(1, b"acknowledged")
    wal.sync(1)
    wal.close()
    with pytest.raises(WalWriteError, match="closed"):
        wal.append(2, b"after close")
    with pytest.raises(WalWriteError, match="closed"):
        wal.rotate(3)
    assert payloads_of(tmp_path) == [b"acknowledged"]


def test_a_log_that_cannot_create_its_segment_refuses_writes_then_recovers(tmp_path, monkeypatch):
    import content_node.store.wal as wal_module

    original = wal_module.os.open
    calls = {"n": 0}

    def read_only_open(path, flags, *args):
        if str(path).endswith("wal-creating.tmp") and calls["n"] == 0:  # the segment, created inline
            calls["n"] += 1
            raise OSError(errno.EROFS, "Read-only file system")
        return original(path, flags, *args)

    monkeypatch.setattr(wal_module.os, "open", read_only_open)
    wal = WriteAheadLog(tmp_path, 1)
    assert wal.write_error == "Read-only file system"
    wal.append(1, b"works once the disk does")
    wal.sync(1)
    wal.close()
    assert payloads_of(tmp_path) == [b"works once the disk does"]


def test_one_fsync_covers_every_earlier_append(tmp_path):
    wal = WriteAheadLog(tmp_path, 1)
    for sequence in range(1, 6):
        wal.append(sequence, b"p")
    wal.sync(5)
    assert wal.fsync_count == 1
    wal.sync(3)  # already durable: no new fsync
    assert wal.fsync_count == 1
    wal.close()


def test_concurrent_writers_lose_nothing(tmp_path):
    wal = WriteAheadLog(tmp_path, 1)
    order_lock = threading.Lock()
    counter = iter(range(1, 10**9))
    acknowledged: list[int] = []

    def writer():
        for _ in range(50):
            with order_lock:  # the DocumentDB lock: sequence order == file order
                sequence = next(counter)
                wal.append(sequence, str(sequence).encode())
            wal.sync(sequence)
            acknowledged.append(sequence)

    threads = [threading.Thread(target=writer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wal.close()
    records = list(replay(tmp_path))
    assert [r.sequence for r in records] == list(range(1, 301))
    assert sorted(acknowledged) == list(range(1, 301))
    assert all(r.payload == str(r.sequence).encode() for r in records)


def test_rotation_starts_new_segment(tmp_path):
    wal = WriteAheadLog(tmp_path, 1)
    wal.append(1, b"a")
    old = wal.rotate(2)
    wal.append(2, b"b")
    wal.sync(2)
    wal.close()
    assert [p.name for p in old] == ["wal-00000000000000000001.log"]
    assert [p.name for p in list_segments(tmp_path)] == [
        "wal-00000000000000000001.log", "wal-00000000000000000002.log"]
    assert [r.payload for r in replay(tmp_path)] == [b"a", b"b"]
    assert read_segment(list_segments(tmp_path)[1]).records[0].sequence == 2


def test_snapshot_round_trip(tmp_path):
    lines = [document_line("id:ns:doc::1", b'{"title":"x"}', {}),
             document_line("id:ns:doc::2", b'{"n":1}', {"count": 3.0})]
    path = write_snapshot(tmp_path, 42, lines)
    assert latest_snapshot(tmp_path) == path
    sequence, documents = read_snapshot(path)
    documents = list(documents)
    assert sequence == 42
    assert [(d.document_id, d.fields, d.mutable) for d in documents] == [
        ("id:ns:doc::1", {"title": "x"}, {}), ("id:ns:doc::2", {"n": 1}, {"count": 3.0})]
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("cut", [1, 60, 100])
def test_truncated_snapshot_is_detected(tmp_path, cut):
    path = write_snapshot(tmp_path, 7, [document_line(f"id:ns:doc::{n}", b'{"t":"abcdefgh"}', {})
                                        for n in range(5)])
    path.write_bytes(path.read_bytes()[:-cut])
    _, documents = read_snapshot(path)
    with pytest.raises(SnapshotError, match=f"snapshot {path} is corrupt at byte"):
        list(documents)


def test_a_flipped_bit_in_a_snapshot_is_detected(tmp_path):
    path = write_snapshot(tmp_path, 7, [document_line("id:ns:doc::1", b'{"t":"abcdefgh"}', {})] * 3)
    data = bytearray(path.read_bytes())
    data[data.index(b"abcdefgh") + 2] ^= 0x01  # still valid JSON: only the checksum can tell
    path.write_bytes(bytes(data))
    _, documents = read_snapshot(path)
    with pytest.raises(SnapshotError, match="checksum mismatch"):
        list(documents)


def test_a_snapshot_without_a_header_is_an_error_not_a_decode_traceback(tmp_path):
    path = write_snapshot(tmp_path, 7, [])
    path.write_bytes(b'{"format": 2, "last_seq')
    with pytest.raises(SnapshotError, match="at byte 0 .no valid header"):
        read_snapshot(path)


def test_format_1_snapshots_are_still_read(tmp_path):
    path = tmp_path / "snapshot-00000000000000000003.jsonl"
    path.write_bytes(b'{"format": 1, "last_sequence": 3, "documents": 1}\n{"id":"id:ns:doc::1","fields":{}}\n')
    sequence, documents = read_snapshot(path)
    assert sequence == 3 and [d.document_id for d in documents] == ["id:ns:doc::1"]
    path.write_bytes(b'{"format": 1, "last_sequence": 3, "documents": 2}\n{"id":"id:ns:doc::1","fields":{}}\n')
    with pytest.raises(SnapshotError, match="holds 1 documents, header says 2"):
        list(read_snapshot(path)[1])
