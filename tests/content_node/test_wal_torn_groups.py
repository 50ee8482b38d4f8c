"""Recovery tells a torn last group from damage (store/wal.py, "Replay rule"): only the groups after
the last completed fsync can be incomplete, and in a preallocated segment their pages reach the disk
in any order; a torn tail a read-only start could not cut stays torn when a later start follows it
with a new segment. Damage before valid later data stays corruption."""
from __future__ import annotations

import errno
import logging

import pytest

from content_node.store import wal as wal_module
from content_node.store.wal import BLOCK, WalCorruption, WriteAheadLog, list_segments, replay, segment_path

PAYLOAD = 1000  # 1020-byte records: none of a group starts on a 4 KB boundary after its first


def write_groups(directory, groups: list[int], first: int = 1) -> list[bytes]:
    """Group commits of the given sizes; the payloads, in order."""
    wal = WriteAheadLog(directory, first)
    payloads, sequence = [], first - 1
    for size in groups:
        for _ in range(size):
            sequence += 1
            payloads.append(bytes([65 + sequence % 26]) * PAYLOAD)
            wal.append(sequence, payloads[-1])
        wal.sync(sequence)
    wal.close()
    return payloads


def zero_page(segment, page: int) -> None:
    data = bytearray(segment.read_bytes())
    data[page * BLOCK:(page + 1) * BLOCK] = bytes(BLOCK)
    segment.write_bytes(bytes(data))


def payloads_of(directory) -> list[bytes]:
    return [record.payload for record in replay(directory)]


def test_a_last_group_whose_later_page_reached_the_disk_but_not_an_earlier_one_is_torn(tmp_path, caplog):
    """Group 1 (3 records, page 1) was acknowledged; group 2 (16 records, pages 2–5) crashed in its
    fsync with page 3 never written back: the zeros there are the preallocated ones. Its records
    before the gap are whole and replay (never acknowledged: keeping them is as right as dropping);
    the rest is a torn tail, cut, not corruption that stops the node."""
    payloads = write_groups(tmp_path, [3, 16])
    segment = list_segments(tmp_path)[0]
    zero_page(segment, 3)
    with caplog.at_level(logging.WARNING):
        replayed = payloads_of(tmp_path)
    kept = (3 * BLOCK - 2 * BLOCK) // (PAYLOAD + 20)  # group 2's records that end before page 3
    assert replayed == payloads[:3 + kept] and "torn tail" in caplog.text
    assert segment.stat().st_size == 2 * BLOCK + kept * (PAYLOAD + 20), "cut after the last whole record"
    write_groups(tmp_path, [1], first=4 + kept)  # the node starts and writes on
    assert payloads_of(tmp_path)[:-1] == payloads[:3 + kept]


def test_the_same_gap_before_a_later_group_is_corruption(tmp_path):
    """Group 3 follows the damaged group 2: its fsync completed after group 2's, so group 2 was
    durable and the zeros in it are damage. Nothing is cut."""
    payloads = write_groups(tmp_path, [3, 16, 2])
    segment = list_segments(tmp_path)[0]
    zero_page(segment, 3)
    damaged = segment.read_bytes()
    replayed = []
    with pytest.raises(WalCorruption, match=f"corrupt at byte {2 * BLOCK + 4 * (PAYLOAD + 20)} .*checksum mismatch"):
        replayed.extend(r.payload for r in replay(tmp_path))
    assert replayed == payloads[:3 + 4] and segment.read_bytes() == damaged


def test_a_flipped_bit_in_the_last_group_is_corruption_not_a_torn_write(tmp_path):
    payloads = write_groups(tmp_path, [3, 16])
    segment = list_segments(tmp_path)[0]
    data = bytearray(segment.read_bytes())
    data[3 * BLOCK + 100] ^= 0x10  # no zeros mark a write that stopped
    segment.write_bytes(bytes(data))
    with pytest.raises(WalCorruption, match="record checksum mismatch"):
        list(replay(tmp_path))
    assert payloads


def test_damage_in_the_file_header_block_is_never_a_torn_write(tmp_path):
    """The file header's block is made durable with the file, before any group: damage there
    (here a flipped bit in its padding, and one in the only record's header) is corruption, never a
    torn tail cut at byte 8 that would drop the acknowledged record after it (found by
    test_wal_properties: the cut dropped it)."""
    log = WriteAheadLog(tmp_path, 1)
    log.append(1, b"")
    log.sync(1)
    log.close()
    segment = list_segments(tmp_path)[0]
    data = bytearray(segment.read_bytes())
    data[2090] ^= 1  # the file header's padding
    data[BLOCK + 18] ^= 1  # the record header's own checksum
    segment.write_bytes(bytes(data))
    with pytest.raises(WalCorruption) as raised:
        list(replay(tmp_path))
    assert raised.value.offset == 8
    assert segment.read_bytes() == bytes(data)  # corruption is never cut


def test_a_torn_tail_a_read_only_start_could_not_cut_stays_torn_after_a_later_segment(tmp_path, monkeypatch, caplog):
    """A crash tore record 7; the next start ran on a read-only disk: replay could not cut the tail
    (harmless) and the node served reads. Once the disk was writable it started segment wal-7 (the
    first sequence after what it replayed). The start after that must read the old tail as torn:
    the node starts on its own, with every acknowledged record."""
    payloads = write_groups(tmp_path, [3, 3, 1])
    first = list_segments(tmp_path)[0]
    data = first.read_bytes()
    last = 3 * BLOCK  # group 3 (record 7) starts on page 3; half of it reached the disk
    first.write_bytes(data[:last + 600] + bytes(len(data) - last - 600))

    def read_only(path, length):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(wal_module, "_truncate", read_only)
    with caplog.at_level(logging.WARNING):
        assert payloads_of(tmp_path) == payloads[:6]
    assert "could not truncate" in caplog.text
    monkeypatch.undo()
    later = write_groups(tmp_path, [2], first=7)  # the disk is writable again: wal-7 follows the tail
    assert list_segments(tmp_path) == [first, segment_path(tmp_path, 7)]
    assert payloads_of(tmp_path) == payloads[:6] + later
    assert first.read_bytes()[last:last + 600] == data[last:last + 600], "left as it is: nothing appends there"
    assert payloads_of(tmp_path) == payloads[:6] + later


def test_a_cut_short_segment_followed_by_a_gap_stays_corruption(tmp_path):
    payloads = write_groups(tmp_path, [3, 3, 1])
    first = list_segments(tmp_path)[0]
    data = first.read_bytes()
    first.write_bytes(data[:2 * BLOCK + 600] + bytes(len(data) - 2 * BLOCK - 600))  # group 2 torn
    write_groups(tmp_path, [1], first=8)  # yet the next segment starts after record 7
    replayed = []
    with pytest.raises(WalCorruption, match="cut short in a segment that another one follows"):
        replayed.extend(r.payload for r in replay(tmp_path))
    assert replayed == payloads[:3]
