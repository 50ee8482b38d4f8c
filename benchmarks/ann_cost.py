"""Where a nearestNeighbor query's CPU goes, next to raw hnswlib at equal recall, in one run.

The data and queries of benchmarks/ann.py (384-d Gaussian mixture, HNSW M=16, ef_construction 200)
on a 2-node cluster; `{targetHits:10, hnsw.exploreAdditionalHits:E} nearestNeighbor(embedding, q)`
through `/search/` (benchmarks/http_load.py) at each client count, with the CPU each process spends
per query (container, each content node, the load generator; /proc/PID/stat around the timed run)
and recall@10 against numpy brute force. Then raw hnswlib (one index of all vectors, one thread,
one query at a time) at the smallest ef reaching each row's recall, on the same queries.

`--data DIR` keeps the cluster's data (and the raw hnswlib index) between runs: the nodes snapshot
their documents and graphs when they stop, so a second run (another checkout, say) starts in
seconds instead of feeding again. `--profile DIR` adds a yappi profile of each process (see
benchmarks/query_cost.py; profiled runs are slower, their QPS is not the benchmark's).

    python -m benchmarks.ann_cost [--size 100000] [--queries 300] [--clients 1,8] [--data DIR]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import tempfile
import time
from pathlib import Path

import hnswlib
import httpx
import numpy as np

from benchmarks import http_load, spy_profile
from benchmarks.ann import (APP, DIM, DOCTYPE, K, SEED, _HIT_ID, Mixture, bench_hnswlib, build_hnswlib,
                            exact_top_k, feed_grpc, nn_yql, recall, vector_literal, wait_until_idle)
from benchmarks.query_cost import PROFILING, breakdown, cpu_seconds, top_functions
from deploy.local_cluster import LocalCluster

CONTAINER_PARTS = {
    "query parsing (parameters, YQL, query tensor)": [("query.py", "build_query"), ("query.py", "query_from"),
                                                      ("phases.py", "plan")],
    "gRPC client calls (grpc.aio)": [("content_client.py", "GrpcContentNodeClient._call")],
    "protobuf encode of requests": [("search_codec.py", "encode_search_call"),
                                    ("search_codec.py", "encode_docsum_call")],
    "protobuf decode of replies (hits, summaries)": [("search_codec.py", "decode_search_answer"),
                                                     ("search_codec.py", "decode_docsums"),
                                                     ("search_codec.py", "EncodedDocsum.value")],
    "JSON rendering": [("rendering.py", "render_result"), ("responses.py", "JSONResponse.render")],
}
NODE_PARTS = {
    "decode request (query tensor)": [("search_codec.py", "decode_search_call"),
                                      ("search_codec.py", "decode_docsum_call")],
    "HNSW search (nearest_neighbors)": [("nearest_neighbor.py", "nearest_neighbors")],
    "rank features (closeness)": [("retrieval_features.py", "closeness"), ("retrieval_features.py", "distance")],
    "summaries (document store, JSON)": [("docsums.py", "fill")],
    "encode reply": [("search_codec.py", "encode_search_answer"), ("search_codec.py", "encode_docsums")],
}

# py-spy parts, in order: a sample counts for the first part with one of its functions on the stack
CONTAINER_SPY = {
    "event loop waiting (epoll)": [("EpollSelector.select", "selectors.py")],
    "query string decoding (urllib)": [("parse_qsl", "parse.py")],
    "query tensor literal": [("parse_query_features", "rank_values.py")],
    "YQL and query build": [("build_query_in_time", "query.py"), ("build_query", "query.py")],
    "protobuf encode of the request": [("encode_search_call", "search_codec.py")],
    "protobuf decode of replies": [("decode_search_answer", "search_codec.py"),
                                   ("EncodedDocsum.value", "search_codec.py")],
    "gRPC client (grpc.aio)": [("UnaryUnaryCall._invoke", "_call.py"), ("GrpcContentNodeClient._call", "content_client.py")],
    "JSON rendering": [("render_result", "rendering.py"), ("JSONResponse.render", "responses.py")],
}
NODE_SPY = {
    "waiting (Condition.wait)": [("Condition.wait", "threading.py")],
    "decode request (query tensor)": [("decode_search_call", "search_codec.py")],
    "HNSW search (nearest_neighbors)": [("nearest_neighbors", "nearest_neighbor.py")],
    "ranking (closeness)": [("RankProgram.evaluate", "rank_program.py")],
    "summaries with the hits": [("ContentNodeService._summaries", "service.py")],
    "encode reply": [("encode_search_answer", "search_codec.py")],
    "rest of Search (setup, top-k, hits)": [("ContentNodeService.Search", "service.py")],
}


def requests_for(url: str, queries: np.ndarray, explore: int) -> list[bytes]:
    return [http_load.get_request(url, "/search/", {
        "yql": nn_yql(explore), "ranking": "semantic", "hits": str(K), "timeout": "20s",
        "input.query(q)": vector_literal(query)}) for query in queries]


def measure(cluster: LocalCluster, requests: list[bytes], clients: int, truth: np.ndarray) -> dict:
    pids = {"container": cluster.container_pid, "node 0": cluster.node_pid(0), "node 1": cluster.node_pid(1)}
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    own = time.process_time()
    done = asyncio.run(http_load.run(cluster.url, requests, clients))
    load_cpu = time.process_time() - own
    bad = [a for a in done.answers if a.status != 200 or b'"errors"' in a.body]
    if bad:
        raise RuntimeError(f"{len(bad)} queries failed, e.g. HTTP {bad[0].status}: {bad[0].body[:300]!r}")
    n = len(requests)
    cpu = {name: (cpu_seconds(pid) - before[name]) * 1000 / n for name, pid in pids.items()}
    cpu["load generator"] = load_cpu * 1000 / n
    found = [[int(i) for i in _HIT_ID.findall(a.body)] for a in done.answers]
    return {"clients": clients, "recall": round(recall(found, truth), 4), "qps": round(done.qps, 1),
            "p50_ms": done.latency_ms(50),
            "p99_ms": done.latency_ms(99),
            "cpu_ms_per_query": {k: round(v, 3) for k, v in cpu.items()}}


def spy(cluster: LocalCluster, requests: list[bytes], clients: int, out: Path, tag: str,
        seconds: float = 20.0) -> dict:
    """py-spy profiles of every process (the load generator too) over `seconds` of this load."""
    out.mkdir(parents=True, exist_ok=True)
    pids = {"container": cluster.container_pid, "node 0": cluster.node_pid(0), "node 1": cluster.node_pid(1),
            "load generator": os.getpid()}
    files = {name: out / f"{tag}-{name.replace(' ', '')}.txt" for name in pids}
    recorders = [spy_profile.start(pid, files[name], seconds) for name, pid in pids.items()]
    started = time.monotonic()
    while time.monotonic() - started < seconds + 1:
        asyncio.run(http_load.run(cluster.url, requests, clients))
    for recorder in recorders:
        recorder.wait()
    report = {}
    for name, path in files.items():
        stacks = spy_profile.read_stacks(path)
        parts = CONTAINER_SPY if name == "container" else NODE_SPY if name.startswith("node") else {}
        report[name] = {"samples": sum(stacks.values()),
                        "parts": {k: round(v, 3) for k, v in spy_profile.split(stacks, parts).items()},
                        "top": [f"{i:6.1%} incl {o:6.1%} own  {f}" for i, o, f in spy_profile.top(stacks, 45)]}
    return report


def median_round(rounds: list[dict]) -> dict:
    """The round with the median QPS (others on the machine make single rounds noisy)."""
    return sorted(rounds, key=lambda r: r["qps"])[len(rounds) // 2]


def hnswlib_round(graph: hnswlib.Index, ef: int, queries: np.ndarray) -> dict:
    """Every query once, one at a time on one thread: QPS and CPU per query."""
    graph.set_ef(max(ef, K))
    started, own = time.perf_counter(), time.process_time()
    for query in queries:
        graph.knn_query(query, k=K, num_threads=1)
    return {"qps": len(queries) / (time.perf_counter() - started),
            "cpu_ms_per_query": round((time.process_time() - own) * 1000 / len(queries), 4)}


def fill(cluster: LocalCluster, vectors: np.ndarray) -> int:
    """Feed what the cluster does not hold yet (gRPC Put, as benchmarks/ann.py); the count before."""
    answer = httpx.get(cluster.url + "/search/", params={"yql": f"select * from {DOCTYPE} where true",
                                                          "hits": "0"}, timeout=120).json()
    count = answer["root"]["fields"]["totalCount"]
    if count < len(vectors):
        rate = feed_grpc(cluster, vectors, range(count, len(vectors)), 32)
        print(f"  fed {len(vectors) - count:,} documents at {rate:.0f}/s", flush=True)
    return count


def raw_index(vectors: np.ndarray, path: Path | None) -> tuple[hnswlib.Index, dict]:
    if path is not None and path.exists():
        index = hnswlib.Index(space="ip", dim=DIM)
        index.load_index(str(path), max_elements=len(vectors))
        return index, json.loads(path.with_suffix(".json").read_text())
    index, meta = build_hnswlib(vectors, 200, 2)
    if path is not None:
        index.save_index(str(path))
        path.with_suffix(".json").write_text(json.dumps(meta))
    return index, meta


def run(args, data: Path) -> dict:
    mixture = Mixture()
    queries = mixture.sample(args.queries, seed=SEED + 1)
    vectors = mixture.sample(args.size, seed=SEED + 2)
    truth = exact_top_k(vectors, queries)
    results = []
    with LocalCluster(APP, data / "cluster", nodes=2, startup_timeout=900, stop_grace=900) as cluster:
        fill(cluster, vectors)
        pids = [cluster.container_pid, cluster.node_pid(0), cluster.node_pid(1)]
        wait_until_idle(pids[1:])
        asyncio.run(http_load.run(cluster.url, requests_for(cluster.url, queries[:50], 0), 4))  # warm up
        for explore in args.explore:
            requests = requests_for(cluster.url, queries, explore)
            for clients in args.clients:
                if args.profile:
                    unprofiled = measure(cluster, requests, clients, truth)["cpu_ms_per_query"]
                    for pid in pids:
                        os.kill(pid, signal.SIGUSR1)
                    time.sleep(0.5)
                rounds = [measure(cluster, requests, clients, truth) for _ in range(args.rounds)]
                result = {"explore": explore, **median_round(rounds), "rounds_qps": [r["qps"] for r in rounds]}
                if args.profile:
                    for pid in pids:
                        os.kill(pid, signal.SIGUSR2)
                    time.sleep(3.0)
                    names = ["container", "node 0", "node 1"]
                    files = [Path(args.profile) / f"{pid}.pstats" for pid in pids]
                    result["profile"] = {name: top_functions(path, len(requests), 40)
                                         for name, path in zip(names, files)}
                    result["parts"] = {
                        name: breakdown(path, unprofiled[name], CONTAINER_PARTS if i == 0 else NODE_PARTS, i > 0)
                        for i, (name, path) in enumerate(zip(names, files))}
                if args.spy:
                    result["spy"] = spy(cluster, requests, clients, Path(args.spy), f"e{explore}-c{clients}")
                print(json.dumps({k: v for k, v in result.items() if k not in ("profile", "spy")}), flush=True)
                results.append(result)
    graph, meta = raw_index(vectors, data / "hnswlib.bin")
    targets = sorted({r["recall"] for r in results})
    raw = bench_hnswlib(graph, meta, queries, truth, targets)
    by_recall = {}
    for target, peer in zip(targets, raw["matched"]):
        rounds = [hnswlib_round(graph, peer["ef"], queries) for _ in range(args.rounds)]
        by_recall[target] = {**peer, **median_round(rounds), "rounds_qps": [r["qps"] for r in rounds]}
    for result in results:
        peer = by_recall[result["recall"]]
        result["hnswlib"] = {k: round(peer[k], 4) for k in ("ef", "recall", "qps", "cpu_ms_per_query")}
        result["hnswlib"]["rounds_qps"] = peer["rounds_qps"]
        result["ratio"] = round(result["qps"] / peer["qps"], 4)
        # CPU-bound: what the cluster's CPU per query allows on 2 cores vs hnswlib's on 1 thread
        result["cpu_ratio"] = round(2 * peer["cpu_ms_per_query"] / sum(result["cpu_ms_per_query"].values()), 4)
    return {"checkout": str(Path(__file__).resolve().parents[1]), "size": args.size, "queries": args.queries,
            "runs": results}


WAITING = ("event loop waiting (epoll)", "waiting (Condition.wait)")


def load_output(path: Path) -> dict:
    """The JSON this script printed last in a log file."""
    text = path.read_text()
    return json.loads(text[text.rindex("\n{\n") + 1:])


def parts_ms(run: dict) -> dict[str, dict[str, float]]:
    """Each process's measured CPU per query split by its py-spy parts (waiting samples left out)."""
    out = {}
    for name, profile in run.get("spy", {}).items():
        if name == "load generator":
            continue
        busy = 1.0 - sum(profile["parts"].get(w, 0.0) for w in WAITING)
        cpu = run["cpu_ms_per_query"][name]
        out[name] = {part: cpu * share / busy for part, share in profile["parts"].items() if part not in WAITING}
    return out


