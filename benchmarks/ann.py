"""nearestNeighbor over HNSW on a 2-node cluster against raw hnswlib in one process, at 384 dimensions.

Data: a fixed-seed Gaussian mixture of unit vectors (CLUSTERS centers; each cluster spreads along
its own random low-rank basis plus a little isotropic noise, so neighbourhoods have a low intrinsic
dimension like real text embeddings); queries are fresh draws from the same mixture. Ground truth:
exact top 10 by numpy brute force (inner product of unit vectors = prenormalized-angular order).

phasedsearch: `benchmarks/apps/ann` (one `tensor<float>(x[384])` attribute, HNSW M=16), 2 content
nodes + container on loopback. Feed: the first --http-feed documents through `/document/v1/`
(durable, --feed-concurrency in flight) to measure the HTTP rate, the rest through the content
nodes' gRPC Put (the same durable write path, placed with the container's distribution function),
--feed-concurrency in flight per node. Queries: `{targetHits:10, hnsw.exploreAdditionalHits:E}
nearestNeighbor(embedding, q)` through `/search/` on --clients keep-alive connections
(benchmarks/http_load.py), one row per E; then `approximate:false` (exact) for reference.

raw hnswlib: one index in this process with the same space, M and ef_construction, built with 2
threads, queried one vector at a time; for each cluster row, the smallest ef whose recall@10 is
at least the cluster's.

    python -m benchmarks.ann [--sizes 100000,1000000] [--queries 1000] [--clients 8]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import hnswlib
import httpx
import numpy as np

from benchmarks import http_load
from benchmarks.report import write_section
from deploy.local_cluster import LocalCluster
from protos import content_node_pb2_grpc as pb_grpc
from searchlib.distribution import node_in_group
from searchlib.docid import global_id
from searchlib.wire.feed_codec import put_request

REPO = Path(__file__).resolve().parents[1]
APP = Path(__file__).resolve().parent / "apps" / "ann"
DIM = 384
K = 10
M = 16
CLUSTERS = 1000
RANK = 24  # intrinsic dimension of each cluster
SEED = 384
NAMESPACE, DOCTYPE = "ann", "vec"
_HIT_ID = re.compile(rb'"id"\s*:\s*"id:[^"]*::(\d+)"')  # a hit's document number, read off the JSON
TRANSPORT_ERRORS: list[str] = []  # connections dropped under the benchmark's HTTP clients (retried)


# -- data ------------------------------------------------------------------------------------------

class Mixture:
    def __init__(self, seed: int = SEED) -> None:
        rng = np.random.default_rng(seed)
        self.centers = rng.normal(size=(CLUSTERS, DIM)).astype(np.float32)
        self.bases = (rng.normal(size=(CLUSTERS, RANK, DIM)) / np.sqrt(RANK) * 0.9).astype(np.float32)

    def sample(self, n: int, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        labels = rng.integers(0, CLUSTERS, n)
        out = rng.normal(scale=0.15, size=(n, DIM)).astype(np.float32)
        order = np.argsort(labels, kind="stable")
        bounds = np.searchsorted(labels[order], np.arange(CLUSTERS + 1))
        for c in range(CLUSTERS):
            rows = order[bounds[c]:bounds[c + 1]]
            z = rng.normal(size=(len(rows), RANK)).astype(np.float32)
            out[rows] += self.centers[c] + z @ self.bases[c]
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out


def exact_top_k(vectors: np.ndarray, queries: np.ndarray, k: int = K) -> np.ndarray:
    """Ids of the k largest inner products per query (ties by id), in chunks of the corpus."""
    best_ids = np.empty((len(queries), 0), dtype=np.int64)
    best_scores = np.empty((len(queries), 0), dtype=np.float32)
    for start in range(0, len(vectors), 50_000):
        scores = queries @ vectors[start:start + 50_000].T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        ids = np.concatenate([best_ids, top + start], axis=1)
        all_scores = np.concatenate([best_scores, np.take_along_axis(scores, top, axis=1)], axis=1)
        order = np.lexsort((ids, -all_scores), axis=1)[:, :k]
        best_ids = np.take_along_axis(ids, order, axis=1)
        best_scores = np.take_along_axis(all_scores, order, axis=1)
    return best_ids


def recall(found: list[list[int]], truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t.tolist())) / K for f, t in zip(found, truth)]))


def vector_literal(vector: np.ndarray) -> str:
    return json.dumps(vector.tolist())


def document_id(i: int) -> str:
    return f"id:{NAMESPACE}:{DOCTYPE}::{i}"


# -- process measurements ---------------------------------------------------------------------------

def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(pids: list[int], limit: float = 1800.0) -> float:
    """Wait until the nodes use under 5% of a core (a background snapshot at the end of the feed
    would otherwise share the cores with the queries); the seconds waited."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        before = [cpu_seconds(p) for p in pids]
        time.sleep(2.0)
        if all(cpu_seconds(p) - b < 0.1 for p, b in zip(pids, before)):
            break
    return time.perf_counter() - started


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(np.array(values), p))


