"""What cluster mutual TLS costs a query: two 2-node clusters of the same BM25 package, one plain and
one started with `tls=True` (`phasedsearch up --tls`), fed the same scifact documents, then the same
queries sent alternately to each (so the shared machine's noise falls on both alike).

    python -m benchmarks.mtls_latency [--documents 2000] [--queries 400] [--rounds 2]
"""
from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

from benchmarks.report import write_section
from deploy.local_cluster import LocalCluster
from tests.integration.conftest import shared_data_dir
from tests.integration.test_security import SCHEMA

SERVICES = """<services version="1.0"><container id="default" version="1.0"><search/><document-api/></container>
<content id="content" version="1.0"><redundancy>1</redundancy><documents><document type="doc" mode="index"/></documents>
<nodes><node hostalias="n0" distribution-key="0"/><node hostalias="n1" distribution-key="1"/></nodes></content></services>"""
YQL = "select * from doc where userQuery()"


def _stats(values: list[float]) -> tuple[float, float, float, float]:
    values = sorted(values)
    return (statistics.mean(values), values[len(values) // 2], values[int(len(values) * 0.95)],
            values[int(len(values) * 0.99)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    lines = (shared_data_dir() / "scifact" / "corpus.jsonl").read_text().splitlines()
    docs = [json.loads(line) for line in lines[:args.documents]]
    queries = [" ".join(re.findall(r"[A-Za-z]+", d["title"])) for d in docs[::5]][:args.queries]
    root = Path(tempfile.mkdtemp(prefix="mtls-bench-"))
    app = root / "app"
    (app / "schemas").mkdir(parents=True)
    (app / "schemas" / "doc.sd").write_text(SCHEMA)
    (app / "services.xml").write_text(SERVICES)
    latencies: dict[str, list[float]] = {"plaintext gRPC": [], "mutual TLS": []}
    with LocalCluster(app, root / "plain", nodes=2) as plain, LocalCluster(app, root / "tls", nodes=2, tls=True) as tls:
        clients = {"plaintext gRPC": httpx.Client(base_url=plain.url, timeout=30),
                   "mutual TLS": httpx.Client(base_url=tls.url, timeout=30)}
        for http in clients.values():
            for d in docs:
                http.post(f"/document/v1/s/doc/docid/{d['_id']}",
                          json={"fields": {"title": d["title"], "text": d["text"]}}).raise_for_status()
            for q in queries[:40]:  # warm up
                http.get("/search/", params={"yql": YQL, "query": q, "ranking": "bm25", "hits": 10})
        for i, q in enumerate(queries * args.rounds):
            for name in (list(clients) if i % 2 == 0 else list(reversed(clients))):
                started = time.perf_counter()
                response = clients[name].get("/search/", params={"yql": YQL, "query": q, "ranking": "bm25", "hits": 10})
                latencies[name].append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
    rows = "\n".join(f"| {name} | {len(v)} | " + " | ".join(f"{x:.2f}" for x in _stats(v)) + " |"
                     for name, v in latencies.items())
    body = f"""`python -m benchmarks.mtls_latency --documents {args.documents} --queries {args.queries} --rounds {args.rounds}`
on {platform.machine()}, 2 cores (shared), {date.today().isoformat()}. Two clusters of 2 content nodes + container
on loopback, the same BM25 package (title, text) and {args.documents} scifact documents; each query
(`userQuery()`, `bm25`, 10 hits: a Search to both nodes, then GetDocsums) goes to both clusters in turn.
Client to container is plain HTTP in both; only the container↔node gRPC differs.

| cluster | queries | mean ms | p50 ms | p95 ms | p99 ms |
| --- | --- | --- | --- | --- | --- |
{rows}

The channels are long-lived, so the TLS handshake is paid once per container–node pair; what remains
per query is AES-GCM over a few kilobytes each way."""
    write_section("Cluster mutual TLS: query latency (issue 16)", body)
    print(body)


if __name__ == "__main__":
    main()
