"""Per-bucket checksums stay equal to a recomputation from the entries after any sequence of
writes, removes and prunes (a property test), and the timestamp clock never repeats itself."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from content_node.store.timestamps import DocumentTimestamps, Stamp, Superseded, entry_hash, merge_bucket, update_origin
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


def test_an_update_origin_orders_histories_by_their_newest_put_then_by_the_updates_applied():
    def history(*steps):  # ("put", ts) or ("update", ts): the stamp each step leaves
        stamp = None
        for kind, timestamp in steps:
            stamp = Stamp("d", timestamp, origin=update_origin(stamp) if kind == "update" else 0)
        return stamp.origin

    missed_put = history(("put", 1), ("update", 3), ("update", 4))
    newest_put = history(("put", 1), ("put", 2), ("update", 3), ("update", 4))
    assert newest_put > missed_put > 0, "a chain on the newer put wins however many updates follow"
    missed_update = history(("put", 1), ("update", 3), ("update", 4))
    every_update = history(("put", 1), ("update", 2), ("update", 3), ("update", 4))
    assert every_update > missed_update
    assert history(("put", 1), ("update", 2)) == history(("put", 1), ("update", 2)), "the same on every node"
    assert history(("update", 2)) != history(("put", 1), ("update", 2))  # created by the update: no root


def test_an_equal_timestamp_is_taken_only_with_a_higher_origin():
    timestamps = DocumentTimestamps()
    gid = global_id(IDS[0])
    timestamps.record(IDS[0], gid, 10, origin=5)
    for origin, taken in ((4, False), (5, False), (6, True)):
        try:
            timestamps.newest_only(gid, 10, origin=origin)(None)
            assert taken
        except Superseded:
            assert not taken
