"""How long a reader waits for a database's read view (what every query takes first) while 384-d
vectors are fed in Feed batches: one content node in this process (benchmarks/apps/ann: HNSW, 16
links, 200 explored at insert), one thread applying batches as the Feed RPC does
(content_node/feed_batch.py), one thread taking the read view every 2 ms.

    python -m benchmarks.feed_read_wait [--documents 6000] [--batch 128]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time

import numpy as np

from benchmarks.feed_rate import ANN_APP, DIMENSIONS
from content_node import feed_batch
from content_node.node import ContentNode


def measure(documents: int, batch: int) -> str:
    rng = np.random.default_rng(1234)
    vectors = rng.standard_normal((documents, DIMENSIONS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    operations = [(f"id:vec:vec::{i}", json.dumps({"embedding": [round(float(x), 6) for x in row]}))
                  for i, row in enumerate(vectors)]
    with tempfile.TemporaryDirectory() as data_dir:
        node = ContentNode(ANN_APP, data_dir, 0)
        database = node.databases["vec"]
        done, waits = threading.Event(), []

        def reader() -> None:
            while not done.is_set():
                started = time.perf_counter()
                with database.read_view():
                    waits.append(time.perf_counter() - started)
                time.sleep(0.002)

        reading = threading.Thread(target=reader)
        reading.start()
        started = time.perf_counter()
        for start in range(0, documents, batch):
            writes = [(document_id, lambda i=document_id, f=fields: node.put(i, f) or True)
                      for document_id, fields in operations[start:start + batch]]
            failed = [r for r in feed_batch.apply_batch(node, writes) if isinstance(r, BaseException)]
            if failed:
                raise failed[0]
        seconds = time.perf_counter() - started
        done.set()
        reading.join()
        node.close()
    ms = np.array(waits) * 1000
    return (f"{documents} vectors in batches of {batch}: {documents / seconds:,.0f} documents/s; "
            f"{len(ms)} read views taken, wait p50 {np.percentile(ms, 50):.2f} ms, "
            f"p99 {np.percentile(ms, 99):.1f} ms, max {ms.max():.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    print(measure(args.documents, args.batch))


if __name__ == "__main__":
    main()
