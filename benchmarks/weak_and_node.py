"""One content node's CPU for `type=weakAnd` (or `--type any`, the exhaustive OR) at scale, and the answers to compare across checkouts:
node `--node`'s share (of 2) of the synthetic scifact-sentence corpus of benchmarks/bm25_scale.py,
recovered from a snapshot as the nodes load it; the 300 scifact test queries as the container sends
them (`userQuery()`, type weakAnd with targetHits 100 or `any`, the `bm25` profile, top 10), `matcher.search`
through the node's posting cache, least thread CPU of `--repeat` runs a query.

    python -m benchmarks.weak_and_node [--docs 1000000] [--type weakAnd|any] [--repeat 2] [--out FILE]
        [--compare FILE] [--cache-mb 32] [--passes 1]

`--out` writes every query's hits (global id, relevance as float hex: the last bit counts) and
total; `--compare` fails unless they equal those of a file another checkout wrote. Prints one JSON
object: CPU ms a query (mean, p50, p90). At 1M documents the index takes minutes to build."""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.bm25_scale import APP, synthetic_corpus, test_queries
from content_node import matcher
from content_node.document_db import DocumentDB
from content_node.posting_cache import PostingCache
from content_node.ranking.rank_program import RankProgram
from content_node.store.document_store import encode_fields
from content_node.store.snapshot import document_line, write_snapshot
from deploy.beir_eval import DOCUMENT_ID_PREFIX
from searchlib.distribution import node_in_group
from searchlib.docid import global_id
from searchlib.query.user_query import parse_user_query
from searchlib.schema.application import load_application

NODES = 2


def node_share(docs: int, node: int, directory: Path) -> int:
    """Write node `node`'s documents (placed as the container places them) as its snapshot."""
    lines = []
    for n, text in enumerate(synthetic_corpus(docs)):
        document_id = f"{DOCUMENT_ID_PREFIX}{n}"
        if node_in_group(global_id(document_id), range(NODES)) == node:
            lines.append(document_line(document_id, encode_fields({"text": text}), {}))
    write_snapshot(directory, len(lines), lines)
    return len(lines)


def answers_and_cpu(db: DocumentDB, repeat: int, query_type: str = "weakAnd", cache_bytes: int | None = None,
                    passes: int = 1) -> tuple[list, np.ndarray]:
    """Every query's answer and least CPU of `repeat` runs, in the last of `passes` over the queries
    (the earlier ones fill the posting cache, of `cache_bytes`, as a node's stream of queries does)."""
    schema = db.schema
    program = RankProgram(schema, schema.rank_profiles["bm25"])
    cache = PostingCache() if cache_bytes is None else PostingCache(max_bytes=cache_bytes)
    for _ in range(passes - 1):
        for text in test_queries():
            with db.read_view() as view:
                matcher.search(cache.over(view), program,
                               matcher.SearchParams(query=parse_user_query(text, type=query_type), hits=10))
    answers, cpu = [], []
    for text in test_queries():
        params = matcher.SearchParams(query=parse_user_query(text, type=query_type), hits=10)
        least = float("inf")
        for _ in range(repeat):
            with db.read_view() as view:
                started = time.thread_time()
                outcome = matcher.search(cache.over(view), program, params)
                least = min(least, time.thread_time() - started)
        cpu.append(least * 1000)
        answers.append({"hits": [[hit.global_id.hex(), float(hit.relevance).hex()] for hit in outcome.hits],
                        "total": outcome.total_hits})
    return answers, np.array(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--node", type=int, default=0)
    parser.add_argument("--type", choices=("weakAnd", "any"), default="weakAnd")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--cache-mb", type=float, help="the posting cache's budget (default: the node's)")
    parser.add_argument("--passes", type=int, default=1, help="measure the last of this many passes over the queries")
    args = parser.parse_args()
    schema = load_application(APP).schemas["doc"]
    with tempfile.TemporaryDirectory() as data_dir:
        directory = Path(data_dir) / "doc"
        directory.mkdir()
        documents = node_share(args.docs, args.node, directory)
        db = DocumentDB(schema, directory)
        try:
            answers, cpu = answers_and_cpu(db, args.repeat, args.type,
                                           None if args.cache_mb is None else int(args.cache_mb * 2**20), args.passes)
        finally:
            db.close()
    if args.out:
        args.out.write_text(json.dumps(answers))
    differing = []
    if args.compare:
        expected = json.loads(args.compare.read_text())
        differing = [i for i, (a, b) in enumerate(zip(answers, expected)) if a != b]
        if differing or len(answers) != len(expected):
            raise SystemExit(f"answers differ from {args.compare} at queries {differing[:10]}")
    print(json.dumps({"docs": args.docs, "type": args.type, "node_documents": documents, "queries": len(cpu), "repeat": args.repeat,
                      "cache_mb": args.cache_mb, "passes": args.passes,
                      "cpu_ms": {"mean": round(float(cpu.mean()), 3), "p50": round(float(np.median(cpu)), 3),
                                 "p90": round(float(np.percentile(cpu, 90)), 3)},
                      "compared": str(args.compare) if args.compare else None}))


if __name__ == "__main__":
    main()
