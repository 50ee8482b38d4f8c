"""CPU of one content node's Search per query, with nothing else in the process: the node's share
of scifact (recovered from a snapshot, as benchmarks/bm25_scale.py loads its nodes), the 300 scifact
test queries as the container sends them for BM25 top-10 with the summaries (one round trip), each
request encoded once beforehand and then parsed, searched, filled and encoded by the servicer in
this thread, `--repeat` times in a row (least thread CPU taken). `--profile FILE` writes a cProfile
of the timed calls (the servicer runs in this thread, so the profile holds all of it).

    python -m benchmarks.node_query_cost [--repeat 5] [--profile FILE]

Prints one JSON object: ms per query (mean over the queries of the least of the runs)."""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import tempfile
import time
from pathlib import Path

from benchmarks.bm25_scifact import BM25_APP, SCIFACT as DEFAULT_SCIFACT
from content_node.node import ContentNode
from content_node.service import ContentNodeService
from content_node.store.document_store import encode_fields
from content_node.store.snapshot import document_line, write_snapshot
from deploy.beir_eval import load_dataset, sanitize_query_text
from searchlib.distribution import node_in_group
from searchlib.docid import global_id
from searchlib.linguistics import tokenize
from searchlib.query import tree as q
from searchlib.wire import search_codec as codec

NODES = 2
SCIFACT = Path(os.environ.get("SCIFACT_DIR", DEFAULT_SCIFACT))  # a baseline checkout elsewhere reads the same data


def node_with_scifact(data_dir: Path, key: int = 0) -> ContentNode:
    """Node `key` of a 2-node cluster holding scifact as the container would place it."""
    dataset = load_dataset(SCIFACT)
    lines = []
    with open(dataset.corpus_path, encoding="utf-8") as corpus:
        for line in corpus:
            doc = json.loads(line)
            document_id = f"id:test:doc::{doc['_id']}"
            if node_in_group(global_id(document_id), range(NODES)) == key:
                fields = {"title": doc.get("title", ""), "text": doc.get("text", "")}
                lines.append(document_line(document_id, encode_fields(fields), {}))
    directory = data_dir / "doc"
    directory.mkdir(parents=True)
    write_snapshot(directory, len(lines), lines)
    return ContentNode(BM25_APP, data_dir, key, group_keys=list(range(NODES)), groups=1)


def requests() -> list[bytes]:
    out = []
    for text in load_dataset(SCIFACT).queries.values():
        words = tokenize(sanitize_query_text(text))
        query = q.Or(tuple(q.Term("default", w) for w in words)) if len(words) > 1 else q.Term("default", words[0])
        call = codec.SearchCall(schema="doc", rank_profile="bm25", query=query, hits=10, timeout_ms=10000,
                                with_summaries=True, summary_class="default")
        out.append(codec.encode_search_call(call).SerializeToString())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", default="")
    args = parser.parse_args()
    from protos import content_node_pb2 as pb
    encoded = requests()
    profiler = cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory() as data_dir:
        node = node_with_scifact(Path(data_dir))
        service = ContentNodeService(node)
        try:
            def one(body: bytes) -> bytes:
                return service.Search(pb.SearchRequest.FromString(body), None).SerializeToString()
            for body in encoded[:50]:  # warm-up
                one(body)
            least = first = 0.0
            for body in encoded:
                runs = []
                for _ in range(args.repeat):
                    if profiler:
                        profiler.enable()
                    started = time.thread_time()
                    one(body)
                    runs.append(time.thread_time() - started)
                    if profiler:
                        profiler.disable()
                first, least = first + runs[0], least + min(runs)
        finally:
            node.close()
    if profiler:
        profiler.dump_stats(args.profile)
    n = len(encoded) / 1000.0
    print(json.dumps({"checkout": str(Path(__file__).resolve().parents[1]), "repeat": args.repeat,
                      "node_ms_first_run": round(first / n, 3), "node_ms_least_of_runs": round(least / n, 3)}))


if __name__ == "__main__":
    main()
