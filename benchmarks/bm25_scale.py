"""BM25 at scale (issue 20, goal 2): a synthetic corpus of random scifact sentences, 60 words a
document, at 200,000 and 1,000,000 documents; the 300 scifact test queries; QPS and p50/p99 through
a 2-node cluster for `type=any` (exhaustive OR) and `type=weakAnd`, with 1 and 8 clients, next to
bm25s (numpy and numba backends) and tantivy (`en_stem`) in this process on the same corpus.

    python -m benchmarks.bm25_scale [--docs 200000 1000000] [--clients 1 8] [--rounds 1]

The fed cluster's data directory is kept (`--data-root`, one directory a size) and reused by the
next run with the same size, since feeding a million documents takes far longer than querying them.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks import http_load
from benchmarks.report import Point, Section
from deploy.beir_eval import DOCUMENT_ID_PREFIX, load_dataset, sanitize_query_text
from deploy.feed_format import parse_operation
from deploy.feeder import feed
from deploy.local_cluster import LocalCluster

REPO = Path(__file__).resolve().parents[1]
SCIFACT = REPO.parent / "shared" / "data" / "scifact"
APP = Path(__file__).resolve().parent / "apps" / "bm25_text"
WORDS_PER_DOCUMENT = 60
SEED = 1234
def title(docs: list[int]) -> str:
    """The section's title names the corpus sizes measured (a quick run's differ from the full one's)."""
    sizes = [f"{n:,}" for n in docs]
    listed = sizes[0] if len(sizes) == 1 else ", ".join(sizes[:-1]) + " and " + sizes[-1]
    return f"BM25 at {listed} documents (issue 20)"
QUERY_TYPES = ("any", "weakAnd")


def scifact_sentences(root: Path = SCIFACT) -> list[list[str]]:
    """Every sentence of the scifact corpus (title and text), as whitespace-separated words."""
    sentences = []
    with open(root / "corpus.jsonl", encoding="utf-8") as stream:
        for line in stream:
            doc = json.loads(line)
            for text in (doc.get("title") or "", doc.get("text") or ""):
                sentences.extend(words for part in re.split(r"(?<=[.!?])\s+", text) if (words := part.split()))
    return sentences


def synthetic_corpus(docs: int, seed: int = SEED, root: Path = SCIFACT) -> list[str]:
    """`docs` documents of WORDS_PER_DOCUMENT words: each starts at a random scifact sentence
    (numpy default_rng(seed)) and runs on through the sentences after it."""
    sentences = scifact_sentences(root)
    words = np.array([w for s in sentences for w in s], dtype=object)
    starts = np.cumsum([0] + [len(s) for s in sentences[:-1]])
    starts = starts[starts + WORDS_PER_DOCUMENT <= len(words)]
    chosen = np.random.default_rng(seed).integers(0, len(starts), size=docs)
    return [" ".join(words[start:start + WORDS_PER_DOCUMENT]) for start in starts[chosen]]


def test_queries(root: Path = SCIFACT) -> list[str]:
    return [sanitize_query_text(text) for text in load_dataset(root).queries.values()]


@dataclass(frozen=True, slots=True)
class Timing:
    qps: float
    p50_ms: float
    p99_ms: float

    @staticmethod
    def of(latencies: list[float], seconds: float) -> "Timing":
        ms = np.array(latencies) * 1000
        return Timing(len(latencies) / seconds, float(np.percentile(ms, 50)), float(np.percentile(ms, 99)))


def _operations(texts: list[str]):
    for n, text in enumerate(texts):
        yield parse_operation({"put": f"{DOCUMENT_ID_PREFIX}{n}", "fields": {"text": text}}, n + 1)


def query_cluster(url: str, queries: list[str], query_type: str, clients: int, rounds: int) -> tuple[Timing, list]:
    work = [text for _ in range(rounds) for text in queries]
    requests = [http_load.get_request(url, "/search/", {
        "yql": "select * from doc where userQuery()", "query": text, "type": query_type,
        "ranking": "bm25", "hits": "10", "timeout": "20s"}) for text in work]
    done = asyncio.run(http_load.run(url, requests, clients))
    hits = []
    for answer in done.answers[:len(queries)]:
        if answer.status != 200:
            raise RuntimeError(f"HTTP {answer.status}: {answer.body[:300]!r}")
        root = json.loads(answer.body)["root"]
        if root.get("errors") or root.get("coverage", {}).get("coverage", 100) != 100:
            raise RuntimeError(f"errors or partial coverage: {str(root)[:300]}")
        hits.append([h["fields"]["documentid"] for h in root.get("children", [])])
    return Timing.of(done.latencies, done.seconds), hits


