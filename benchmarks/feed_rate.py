"""Feed throughput through `/document/v1/` of a 2-node cluster (every write fsync'd before it is
acknowledged), with the CPU each process spends per document (container, each content node, the
feed client; /proc/PID/stat around the timed feed), next to the peers' in-memory indexing of the
same corpus in the same run: bm25s and tantivy for scifact, hnswlib `add_items` for vectors.

    python -m benchmarks.feed_rate [--corpus scifact|vectors] [--documents N] [--in-flight 64]
                                   [--client lean|feeder] [--profile DIR] [--write]

`--client lean`: benchmarks/http_load.py (HTTP/1.1, one request in flight per connection, requests
encoded up front; a C load generator's share of the CPU); `feeder`: `phasedsearch feed`'s
deploy/feeder.py (keep-alive asyncio connections, deploy/feed_http.py; httpx before `feedclient`). `--profile DIR` runs the cluster's processes under yappi
(benchmarks/profiling) and prints each one's top functions; `--spy DIR` samples the container and
nodes with py-spy instead (no instrumentation) and splits each one's CPU a document into parts.
Prints one JSON object."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import pstats
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import http_load, spy_profile
from benchmarks.bm25_scifact import BM25_APP, SCIFACT
from benchmarks.query_cost import PROFILING, _cumulative, cpu_seconds, top_functions
from benchmarks.report import write_section
from deploy.beir_eval import iter_corpus_operations, load_dataset
from deploy.feed_format import FeedOperation
from deploy.feeder import feed
from deploy.local_cluster import LocalCluster

ANN_APP = Path(__file__).resolve().parent / "apps" / "ann"
DIMENSIONS = 384


def scifact_operations(documents: int) -> list[FeedOperation]:
    """scifact's corpus, repeated under new ids up to `documents` (0: once)."""
    base = [op for op in iter_corpus_operations(load_dataset(SCIFACT)) if isinstance(op, FeedOperation)]
    wanted = documents or len(base)
    out = []
    for n in range(wanted):
        op = base[n % len(base)]
        copy = n // len(base)
        out.append(op if not copy else FeedOperation(
            op.kind, op.document_id.replace("::", f"::{copy}-", 1), op.fields, source_line=op.source_line))
    return out


def vector_operations(documents: int) -> list[FeedOperation]:
    rng = np.random.default_rng(1234)
    vectors = rng.standard_normal((documents, DIMENSIONS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [FeedOperation("put", f"id:vec:vec::{i}", {"embedding": [round(float(x), 6) for x in row]}, source_line=i + 1)
            for i, row in enumerate(vectors)]


def peers(operations: list[FeedOperation], corpus: str) -> dict[str, float]:
    """Documents/s of the in-process peers indexing the same corpus (one thread unless said)."""
    if corpus == "vectors":
        import hnswlib

        data = np.array([op.fields["embedding"] for op in operations], dtype=np.float32)
        index = hnswlib.Index(space="ip", dim=DIMENSIONS)
        index.init_index(max_elements=len(data), M=16, ef_construction=200)
        started = time.perf_counter()
        index.add_items(data, np.arange(len(data)), num_threads=2)
        return {"hnswlib add_items (2 threads)": len(data) / (time.perf_counter() - started)}
    import bm25s
    import Stemmer
    import tantivy

    texts = [f"{op.fields.get('title', '')} {op.fields.get('text', '')}" for op in operations]
    stemmer = Stemmer.Stemmer("english")
    started = time.perf_counter()
    bm25s.BM25(k1=1.2, b=0.75).index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False),
                                     show_progress=False)
    rates = {"bm25s index": len(texts) / (time.perf_counter() - started)}
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=False, tokenizer_name="en_stem")
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    with tempfile.TemporaryDirectory() as directory:
        index = tantivy.Index(builder.build(), path=directory)
        started = time.perf_counter()
        writer = index.writer(heap_size=200_000_000, num_threads=1)
        for op, text in zip(operations, texts):
            writer.add_document(tantivy.Document(id=op.document_id, body=text))
        writer.commit()
        rates["tantivy index + commit (1 thread)"] = len(texts) / (time.perf_counter() - started)
    return rates


