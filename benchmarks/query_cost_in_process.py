"""CPU per query that a shared machine disturbs less: the BM25 top-10 scifact queries of
benchmarks/query_cost.py through one process (the container's ASGI app under starlette's TestClient,
2 content nodes behind in-process clients that still encode, serialize and parse every gRPC
message), each query `--repeat` times in a row. Per query it takes the process CPU (container and
nodes) and the nodes' thread CPU (their servicers' Search) of the first run and the least of the
runs: the least is the work itself, with little of the waits and cache misses other processes
cause. No uvicorn, no sockets, no gRPC transport: those stay in benchmarks/query_cost.py.

    python -m benchmarks.query_cost_in_process [--repeat 5]

Prints one JSON object: ms per query, averaged over the 300 queries."""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

from benchmarks.bm25_scifact import BM25_APP, SCIFACT as DEFAULT_SCIFACT
from container.app import create_app
from container.dispatch.content_client import NodeAddress
from container.dispatch.local_client import LocalContentNodeClient
from content_node.node import ContentNode
from content_node.service import ContentNodeService
from deploy.beir_eval import load_dataset, sanitize_query_text

SCIFACT = Path(os.environ.get("SCIFACT_DIR", DEFAULT_SCIFACT))


class TimedService(ContentNodeService):
    """The servicer, counting the thread CPU its searches take."""
    cpu = 0.0

    def Search(self, request, context):  # noqa: N802 - gRPC's name
        started = time.thread_time()
        try:
            return super().Search(request, context)
        finally:
            TimedService.cpu += time.thread_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    dataset = load_dataset(SCIFACT)
    with tempfile.TemporaryDirectory() as data_dir:
        keys = [0, 1]
        nodes = [ContentNode(BM25_APP, Path(data_dir) / f"node{key}", key, group_keys=keys, groups=1) for key in keys]
        clients = [LocalContentNodeClient(NodeAddress(key, 0, f"in-process-{key}"), TimedService(node))
                   for key, node in zip(keys, nodes)]
        try:
            with TestClient(create_app(str(BM25_APP), clients=clients)) as http:
                with open(dataset.corpus_path, encoding="utf-8") as corpus:
                    for line in corpus:
                        doc = json.loads(line)
                        fields = {"title": doc.get("title", ""), "text": doc.get("text", "")}
                        assert http.post(f"/document/v1/test/doc/docid/{doc['_id']}",
                                         json={"fields": fields}).status_code == 200
                queries = [{"yql": "select * from doc where userQuery()", "query": sanitize_query_text(text),
                            "type": "any", "ranking": "bm25", "hits": "10", "timeout": "10s"}
                           for text in dataset.queries.values()]
                for params in queries[:50]:  # warm-up
                    http.get("/search/", params=params)
                first = least = first_nodes = least_nodes = 0.0
                for params in queries:
                    runs = []
                    for _ in range(args.repeat):
                        TimedService.cpu = 0.0
                        started = time.process_time()
                        assert http.get("/search/", params=params).status_code == 200
                        runs.append((time.process_time() - started, TimedService.cpu))
                    first, first_nodes = first + runs[0][0], first_nodes + runs[0][1]
                    least, least_nodes = least + min(r[0] for r in runs), least_nodes + min(r[1] for r in runs)
        finally:
            for node in nodes:
                node.close()
    n = len(queries) / 1000.0
    print(json.dumps({"checkout": str(Path(__file__).resolve().parents[1]), "repeat": args.repeat,
                      "first_run": {"all": round(first / n, 3), "nodes": round(first_nodes / n, 3),
                                    "container": round((first - first_nodes) / n, 3)},
                      "least_of_runs": {"all": round(least / n, 3), "nodes": round(least_nodes / n, 3),
                                        "container": round((least - least_nodes) / n, 3)}}, indent=1))


if __name__ == "__main__":
    main()
