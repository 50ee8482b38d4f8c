"""Snapshot cost against corpus size, bytes on disk and restart time of one DocumentDB.

    python -m benchmarks.snapshot_scaling --sizes 25000,50000,100000 --dim 384 [--hnsw]

Documents: a short title (indexed; none with --vectors-only, as the ANN corpus) and a `dim`-float
vector (with --hnsw: an HNSW index, M 16, ef_construction 100). At each size, 1,000 more documents are
written and a snapshot is timed: with snapshots that rewrite every document that time grows with
the corpus; with incremental ones it stays flat. Then the database is closed and reopened (the
restart time) and the bytes on disk are broken down by file kind. The feed's WAL fsyncs are
skipped (the fsync cost is not what is measured here); snapshot fsyncs are real.
"""
from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from content_node.document_db import DocumentDB
from content_node.store.wal import WriteAheadLog
from searchlib.schema.model import Field, FieldType, HnswParams, Schema

WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi".split()


def schema(dim: int, hnsw: bool, title: bool = True) -> Schema:
    fields = {"title": Field("title", FieldType("string"), is_index=True, is_summary=True)} if title else {}
    return Schema("doc", "doc", {
        **fields,
        "vec": Field("vec", FieldType("tensor", tensor_type=f"tensor<float>(x[{dim}])"), is_attribute=True,
                     is_index=hnsw, distance_metric="angular", hnsw=HnswParams(16, 100) if hnsw else None)})


def disk_bytes(directory: Path) -> dict[str, int]:
    kinds: Counter[str] = Counter()
    for path in directory.rglob("*"):
        if path.is_file():
            kind = path.name.split("-")[0].split(".")[0] if path.parent == directory else path.parent.name
            kinds[kind] += path.stat().st_size
    return dict(kinds)


def feed(db: DocumentDB, start: int, stop: int, dim: int, rng: np.random.Generator) -> None:
    vectors = rng.normal(size=(stop - start, dim)).astype(np.float32)
    for i in range(start, stop):
        title = {"title": " ".join(rng.choice(WORDS, 12))} if "title" in db.schema.fields else {}
        db.put(f"id:ns:doc::{i}", {**title, "vec": {"values": vectors[i - start].tolist()}})


def run(sizes: list[int], dim: int, hnsw: bool, directory: Path, title: bool = True) -> dict:
    WriteAheadLog._fsync = staticmethod(lambda fd: None)  # the feed's fsyncs are not measured
    rng = np.random.default_rng(1234)
    db = DocumentDB(schema(dim, hnsw, title), directory, snapshot_interval=10 ** 12)
    rows, fed = [], 0
    for size in sizes:
        feed(db, fed, size, dim, rng)
        started = time.perf_counter()
        db.snapshot()  # everything fed since the last checkpoint (and the graph, when due)
        bulk = time.perf_counter() - started
        feed(db, size, size + 1000, dim, rng)
        fed = size + 1000
        started = time.perf_counter()
        db.snapshot()
        rows.append({"documents": fed, "snapshot_seconds": round(time.perf_counter() - started, 3),
                     "bulk_snapshot_seconds": round(bulk, 2), "bulk_documents": size - (rows[-1]["documents"] if rows else 0),
                     "disk": disk_bytes(directory)})
        print(json.dumps(rows[-1]), flush=True)
    db.close()
    started = time.perf_counter()
    reopened = DocumentDB(schema(dim, hnsw, title), directory, snapshot_interval=10 ** 12)
    restart = time.perf_counter() - started
    assert reopened.doc_count == fed
    reopened._wal.close()
    disk = disk_bytes(directory)
    total = sum(disk.values())
    return {"rows": rows, "restart_seconds": round(restart, 2), "documents": fed, "disk": disk,
            "disk_bytes_per_document": round(total / fed), "raw_vector_bytes_per_document": 4 * dim}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="25000,50000,100000")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--hnsw", action="store_true")
    parser.add_argument("--vectors-only", action="store_true", help="no title field (the ANN corpus)")
    parser.add_argument("--directory", type=Path)
    args = parser.parse_args()
    directory = args.directory or Path(tempfile.mkdtemp(prefix="snapshot-scaling-"))
    try:
        print(json.dumps(run([int(s) for s in args.sizes.split(",")], args.dim, args.hnsw, directory, not args.vectors_only)))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