def compare(before_logs: list[Path], after_logs: list[Path]) -> str:
    """Markdown tables: where the CPU of an 8-client query goes, and the runs side by side."""
    sides = [[load_output(p) for p in logs] for logs in (before_logs, after_logs)]
    runs = [[r for out in side for r in out["runs"] if r["clients"] == 8] for side in sides]
    lines = ["| process | part | before | after |", "| --- | --- | --- | --- |"]
    mean = lambda values: sum(values) / len(values)  # noqa: E731
    split = [[parts_ms(r) for r in side] for side in runs]
    for process in ("container", "node 0", "node 1"):
        names = list(split[0][0][process])
        for i, part in enumerate(names):
            cells = [mean([s[process][part] for s in side]) for side in split]
            lines.append(f"| {process if i == 0 else ''} | {part} | {cells[0]:.2f} | {cells[1]:.2f} |")
        totals = [mean([r["cpu_ms_per_query"][process] for r in side]) for side in runs]
        lines.append(f"| | **{process} total** | **{totals[0]:.2f}** | **{totals[1]:.2f}** |")
    loads = [mean([r["cpu_ms_per_query"]["load generator"] for r in side]) for side in runs]
    lines.append(f"| load generator | `benchmarks/http_load.py` | {loads[0]:.2f} | {loads[1]:.2f} |")
    lines += ["", "| run | clients | recall@10 | QPS (rounds) | p50 | CPU ms/query (all 4 processes) | "
                  "hnswlib ef | recall@10 | QPS (rounds) | CPU ms/query | QPS ratio | CPU ratio |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for label, side in zip(("before", "after"), sides):
        for n, out in enumerate(side, 1):
            for r in out["runs"]:
                h = r["hnswlib"]
                lines.append(
                    f"| {label} {n} | {r['clients']} | {r['recall']:.4f} | {r['qps']:.0f} "
                    f"({', '.join(f'{q:.0f}' for q in r['rounds_qps'])}) | {r['p50_ms']:.1f} ms | "
                    f"{sum(r['cpu_ms_per_query'].values()):.2f} | {h['ef']} | {h['recall']:.4f} | {h['qps']:.0f} "
                    f"({', '.join(f'{q:.0f}' for q in h['rounds_qps'])}) | {h['cpu_ms_per_query']:.3f} | "
                    f"{r['ratio']:.3f} | {r['cpu_ratio']:.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--explore", default="0")
    parser.add_argument("--data", default="", help="directory kept between runs (default: a temporary one)")
    parser.add_argument("--profile", default="", help="directory for the processes' yappi stats")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per row (the median is kept), both sides")
    parser.add_argument("--spy", default="", help="directory for py-spy profiles of every process")
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE_LOGS", "AFTER_LOGS"), default=None,
                        help="comma-separated logs of earlier runs: print markdown tables comparing them")
    args = parser.parse_args()
    if args.compare:
        print(compare(*[[Path(p) for p in logs.split(",")] for logs in args.compare]))
        return
    args.clients = [int(c) for c in args.clients.split(",")]
    args.explore = [int(e) for e in args.explore.split(",")]
    signal.signal(signal.SIGTERM, lambda *_: exit(143))  # unwind, so the cluster stops (and snapshots)
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        os.environ["PHASEDSEARCH_YAPPI_DIR"] = str(Path(args.profile).resolve())
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROFILING), os.environ.get("PYTHONPATH", "")]))
    if args.data:
        Path(args.data).mkdir(parents=True, exist_ok=True)
        out = run(args, Path(args.data))
    else:
        with tempfile.TemporaryDirectory() as data:
            out = run(args, Path(data))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
