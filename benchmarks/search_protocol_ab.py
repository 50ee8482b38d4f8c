"""The container's lean /search/ path (container/http/search_protocol.py) against uvicorn's, in one
cluster, alternating: the cluster of `benchmarks.query_cost` (2 nodes, scifact, BM25 top-10 through
/search/), each round the 300 queries once as plain GETs (the lean path) and once with a
`Content-Length: 0` header (uvicorn's RequestResponseCycle and the ASGI stack; the search front
then reads the empty body: one more await than main's bodiless GET). Same processes, same caches,
same minute: the machine's load moves both sides alike.

    python -m benchmarks.search_protocol_ab [--rounds 6] [--clients 1,8] [--repeat 2]

Prints one JSON object: per client count and side, each round's container CPU a query (ms, from
each thread's schedstat), p50 (ms) and QPS, and their medians."""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time

import numpy as np

from benchmarks import http_load
from benchmarks.bm25_scifact import BM25_APP
from benchmarks.query_cost import SCIFACT, cpu_seconds_exact as cpu_seconds, requests_for
from deploy.beir_eval import iter_corpus_operations, load_dataset
from deploy.feeder import feed
from deploy.local_cluster import LocalCluster


def with_empty_body(request: bytes) -> bytes:
    return request.replace(b"\r\n\r\n", b"\r\nContent-Length: 0\r\n\r\n", 1)


def batch(cluster: LocalCluster, requests: list[bytes], clients: int) -> dict:
    pids = [cluster.container_pid, cluster.node_pid(0), cluster.node_pid(1)]
    before = [cpu_seconds(pid) for pid in pids]
    started = time.process_time()
    done = asyncio.run(http_load.run(cluster.url, requests, clients))
    load = time.process_time() - started
    assert all(a.status == 200 for a in done.answers)
    n = len(requests)
    container, *nodes = [(cpu_seconds(pid) - b) * 1000 / n for pid, b in zip(pids, before)]
    return {"container_ms": round(container, 3), "all_ms": round(container + sum(nodes) + load * 1000 / n, 3),
            "p50_ms": round(float(np.percentile(np.array(done.latencies) * 1000, 50)), 2), "qps": round(done.qps, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--repeat", type=int, default=2, help="the 300 queries this many times a batch")
    args = parser.parse_args()
    dataset = load_dataset(SCIFACT)
    report = {}
    with tempfile.TemporaryDirectory() as data_dir, LocalCluster(BM25_APP, data_dir, nodes=2) as cluster:
        stats = feed(iter_corpus_operations(dataset), cluster.url, show_progress=False, concurrency=32)
        assert not stats.failures, stats.failures[:3]
        lean = requests_for(cluster.url, dataset.queries, args.repeat)
        generic = [with_empty_body(r) for r in lean]
        asyncio.run(http_load.run(cluster.url, lean + generic, 4))  # warm both paths
        for clients in (int(c) for c in args.clients.split(",")):
            sides = {"uvicorn": [], "lean": []}
            for round_ in range(args.rounds):
                order = ("uvicorn", "lean") if round_ % 2 == 0 else ("lean", "uvicorn")
                for side in order:
                    sides[side].append(batch(cluster, lean if side == "lean" else generic, clients))
            report[clients] = {side: {"rounds": runs, **{f"median_{k}": statistics.median(r[k] for r in runs)
                                                         for k in ("container_ms", "all_ms", "p50_ms", "qps")}}
                               for side, runs in sides.items()}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
