"""Restart time of one content node's document database (issue 20, goal 4: ≤ 60 s at 500,000).

    python -m benchmarks.restart --docs 500000 [--dim 384 [--hnsw]] [--repeat 2] [--data-dir DIR]

The corpus is bm25_scale's (random scifact sentences, 60 words a document, numpy default_rng(1234)),
all on one node, with a `dim`-float vector attribute per document when --dim is given (with an
HNSW index, angular, 16 links, with --hnsw: its graph is saved at close and loaded at open). It is
written as the node's snapshot (bm25_scale.bulk_load), so the first open re-indexes every document:
that is the restart without an index image (as every restart was before store/index_image.py).
Closing writes the snapshot's segment and the image; each later open is a graceful restart. Then a
graceful restart after a close that wrote no image: 0.5% of the documents are rewritten, the close
writes only the snapshot's segment (index_image.CLOSE_SKIP_MAX), the open re-applies them on the
image. Then a crash restart: 1% more are rewritten, an incremental snapshot taken (no image: not
due), 0.2% more written to the log only, and the process "dies" (the log is closed, nothing else):
the open loads the image and re-applies the documents changed since; its close writes an image. Every open is checked to
answer as before: the same document count, document frequencies, field lengths and stored fields.
The data directory is kept with --data-dir (a second run at the same size skips the first open).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from benchmarks.bm25_scale import APP, DOCUMENT_ID_PREFIX, synthetic_corpus
from content_node.document_db import DocumentDB
from content_node.store.document_store import encode_fields
from content_node.store.index_image import list_images
from content_node.store.snapshot import document_line, write_snapshot
from content_node.store.tensor_column import DenseTensorRows
from searchlib.schema.application import application_from_text
from searchlib.tensor import dense_hex

PROBE_TERMS = ("cell", "protein", "patients", "the", "expression", "risk")


def schema(dim: int, hnsw: bool = False):
    sd = (APP / "schemas" / "doc.sd").read_text()
    index = (" | index\n            attribute { distance-metric: angular }\n"
             "            index { hnsw { max-links-per-node: 16 } }") if hnsw else ""
    if dim:
        sd = sd.replace("    }\n    fieldset", f"        field vec type tensor<float>(x[{dim}]) {{\n"
                        f"            indexing: attribute{index}\n        }}\n    }}\n    fieldset", 1)
    return application_from_text(sd, name="doc.sd").schemas["doc"]


def load_corpus(directory: Path, docs: int, dim: int) -> None:
    """The node's snapshot of the corpus (vectors as hex cells, as snapshots write tensors)."""
    texts = synthetic_corpus(docs)
    rng = np.random.default_rng(1234)
    lines = []
    for n, text in enumerate(texts):
        fields = {"text": text}
        if dim:
            fields["vec"] = {"values": dense_hex(rng.normal(size=dim).astype(np.float32), "float")}
        lines.append(document_line(f"{DOCUMENT_ID_PREFIX}{n}", encode_fields(fields), {}))
    directory.mkdir(parents=True, exist_ok=True)
    write_snapshot(directory, len(lines), lines)