# -- feeding ----------------------------------------------------------------------------------------

async def feed_http(url: str, vectors: np.ndarray, ids: range, concurrency: int) -> float:
    """Put documents `ids` one JSON document per request; returns docs/s."""
    pending = iter(ids)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=120.0, limits=limits) as client:
        async def worker():
            for i in pending:
                body = json.dumps({"fields": {"embedding": vectors[i].tolist()}})
                for attempt in range(5):  # a put is idempotent: resend on a dropped connection
                    try:
                        response = await client.post(f"/document/v1/{NAMESPACE}/{DOCTYPE}/docid/{i}",
                                                     content=body, headers={"Content-Type": "application/json"})
                        break
                    except httpx.TransportError as error:
                        TRANSPORT_ERRORS.append(f"put {i}: {type(error).__name__}")
                        if attempt == 4:
                            raise
                if response.status_code != 200:
                    raise RuntimeError(f"feed of {i} failed: {response.status_code} {response.text[:300]}")
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(ids) / (time.perf_counter() - started)


def feed_grpc(cluster: LocalCluster, vectors: np.ndarray, ids: range, concurrency: int,
              progress_every: int = 100_000) -> float:
    """Put documents `ids` straight to the content node that owns each (as the container places
    them), `concurrency` unary Put calls in flight per node; returns docs/s."""
    keys = sorted(spec.distribution_key for spec in cluster.nodes)
    owner = {key: [] for key in keys}
    for i in ids:
        owner[node_in_group(global_id(document_id(i)), keys)].append(i)
    channels = {key: grpc.insecure_channel(cluster.node(key).address) for key in keys}
    done = [0]
    lock = threading.Lock()
    started = time.perf_counter()

    def put_all(key: int, part: list[int]) -> None:
        stub = pb_grpc.ContentNodeStub(channels[key])
        for i in part:
            reply = stub.Put(put_request(document_id(i), {"embedding": vectors[i].tolist()}), timeout=300)
            if not reply.ok:
                raise RuntimeError(f"Put {i} to node {key} failed: {reply.error.message}")
            with lock:
                done[0] += 1
                if done[0] % progress_every == 0:
                    print(f"  fed {done[0]:,} docs over gRPC, {done[0] / (time.perf_counter() - started):.0f}/s",
                          flush=True)

    with ThreadPoolExecutor(max_workers=concurrency * len(keys)) as pool:
        futures = [pool.submit(put_all, key, owner[key][w::concurrency])
                   for key in keys for w in range(concurrency)]
        for future in futures:
            future.result()
    elapsed = time.perf_counter() - started
    for channel in channels.values():
        channel.close()
    return len(ids) / elapsed


# -- querying ---------------------------------------------------------------------------------------

