"""Relevance out of the box (issue 22): nDCG@10 of the default package through `phasedsearch eval`
(2 content nodes, the query profiles bm25, semantic and hybrid, no -p), next to one-process
pipelines on the same collections measured in the same run:

- tantivy BM25 over one field of title + text with its `en_stem` analyzer (k1 1.2, b 0.75);
- bm25s over title + text (PyStemmer English, English stopwords);
- exact dense: numpy cosine of bge-small-en-v1.5 over every document, queries with the model's
  query instruction (the default package's embedder, one call per query as the container makes);
- RRF: reciprocal rank fusion (k=60) of the tantivy and exact dense rankings (top 1000 each).

Document vectors are computed once per corpus (512 tokens) and cached where `phasedsearch eval`
caches them; the engine and the exact baseline read the same vectors.

    python -m benchmarks.relevance [--datasets scifact cranfield] [--profiles bm25 semantic hybrid]
"""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.report import write_section
from deploy.beir_eval import DOCUMENT_ID_PREFIX, BeirDataset, load_dataset, sanitize_query_text
from deploy.cli_data import embedded_corpus
from deploy.local_cluster import LocalCluster
from searchlib.docid import global_id
from searchlib.evaluation import mean_metrics, per_query_metrics
from searchlib.evaluation_stats import paired_randomization_test
from searchlib.tensor import TensorType, tensor_from_json

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
APP = REPO / "schemas"
VECTOR = TensorType.parse("tensor<float>(x[384])")
DEPTH = 1000  # rankings fused by RRF
RRF_K = 60


def corpus(dataset: BeirDataset) -> tuple[list[str], list[str], list[str]]:
    ids, titles, texts = [], [], []
    with open(dataset.corpus_path, encoding="utf-8") as stream:
        for line in filter(str.strip, stream):
            item = json.loads(line)
            ids.append(str(item["_id"]))
            titles.append(item.get("title") or "")
            texts.append(item.get("text") or "")
    return ids, titles, texts


def tantivy_scores(dataset: BeirDataset) -> dict[str, dict[str, float]]:
    """tantivy BM25 (en_stem) over title + text: each query's top DEPTH documents and scores, best first."""
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=False, tokenizer_name="en_stem")
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    index = tantivy.Index(builder.build())
    writer = index.writer(heap_size=200_000_000, num_threads=1)
    ids, titles, texts = corpus(dataset)
    for doc_id, title, text in zip(ids, titles, texts):
        writer.add_document(tantivy.Document(id=doc_id, body=f"{title} {text}"))
    writer.commit()
    index.reload()
    searcher = index.searcher()
    found = {}
    for query_id, text in dataset.queries.items():
        # lowercased without syntax characters: AND/OR/NOT and +/-/: are operators to its parser
        query = index.parse_query(sanitize_query_text(text).lower() or "nothing", ["body"])
        found[query_id] = {searcher.doc(address)["id"][0]: score for score, address in searcher.search(query, DEPTH).hits}
    return found


def tantivy_run(dataset: BeirDataset) -> dict[str, list[str]]:
    return {query_id: list(scores) for query_id, scores in tantivy_scores(dataset).items()}


def bm25s_run(dataset: BeirDataset) -> dict[str, list[str]]:
    import bm25s
    import Stemmer

    ids, titles, texts = corpus(dataset)
    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index(bm25s.tokenize([f"{t} {x}" for t, x in zip(titles, texts)], stopwords="en", stemmer=stemmer,
                                   show_progress=False), show_progress=False)
    run = {}
    for query_id, text in dataset.queries.items():
        tokens = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.vocab:
            run[query_id] = []
            continue
        found, _ = retriever.retrieve(tokens, k=min(100, len(ids)), show_progress=False)
        run[query_id] = [ids[int(row)] for row in found[0]]
    return run