# where a process's profiled CPU goes: (file, function) whose cumulative times make up a part
CONTAINER_PARTS = {
    "request JSON parse": [("document_handler.py", "_json_object"), ("document_handler.py", "_read_json_object")],
    "document checks (docproc, schema validation)": [("processor.py", "DocumentProcessor.put")],
    "operation → protobuf (fields JSON)": [("feed_codec.py", "put_request")],
    "gRPC client (unary Put / Feed batches)": [("content_client.py", "GrpcContentNodeClient._call")],
}
NODE_PARTS = {
    "request JSON parse + schema validation": [("node.py", "_json_object"), ("documents.py", "validate_document")],
    "tokenizing (normalize, detect language, stem)": [("inverted_index.py", "FieldIndex._words"),
                                                       ("linguistics.py", "stems_uncached")],
    "WAL append + waiting for its sync": [("wal.py", "WriteAheadLog.append"), ("wal.py", "WriteAheadLog.sync")],
    "document store (JSON encode, zlib)": [("document_store.py", "DocumentStore.store"),
                                           ("document_store.py", "encode_fields")],
}
# py-spy parts (--spy), in order: a sample counts for the first part with one of its functions on its stack
CONTAINER_SPY = {
    "cyclic garbage collector": [("gc_collect_main", "libpython3.11.so.1.0")],
    "HTTP response write (uvicorn send, socket write)": [("RequestResponseCycle.send", "httptools_impl.py")],
    "gRPC client (Feed calls: grpc.aio, protobuf)": [("UnaryUnaryCall._invoke", "_call.py"),
                                                     ("FeedBatcher._run", "feed_batcher.py")],
    "HTTP request read (httptools callbacks, body read, JSON parse)": [
        ("HttpToolsProtocol.data_received", "httptools_impl.py"), ("read_body", "limits.py"),
        ("_json_object", "document_handler.py")],
    "document checks (docproc, schema)": [("DocumentProcessor.put", "processor.py")],
    "write fan-out (turn, owners, write watch, batcher, response object)": [("DocumentHandler._write", "document_handler.py")],
    "front and handler (route match, auth, metrics, timeout parameter)": [("DocumentFront.__call__", "document_front.py")],
}
NODE_SPY = {
    "tokenizing (split, normalize, language detection)": [("FieldIndex._words", "inverted_index.py")],
    "term ids (word → id map, stemming new words, term dictionary)": [("FieldIndex._term_ids_of", "inverted_index.py")],
    "posting segment merges (freeze)": [("FieldIndex.freeze", "inverted_index.py")],
    "batch postings (sort, counts, append)": [("FieldIndex.flush", "inverted_index.py")],
    "document store (JSON encode, zlib)": [("DocumentStore.store", "document_store.py"),
                                           ("encode_fields", "document_store.py")],
    "WAL append, fsync wait": [("WriteAheadLog.append", "wal.py"), ("WriteAheadLog.sync", "wal.py")],
    "fields JSON parse, schema validation": [("_json_object", "node.py"), ("validate_document", "documents.py")],
    "rest of the write (attributes, timestamps, ids, locks)": [("apply_batch", "feed_batch.py")],
    "gRPC server (protobuf, threads, replies)": [("_serve", "_server.py"), ("_WorkItem.run", "thread.py")],
}
_INDEX = [("inverted_index.py", "FieldIndex.add"), ("inverted_index.py", "FieldIndex.flush"),
          ("inverted_index.py", "FieldIndex.remove")]
_RPCS = [("service.py", "ContentNodeService.Put"), ("service.py", "ContentNodeService.Feed")]


def shares(path: Path, node: bool) -> dict[str, float]:
    """The parts of a process's profiled CPU, as fractions (multiply by its unprofiled CPU)."""
    stats = pstats.Stats(str(path))
    total = sum(tt for (_, _, tt, _, _) in stats.stats.values())
    parts = {name: _cumulative(stats, functions) for name, functions in (NODE_PARTS if node else CONTAINER_PARTS).items()}
    if node:
        parts["term ids, postings"] = _cumulative(stats, _INDEX) - parts["tokenizing (normalize, detect language, stem)"]
        rpcs = _cumulative(stats, _RPCS)
        parts["rest of the write (attributes, vectors, locks)"] = rpcs - sum(parts.values())
        parts["gRPC server (threads, C-core ↔ Python)"] = total - rpcs
    else:
        # the Starlette route calls handle (then answer); the lean front (since feed9) calls answer
        handler = _cumulative(stats, [("document_handler.py", "DocumentHandler.handle")]) or \
            _cumulative(stats, [("document_handler.py", "DocumentHandler.answer")])
        asgi = _cumulative(stats, [("httptools_impl.py", "RequestResponseCycle.run_asgi")])
        parts["write fan-out and waits (document handler)"] = handler - sum(parts.values())
        parts["middleware, routing, body read, response (Starlette stack or front)"] = asgi - handler
        parts["HTTP server (uvicorn protocol), event loop, gRPC callbacks"] = total - asgi
    return {name: round(value / total, 3) for name, value in parts.items()}