def bulk_load(texts: list[str], data_dir: Path, nodes: int = 2) -> None:
    """Write each node's share of the corpus as the snapshot the node recovers from at start (its
    own snapshot format, placed as the container places documents), instead of feeding it: on this
    shared machine the HTTP feed (~500 documents/s, less under load) cannot load 1M documents in a
    session. The nodes build every index from it themselves, as after a restart."""
    from content_node.store.document_store import encode_fields
    from content_node.store.snapshot import document_line, write_snapshot
    from searchlib.distribution import node_in_group
    from searchlib.docid import global_id

    shares: list[list[bytes]] = [[] for _ in range(nodes)]
    for n, text in enumerate(texts):
        document_id = f"{DOCUMENT_ID_PREFIX}{n}"
        node = node_in_group(global_id(document_id), range(nodes))
        shares[node].append(document_line(document_id, encode_fields({"text": text}), {}))
    for key, lines in enumerate(shares):
        directory = data_dir / f"content-node-{key}" / "doc"
        directory.mkdir(parents=True, exist_ok=True)
        write_snapshot(directory, len(lines), lines)


def bench_cluster(texts: list[str], queries: list[str], data_dir: Path, clients: list[int], rounds: int,
                  load: bool = False) -> dict:
    """Feed (unless data_dir already holds this corpus; `load`: bulk_load instead of feeding), then
    time each query type and client count."""
    data_dir.mkdir(parents=True, exist_ok=True)
    marker = data_dir / "bm25_scale.json"
    fed = json.loads(marker.read_text()) if marker.exists() else None
    result: dict = {}
    if load and (fed is None or fed.get("docs") != len(texts)):
        started = time.perf_counter()
        bulk_load(texts, data_dir)
        fed = {"docs": len(texts), "feed_docs_per_s": None, "bulk_load_s": time.perf_counter() - started}
        marker.write_text(json.dumps(fed))
    started = time.perf_counter()
    with LocalCluster(APP, data_dir, nodes=2, startup_timeout=1800) as cluster:
        result["start_s"] = time.perf_counter() - started
        if fed is None or fed.get("docs") != len(texts):
            started = time.perf_counter()
            stats = feed(_operations(texts), cluster.url, total=len(texts), show_progress=False, concurrency=64)
            seconds = time.perf_counter() - started
            if stats.ok != len(texts):
                raise RuntimeError(f"fed {stats.ok} of {len(texts)}: {stats.failures[:3]}")
            fed = {"docs": len(texts), "feed_docs_per_s": len(texts) / seconds}
            marker.write_text(json.dumps(fed))
        result["feed_docs_per_s"] = fed["feed_docs_per_s"]
        result["bulk_load_s"] = fed.get("bulk_load_s")
        for query_type in QUERY_TYPES:
            query_cluster(cluster.url, queries[:30], query_type, 2, 1)  # warm-up
            for n in clients:
                timing, hits = query_cluster(cluster.url, queries, query_type, n, rounds)
                result[(query_type, n)] = timing
                result[(query_type, "hits")] = hits
                print(f"phasedsearch {len(texts)} {query_type} {n} clients: {timing}", flush=True)
    return result


def _one_thread(search, queries: list[str]) -> Timing:
    latencies = []
    started = time.perf_counter()
    for text in queries:
        t0 = time.perf_counter()
        search(text)
        latencies.append(time.perf_counter() - t0)
    return Timing.of(latencies, time.perf_counter() - started)


def bench_bm25s(texts: list[str], queries: list[str]) -> dict:
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    result = {}
    for backend in ("numpy", "numba"):
        started = time.perf_counter()
        retriever = bm25s.BM25(k1=1.2, b=0.75, backend=backend)
        retriever.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False),
                        show_progress=False)
        result[f"index_{backend}"] = len(texts) / (time.perf_counter() - started)

        def search(text: str) -> None:
            tokens = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False)
            retriever.retrieve(tokens, k=10, show_progress=False, n_threads=1)

        _one_thread(search, queries[:10])  # numba compiles on first use
        result[backend] = _one_thread(search, queries)
        print(f"bm25s {backend} {len(texts)}: {result[backend]}", flush=True)
        del retriever
    return result


def bench_tantivy(texts: list[str], queries: list[str]) -> dict:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=False, tokenizer_name="en_stem")
    index = tantivy.Index(builder.build())
    started = time.perf_counter()
    writer = index.writer(heap_size=500_000_000, num_threads=1)
    for text in texts:
        writer.add_document(tantivy.Document(body=text))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    indexed = len(texts) / (time.perf_counter() - started)
    searcher = index.searcher()

    def search(text: str) -> None:
        # lowercased: AND/OR/NOT are operators to its parser; its default conjunction is OR
        searcher.search(index.parse_query(text.lower() or "nothing", ["body"]), 10)

    _one_thread(search, queries[:10])
    timing = _one_thread(search, queries)
    print(f"tantivy {len(texts)}: {timing}", flush=True)
    return {"index": indexed, "tantivy": timing}


def measure(docs: int, clients: list[int], rounds: int, data_root: Path, peers: bool = True,
            load: bool = False) -> dict:
    texts = synthetic_corpus(docs)
    queries = test_queries()
    result = {"docs": docs, "cluster": bench_cluster(texts, queries, data_root / f"docs-{docs}", clients, rounds,
                                                     load)}
    if peers:
        result["bm25s"] = bench_bm25s(texts, queries)
        result["tantivy"] = bench_tantivy(texts, queries)
    return result


