"""Write-ahead log: record round trip, torn/corrupt tails, group commit, rotation; snapshots."""
from __future__ import annotations

import threading

import pytest

from content_node.store.snapshot import (
    SnapshotError, document_line, latest_snapshot, read_snapshot, write_snapshot)
from content_node.store.wal import WriteAheadLog, list_segments, read_segment, replay


def write_records(directory, payloads, first=1):
    wal = WriteAheadLog(directory, first)
    for offset, payload in enumerate(payloads):
        wal.append(first + offset, payload)
    wal.sync(first + len(payloads) - 1)
    wal.close()


def test_records_round_trip(tmp_path):
    write_records(tmp_path, [b"a", b"", b"x" * 10000])
    records = list(replay(tmp_path))
    assert [(r.sequence, r.payload) for r in records] == [(1, b"a"), (2, b""), (3, b"x" * 10000)]
    assert [r.sequence for r in replay(tmp_path, after_sequence=2)] == [3]


@pytest.mark.parametrize("cut", [1, 5, 16, 20])
def test_torn_tail_is_ignored_and_truncated(tmp_path, cut):
    write_records(tmp_path, [b"first", b"second-record"])
    segment = list_segments(tmp_path)[0]
    data = segment.read_bytes()
    segment.write_bytes(data[:-cut])  # the last write never finished
    assert [r.payload for r in replay(tmp_path)] == [b"first"]
    assert read_segment(segment)[1] == segment.stat().st_size, "the torn tail was cut off"
    # later appends follow valid records and are read back
    wal = WriteAheadLog(tmp_path, 2)
    wal.append(2, b"again")
    wal.sync(2)
    wal.close()
    assert [r.payload for r in replay(tmp_path)] == [b"first", b"again"]


def test_corrupt_record_ends_the_segment(tmp_path):
    write_records(tmp_path, [b"one", b"two", b"three"])
    segment = list_segments(tmp_path)[0]
    data = bytearray(segment.read_bytes())
    data[-2] ^= 0xFF  # flip a bit in the last payload: CRC mismatch
    segment.write_bytes(bytes(data))
    assert [r.payload for r in replay(tmp_path)] == [b"one", b"two"]


def test_garbage_length_is_not_trusted(tmp_path):
    write_records(tmp_path, [b"one"])
    segment = list_segments(tmp_path)[0]
    segment.write_bytes(segment.read_bytes() + b"\xff\xff\xff\xff" + b"\x00" * 40)
    assert [r.payload for r in replay(tmp_path)] == [b"one"]


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


def test_incomplete_snapshot_is_detected(tmp_path):
    path = write_snapshot(tmp_path, 7, [document_line("id:ns:doc::1", b"{}", {})] * 3)
    path.write_bytes(b"\n".join(path.read_bytes().split(b"\n")[:-2]) + b"\n")
    _, documents = read_snapshot(path)
    with pytest.raises(SnapshotError, match="holds 2 documents, header says 3"):
        list(documents)