def run_queries(url: str, queries: np.ndarray, yql: str, clients: int):
    """Every query once through /search/ with `clients` in flight: (found ids, latencies s, QPS, errors)."""
    requests = [http_load.get_request(url, "/search/", {
        "yql": yql, "ranking": "semantic", "hits": str(K), "timeout": "20s",
        "input.query(q)": vector_literal(query)}) for query in queries]
    done = asyncio.run(http_load.run(url, requests, clients))
    TRANSPORT_ERRORS.extend(f"query {n}: connection dropped" for n in done.resent)
    found: list[list[int]] = []
    failed: list[str] = []  # queries answered with an error (their hits, if any, still count)
    for answer in done.answers:
        if answer.status != 200 or b'"errors"' in answer.body:
            failed.append(f"HTTP {answer.status}: {answer.body[:200]!r}")
        found.append([int(i) for i in _HIT_ID.findall(answer.body)])
    if failed:
        print(f"  {len(failed)} of {len(queries)} queries failed, first: {failed[0]}", flush=True)
    return found, done.latencies, done.qps, failed


def nn_yql(explore: int, approximate: bool = True) -> str:
    annotations = f"targetHits:{K}"
    annotations += f", hnsw.exploreAdditionalHits:{explore}" if approximate else ", approximate:false"
    return f"select * from {DOCTYPE} where {{{annotations}}}nearestNeighbor(embedding, q)"


def bench_cluster(vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, args, ef_construction: int,
                  exact: bool) -> dict:
    n = len(vectors)
    with tempfile.TemporaryDirectory(dir=args.data_dir) as work:
        app = Path(work) / "app"
        shutil.copytree(APP, app)
        schema = app / "schemas" / "vec.sd"
        schema.write_text(schema.read_text().replace("neighbors-to-explore-at-insert: 200",
                                                     f"neighbors-to-explore-at-insert: {ef_construction}"))
        try:
            return _bench_cluster(app, Path(work) / "data", vectors, queries, truth, args, exact)
        finally:  # keep the processes' logs
            logs = Path(work) / "data" / "logs"
            if logs.exists():
                shutil.copytree(logs, Path(args.data_dir or tempfile.gettempdir()) / f"ann-logs-{n}",
                                dirs_exist_ok=True)


