"""Where a query's CPU goes: BM25 top-10 on scifact through `/search/` of a 2-node cluster, with the
CPU each process spends per query (container, each content node, the load generator; from
/proc/PID/stat around the timed run) next to QPS and latency, at each client count.

    python -m benchmarks.query_cost [--clients 1,8] [--rounds 1] [--profile DIR]

`--profile DIR` runs the cluster's processes under yappi (benchmarks/profiling/sitecustomize.py):
the stats of the timed run only, one pstats file a process, and the top functions printed (profiled
runs are slower; their QPS is not the benchmark's). Prints one JSON object."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import signal
import tempfile
import time
from pathlib import Path


from benchmarks import http_load
from benchmarks.bm25_scifact import BM25_APP, SCIFACT as DEFAULT_SCIFACT
from deploy.beir_eval import iter_corpus_operations, load_dataset, sanitize_query_text
from deploy.feeder import feed
from deploy.local_cluster import LocalCluster

PROFILING = Path(__file__).resolve().parent / "profiling"
SCIFACT = Path(os.environ.get("SCIFACT_DIR", DEFAULT_SCIFACT))  # a baseline checkout elsewhere reads the same data
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def cpu_seconds_exact(pid: int) -> float:
    """The process's CPU time to the nanosecond (each thread's /proc schedstat), where a short
    round would see cpu_seconds' 10 ms ticks."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that ended: its time leaves the sum (rare, alike on both sides)
    return total / 1e9


def requests_for(url: str, queries: dict[str, str], rounds: int) -> list[bytes]:
    return [http_load.get_request(url, "/search/", {
        "yql": "select * from doc where userQuery()", "query": sanitize_query_text(text), "type": "any",
        "ranking": "bm25", "hits": "10", "timeout": "10s"}) for _ in range(rounds) for text in queries.values()]


def measure(cluster: LocalCluster, requests: list[bytes], clients: int) -> dict:
    pids = {"container": cluster.container_pid, "node 0": cluster.node_pid(0), "node 1": cluster.node_pid(1)}
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    own = time.process_time()
    done = asyncio.run(http_load.run(cluster.url, requests, clients))
    load_cpu = time.process_time() - own
    bad = [a.status for a in done.answers if a.status != 200]
    if bad:
        raise RuntimeError(f"{len(bad)} queries failed, e.g. HTTP {bad[0]}")
    n = len(requests)
    cpu = {name: (cpu_seconds(pid) - before[name]) * 1000 / n for name, pid in pids.items()}
    cpu["load generator"] = load_cpu * 1000 / n
    return {"clients": clients, "qps": round(done.qps, 1), "p50_ms": done.latency_ms(50),
            "p99_ms": done.latency_ms(99),
            "cpu_ms_per_query": {k: round(v, 3) for k, v in cpu.items()}}


def top_functions(path: Path, requests: int, limit: int = 25) -> list[str]:
    stats = pstats.Stats(str(path))
    rows = sorted(stats.stats.items(), key=lambda item: item[1][3], reverse=True)[:limit]  # cumulative
    return [f"{ct * 1000 / requests:7.3f} ms cum {tt * 1000 / requests:7.3f} ms own  "
            f"{Path(file).name}:{line} {name}" for (file, line, name), (_, _, tt, ct, _) in rows]


