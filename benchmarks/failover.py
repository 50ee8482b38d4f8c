"""kill -9 one content node of a 2-group cluster under a sustained mixed load, restart it, and
measure: queries failed (HTTP error, errors or partial coverage), acknowledged writes lost (missing
or different in either group after catch-up), time to detect the dead node, time from restart to
back in rotation (replay + catch-up), and query latency (p50/p99) before and during the failure.

    python -m benchmarks.failover [--preload 2000] [--down 10] [--feeders 3] [--queriers 3]
"""
from __future__ import annotations

import argparse
import platform
import re
import shutil
import signal
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from benchmarks.report import write_section
from deploy.local_cluster import LocalCluster
from tests.integration.failover_load import Load, group_documents, nodes_view, p99, wait_for

REPO = Path(__file__).resolve().parents[1]
KILLED = 1


def preload(url: str, count: int) -> None:
    def put(i: int) -> None:
        with httpx.Client(base_url=url, timeout=60.0) as client:
            response = client.post(f"/document/v1/test/doc/docid/pre{i}", json={"fields": {
                "title": f"preloaded {i}", "text": f"failover load preloaded document number {i}"}})
            response.raise_for_status()

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(count)))


class _kept:
    """A data dir left in place afterwards (its logs show where time went)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __enter__(self) -> str:
        shutil.rmtree(self.path, ignore_errors=True)
        return self.path

    def __exit__(self, *exc: object) -> None:
        pass


def measure(args: argparse.Namespace) -> dict:
    with (tempfile.TemporaryDirectory() if not args.keep else _kept(args.keep)) as data_dir, \
            LocalCluster(shutil.copytree(REPO / "schemas", Path(data_dir) / "app"), Path(data_dir) / "cluster",
                         nodes=4, groups=2) as cluster, \
            httpx.Client(base_url=cluster.url, timeout=30.0) as http:
        preload(cluster.url, args.preload)
        with Load(cluster.url, feeders=args.feeders, queriers=args.queriers, seed=3) as load:
            time.sleep(args.before)
            killed_at = time.monotonic()
            cluster.kill_node(KILLED, signal.SIGKILL)
            wait_for(lambda: not nodes_view(http)[KILLED]["up"], 30.0, interval=0.02)
            detect = time.monotonic() - killed_at
            time.sleep(max(args.down - detect, 0.0))
            docs_before_restart = nodes_view(http)[0]["documents"]
            restarted_at = time.monotonic()
            cluster.restart_node(KILLED, wait_healthy=False)
            wait_for(lambda: nodes_view(http)[KILLED]["up"], 120.0, interval=0.05)
            in_rotation = time.monotonic() - restarted_at
            recovered_at = time.monotonic()
            time.sleep(args.after)
        writes, queries = load.writes, load.queries
        caught_up = re.findall(r"caught up from \S+ in ([0-9.]+)s: (\d+) documents fetched",
                               cluster.log_path(f"content-node-{KILLED}").read_text())
        catch_up_seconds, fetched = (float(caught_up[-1][0]), int(caught_up[-1][1])) if caught_up else (0.0, 0)
        expected = {doc: fields for doc, fields in writes.acked.items() if doc not in writes.unknown}
        groups = [group_documents(cluster, g) for g in (0, 1)]
        lost = [doc for doc, fields in expected.items()
                if (fields is not None) != (doc in groups[0]) or (fields is not None) != (doc in groups[1])]
        differing = sum(1 for doc in groups[0].keys() | groups[1].keys()
                        if groups[0].get(doc) != groups[1].get(doc))
    before = [s for started, s in queries.latencies if started < killed_at]
    during = [s for started, s in queries.latencies if killed_at <= started < recovered_at]
    return {
        "queries": len(queries.latencies), "failed": len(queries.failures), "partial": len(queries.degraded),
        "writes": writes.count, "write_failures": len(writes.failures), "lost": len(lost),
        "differing": differing, "detect": detect, "in_rotation": in_rotation,
        "catch_up_docs": fetched, "catch_up_seconds": catch_up_seconds, "docs_per_node": docs_before_restart,
        "p50_before": statistics.median(before) if before else 0.0, "p99_before": p99(before),
        "p50_during": statistics.median(during) if during else 0.0, "p99_during": p99(during),
        "during_count": len(during), "failure_samples": sorted(set(queries.failures))[:5],
    }


def report(args: argparse.Namespace, r: dict) -> str:
    ms = lambda seconds: f"{seconds * 1000:.0f} ms"  # noqa: E731
    return f"""
`python -m benchmarks.failover --preload {args.preload} --down {args.down:g}` on {platform.machine()},
2 cores (shared), {time.strftime('%Y-%m-%d')}. 2 groups x 2 content nodes + container as processes on
loopback; {args.preload} documents preloaded; then {args.feeders} feeding clients (puts, updates,
removes; every write durable in each reachable group before it is acknowledged) and
{args.queriers} querying clients (`text contains ...`, 10 hits) run throughout. After
{args.before:g} s content node {KILLED} (group 0) gets `kill -9`; {args.down:g} s later it is restarted
(same data dir): it replays its own log, catches up from node {KILLED + 2} (same buckets, group 1),
and only then rejoins rotation. Load continues {args.after:g} s after that.

| measure | value |
| --- | --- |
| queries run / failed (HTTP error or `errors`) / partial coverage | {r['queries']} / {r['failed']} / {r['partial']} |
| writes acknowledged or attempted / failed | {r['writes']} / {r['write_failures']} |
| acknowledged writes lost (missing or different in either group) | {r['lost']} |
| documents differing between the two groups after catch-up | {r['differing']} |
| time to detect the dead node (out of rotation) | {ms(r['detect'])} |
| restart → back in rotation (process start, log replay, catch-up) | {ms(r['in_rotation'])} |
| of which catch-up from the replica (list, diff, fetch, apply durably) | {ms(r['catch_up_seconds'])} for {r['catch_up_docs']} documents |
| query latency p50 / p99 before the kill | {ms(r['p50_before'])} / {ms(r['p99_before'])} |
| query latency p50 / p99 from kill to back in rotation ({r['during_count']} queries) | {ms(r['p50_during'])} / {ms(r['p99_during'])} |

Detection: the container pings every node every 0.5 s (1.5 s ping timeout) and also takes a node out
of rotation the moment a query sees it unreachable (that query is retried once on the other
group). The time above is measured by polling `/state/v1/nodes`, which pings on request, so it is
the time until a ping fails: immediate for a killed process (connection refused); a stalled
(SIGSTOP) node needs the ping timeout. Queries never wait for a dead node: a query that hits it
before it is out of rotation is answered by the other group within the same deadline.
Most of the restart time is the process starting (imports, loading the application package) on
the shared machine; the catch-up time is the restarted node's own log line.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preload", type=int, default=2000)
    parser.add_argument("--before", type=float, default=5.0)
    parser.add_argument("--down", type=float, default=10.0)
    parser.add_argument("--after", type=float, default=5.0)
    parser.add_argument("--feeders", type=int, default=3)
    parser.add_argument("--queriers", type=int, default=3)
    parser.add_argument("--keep", metavar="DIR", help="keep the cluster's data and logs in DIR")
    args = parser.parse_args()
    results = measure(args)
    print(results)
    write_section("Failover (issue 7)", report(args, results))


if __name__ == "__main__":
    main()
