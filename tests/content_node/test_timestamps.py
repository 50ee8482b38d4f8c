"""Per-bucket checksums stay equal to a recomputation from the entries after any sequence of
writes, removes and prunes (a property test), and the timestamp clock never repeats itself."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from content_node.store.timestamps import DocumentTimestamps, entry_hash, merge_bucket
from searchlib.docid import global_id
from searchlib.timestamps import TimestampClock, timestamp_of

IDS = [f"id:test:doc::{n}" for n in range(40)]
operations = st.lists(st.tuples(st.sampled_from(["put", "remove", "prune"]), st.integers(0, len(IDS) - 1),
                                st.integers(0, 2000)), max_size=200)


def recomputed(timestamps: DocumentTimestamps) -> dict[int, int]:
    sums: dict[int, int] = {}
    for stamp in timestamps.stamps():
        gid = global_id(stamp.document_id)
        sums[merge_bucket(gid)] = sums.get(merge_bucket(gid), 0) ^ entry_hash(gid, stamp)
    return {bucket: value for bucket, value in sums.items() if value}


@settings(max_examples=200, deadline=None)
@given(operations)
def test_bucket_checksums_match_a_recomputation(sequence):
    timestamps = DocumentTimestamps(max_age=1.0)  # one second: 1,000,000 timestamp units
    for operation, n, seconds in sequence:
        if operation == "prune":
            timestamps.prune(float(seconds))
        else:
            timestamps.record(IDS[n], global_id(IDS[n]), timestamp_of(seconds), removed=operation == "remove")
        assert timestamps.checksums() == recomputed(timestamps)
    entries = timestamps.bucket_entries(timestamps.checksums())
    assert sorted(s.document_id for s in entries) == sorted(s.document_id for s in timestamps.stamps())


def test_the_clock_is_strictly_increasing_even_when_the_wall_clock_stands_still_or_goes_back():
    wall = iter([5_000, 5_000, 4_000, 9_000_000])
    clock = TimestampClock(lambda: next(wall))
    assert [clock.next() for _ in range(4)] == [5, 6, 7, 9000]
