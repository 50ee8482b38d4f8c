"""py-spy profiles of every process of `benchmarks.query_cost`'s load (BM25 top-10 on scifact
through `/search/`, 2 nodes): the container, each node and the load generator, recorded over
`--seconds` of the load at each client count, with the CPU a query of each process from /proc in
the same window (so a profile's shares can be read as milliseconds).

    python -m benchmarks.query_cost_spy --out DIR [--clients 1,8] [--seconds 20]

Writes DIR/{clients}-{process}.txt (py-spy raw collapsed stacks, GIL holder only) and prints one
JSON object: per client count the CPU a query per process and each process's heaviest functions."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

from benchmarks import http_load, spy_profile
from benchmarks.bm25_scifact import BM25_APP
from benchmarks.query_cost import SCIFACT, cpu_seconds, requests_for
from deploy.beir_eval import iter_corpus_operations, load_dataset
from deploy.feeder import feed
from deploy.local_cluster import LocalCluster


def spy(cluster: LocalCluster, requests: list[bytes], clients: int, out: Path, seconds: float) -> dict:
    pids = {"container": cluster.container_pid, "node 0": cluster.node_pid(0), "node 1": cluster.node_pid(1),
            "load generator": os.getpid()}
    files = {name: out / f"{clients}-{name.replace(' ', '')}.txt" for name in pids}
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    recorders = [spy_profile.start(pid, files[name], seconds) for name, pid in pids.items()]
    started, queries = time.monotonic(), 0
    while time.monotonic() - started < seconds + 1:
        asyncio.run(http_load.run(cluster.url, requests, clients))
        queries += len(requests)
    for recorder in recorders:
        recorder.wait()
    report = {"queries": queries, "qps": round(queries / (time.monotonic() - started), 1)}
    for name, path in files.items():
        stacks = spy_profile.read_stacks(path)
        report[name] = {"cpu_ms_per_query": round((cpu_seconds(pids[name]) - before[name]) * 1000 / queries, 3),
                        "samples": sum(stacks.values()),
                        "top": [f"{i:6.1%} incl {o:6.1%} own  {f}" for i, o, f in spy_profile.top(stacks, 40)]}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    dataset = load_dataset(SCIFACT)
    results = {}
    with tempfile.TemporaryDirectory() as data_dir, LocalCluster(BM25_APP, data_dir, nodes=2) as cluster:
        feed(iter_corpus_operations(dataset), cluster.url, show_progress=False, concurrency=32)
        requests = requests_for(cluster.url, dataset.queries, 1)
        asyncio.run(http_load.run(cluster.url, requests, 4))  # warm
        for clients in (int(c) for c in args.clients.split(",")):
            results[clients] = spy(cluster, requests, clients, out, args.seconds)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