def fingerprint(db: DocumentDB, docs: int) -> tuple:
    """What queries read: counts, statistics, field lengths and a sample of stored documents."""
    sample = [f"{DOCUMENT_ID_PREFIX}{n}" for n in range(0, docs, max(1, docs // 50))]
    stored = [db.get(d) for d in sample]
    stored = [{k: (v.values().tolist() if isinstance(v, DenseTensorRows) else v) for k, v in f.items()} if f else f
              for f in stored]
    lengths = db.field_lengths("text")
    alive = db.alive
    return (db.doc_count, [db.document_frequency("text", t) for t in PROBE_TERMS],
            round(db.average_field_length("text"), 9), int(lengths[: len(alive)][alive].sum()), repr(stored))


def timed_open(schema_, directory: Path) -> tuple[DocumentDB, tuple[float, float]]:
    """The database and the (wall, CPU) seconds its open took: on a shared machine the wall time
    depends on everyone's load, this process's CPU time much less."""
    started, cpu = time.perf_counter(), time.process_time()
    db = DocumentDB(schema_, directory)
    return db, (time.perf_counter() - started, time.process_time() - cpu)


def timed_close(db: DocumentDB) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    db.close()
    return time.perf_counter() - started, time.process_time() - cpu


def labelled_close(db: DocumentDB, directory: Path, label: str) -> tuple[str, tuple[float, float]]:
    images = list_images(directory)
    seconds = timed_close(db)
    return f"{label}: the snapshot's segment{'' if list_images(directory) == images else ' and an image'}", seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=500_000)
    parser.add_argument("--dim", type=int, default=0)
    parser.add_argument("--hnsw", action="store_true", help="an HNSW index on the vectors")
    parser.add_argument("--seed", type=int, default=98,
                        help="of the rewritten texts (another one when re-running on a kept --data-dir)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    directory = (args.data_dir or Path(f"/tmp/phasedsearch-restart-{args.docs}-{args.dim}")) / "doc"
    schema_ = schema(args.dim, args.hnsw)
    rows = []
    if not list_images(directory):
        load_corpus(directory, args.docs, args.dim)
        db, seconds = timed_open(schema_, directory)
        rows.append(("re-index every document (no image: the restart before images)", seconds))
        expected = fingerprint(db, args.docs)
        rows.append(("close: the snapshot's segment and the image", timed_close(db)))
    else:
        db, _ = timed_open(schema_, directory)
        expected = fingerprint(db, args.docs)
        db.close()
    for _ in range(args.repeat):
        db, seconds = timed_open(schema_, directory)
        rows.append(("graceful restart: load the image", seconds))
        assert fingerprint(db, args.docs) == expected, "the restarted node answers differently"
        db.close()
    db, _ = timed_open(schema_, directory)
    few = synthetic_corpus(args.docs // 200, seed=args.seed)
    for n, text in enumerate(few):  # rewrites of 0.5%: the close writes no image (index_image.CLOSE_SKIP_MAX)
        db.put(f"{DOCUMENT_ID_PREFIX}{n * 101 % args.docs}", {"text": text})
    expected = fingerprint(db, args.docs)
    rows.append(labelled_close(db, directory, "close after 0.5% rewritten"))
    db, seconds = timed_open(schema_, directory)
    rows.append(("graceful restart: the image, then the 0.5% changed since", seconds))
    assert fingerprint(db, args.docs) == expected, "the restarted node answers differently"
    texts = synthetic_corpus(args.docs // 100, seed=args.seed + 1)
    for n, text in enumerate(texts):  # rewrites of 1% of the documents, then an incremental snapshot
        db.put(f"{DOCUMENT_ID_PREFIX}{n * 97 % args.docs}", {"text": text})
    db.snapshot()
    for n, text in enumerate(texts[: len(texts) // 5]):  # and 0.2% in the log only
        db.put(f"{DOCUMENT_ID_PREFIX}{(n * 89 + 1) % args.docs}", {"text": text + " crash"})
    expected = fingerprint(db, args.docs)
    db._wal.close()  # the process dies
    db, seconds = timed_open(schema_, directory)
    rows.append(("crash restart: the image, then 1.7% changed documents and 0.2% from the log", seconds))
    assert fingerprint(db, args.docs) == expected, "the restarted node answers differently"
    rows.append(labelled_close(db, directory, "close after it"))
    disk = {kind: sum(p.stat().st_size for p in directory.glob(pattern))
            for kind, pattern in (("image", "index-*.img"), ("segments", "segment-*.seg"), ("log", "wal-*.log"))}
    print(f"{args.docs:,} documents on one node ({'text only' if not args.dim else f'text + {args.dim}-float vector' + (' + HNSW' if args.hnsw else '')}); "
          f"on disk: image {disk['image'] / 1e6:.0f} MB, segments {disk['segments'] / 1e6:.0f} MB, log {disk['log'] / 1e6:.0f} MB")
    print()
    print("| open | wall seconds | CPU seconds |")
    print("| --- | --- | --- |")
    for label, (wall, cpu) in rows:
        print(f"| {label} | {wall:.1f} | {cpu:.1f} |")


if __name__ == "__main__":
    main()
