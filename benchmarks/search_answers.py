"""Whether two checkouts answer the same `/search/` bytes: each one's own 2-node cluster (container
and content nodes all from that checkout), fed scifact, asked the 300 scifact test queries as
benchmarks/query_cost.py asks them (BM25 top-10, one client); the raw response bodies compared
query by query. For a change on either side of the wire (the nodes' replies, the container's
rendering) where the answer must stay byte-identical.

    python benchmarks/search_answers.py --baseline DIR [--other DIR]

(run as a file: each side runs this script in its own checkout, which need not hold it). `--other`
defaults to the checkout holding this file. Prints one JSON object; exits 1 if any answer differs."""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def answers() -> list[str]:
    """In the checkout on sys.path: the sha256 of each answer's body, in query order."""
    from benchmarks import http_load
    from benchmarks.query_cost import BM25_APP, SCIFACT, requests_for
    from deploy.beir_eval import iter_corpus_operations, load_dataset
    from deploy.feeder import feed
    from deploy.local_cluster import LocalCluster

    dataset = load_dataset(SCIFACT)
    with tempfile.TemporaryDirectory() as data_dir, LocalCluster(BM25_APP, data_dir, nodes=2) as cluster:
        feed(iter_corpus_operations(dataset), cluster.url, show_progress=False, concurrency=32)
        done = asyncio.run(http_load.run(cluster.url, requests_for(cluster.url, dataset.queries, 1), 1))
    if any(answer.status != 200 for answer in done.answers):
        raise RuntimeError("a query failed")
    return [hashlib.sha256(answer.body).hexdigest() for answer in done.answers]


def side(checkout: Path) -> list[str]:
    from benchmarks.node_query_cost import SCIFACT
    env = {**os.environ, "PYTHONPATH": str(checkout), "SCIFACT_DIR": str(SCIFACT)}
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--answers"], cwd=checkout, env=env,
                          capture_output=True, text=True, check=True, timeout=1200)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline")
    parser.add_argument("--other", default=str(HERE))
    parser.add_argument("--answers", action="store_true", help=argparse.SUPPRESS)  # one side, in its checkout
    args = parser.parse_args()
    if args.answers:
        sys.path[0] = os.getcwd()  # that checkout, not this file's folder
        print(json.dumps(answers()))
        return
    sys.path[0] = str(HERE)
    before, after = side(Path(args.baseline).resolve()), side(Path(args.other).resolve())
    differing = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    print(json.dumps({"baseline": args.baseline, "other": args.other, "queries": len(before),
                      "identical": len(before) - len(differing) if len(before) == len(after) else 0,
                      "differing": differing[:20]}))
    sys.exit(1 if differing or len(before) != len(after) else 0)


if __name__ == "__main__":
    main()
