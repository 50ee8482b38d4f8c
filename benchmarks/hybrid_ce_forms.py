"""hybrid-ce: which global-phase fusion of BM25, dense closeness and the cross-encoder ranks best?
(issue 22)

The default package's `hybrid-ce` query profile (hybrid YQL, both query inputs) on a 2-node
cluster, ranked by a probe profile that inherits `hybrid-ce` and only changes its global phase to
the cross-encoder's score, with bm25(title_text) and closeness as match-features: each query's
`--top` candidates (the global phase's rerank-count, the best by closeness) come back with all
three scores, one cross-encoder pass per query. The candidates are then ordered, in this process,
by what a global phase could compute over them:

- closeness alone (the first phase; what `hybrid-ce` returns without a global phase);
- the cross-encoder alone;
- `reciprocal_rank_fusion(bm25sum, closeness, cross_encoder_score)`;
- `normalize_linear` of each of the three, summed (the form of `hybrid`'s global phase);
- `normalize_linear(bm25sum) + normalize_linear(closeness)` (hybrid's form over these candidates).

`hybrid` itself (its own 1000 candidates, through the engine) is measured on the same queries.

    python -m benchmarks.hybrid_ce_forms [--datasets scifact cranfield] [--queries 100] [--top 25]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

from benchmarks.relevance import APP, DATA
from container.ranking.normalizers import normalize_linear, reciprocal_rank_fusion
from deploy.beir_eval import eval_query_parameters, hit_corpus_id, load_dataset
from deploy.cli_data import embedded_corpus
from deploy.feed_format import iter_feed_file
from deploy.feeder import feed
from deploy.local_cluster import LocalCluster
from searchlib.evaluation import mean_metrics

PROBE = """
    rank-profile hybrid-ce-probe inherits hybrid-ce {{
        global-phase {{
            rerank-count: {top}
            expression: cross_encoder_score
        }}
        match-features: bm25(title_text) closeness(field, embedding)
    }}
}}
"""


def probe_package(directory: Path, top: int) -> Path:
    package = directory / "app"
    shutil.copytree(APP, package, symlinks=True)
    schema = package / "schemas" / "doc.sd"
    text = schema.read_text().rstrip()
    assert text.endswith("}")
    schema.write_text(text[:-1] + PROBE.format(top=top))
    return package


def candidates(url: str, queries: dict[str, str], top: int) -> dict[str, list[tuple[str, float, float, float]]]:
    """Query id → its candidates as (document, bm25, closeness, cross-encoder), by the probe."""
    def one(item):
        query_id, text = item
        params = eval_query_parameters(text, "", "120s", {"ranking": "hybrid-ce-probe", "hits": str(top)},
                                       query_profile="hybrid-ce")
        root = httpx.get(f"{url}/search/", params=params, timeout=300).json()["root"]
        assert not root.get("errors"), root["errors"]
        rows = []
        for hit in root.get("children", []):
            features = hit["fields"]["matchfeatures"]
            rows.append((hit_corpus_id(hit), features["bm25(title_text)"],
                         features["closeness(field,embedding)"], hit["relevance"]))
        return query_id, rows

    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(one, queries.items()))


def engine_run(url: str, queries: dict[str, str], profile: str) -> dict[str, list[str]]:
    run = {}
    for query_id, text in queries.items():
        root = httpx.get(f"{url}/search/", params=eval_query_parameters(text, "", "60s", query_profile=profile),
                         timeout=120).json()["root"]
        run[query_id] = [hit_corpus_id(hit) for hit in root.get("children", [])]
    return run


def forms(found: dict[str, list[tuple[str, float, float, float]]]) -> dict[str, dict[str, list[str]]]:
    runs: dict[str, dict[str, list[str]]] = {name: {} for name in (
        "closeness", "cross-encoder", "RRF of three", "normalize_linear of three", "normalize_linear bm25 + closeness")}
    for query_id, rows in found.items():
        docs = [row[0] for row in rows]
        bm25, closeness, ce = (np.array([row[i] for row in rows], dtype=float) for i in (1, 2, 3))
        scores = {"closeness": closeness, "cross-encoder": ce,
                  "RRF of three": reciprocal_rank_fusion([bm25, closeness, ce]) if rows else ce,
                  "normalize_linear of three": normalize_linear(bm25) + normalize_linear(closeness) + normalize_linear(ce),
                  "normalize_linear bm25 + closeness": normalize_linear(bm25) + normalize_linear(closeness)}
        for name, values in scores.items():
            runs[name][query_id] = [docs[i] for i in np.argsort(-values, kind="stable")]
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["scifact", "cranfield"])
    parser.add_argument("--queries", type=int, default=100, help="the first N test queries")
    parser.add_argument("--top", type=int, default=25, help="the global phase's rerank-count")
    args = parser.parse_args()
    rows = []
    for name in args.datasets:
        dataset = load_dataset(DATA / name, max_queries=args.queries)
        embedded = embedded_corpus(load_dataset(DATA / name), APP, sys.stderr)
        with tempfile.TemporaryDirectory(prefix="hybrid-ce-") as scratch, \
                LocalCluster(probe_package(Path(scratch), args.top), Path(scratch) / "data", nodes=2) as cluster:
            stats = feed(iter_feed_file(embedded), cluster.url, show_progress=False)
            assert stats.failed == 0
            found = candidates(cluster.url, dataset.queries, args.top)
            hybrid = engine_run(cluster.url, dataset.queries, "hybrid")
        values = {"hybrid (engine, 1000 candidates)": mean_metrics(hybrid, dataset.qrels)["ndcg@10"]}
        values.update({form: mean_metrics(run, dataset.qrels)["ndcg@10"] for form, run in forms(found).items()})
        rows.append((f"{name} (first {len(dataset.queries)} queries)", values))
        print(name, values, file=sys.stderr, flush=True)
    header = list(rows[0][1])
    print("| collection | " + " | ".join(header) + " |")
    print("| --- |" + " --- |" * len(header))
    for label, values in rows:
        print(f"| {label} | " + " | ".join(f"{values[h]:.4f}" for h in header) + " |")


if __name__ == "__main__":
    main()
