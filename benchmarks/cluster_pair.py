"""A content-node (or whole-cluster) change measured against a baseline checkout in one window: two
2-node clusters, the baseline's and this checkout's, each fed scifact (`benchmarks/apps/bm25`) and
running side by side; the 300 BM25 top-10 queries go to each in turn, `--rounds` times at each
client count (the side that goes first alternates). Each round reports, per side, the container's
and each node's CPU a query (each thread's /proc schedstat), a node's CPU split by thread (the lean
transport's reader `wire-conn`, the pool's `search_*` workers, the rest), QPS and p50. First it
checks that both clusters answer every query with the same JSON (timing left out).

    git worktree add --detach /tmp/base main
    python -m benchmarks.cluster_pair --baseline /tmp/base [--rounds 6] [--clients 1,8]

Each cluster is started by a child process in its own checkout (its code, its LocalCluster), so the
baseline needs nothing of this file. The baseline's cluster starts first, and on this machine the
same two checkouts run in both orders each looked 5-10% cheaper when started first (BENCHMARKS.md,
branch qpath14): run it both ways (this file copied into the baseline, `--baseline` this checkout).
Prints one JSON object: every round and the medians."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks import http_load
from benchmarks.container_pair import same_answers
from benchmarks.query_cost import SCIFACT, cpu_seconds_exact, requests_for
from deploy.beir_eval import load_dataset

HERE = Path(__file__).resolve().parents[1]
# run by `python -c` in a checkout: a fed cluster of that checkout, its url and pids on stdout, up
# until stdin closes
SERVE = """
import json, sys, tempfile
from benchmarks.bm25_scifact import BM25_APP
from deploy.beir_eval import iter_corpus_operations, load_dataset
from deploy.feeder import feed
from deploy.local_cluster import LocalCluster
with tempfile.TemporaryDirectory() as data_dir, LocalCluster(BM25_APP, data_dir, nodes=2) as cluster:
    feed(iter_corpus_operations(load_dataset(sys.argv[1])), cluster.url, show_progress=False, concurrency=32)
    print(json.dumps({"url": cluster.url, "container": cluster.container_pid,
                      "nodes": [cluster.node_pid(0), cluster.node_pid(1)]}), flush=True)
    sys.stdin.read()
"""


_THREAD = re.compile(r'^Thread (\d+) \(\w+\): "([^"]*)"', re.M)


def thread_names(pid: int) -> dict[int, str]:
    """Thread id → Python thread name (Python 3.11 does not name OS threads; py-spy reads them)."""
    dump = subprocess.run(["py-spy", "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=30).stdout
    return {int(tid): name for tid, name in _THREAD.findall(dump)}


def thread_cpu(pid: int, names: dict[int, str]) -> Counter:
    """Seconds of CPU per kind of thread: the transport's reader (`wire-conn`), the pool's
    workers (`search_N`), and every other thread."""
    kinds: Counter = Counter()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            ns = int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue
        name = names.get(int(task.name), "")
        kind = "wire-conn" if name.startswith("wire-conn") else "search" if name.startswith("search") else "other"
        kinds[kind] += ns / 1e9
    return kinds


def start(checkout: Path) -> tuple[subprocess.Popen, dict]:
    process = subprocess.Popen([sys.executable, "-c", SERVE, str(SCIFACT)], cwd=checkout, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if not line:
        raise RuntimeError(f"the cluster of {checkout} did not start")
    return process, json.loads(line)


def one_round(side: dict, queries: dict[str, str], clients: int) -> dict:
    requests = requests_for(side["url"], queries, 1)
    container = cpu_seconds_exact(side["container"])
    names = [thread_names(pid) for pid in side["nodes"]]  # a pool grows its workers as it needs them
    nodes = [thread_cpu(pid, n) for pid, n in zip(side["nodes"], names)]
    done = asyncio.run(http_load.run(side["url"], requests, clients))
    if any(a.status != 200 for a in done.answers):
        raise RuntimeError("a query failed")
    n = len(requests)
    after = [thread_cpu(pid, n) for pid, n in zip(side["nodes"], names)]
    per_node = [{kind: (a[kind] - b[kind]) * 1000 / n for kind in a} for a, b in zip(after, nodes)]
    return {"container_cpu_ms": round((cpu_seconds_exact(side["container"]) - container) * 1000 / n, 3),
            "node_cpu_ms": round(float(np.mean([sum(p.values()) for p in per_node])), 3),
            **{f"node_{kind}_ms": round(float(np.mean([p.get(kind, 0.0) for p in per_node])), 3)
               for kind in ("wire-conn", "search", "other")},
            "qps": round(done.qps, 1), "p50_ms": done.latency_ms(50),
            "load_average": round(os.getloadavg()[0], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="a checkout of the baseline (e.g. a worktree of main)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--clients", default="1,8")
    args = parser.parse_args()
    queries = load_dataset(SCIFACT).queries
    client_counts = [int(c) for c in args.clients.split(",")]
    processes, sides = [], {}
    try:
        for name, checkout in (("baseline", Path(args.baseline).resolve()), ("this checkout", HERE)):
            process, sides[name] = start(checkout)
            processes.append(process)
        identical = same_answers([side["url"] for side in sides.values()], queries)
        for side in sides.values():  # warm both alike
            asyncio.run(http_load.run(side["url"], requests_for(side["url"], queries, 1), 4))
        rounds = {name: {c: [] for c in client_counts} for name in sides}
        for round_ in range(args.rounds):
            for clients in client_counts:
                order = list(sides) if round_ % 2 == 0 else list(sides)[::-1]
                for name in order:
                    rounds[name][clients].append(one_round(sides[name], queries, clients))
                print(json.dumps({name: rounds[name][clients][-1] for name in sides}), file=sys.stderr, flush=True)
    finally:
        for process in processes:
            process.stdin.close()
            process.wait(timeout=60)
    keys = [k for k in next(iter(rounds["baseline"].values()))[0] if k != "load_average"]
    medians = {name: {c: {k: round(float(np.median([r[k] for r in runs])), 3) for k in keys}
                      for c, runs in by_clients.items()} for name, by_clients in rounds.items()}
    pairs = {c: list(zip(rounds["baseline"][c], rounds["this checkout"][c])) for c in client_counts}
    # rounds where this checkout was better: less CPU or latency, more QPS
    better = {c: {k: sum((a[k] > b[k]) == (k != "qps") for a, b in pairs[c]) for k in keys} for c in client_counts}
    print(json.dumps({"identical_answers": f"{identical} of {len(queries)}", "medians": medians,
                      "rounds_better": better, "rounds": rounds}, indent=1))


if __name__ == "__main__":
    main()
