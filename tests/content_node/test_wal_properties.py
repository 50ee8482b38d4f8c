"""Property: after random appends (across segment rotations), a crash at a random byte of the
segment being written and random bit flips anywhere, replay yields exactly the records that were
whole in the files (a torn tail is dropped) or raises WalCorruption: never a silently shorter
history. A flip inside a whole record must always be reported, but for one: the last record of the
last segment, if its last byte is zero, then reads as a record cut short over the preallocated
zeros (a torn tail; the limit wal.py's module doc states). The crash either cuts the file (formats
2 and 3) or keeps its preallocated size with zeros after what reached it (format 4)."""
from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings, strategies as st

from content_node.store.wal import WalCorruption, WriteAheadLog, list_segments, replay

FILE_HEADER = 8
FIRST_RECORD = 4096  # the file header is padded to a 4 KB block
RECORD_HEADER = 20

logs = st.lists(st.tuples(st.binary(max_size=64), st.booleans()), min_size=1, max_size=25)


def write_log(directory: Path, entries) -> list[tuple[Path, list[tuple[int, int, int]]]]:
    """Append every payload (rotating where asked); return, per segment, (sequence, start, end)."""
    wal = WriteAheadLog(directory, 1)
    layout: dict[Path, list[tuple[int, int, int]]] = {wal.segment: []}
    offset = FIRST_RECORD
    for sequence, (payload, rotate_after) in enumerate(entries, start=1):
        wal.append(sequence, payload)
        end = offset + RECORD_HEADER + len(payload)
        layout[wal.segment].append((sequence, offset, end))
        offset = end
        if rotate_after and sequence < len(entries):
            wal.rotate(sequence + 1)
            layout[wal.segment] = []
            offset = FIRST_RECORD
    wal.sync(len(entries))
    wal.close()
    return list(layout.items())


@settings(max_examples=150, deadline=None)
@given(entries=logs, cut=st.floats(0, 1), zeros_after=st.booleans(),
       flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 7)), max_size=3, unique_by=lambda f: f[0]))
def test_replay_is_the_whole_prefix_or_reports_corruption(entries, cut, zeros_after, flips):
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        layout = write_log(directory, entries)
        # the crash: the segment being written keeps a prefix of its bytes
        last, last_records = layout[-1]
        data = last.read_bytes()
        written = len(data.rstrip(b"\x00"))
        kept = int(cut * (written + 2 * FIRST_RECORD))
        last.write_bytes(data[:kept] + (bytes(len(data) - kept) if zeros_after else b""))
        whole = {sequence for _, records in layout[:-1] for sequence, _, _ in records}
        whole |= {sequence for sequence, _, end in last_records if end <= kept}
        last_whole = [(start, end) for _, start, end in last_records if end <= kept][-1:]
        expected = [(sequence, entries[sequence - 1][0]) for sequence in sorted(whole)]
        # the bit flips, anywhere in what each segment holds (and a little of the zeros after it)
        sizes = [(path, min(path.stat().st_size, len(path.read_bytes().rstrip(b"\x00")) + 64)) for path, _ in layout]
        total = sum(size for _, size in sizes)
        in_file_header, hits = False, set()
        flipped = set()
        for where, bit in flips:
            position = int(where * total)
            if total == 0 or position >= total:
                continue
            for path, size in sizes:
                if position < size:
                    break
                position -= size
            if (path, position) in flipped:
                continue
            flipped.add((path, position))
            data = bytearray(path.read_bytes())
            data[position] ^= 1 << bit
            path.write_bytes(bytes(data))
            whole_records = [(start, end) for _, start, end in dict(layout)[path] if end <= size]
            in_file_header |= position < FILE_HEADER and bool(whole_records)
            hits |= {(path, start) for start, end in whole_records if start <= position < end}
        final = last.read_bytes()  # the last record's last byte, flipped or not
        ambiguous = {(last, start) for start, end in last_whole if final[end - 1] == 0}
        damaged_whole_record = in_file_header or bool(hits - ambiguous)
        damaged_ambiguous = bool(hits & ambiguous)
        before = {path: path.read_bytes() for path in list_segments(directory)}
        replayed = []
        try:
            for record in replay(directory):
                replayed.append((record.sequence, record.payload))
        except WalCorruption as error:
            assert error.path in before and 0 <= error.offset <= len(before[error.path])
            assert replayed == expected[:len(replayed)]  # what came before the damage is genuine
            for path, content in before.items():  # corruption is never truncated
                assert path.read_bytes() == content
            return
        assert not damaged_whole_record, "a damaged whole record was not reported"
        assert replayed == expected or (damaged_ambiguous and replayed == expected[:-1])
