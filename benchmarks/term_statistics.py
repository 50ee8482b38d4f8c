"""Cluster-wide term statistics (rank property `vespa.ranking.globalstatistics`): their effect on
nDCG@10 and their cost per query, on scifact and cranfield with 1, 2 and 4 content nodes of the
default package.

Per node count: one cluster, the corpus fed once by `phasedsearch eval`; then `eval --ranking bm25`
with and without `-p ranking.properties.vespa.ranking.globalstatistics=true`; then the same queries
one at a time (one client), the two forms alternating query by query so the machine's drift hits
both alike, client-side latency per query.

    python -m benchmarks.term_statistics [--datasets scifact cranfield] [--nodes 1 2 4] [--no-write]
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.report import write_section
from deploy.beir_eval import eval_query_parameters, load_dataset
from deploy.local_cluster import LocalCluster

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
APP = REPO / "schemas"
OPTION = "ranking.properties.vespa.ranking.globalstatistics"


def ndcg(dataset_dir: Path, url: str, option: bool, feed: bool) -> float:
    command = [sys.executable, "-m", "deploy", "eval", str(dataset_dir), "--ranking", "bm25", "--url", url,
               "--app", str(APP), "--json", "--connections", "4", "--timeout", "60s",
               *([] if feed else ["--no-feed"]), *(["-p", f"{OPTION}=true"] if option else [])]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:
        raise RuntimeError(f"eval failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout)["ndcg@10"]


def latencies(url: str, queries: list[str]) -> dict[bool, list[float]]:
    """Milliseconds per query, with and without the option, alternating which goes first."""
    found: dict[bool, list[float]] = {False: [], True: []}
    with httpx.Client(base_url=url, timeout=60.0) as http:
        for i, text in enumerate(queries):
            for option in ((False, True) if i % 2 else (True, False)):
                params = eval_query_parameters(text, "bm25", "60s", {OPTION: "true"} if option else None, "bm25")
                started = time.perf_counter()
                response = http.get("/search/", params=params)
                found[option].append((time.perf_counter() - started) * 1000.0)
                response.raise_for_status()
    return found


def measure(name: str, nodes: int) -> dict:
    dataset_dir = DATA / name
    queries = list(load_dataset(dataset_dir).queries.values())
    with tempfile.TemporaryDirectory(prefix="termstats-") as data_dir, \
            LocalCluster(APP, Path(data_dir), nodes=nodes) as cluster:
        off = ndcg(dataset_dir, cluster.url, False, feed=True)
        on = ndcg(dataset_dir, cluster.url, True, feed=False)
        latencies(cluster.url, queries[:20])  # warm up
        timed = latencies(cluster.url, queries)
    result = {"dataset": name, "nodes": nodes, "off": off, "on": on,
              "p50_off": statistics.median(timed[False]), "p50_on": statistics.median(timed[True]),
              "mean_off": statistics.fmean(timed[False]), "mean_on": statistics.fmean(timed[True])}
    print(json.dumps(result), file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["scifact", "cranfield"])
    parser.add_argument("--nodes", nargs="+", type=int, default=[1, 2, 4])
    parser.add_argument("--no-write", action="store_true", help="print, do not write BENCHMARKS.md")
    args = parser.parse_args()
    results = [measure(name, nodes) for name in args.datasets for nodes in args.nodes]
    rows = ["| collection | nodes | nDCG@10 per-node statistics | nDCG@10 cluster-wide | p50 ms off / on | mean ms off / on |",
            "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        rows.append(f"| {r['dataset']} | {r['nodes']} | {r['off']:.4f} | {r['on']:.4f} | {r['p50_off']:.1f} / {r['p50_on']:.1f} | "
                    f"{r['mean_off']:.1f} / {r['mean_on']:.1f} |")
    body = f"""`python -m benchmarks.term_statistics --datasets {' '.join(args.datasets)} --nodes {' '.join(map(str, args.nodes))}` on
{platform.machine()}, 2 shared cores, {time.strftime('%Y-%m-%d')}. The default package's `bm25` query
profile through `phasedsearch eval` with and without `-p {OPTION}=true` on the same
cluster; latency: every test query one at a time from one client, the two forms alternating.

""" + "\n".join(rows) + "\n"
    print(body)
    if not args.no_write:
        write_section("Cluster-wide term statistics", body)
    (Path(tempfile.gettempdir()) / "term-statistics-results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
