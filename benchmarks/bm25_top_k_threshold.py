"""Where the MaxScore top-k (content_node/matching/bm25_top_k.py) starts to pay off against ranking
every match: one content node's index in this process (DocumentDB, recovered from a snapshot of the
synthetic scifact-sentence corpus of benchmarks/bm25_scale.py, one node's share at each size), the
300 scifact test queries, each answered both ways (`matcher.search`, least thread CPU of `--repeat`
runs), against the summed posting-list lengths of the query's words.

    python -m benchmarks.bm25_top_k_threshold [--docs 2500 25000 100000] [--repeat 3]

Prints one JSON object: per size and per bucket of summed posting lengths, the mean CPU of each way
(ms) and how many queries fell in the bucket; the bucket where MaxScore starts to win is the
threshold `bm25_top_k.EXHAUSTIVE_POSTINGS` stands for, the smallest size where it wins at all
`EXHAUSTIVE_DOCUMENTS`."""
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
from content_node.matching import bm25_top_k
from content_node.ranking.rank_program import RankProgram
from content_node.store.document_store import encode_fields
from content_node.store.snapshot import document_line, write_snapshot
from searchlib.linguistics import tokenize
from searchlib.query import tree as q
from searchlib.schema.application import load_application

BUCKETS = (0, 250, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 10**9)


def _least(run, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.thread_time()
        run()
        best = min(best, time.thread_time() - started)
    return best


def measure(docs: int, queries: list[str], repeat: int) -> list[tuple[int, float, float]]:
    """(summed posting lengths, exhaustive ms, MaxScore ms) per query."""
    schema = load_application(APP).schemas["doc"]
    program = RankProgram(schema, schema.rank_profiles["bm25"])
    with tempfile.TemporaryDirectory() as data_dir:
        directory = Path(data_dir) / "doc"
        directory.mkdir()
        lines = [document_line(f"id:test:doc::{n}", encode_fields({"text": text}), {})
                 for n, text in enumerate(synthetic_corpus(docs))]
        write_snapshot(directory, len(lines), lines)
        db = DocumentDB(schema, directory)
        rows = []
        try:
            for text in queries:
                words = list(dict.fromkeys(tokenize(text)))  # the index's tokens (stemmed), as userQuery
                query = q.Or(tuple(q.Term("default", w) for w in words)) if len(words) > 1 else q.Term("default", words[0])
                params = matcher.SearchParams(query=query, hits=10)
                size = sum(len(db.postings("text", w).doc_ids) for w in words)
                ways = []
                for threshold in (10**12, -1):  # every match ranked; MaxScore
                    bm25_top_k.EXHAUSTIVE_POSTINGS = bm25_top_k.EXHAUSTIVE_DOCUMENTS = threshold
                    answers = matcher.search(db, program, params)
                    ways.append(([(h.global_id, h.relevance) for h in answers.hits], answers.total_hits,
                                 _least(lambda: matcher.search(db, program, params), repeat) * 1000))
                assert ways[0][:2] == ways[1][:2], text
                rows.append((size, ways[0][2], ways[1][2]))
        finally:
            db.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, nargs="+", default=[2500, 25000, 100000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    queries = test_queries()
    default, default_documents = bm25_top_k.EXHAUSTIVE_POSTINGS, bm25_top_k.EXHAUSTIVE_DOCUMENTS
    report = {}
    for docs in args.docs:
        rows = np.array(measure(docs, queries, args.repeat))
        buckets = []
        for low, high in zip(BUCKETS, BUCKETS[1:]):
            inside = rows[(rows[:, 0] >= low) & (rows[:, 0] < high)]
            if len(inside):
                buckets.append({"postings": f"{low}-{high}", "queries": len(inside),
                                "exhaustive_ms": round(float(inside[:, 1].mean()), 3),
                                "maxscore_ms": round(float(inside[:, 2].mean()), 3)})
        bm25_top_k.EXHAUSTIVE_POSTINGS, bm25_top_k.EXHAUSTIVE_DOCUMENTS = default, default_documents
        every = (rows[:, 0] <= default) | (docs <= default_documents)  # as top_k chooses
        chosen = np.where(every, rows[:, 1], rows[:, 2])
        print(json.dumps({docs: buckets}), flush=True)  # as it goes: the large sizes take long
        report[docs] = {"buckets": buckets, "mean_ms": {"exhaustive": round(float(rows[:, 1].mean()), 3),
                                                       "maxscore": round(float(rows[:, 2].mean()), 3),
                                                       "chosen": round(float(chosen.mean()), 3)}}
    print(json.dumps({"threshold": default, "threshold_documents": default_documents, "repeat": args.repeat,
                      "sizes": report}, indent=1))


if __name__ == "__main__":
    main()
