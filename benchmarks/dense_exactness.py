"""Is the engine's dense ranking exact (issue 22)? The default package's `semantic` query profile on
a 2-node cluster, fed the corpus's cached vectors (the ones `phasedsearch eval` embeds), against
numpy cosine over the same vectors with the same query embedder, query by query: the top 10 in the
same order, and each hit's relevance equal to closeness = 1/(1 + (1 − cos)) (prenormalized-angular).

    python -m benchmarks.dense_exactness [--datasets cranfield]
"""
from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from benchmarks.relevance import APP, DATA, VECTOR, document_vectors
from benchmarks.report import write_section
from container.embedding.registry import get_embedder
from deploy.beir_eval import DOCUMENT_ID_PREFIX, load_dataset
from deploy.cli_data import embedded_corpus
from deploy.feed_format import iter_feed_file
from deploy.feeder import feed
from deploy.local_cluster import LocalCluster
from searchlib.evaluation import mean_metrics
from searchlib.query.plain_text import SYNTAX_PARAMETER
from searchlib.schema.application import load_application

HITS = 10


def measure(name: str, nodes: int) -> dict:
    dataset = load_dataset(DATA / name)
    vectors_file = embedded_corpus(dataset, APP, sys.stderr)
    if vectors_file is None:
        raise RuntimeError(f"embedding {name} failed")
    vectors = document_vectors(vectors_file)
    ids = list(vectors)
    row_of = {doc: row for row, doc in enumerate(ids)}
    matrix = np.stack([vectors[doc] for doc in ids]).astype(np.float32)
    embedder = get_embedder(load_application(APP), "bge")
    engine, exact, same_order, same_set, worst = {}, {}, 0, 0, 0.0
    with tempfile.TemporaryDirectory(prefix="dense-exactness-") as data_dir, \
            LocalCluster(APP, Path(data_dir), nodes=nodes) as cluster, \
            httpx.Client(base_url=cluster.url, timeout=60.0) as client:
        stats = feed(iter_feed_file(vectors_file), cluster.url, total=len(ids), concurrency=4, description="feeding")
        if stats.failed:
            raise RuntimeError(f"{stats.failed} documents failed to feed")
        for query_id, text in dataset.queries.items():
            hits = client.get("/search/", params={"queryProfile": "semantic", "query": text, SYNTAX_PARAMETER: "none",
                                                  "hits": str(HITS), "timeout": "30s"}).json()["root"].get("children", [])
            found = [hit["fields"]["documentid"][len(DOCUMENT_ID_PREFIX):] for hit in hits]
            cosines = matrix @ embedder.embed(text, VECTOR, "query").dense_values.reshape(-1).astype(np.float32)
            top = [ids[row] for row in np.argsort(-cosines, kind="stable")[:HITS]]
            engine[query_id], exact[query_id] = found, top
            same_order += found == top
            same_set += set(found) == set(top)
            for hit, doc in zip(hits, found):
                worst = max(worst, abs(hit["relevance"] - 1.0 / (2.0 - float(cosines[row_of[doc]]))))
    return {"queries": len(dataset.queries), "same order": same_order, "same set": same_set, "worst": worst,
            "engine": mean_metrics(engine, dataset.qrels)["ndcg@10"], "exact": mean_metrics(exact, dataset.qrels)["ndcg@10"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["cranfield"])
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows = ["| collection | queries | top 10 in the same order | same set | max \\|relevance − 1/(2 − cos)\\| "
            "| nDCG@10 engine | nDCG@10 exact |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for name in args.datasets:
        r = measure(name, args.nodes)
        rows.append(f"| {name} | {r['queries']} | {r['same order']} | {r['same set']} | {r['worst']:.1e} | "
                    f"{r['engine']:.4f} | {r['exact']:.4f} |")
    body = f"""`python -m benchmarks.dense_exactness --datasets {' '.join(args.datasets)}` on {platform.machine()},
{time.strftime('%Y-%m-%d')}. The default package's `semantic` query profile on a {args.nodes}-node cluster
(nearestNeighbor over HNSW, targetHits 100) fed the cached document vectors, against numpy cosine over
the same vectors with the same query embedding.

""" + "\n".join(rows) + "\n"
    print(body)
    if not args.no_write:
        write_section("Dense retrieval: the engine against exact cosine (issue 22)", body)


if __name__ == "__main__":
    main()