# where a process's profiled CPU goes: (file, function) whose cumulative times add up to a part
# (chosen not to nest within one part); "the rest" is what the parts leave of the process's total
CONTAINER_PARTS = {
    "query parsing (parameters, YQL) and validation": [("query.py", "build_query"), ("query.py", "query_from"),
                                                        ("phases.py", "plan")],
    "gRPC client calls (grpc.aio)": [("content_client.py", "GrpcContentNodeClient._call")],
    "protobuf encode of requests": [("search_codec.py", "encode_search_call"), ("search_codec.py", "encode_docsum_call")],
    "protobuf decode of replies (hits, summaries)": [("search_codec.py", "decode_search_answer"),
                                                     ("search_codec.py", "decode_docsums"),
                                                     ("search_codec.py", "EncodedDocsum.value")],
    "JSON rendering": [("rendering.py", "render_result_json"), ("rendering.py", "render_json"),
                       ("responses.py", "JSONResponse.render")],
}
NODE_PARTS = {
    "decode request": [("search_codec.py", "decode_search_call"), ("search_codec.py", "decode_docsum_call")],
    "top k of an OR of words (bm25 over the posting lists; MaxScore past 64k postings)": [("matcher.py", "_bm25_shortcut")],
    "match (posting lists, unions)": [("match_sets.py", "MatchEvaluator.matches")],
    "first phase (bm25)": [("soft_timeout.py", "first_phase")],
    "summaries (document store, JSON)": [("docsums.py", "fill")],
    "encode reply": [("search_codec.py", "encode_search_answer"), ("search_codec.py", "encode_docsums")],
}
NODE_RPCS = [("service.py", "ContentNodeService.Search"), ("service.py", "ContentNodeService.GetDocsums"),
             ("service.py", "ContentNodeService.Ping")]


def _cumulative(stats: pstats.Stats, functions) -> float:
    wanted = set(functions)
    return sum(ct for (file, _, name), (_, _, _, ct, _) in stats.stats.items() if (Path(file).name, name) in wanted)


def breakdown(path: Path, cpu_ms: float, parts: dict, node: bool) -> dict[str, float]:
    """The process's measured CPU per query (`cpu_ms`, without the profiler) split in the
    proportions of its profile."""
    stats = pstats.Stats(str(path))
    total = sum(tt for (_, _, tt, _, _) in stats.stats.values())
    shares = {name: _cumulative(stats, functions) for name, functions in parts.items()}
    if node:
        rpcs = _cumulative(stats, NODE_RPCS)
        shares = {"gRPC server (threads, C-core to Python)": total - rpcs, **shares,
                  "rest of the search (top-k, hits, read views)": rpcs - sum(shares.values())}
    else:
        shares["HTTP server, middleware, event loop, scatter/gather, merge"] = total - sum(shares.values())
    return {name: round(cpu_ms * share / total, 3) for name, share in shares.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--profile", default="", help="directory for the processes' yappi stats")
    args = parser.parse_args()
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        os.environ["PHASEDSEARCH_YAPPI_DIR"] = str(Path(args.profile).resolve())
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROFILING), os.environ.get("PYTHONPATH", "")]))
    dataset = load_dataset(SCIFACT)
    results = []
    with tempfile.TemporaryDirectory() as data_dir, LocalCluster(BM25_APP, data_dir, nodes=2) as cluster:
        stats = feed(iter_corpus_operations(dataset), cluster.url, show_progress=False, concurrency=32)
        assert stats.failures == [] or not stats.failures, stats.failures[:3]
        warm = requests_for(cluster.url, dict(list(dataset.queries.items())[:50]), 1)
        asyncio.run(http_load.run(cluster.url, warm, 4))
        pids = [cluster.container_pid, cluster.node_pid(0), cluster.node_pid(1)]
        for clients in (int(c) for c in args.clients.split(",")):
            requests = requests_for(cluster.url, dataset.queries, args.rounds)
            if args.profile:  # first without the profiler: the CPU the parts divide
                unprofiled = measure(cluster, requests, clients)["cpu_ms_per_query"]
                for pid in pids:
                    os.kill(pid, signal.SIGUSR1)
                time.sleep(0.5)
            result = measure(cluster, requests, clients)
            if args.profile:
                for pid in pids:
                    os.kill(pid, signal.SIGUSR2)
                time.sleep(3.0)
                names = ["container", "node 0", "node 1"]
                files = [Path(args.profile) / f"{pid}.pstats" for pid in pids]
                result["profile"] = {name: top_functions(path, len(requests)) for name, path in zip(names, files)}
                result["parts"] = {name: breakdown(path, unprofiled[name], CONTAINER_PARTS if i == 0 else NODE_PARTS, i > 0)
                                   for i, (name, path) in enumerate(zip(names, files))}
            results.append(result)
    print(json.dumps({"checkout": str(Path(__file__).resolve().parents[1]), "runs": results}, indent=1))


if __name__ == "__main__":
    main()