def _bench_cluster(app: Path, data: Path, vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, args,
                   exact: bool) -> dict:
    n = len(vectors)
    with LocalCluster(app, data, nodes=2, startup_timeout=300) as cluster:
        time.sleep(1.0)
        pids = [cluster.node_pid(k) for k in (0, 1)]
        empty = [rss_bytes(p) for p in pids]
        http_docs = min(args.http_feed, n)
        started = time.perf_counter()
        http_rate = asyncio.run(feed_http(cluster.url, vectors, range(http_docs), args.feed_concurrency))
        print(f"  HTTP feed: {http_docs:,} docs at {http_rate:.0f} docs/s", flush=True)
        grpc_rate = None
        if http_docs < n:
            grpc_rate = feed_grpc(cluster, vectors, range(http_docs, n), args.feed_concurrency)
            print(f"  gRPC feed: {n - http_docs:,} docs at {grpc_rate:.0f} docs/s", flush=True)
        feed_seconds = time.perf_counter() - started
        total = httpx.get(cluster.url + "/search/", params={"yql": f"select * from {DOCTYPE} where true",
                                                              "hits": "0"}, timeout=120).json()
        count = total["root"]["fields"]["totalCount"]
        if count != n:
            raise RuntimeError(f"{count} documents searchable, {n} fed")
        settled = wait_until_idle(pids)
        print(f"  nodes idle {settled:.0f} s after the feed", flush=True)
        time.sleep(5.0)  # let the nodes return freed heap pages (IdleTrimmer)
        fed = [rss_bytes(p) for p in pids]
        run_queries(cluster.url, queries[:50], nn_yql(0), args.clients)  # warm up
        rows = []
        for explore in args.explore:
            found, latencies, qps, failed = run_queries(cluster.url, queries, nn_yql(explore), args.clients)
            rows.append({"explore": explore, "recall": recall(found, truth), "qps": qps, "failed": len(failed),
                         "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000})
            print(f"  cluster explore={explore}: {rows[-1]}", flush=True)
        exact_row = None
        if exact:
            some = min(len(queries), args.exact_queries)
            found, latencies, qps, failed = run_queries(cluster.url, queries[:some],
                                                        nn_yql(0, approximate=False), args.exact_clients)
            exact_row = {"recall": recall(found, truth[:some]), "qps": qps, "queries": some, "failed": len(failed),
                         "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000}
            print(f"  cluster exact: {exact_row}", flush=True)
        queried = [rss_bytes(p) for p in pids]
        disk = sum(f.stat().st_size for f in data.rglob("*") if f.is_file() and "logs" not in f.parts)
    return {"http_docs": http_docs, "http_rate": http_rate, "grpc_rate": grpc_rate, "feed_seconds": feed_seconds,
            "empty_rss": empty, "fed_rss": fed, "queried_rss": queried, "rows": rows, "exact": exact_row,
            "disk": disk, "transport_errors": list(TRANSPORT_ERRORS)}


# -- raw hnswlib ------------------------------------------------------------------------------------

def build_hnswlib(vectors: np.ndarray, ef_construction: int, threads: int) -> tuple[hnswlib.Index, dict]:
    before = rss_bytes(os.getpid())
    started = time.perf_counter()
    index = hnswlib.Index(space="ip", dim=DIM)
    index.init_index(max_elements=len(vectors), M=M, ef_construction=ef_construction, random_seed=100)
    index.add_items(vectors, np.arange(len(vectors)), num_threads=threads)
    return index, {"build_seconds": time.perf_counter() - started, "rss_added": rss_bytes(os.getpid()) - before,
                   "threads": threads, "ef_construction": ef_construction, "n": len(vectors)}


def prebuilt_hnswlib(path: Path, n: int, ef_construction: int, wait: float) -> tuple[hnswlib.Index, dict]:
    """An index saved by `--build-hnswlib` (run concurrently with the cluster part), waiting for it."""
    meta_path = path.with_suffix(".json")
    deadline = time.monotonic() + wait
    while not meta_path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{meta_path} did not appear within {wait:.0f} s")
        time.sleep(5)
    meta = json.loads(meta_path.read_text())
    if (meta["n"], meta["ef_construction"]) != (n, ef_construction):
        raise RuntimeError(f"{path} holds {meta['n']} vectors built with ef_construction "
                           f"{meta['ef_construction']}, not {n} / {ef_construction}")
    index = hnswlib.Index(space="ip", dim=DIM)
    index.load_index(str(path), max_elements=n)
    return index, {**meta, "separate_process": True}


def bench_hnswlib(index: hnswlib.Index, meta: dict, queries: np.ndarray, truth: np.ndarray,
                  targets: list[float]) -> dict:

    def measure(ef: int) -> dict:
        index.set_ef(max(ef, K))
        latencies, found = [], []
        started = time.perf_counter()
        for q in queries:
            t0 = time.perf_counter()
            labels, _ = index.knn_query(q, k=K, num_threads=1)
            latencies.append(time.perf_counter() - t0)
            found.append(labels[0].tolist())
        qps = len(queries) / (time.perf_counter() - started)
        return {"ef": ef, "recall": recall(found, truth), "qps": qps,
                "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000}

    cache: dict[int, dict] = {}

    def at(ef: int) -> dict:
        if ef not in cache:
            cache[ef] = measure(ef)
        return cache[ef]

    matched = []
    for target in targets:
        # smallest ef in [10, 1000] reaching the target recall (recall grows with ef: bisect)
        low, high = K, K
        while at(high)["recall"] < target and high < 1000:
            low, high = high, min(high * 2, 1000)
        while high - low > max(1, low // 20):
            middle = (low + high) // 2
            if at(middle)["recall"] >= target:
                high = middle
            else:
                low = middle + 1
        matched.append(at(high))
        print(f"  hnswlib for recall {target:.4f}: {matched[-1]}", flush=True)
    return {**meta, "matched": matched}


# -- report -----------------------------------------------------------------------------------------

def section(n: int, ours: dict, raw: dict, args, ef_construction: int, seconds: dict) -> str:
    gb = 1e9
    added = [f - e for f, e in zip(ours["fed_rss"], ours["empty_rss"])]
    lines = [
        f"`python -m benchmarks.ann --sizes {n} --queries {args.queries} --clients {args.clients} "
        f"--explore {','.join(map(str, args.explore))} --ef-construction {ef_construction} "
        f"--http-feed {args.http_feed}{' --hnswlib-index PATH' if raw.get('separate_process') else ''}` on {platform.machine()}, {os.cpu_count()} cores shared with other "
        f"work, {time.strftime('%Y-%m-%d')}.",
        "",
        f"{n:,} unit vectors of dimension {DIM} (Gaussian mixture, {CLUSTERS} clusters of intrinsic dimension "
        f"{RANK} plus isotropic noise, seed {SEED}), {len(args.query_vectors)} queries from the same mixture, "
        f"ground truth by numpy brute force ({seconds['truth']:.0f} s). HNSW M={M}, "
        f"ef_construction={ef_construction}, prenormalized-angular (hnswlib space `ip`) on both sides. "
        f"phasedsearch: 2 content nodes + container on loopback, {n // 2:,} documents per node, queries "
        f"through `/search/` on {args.clients} keep-alive connections (`benchmarks/http_load.py`), "
        f"targetHits 10 (so each node searches its graph with ef = 10 + exploreAdditionalHits and the "
        f"container merges 2 × 10). "
        f"raw hnswlib: one index of all {n:,} vectors in one process, one query at a time (1 thread), "
        f"ef chosen as the smallest reaching the cluster's recall.",
        "",
        "| exploreAdditionalHits | phasedsearch recall@10 | QPS | p50 | p99 | hnswlib ef | hnswlib recall@10 | "
        "QPS (1 thread) | p50 | p99 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row, peer in zip(ours["rows"], raw["matched"]):
        lines.append(f"| {row['explore']} | {row['recall']:.4f} | {row['qps']:.0f} | {row['p50_ms']:.1f} ms | "
                     f"{row['p99_ms']:.1f} ms | {peer['ef']} | {peer['recall']:.4f} | {peer['qps']:.0f} | "
                     f"{peer['p50_ms']:.2f} ms | {peer['p99_ms']:.2f} ms |")
    if ours["exact"]:
        e = ours["exact"]
        lines += ["", f"Exact path (`approximate:false`, {e['queries']} queries, {args.exact_clients} clients): "
                      f"recall@10 {e['recall']:.4f}, {e['qps']:.1f} QPS, p50 {e['p50_ms']:.0f} ms, "
                      f"p99 {e['p99_ms']:.0f} ms, {e['failed']} queries failed."]
    if any(row["failed"] for row in ours["rows"]):
        lines += ["", "Failed queries per row: " + ", ".join(f"exploreAdditionalHits {row['explore']}: {row['failed']}"
                                                             for row in ours["rows"])]
    feed = (f"first {ours['http_docs']:,} documents through `/document/v1/` ({args.feed_concurrency} in flight): "
            f"{ours['http_rate']:.0f} docs/s")
    if ours["grpc_rate"] is not None:
        feed += (f"; the remaining {n - ours['http_docs']:,} through the content nodes' gRPC Put "
                 f"({args.feed_concurrency} in flight per node, same durable write path): {ours['grpc_rate']:.0f} docs/s")
    lines += [
        "",
        f"Feed + graph build, phasedsearch: {ours['feed_seconds']:.0f} s in all ({feed}). Every write is "
        f"in the node's WAL (fsync'd) before it is acknowledged and inserted into the node's graph "
        f"with one thread per insert. raw hnswlib build ({raw['threads']} thread(s), in memory"
        + (", in a separate process while the cluster was fed" if raw.get("separate_process") else "")
        + f"): {raw['build_seconds']:.0f} s ({n / raw['build_seconds']:.0f} vectors/s).",
        "",
        "Memory: content-node RSS empty → fed → after the queries: "
        + ", ".join(f"{e / gb:.2f} → {f / gb:.2f} → {q / gb:.2f} GB" for e, f, q in
                    zip(ours["empty_rss"], ours["fed_rss"], ours["queried_rss"]))
        + f"; the data adds {sum(added) / gb:.2f} GB over 2 nodes ({sum(added) / n:.0f} B/doc; the raw "
          f"float32 vectors are {DIM * 4} B/doc). raw hnswlib index: {raw['rss_added'] / gb:.2f} GB "
          f"({raw['rss_added'] / n:.0f} B/vector). Node data on disk (WAL + snapshot + saved graph): "
          f"{ours['disk'] / gb:.2f} GB.",
    ]
    if ours["transport_errors"]:
        lines += ["", f"{len(ours['transport_errors'])} HTTP connections dropped under the benchmark's clients "
                      f"and were retried (first: {ours['transport_errors'][0]})."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--explore", default="0,10,40,190",
                        help="hnsw.exploreAdditionalHits values, one table row each")
    parser.add_argument("--ef-construction", default="200",
                        help="one value, or one per size (comma-separated); same on both sides")
    parser.add_argument("--http-feed", type=int, default=20_000,
                        help="documents fed through HTTP; the rest go through gRPC Put")
    parser.add_argument("--feed-concurrency", type=int, default=32)
    parser.add_argument("--exact-queries", type=int, default=200, help="0 skips the exact path")
    parser.add_argument("--exact-clients", type=int, default=2,
                        help="concurrent clients for the exact path")
    parser.add_argument("--build-threads", type=int, default=2)
    parser.add_argument("--build-hnswlib", metavar="PATH", default=None,
                        help="only build the raw hnswlib index of the (single) size and save it to PATH")
    parser.add_argument("--hnswlib-index", metavar="PATH", default=None,
                        help="use (waiting for) the index another process saved with --build-hnswlib, so "
                             "the raw build can run while the cluster is fed")
    parser.add_argument("--data-dir", default=None, help="where the cluster keeps its data (default: /tmp)")
    parser.add_argument("--no-report", action="store_true", help="print, do not write BENCHMARKS.md")
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so the cluster's context manager stops its processes
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sizes = [int(s) for s in args.sizes.split(",")]
    ef_constructions = [int(s) for s in args.ef_construction.split(",")]
    ef_constructions += [ef_constructions[-1]] * (len(sizes) - len(ef_constructions))
    args.explore = [int(e) for e in args.explore.split(",")]
    mixture = Mixture()
    queries = mixture.sample(args.queries, seed=SEED + 1)
    args.query_vectors = queries
    for index, (n, ef_construction) in enumerate(zip(sizes, ef_constructions)):
        print(f"== {n:,} vectors, ef_construction {ef_construction}", flush=True)
        vectors = mixture.sample(n, seed=SEED + 2)
        started = time.perf_counter()
        truth = exact_top_k(vectors, queries)
        seconds = {"truth": time.perf_counter() - started}
        if args.build_hnswlib:
            graph, meta = build_hnswlib(vectors, ef_construction, args.build_threads)
            path = Path(args.build_hnswlib)
            graph.save_index(str(path))
            path.with_suffix(".json").write_text(json.dumps(meta))
            print(f"  hnswlib built: {meta}", flush=True)
            continue
        ours = bench_cluster(vectors, queries, truth, args, ef_construction, exact=args.exact_queries > 0)
        if args.hnswlib_index:
            del vectors  # the saved index holds its own copy
            graph, meta = prebuilt_hnswlib(Path(args.hnswlib_index), n, ef_construction, wait=4 * 3600)
        else:
            graph, meta = build_hnswlib(vectors, ef_construction, args.build_threads)
        raw = bench_hnswlib(graph, meta, queries, truth, [row["recall"] for row in ours["rows"]])
        del graph
        body = section(n, ours, raw, args, ef_construction, seconds)
        print(body, flush=True)
        if not args.no_report:
            write_section(f"nearestNeighbor at {n:,} vectors (issue 5)", body)
        del truth


if __name__ == "__main__":
    main()