def feed_once(cluster: LocalCluster, operations: list[FeedOperation], client: str, in_flight: int) -> float:
    """Feed every operation; returns seconds. Every answer must be 200."""
    started = time.perf_counter()
    if client == "feeder":
        stats = feed(operations, cluster.url, show_progress=False, concurrency=in_flight)
        if stats.failures:
            raise RuntimeError(f"{len(stats.failures)} failed, e.g. {stats.failures[0]}")
        return time.perf_counter() - started
    requests = [http_load.post_request(cluster.url, op.path, json.dumps(op.request_body()).encode())
                for op in operations]
    started = time.perf_counter()
    done = asyncio.run(http_load.run(cluster.url, requests, in_flight))
    seconds = time.perf_counter() - started
    bad = [(a.status, a.body[:200]) for a in done.answers if a.status != 200]
    if bad:
        raise RuntimeError(f"{len(bad)} failed, e.g. {bad[0]}")
    return seconds


def spy_split(path: Path, node: bool, cpu_ms: float) -> dict:
    """ms of CPU a document per part: the process's share of samples × its CPU measured."""
    shares = spy_profile.split(spy_profile.read_stacks(path), NODE_SPY if node else CONTAINER_SPY)
    return {name: round(share * cpu_ms, 3) for name, share in shares.items()}


def measure(app: Path, operations: list[FeedOperation], client: str, in_flight: int, profile: str,
            spy: str = "") -> dict:
    with tempfile.TemporaryDirectory() as data_dir, LocalCluster(app, data_dir, nodes=2) as cluster:
        warm = operations[: min(200, len(operations))]
        feed_once(cluster, warm, client, in_flight)  # connections, worker threads, first-use imports
        timed = operations[len(warm):]
        pids = {"container": cluster.container_pid, "node 0": cluster.node_pid(0), "node 1": cluster.node_pid(1)}
        if profile:
            for pid in pids.values():
                os.kill(pid, signal.SIGUSR1)
            time.sleep(0.5)
        files = {name: Path(spy) / f"{name.replace(' ', '')}.txt" for name in pids} if spy else {}
        recorders = [spy_profile.start(pids[name], path, 3600) for name, path in files.items()]
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        own = time.process_time()
        seconds = feed_once(cluster, timed, client, in_flight)
        client_cpu = time.process_time() - own
        for recorder in recorders:
            spy_profile.stop(recorder)
        n = len(timed)
        cpu = {name: round((cpu_seconds(pid) - before[name]) * 1000 / n, 3) for name, pid in pids.items()}
        cpu["feed client"] = round(client_cpu * 1000 / n, 3)
        result = {"documents": n, "docs_per_s": round(n / seconds, 1), "cpu_ms_per_doc": cpu}
        if spy:
            result["spy_ms_per_doc"] = {name: spy_split(path, name != "container", cpu[name])
                                        for name, path in files.items()}
        if profile:
            for pid in pids.values():
                os.kill(pid, signal.SIGUSR2)
            time.sleep(3.0)
            result["profile"] = {name: top_functions(Path(profile) / f"{pid}.pstats", n, 40)
                                 for name, pid in pids.items()}
            result["shares"] = {name: shares(Path(profile) / f"{pid}.pstats", name != "container")
                                for name, pid in pids.items()}
    return result


