"""Cost of the replica merge's bookkeeping (content_node/store/timestamps.py, replica_merge.py):
the per-write checksum update, and one periodic comparison of two replicas (prune, checksums, the
comparison, and the detail listing of the buckets that differ) at several document counts.

    python -m benchmarks.replica_merge [--documents 5000 50000] [--differing 0 10]
"""
from __future__ import annotations

import argparse
import time

from content_node.replica_merge import bucket_checksums, bucket_entries, plan
from content_node.store.timestamps import DocumentTimestamps
from searchlib.docid import global_id
from searchlib.timestamps import CLOCK


class Replica:
    """What the comparison reads of a node: one schema's timestamps."""

    def __init__(self) -> None:
        self.timestamps = DocumentTimestamps()
        self.databases = {"doc": self}


def compare(a: Replica, b: Replica) -> tuple[float, int]:
    """One merge's comparison, as merge_with runs it (without the copies): ms, documents listed."""
    started = time.perf_counter()
    now = time.time()
    mine, theirs = bucket_checksums(a, now), bucket_checksums(b, now)
    differing = sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))
    local = {s.document_id: s for s in bucket_entries(a, differing)}
    remote = {s.document_id: s for s in bucket_entries(b, differing)}
    plan(local, remote, a.timestamps.cutoff(now))
    return (time.perf_counter() - started) * 1000, len(local.keys() | remote.keys())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--differing", type=int, nargs="+", default=[0, 10])
    args = parser.parse_args()
    for count in args.documents:
        a, b = Replica(), Replica()
        ids = [f"id:test:doc::{n}" for n in range(count)]
        gids = [global_id(i) for i in ids]
        started = time.perf_counter()
        for document_id, gid in zip(ids, gids):
            a.timestamps.record(document_id, gid, CLOCK.next())
        per_write = (time.perf_counter() - started) / count * 1e6
        for stamp, gid in zip(a.timestamps.stamps(), gids):
            b.timestamps.record(stamp.document_id, gid, stamp.timestamp)
        for n in range(count // 10):  # 10% recent tombstones: the prune scans them all
            gone, timestamp = f"id:test:doc::gone{n}", CLOCK.next()
            a.timestamps.record(gone, global_id(gone), timestamp, removed=True)
            b.timestamps.record(gone, global_id(gone), timestamp, removed=True)
        for differing in args.differing:
            for n in range(differing):
                b.timestamps.record(ids[n], gids[n], CLOCK.next())
            runs = [compare(a, b) for _ in range(5)]
            best = min(ms for ms, _ in runs)
            print(f"{count:>7} documents, {differing:>3} differing: record {per_write:.1f} µs/write, "
                  f"comparison {best:.2f} ms ({runs[0][1]} documents listed in detail)")


if __name__ == "__main__":
    main()