def _cell(t: Timing) -> str:
    return f"{t.qps:,.0f} QPS, p50 {t.p50_ms:.1f} ms, p99 {t.p99_ms:.1f} ms"


def section(results: list[dict], clients: list[int], rounds: int, command: str) -> Section:
    lines = [
        f"`{command}` on {platform.machine()}, {os.cpu_count()} cores (shared), {time.strftime('%Y-%m-%d')}.",
        "",
        f"Corpus: numpy `default_rng({SEED})` picks a scifact sentence for each document, which takes "
        f"{WORDS_PER_DOCUMENT} words from there on (`benchmarks/bm25_scale.py: synthetic_corpus`); "
        "one indexed field, `bm25(text)` (`benchmarks/apps/bm25_text`). The 300 scifact test queries, "
        f"top 10, {rounds} round(s). phasedsearch: 2 content nodes + container on loopback, queries "
        "through `/search/` (`benchmarks/http_load.py`), fed through `/document/v1/` (64 in flight, durable) "
        "unless bulk-loaded (`--load`). "
        "Peers in this process, one thread, same corpus and queries: bm25s (its stemmer and English "
        "stopwords), tantivy (`en_stem`, no stopwords, OR of the words: block-max WAND).",
        "",
    ]
    points = []
    for result in results:
        docs, cluster = result["docs"], result["cluster"]
        loaded = (f"fed at {cluster['feed_docs_per_s']:,.0f} documents/s" if cluster["feed_docs_per_s"]
                  else "bulk-loaded as node snapshots (`--load`), not fed")
        started = f"; the nodes started on it in {cluster['start_s']:.0f} s" if cluster.get("start_s") else ""
        lines += [f"**{docs:,} documents** ({loaded}{started})", "",
                  "| | " + " | ".join(f"{n} client{'s' if n > 1 else ''}" for n in clients) + " |",
                  "| --- " * (len(clients) + 1) + "|"]
        for query_type in QUERY_TYPES:
            lines.append(f"| phasedsearch `type={query_type}` | "
                         + " | ".join(_cell(cluster[(query_type, n)]) for n in clients) + " |")
            for n in clients:
                timing = cluster[(query_type, n)]
                points.append(Point(f"type={query_type}, {n} clients", "documents", docs, timing.qps,
                                    timing.p50_ms, timing.p99_ms))
                if result is results[-1]:  # the largest corpus, against the client count
                    points.append(Point(f"type={query_type}, {docs:,} documents", "clients", n, timing.qps,
                                        timing.p50_ms, timing.p99_ms))
        peer_rows = [(f"bm25s {b}", result["bm25s"][b]) for b in ("numpy", "numba")] if "bm25s" in result else []
        peer_rows += [("tantivy", result["tantivy"]["tantivy"])] if "tantivy" in result else []
        for label, timing in peer_rows:
            lines.append(f"| {label} (1 thread, in process) | {_cell(timing)} |" + " |" * (len(clients) - 1))
            points.append(Point(label, "documents", docs, timing.qps, timing.p50_ms, timing.p99_ms))
        if "tantivy" in result:
            tantivy_qps = result["tantivy"]["tantivy"].qps
            best = max(cluster[("weakAnd", n)].qps for n in clients)
            indexing = [f"bm25s {result['bm25s']['index_numpy']:,.0f} documents/s"] if "bm25s" in result else []
            indexing.append(f"tantivy {result['tantivy']['index']:,.0f} documents/s")
            lines += ["", f"weakAnd / tantivy: {best / tantivy_qps:.2f}× (best client count). "
                      f"Indexing: {', '.join(indexing)}."]
        lines.append("")
    return Section(title([result["docs"] for result in results]), "\n".join(lines), points)


def run(quick: bool) -> Section:
    """For `python -m benchmarks all`: 10k documents quick; 10k, 100k and 200k otherwise (bulk-loaded;
    1M: `python -m benchmarks.bm25_scale --load`, reusing its data directory)."""
    docs = [10_000] if quick else [10_000, 100_000, 200_000]
    clients = [1, 4] if quick else [1, 2, 4, 8]
    root = Path(os.environ.get("BENCHMARK_DATA", "/tmp/phasedsearch-benchmarks"))
    results = [measure(n, clients, 1, root, load=True) for n in docs]
    return section(results, clients, 1, f"python -m benchmarks all{' --quick' if quick else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--data-root", type=Path, default=Path("/tmp/phasedsearch-benchmarks"))
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--load", action="store_true",
                        help="write the nodes' snapshots directly instead of feeding through HTTP (bulk_load)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    results = [measure(n, args.clients, args.rounds, args.data_root, not args.no_peers, args.load)
               for n in args.docs]
    command = (f"python -m benchmarks.bm25_scale{' --load' if args.load else ''} --docs {' '.join(map(str, args.docs))} "
               f"--clients {' '.join(map(str, args.clients))} --rounds {args.rounds}")
    result = section(results, args.clients, args.rounds, command)
    print(result.body)
    if not args.no_write:
        result.write()


if __name__ == "__main__":
    main()
