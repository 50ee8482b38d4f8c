"""HTTP/1.1 and cleartext HTTP/2 on the container's port: what each server choice costs per query,
and `vespa feed` (HTTP/2, many documents in flight on one connection) next to the project's own
feeder (HTTP/1.1, one connection per request in flight), on scifact with 2 content nodes.

    python -m benchmarks.http_protocols [--clients 8] [--rounds 2]

The query half runs the same fed data under three container settings, one after the other:
httptools alone (HTTP/1.1 only, the container before HTTP/2), `h1+h2c` (the default: httptools for
HTTP/1.1, zttp for connections that open with the HTTP/2 preface) and zttp for both.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

from benchmarks.bm25_scifact import SCIFACT, percentile, run_queries
from benchmarks.report import write_section
from deploy.beir_eval import iter_corpus_operations, load_dataset
from deploy.feeder import feed
from deploy.local_cluster import ClusterCommands, LocalCluster

REPO = Path(__file__).resolve().parents[1]
PROTOCOLS = ("httptools", "h1+h2c", "zttp")


def commands(protocol: str) -> ClusterCommands:
    return ClusterCommands(container=(sys.executable, "-m", "container", "--http", protocol))


def vespa_feed(url: str, feed_file: Path) -> tuple[float, dict]:
    vespa = shutil.which("vespa")
    if vespa is None:
        raise SystemExit("the vespa CLI is needed: pip install vespacli")
    started = time.perf_counter()
    done = subprocess.run([vespa, "feed", "-t", url, str(feed_file)], capture_output=True, text=True,
                          check=True, env={**os.environ, "VESPA_CLI_HOME": tempfile.mkdtemp()})
    return time.perf_counter() - started, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--documents", type=int, default=0, help="feed the first N scifact documents (0: all)")
    args = parser.parse_args()
    dataset = load_dataset(SCIFACT)
    operations = list(iter_corpus_operations(dataset))[:args.documents or None]
    rows, feeds = [], []
    with tempfile.TemporaryDirectory() as work:
        feed_file = Path(work) / "scifact.jsonl"
        with open(SCIFACT / "corpus.jsonl") as corpus, open(feed_file, "w") as out:
            for line in islice(corpus, len(operations)):
                raw = json.loads(line)
                out.write(json.dumps({"put": f"id:scifact:doc::{raw['_id']}",
                                      "fields": {"title": raw["title"], "text": raw["text"]}}) + "\n")
        with LocalCluster(REPO / "schemas", Path(work) / "cli", nodes=2) as cluster:
            seconds, stats = vespa_feed(cluster.url, feed_file)
            assert stats["feeder.ok.count"] == len(operations), stats
            feeds.append(("`vespa feed` (HTTP/2, gzip bodies)", len(operations) / seconds))
        data_dir = Path(work) / "own"
        with LocalCluster(REPO / "schemas", data_dir, nodes=2) as cluster:
            started = time.perf_counter()
            own = feed(iter(operations), cluster.url, show_progress=False, concurrency=32)
            assert own.ok == len(operations), own.failures[:3]
            feeds.append(("`phasedsearch feed` (HTTP/1.1, 32 in flight)", own.ok / (time.perf_counter() - started)))
        for protocol in PROTOCOLS:  # the same fed data, served by each HTTP implementation
            with LocalCluster(REPO / "schemas", data_dir, nodes=2, commands=commands(protocol)) as cluster:
                run_queries(cluster.url, dict(list(dataset.queries.items())[:40]), args.clients, 1)  # warm
                one, _, _ = run_queries(cluster.url, dict(list(dataset.queries.items())[:100]), 1, 1)
                many, qps, _ = run_queries(cluster.url, dataset.queries, args.clients, args.rounds)
                rows.append((protocol, percentile(one, 50) * 1000, qps, percentile(many, 50) * 1000,
                             percentile(many, 99) * 1000))
    table = [f"| container HTTP | p50, 1 client | QPS, {args.clients} clients | p50 / p99, {args.clients} clients |",
             "| --- | --- | --- | --- |"]
    table += [f"| {name} | {p50_one:.1f} ms | {qps:.0f} | {p50:.1f} / {p99:.1f} ms |"
              for name, p50_one, qps, p50, p99 in rows]
    feed_table = ["| client | documents/s |", "| --- | --- |"]
    feed_table += [f"| {name} | {rate:.0f} |" for name, rate in feeds]
    body = (f"BM25 top-10 queries (scifact, {len(dataset.queries)} queries × {args.rounds}, default "
            f"package, 2 nodes, HTTP/1.1 load generator `benchmarks/http_load.py`), run by "
            f"`python -m benchmarks.http_protocols` on {time.strftime('%Y-%m-%d')}:\n\n"
            + "\n".join(table) + f"\n\nFeeding {len(operations)} scifact documents (durable, "
            f"2 nodes, default package):\n\n" + "\n".join(feed_table))
    write_section("HTTP/2 and HTTP/1.1 on one port", body)
    print(body)


if __name__ == "__main__":
    main()