def document_vectors(feed: Path) -> dict[str, np.ndarray]:
    prefix = "id:beir:doc::"
    vectors = {}
    with open(feed, encoding="utf-8") as stream:
        for line in filter(str.strip, stream):
            operation = json.loads(line)
            vectors[operation["put"][len(prefix):]] = tensor_from_json(
                operation["fields"]["embedding"], VECTOR).dense_values.reshape(-1)
    return vectors


def exact_dense_run(dataset: BeirDataset, feed: Path) -> dict[str, list[str]]:
    from container.embedding.registry import get_embedder
    from searchlib.schema.application import load_application

    vectors = document_vectors(feed)
    ids = list(vectors)
    matrix = np.stack([vectors[i] for i in ids]).astype(np.float32)
    embedder = get_embedder(load_application(APP), "bge")
    run = {}
    for query_id, text in dataset.queries.items():  # as typed: the embedder adds the instruction
        query = embedder.embed(text, VECTOR, "query").dense_values.reshape(-1).astype(np.float32)
        scores = matrix @ query
        top = np.argsort(-scores, kind="stable")[:DEPTH]
        run[query_id] = [ids[row] for row in top]
    return run


def rrf(*runs: dict[str, list[str]]) -> dict[str, list[str]]:
    fused = {}
    for query_id in runs[0]:
        scores: dict[str, float] = {}
        for run in runs:
            for rank, doc in enumerate(run.get(query_id, [])[:DEPTH], start=1):
                scores[doc] = scores.get(doc, 0.0) + 1.0 / (RRF_K + rank)
        # exact ties (1st and 2nd against 2nd and 1st) in the engine's hit order: by global id
        fused[query_id] = sorted(scores, key=lambda doc: (-scores[doc], global_id(DOCUMENT_ID_PREFIX + doc)))
    return fused


def engine_metrics(dataset_dir: Path, profile: str, url: str) -> dict:
    """`phasedsearch eval DATASET --ranking PROFILE --url URL --json` (it feeds what is missing);
    "per_query": each query's nDCG@10 from its report."""
    with tempfile.TemporaryDirectory(prefix="relevance-report-") as reports:
        command = [sys.executable, "-m", "deploy", "eval", str(dataset_dir), "--ranking", profile, "--url", url,
                   "--app", str(APP), "--json", "--connections", "4", "--timeout", "60s", "--out", reports]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=REPO)
        if done.returncode != 0:
            raise RuntimeError(f"eval {profile} failed ({done.returncode}): {done.stderr[-2000:]}")
        report = json.loads((Path(reports) / "report.json").read_text())
    metrics = json.loads(done.stdout)
    metrics["seconds"] = time.perf_counter() - started
    metrics["per_query"] = {query["id"]: query["metrics"][profile]["ndcg@10"] for query in report["queries"]
                            if profile in query["metrics"]}
    return metrics


def measure(name: str, profiles: list[str], nodes: int) -> dict:
    dataset_dir = DATA / name
    dataset = load_dataset(dataset_dir)
    started = time.perf_counter()
    feed = embedded_corpus(dataset, APP, sys.stderr)
    if feed is None:
        raise RuntimeError(f"embedding {name} failed")
    result = {"documents": sum(1 for _ in open(dataset.corpus_path)), "queries": len(dataset.queries),
              "embed_seconds": time.perf_counter() - started, "engine": {}}
    with tempfile.TemporaryDirectory(prefix="relevance-") as data_dir, \
            LocalCluster(APP, Path(data_dir), nodes=nodes) as cluster:
        for profile in ("semantic", *[p for p in profiles if p != "semantic"]):  # semantic feeds the vectors
            if profile in profiles:
                result["engine"][profile] = engine_metrics(dataset_dir, profile, cluster.url)
                print(f"{name} {profile}: {result['engine'][profile]['ndcg@10']:.4f}", file=sys.stderr)
    runs = {"tantivy": tantivy_run(dataset), "bm25s": bm25s_run(dataset), "exact dense": exact_dense_run(dataset, feed)}
    runs["RRF"] = rrf(runs["tantivy"], runs["exact dense"])
    result["peers"] = {label: mean_metrics(run, dataset.qrels) for label, run in runs.items()}
    for label, run in runs.items():
        result["peers"][label]["per_query"] = {query_id: values["ndcg@10"] for query_id, values in
                                               per_query_metrics(run, dataset.qrels).items()}
    for label, metrics in result["peers"].items():
        print(f"{name} {label}: {metrics['ndcg@10']:.4f}", file=sys.stderr)
    return result