def run_checkout(checkout: Path, corpus: str, documents: int, client: str, in_flight: int) -> dict:
    """One measurement by the benchmark as `checkout` has it (its own cluster processes)."""
    command = [sys.executable, "-m", "benchmarks.feed_rate", "--corpus", corpus, "--documents", str(documents),
               "--client", client, "--in-flight", str(in_flight), "--no-peers"]
    done = subprocess.run(command, cwd=checkout, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def report(runs: list[dict], peers_by_corpus: dict[str, dict], args) -> str:
    rows = ["| corpus | checkout | client, in flight | documents | docs/s | CPU ms a document: container | node 0 | "
            "node 1 | feed client | all | docs/s the CPU allows on 2 cores |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for run in runs:
        cpu = run["cpu_ms_per_doc"]
        total = sum(cpu.values())
        rows.append(f"| {run['corpus']} | {run['label']} | {run['client']}, {run['in_flight']} | {run['documents']:,} | "
                    f"{run['docs_per_s']:,.0f} | {cpu['container']:.3f} | {cpu['node 0']:.3f} | {cpu['node 1']:.3f} | "
                    f"{cpu['feed client']:.3f} | {total:.3f} | {2000 / total:,.0f} |")
    peers = "; ".join(f"{corpus}: " + ", ".join(f"{name} {rate:,.0f} docs/s" for name, rate in rates.items())
                      for corpus, rates in peers_by_corpus.items())
    return (f"`python -m benchmarks.feed_rate --write --baseline DIR` on {platform.machine()}, "
            f"{os.cpu_count()} cores shared with other work (load average {os.getloadavg()[0]:.0f} at the end), "
            f"{time.strftime('%Y-%m-%d')}.\n\n" + "\n".join(rows) + f"\n\nPeers in this process, same corpus, same run: {peers}.\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", choices=("scifact", "vectors"), default="scifact")
    parser.add_argument("--documents", type=int, default=0, help="0: scifact once / 10,000 vectors; with --write, the scifact size (--vectors: the vectors')")
    parser.add_argument("--in-flight", type=int, default=64)
    parser.add_argument("--client", choices=("lean", "feeder"), default="lean")
    parser.add_argument("--profile", default="", help="directory for the processes' yappi stats")
    parser.add_argument("--spy", default="", help="directory for py-spy samples (of the GIL holder) of the "
                                                  "container and nodes during the timed feed, split into parts")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--write", action="store_true",
                        help="both corpora (and `phasedsearch feed`'s client), alternating with --baseline; "
                             "prints the table and writes it to BENCHMARKS.md")
    parser.add_argument("--baseline", default="", help="a checkout to measure alternately (its own feed_rate.py)")
    parser.add_argument("--baseline-label", default="baseline")
    parser.add_argument("--vectors", type=int, default=10_000)
    args = parser.parse_args()
    if args.write:
        here = Path(__file__).resolve().parents[1]
        checkouts = [(args.baseline_label, Path(args.baseline))] if args.baseline else []
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True)
        checkouts.append((head.stdout.strip() or "this checkout", here))
        runs = []
        for corpus, documents in (("scifact", args.documents), ("vectors", args.vectors)):
            for client in ("lean", "feeder"):
                for label, checkout in checkouts:
                    run = run_checkout(checkout, corpus, documents, client, args.in_flight)
                    runs.append({**run, "label": label})
                    print(json.dumps(runs[-1]), flush=True)
        peers_by_corpus = {"scifact": peers(scifact_operations(args.documents), "scifact"),
                           "vectors": peers(vector_operations(args.vectors), "vectors")}
        text = report(runs, peers_by_corpus, args)
        print(text)
        write_section("Feed throughput (issue 20)", FEED_INTRO + text + FEED_NOTES)
        return
    if args.spy:
        Path(args.spy).mkdir(parents=True, exist_ok=True)
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        os.environ["PHASEDSEARCH_YAPPI_DIR"] = str(Path(args.profile).resolve())
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROFILING), os.environ.get("PYTHONPATH", "")]))
    if args.corpus == "vectors":
        operations, app = vector_operations(args.documents or 10_000), ANN_APP
    else:
        operations, app = scifact_operations(args.documents), BM25_APP
    result = {"corpus": args.corpus, "client": args.client, "in_flight": args.in_flight,
              "checkout": str(Path(__file__).resolve().parents[1]),
              **measure(app, operations, args.client, args.in_flight, args.profile, args.spy)}
    if not args.no_peers:
        result["peers_docs_per_s"] = {k: round(v, 1) for k, v in peers(operations, args.corpus).items()}
    print(json.dumps(result, indent=1))


FEED_INTRO = """Documents fed through `/document/v1/` of a 2-node cluster on loopback (every write in the
node's fsync'd log before it is acknowledged), after 200 warm-up documents: scifact's 5,183 documents
(`benchmarks/apps/bm25`: title and text indexed for BM25) and 384-d unit vectors
(`benchmarks/apps/ann`: HNSW, 16 links, 200 explored at insert). CPU a document of each process is
from /proc/PID/stat around the timed feed. Clients: `lean` is benchmarks/http_load.py (HTTP/1.1 keep-alive
connections, one request in flight on each, requests encoded up front: what a C load generator
costs), `feeder` is `phasedsearch feed`'s deploy/feeder.py (its own keep-alive asyncio HTTP/1.1
connections, deploy/feed_http.py). The baseline checkout and this one
run alternately in one session, with the peers indexing the same corpus in this process after them.
The last column is 2,000 ms of CPU a second divided by the CPU a document: the rate the processes
could reach with this machine's 2 cores to themselves.

"""
FEED_NOTES = ""


if __name__ == "__main__":
    main()
