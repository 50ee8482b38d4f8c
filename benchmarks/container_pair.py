"""A container change measured against a baseline checkout with everything else held still: two
containers, the baseline's and this checkout's, in front of the same 2 content nodes (this
checkout's, fed scifact with `benchmarks/apps/bm25`); the 300 BM25 top-10 queries go to each in
turn, `--rounds` times at each client count, and each round reports the container's CPU per query
(from each thread's /proc schedstat), the nodes' CPU while it ran, QPS and p50. First it checks that both answer
every query with the same JSON (timing left out).

    git archive main | tar -x -C /tmp/baseline
    python -m benchmarks.container_pair --baseline /tmp/baseline [--rounds 5] [--clients 1,8]

Prints one JSON object: per side and client count, every round and the medians."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from benchmarks import http_load
from benchmarks.bm25_scifact import BM25_APP
from benchmarks.query_cost import SCIFACT, cpu_seconds_exact as cpu_seconds, requests_for
from deploy.beir_eval import iter_corpus_operations, load_dataset, sanitize_query_text
from deploy.feeder import feed
from deploy.local_cluster import LocalCluster, content_nodes_argument


def start_container(checkout: Path, port: int, nodes: str) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "container", "--app", str(checkout / "benchmarks/apps/bm25"),
                                "--port", str(port), "--content-nodes", nodes], cwd=checkout,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/state/v1/health").status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the baseline container in {checkout} did not become healthy")


def same_answers(urls: list[str], queries: dict[str, str]) -> int:
    same = 0
    for text in queries.values():
        params = {"yql": "select * from doc where userQuery()", "query": sanitize_query_text(text), "type": "any",
                  "ranking": "bm25", "hits": "10"}
        answers = [httpx.get(f"{url}/search/", params=params).json() for url in urls]
        for answer in answers:
            answer.pop("timing", None)
        same += all(answer == answers[0] for answer in answers)
    return same


def one_round(url: str, pid: int, node_pids: list[int], queries: dict[str, str], clients: int) -> dict:
    requests = requests_for(url, queries, 1)
    before, nodes_before = cpu_seconds(pid), sum(cpu_seconds(p) for p in node_pids)
    done = asyncio.run(http_load.run(url, requests, clients))
    if any(a.status != 200 for a in done.answers):
        raise RuntimeError("a query failed")
    n = len(requests)
    return {"container_cpu_ms": round((cpu_seconds(pid) - before) * 1000 / n, 3),
            "nodes_cpu_ms": round((sum(cpu_seconds(p) for p in node_pids) - nodes_before) * 1000 / n, 3),
            "qps": round(done.qps, 1), "p50_ms": done.latency_ms(50),
            "load_average": round(os.getloadavg()[0], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="a checkout of the baseline (e.g. git archive main)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--port", type=int, default=18999, help="the baseline container's port")
    args = parser.parse_args()
    dataset = load_dataset(SCIFACT)
    client_counts = [int(c) for c in args.clients.split(",")]
    with tempfile.TemporaryDirectory() as data_dir, LocalCluster(BM25_APP, data_dir, nodes=2) as cluster:
        feed(iter_corpus_operations(dataset), cluster.url, show_progress=False, concurrency=32)
        baseline = start_container(Path(args.baseline).resolve(), args.port, content_nodes_argument(cluster.nodes))
        try:
            sides = {"baseline": (f"http://127.0.0.1:{args.port}", baseline.pid),
                     "this checkout": (cluster.url, cluster.container_pid)}
            identical = same_answers([url for url, _ in sides.values()], dataset.queries)
            node_pids = [cluster.node_pid(0), cluster.node_pid(1)]
            rounds: dict[str, dict[int, list[dict]]] = {side: {c: [] for c in client_counts} for side in sides}
            for round_ in range(args.rounds):
                for clients in client_counts:
                    order = list(sides.items()) if round_ % 2 == 0 else list(sides.items())[::-1]  # no side always first
                    for side, (url, pid) in order:
                        rounds[side][clients].append(one_round(url, pid, node_pids, dataset.queries, clients))
        finally:
            baseline.terminate()
            baseline.wait()
    medians = {side: {clients: {key: round(float(np.median([r[key] for r in runs])), 3)
                                for key in ("container_cpu_ms", "nodes_cpu_ms", "qps", "p50_ms")}
                      for clients, runs in by_clients.items()} for side, by_clients in rounds.items()}
    print(json.dumps({"identical_answers": f"{identical} of {len(dataset.queries)}", "medians": medians,
                      "rounds": rounds}, indent=1))


if __name__ == "__main__":
    main()