def table(results: dict[str, dict]) -> str:
    def engine(result, profile):
        metrics = result["engine"].get(profile)
        return f"{metrics['ndcg@10']:.4f}" if metrics else "—"

    rows = ["| collection | bm25 | tantivy | bm25s | semantic | exact dense | hybrid | RRF |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, result in results.items():
        peers = {label: f"{metrics['ndcg@10']:.4f}" for label, metrics in result["peers"].items()}
        rows.append(f"| {name} ({result['documents']} docs, {result['queries']} queries) | {engine(result, 'bm25')} | "
                    f"{peers['tantivy']} | {peers['bm25s']} | {engine(result, 'semantic')} | {peers['exact dense']} | "
                    f"{engine(result, 'hybrid')} | {peers['RRF']} |")
    return "\n".join(rows)


def goals(results: dict[str, dict]) -> str:
    lines = []
    for name, result in results.items():
        peers = {label: metrics["ndcg@10"] for label, metrics in result["peers"].items()}
        for profile, peer, slack in (("bm25", "tantivy", 0.0), ("semantic", "exact dense", 0.005),
                                     ("hybrid", "RRF", 0.005)):
            metrics = result["engine"].get(profile)
            if metrics is None:
                continue
            goal = peers[peer] - slack
            theirs = result["peers"][peer]["per_query"]
            ours = [metrics["per_query"].get(query_id, 0.0) for query_id in theirs]
            paired = paired_randomization_test(list(theirs.values()), ours)
            lines.append(f"- {name} {profile}: {metrics['ndcg@10']:.4f} vs goal ≥ {goal:.4f} ({peer}"
                         f"{f' − {slack}' if slack else ''}): {'met' if metrics['ndcg@10'] >= goal else 'NOT met'}; "
                         f"query by query better on {paired.wins}, worse on {paired.losses} (paired randomization "
                         f"p = {paired.p_value:.2f}); {int(metrics.get('no_hits', 0))} queries without hits, "
                         f"{int(metrics.get('zero_relevance_hits', 0))} hits with relevance 0")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["scifact", "cranfield"])
    parser.add_argument("--profiles", nargs="+", default=["bm25", "semantic", "hybrid"])
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print, do not write BENCHMARKS.md")
    args = parser.parse_args()
    results = {name: measure(name, args.profiles, args.nodes) for name in args.datasets}
    body = f"""`python -m benchmarks.relevance --datasets {' '.join(args.datasets)}` on {platform.machine()}, 2 shared
cores, {time.strftime('%Y-%m-%d')}. nDCG@10. The engine: the default package (`schemas/`) on a
{args.nodes}-node cluster through `phasedsearch eval DATASET --ranking PROFILE` (the query profiles of
that name: no `-p`; query text as typed, read without query syntax by userQuery(), embedded with
bge-small's query instruction; documents embedded at 512 tokens). Peers in one process, same run,
same document vectors: tantivy (BM25, one field of title + text, `en_stem`), bm25s (title + text,
English stemmer and stopwords), exact dense (numpy cosine over every document), RRF (k=60 of
tantivy and exact dense, top {DEPTH} each).

{table(results)}

{goals(results)}
"""
    print(body)
    if not args.no_write:
        write_section("Relevance out of the box (issue 22)", body)
    (Path(tempfile.gettempdir()) / "relevance-results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
