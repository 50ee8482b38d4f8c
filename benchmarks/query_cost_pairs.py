"""Before/after in one window on a shared machine: `benchmarks.query_cost` (a 2-node cluster, BM25
top-10 on scifact through /search/, CPU per query of each process, QPS and latency) run in a
baseline checkout and in this one, alternating, `--pairs` times; bm25s (benchmarks/bm25_scifact.py,
one thread in this process) before each pair, so the peer's QPS is measured in the same window.
The baseline is any checkout (`git archive REV | tar -x -C DIR`); it reads the same scifact.

    python -m benchmarks.query_cost_pairs --baseline DIR [--pairs 3] [--clients 1,8]

Prints one JSON object: per pair, the baseline's and this checkout's runs and bm25s' QPS."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.bm25_scifact import SCIFACT, bench_bm25s
from deploy.beir_eval import load_dataset

HERE = Path(__file__).resolve().parents[1]


def query_cost(checkout: Path, clients: str) -> dict:
    env = {**os.environ, "SCIFACT_DIR": str(SCIFACT)}
    done = subprocess.run([sys.executable, "-m", "benchmarks.query_cost", "--clients", clients], cwd=checkout,
                          env=env, capture_output=True, text=True, check=True, timeout=1800)
    return json.loads(done.stdout)["runs"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", required=True)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--clients", default="1,8")
    args = parser.parse_args()
    dataset = load_dataset(SCIFACT)
    pairs = []
    for _ in range(args.pairs):
        peer = bench_bm25s(dataset, 1)
        pairs.append({"bm25s_qps": round(peer["qps"], 1), "bm25s_p50_ms": round(peer["p50_ms"], 3),
                      "before": query_cost(Path(args.baseline), args.clients), "after": query_cost(HERE, args.clients)})
        print(json.dumps(pairs[-1]), file=sys.stderr, flush=True)  # as it goes
    print(json.dumps({"baseline": args.baseline, "after": str(HERE), "pairs": pairs}, indent=1))


if __name__ == "__main__":
    main()
