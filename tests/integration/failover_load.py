"""Mixed load for the failover tests and benchmark: feeding and querying clients on threads, with
every outcome recorded, and helpers that read a node's documents straight over gRPC."""
from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

import grpc
import httpx

from protos import content_node_pb2 as pb
from protos import content_node_pb2_grpc as pb_grpc

QUERY_TIMEOUT = "10s"  # generous: the machine is shared, a slow query must not read as a failure


@dataclass
class WriteLog:
    """Per document: the last acknowledged state (fields, or None when removed) and ids whose
    outcome is unknown (a write that was not acknowledged may or may not have landed)."""

    acked: dict[str, dict | None] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    count: int = 0


@dataclass
class QueryLog:
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (start time, seconds)
    failures: list[str] = field(default_factory=list)
    degraded: list[dict] = field(default_factory=list)  # coverage objects of not-full answers
    coverages: list[tuple[float, dict]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)


def document_id(user_id: str) -> str:
    return f"id:test:doc::{user_id}"


def feeder(url: str, name: str, stop: threading.Event, log: WriteLog, lock: threading.Lock,
           seed: int) -> None:
    """Puts new documents, and now and then updates or removes one of its own (one writer per id,
    so the last acknowledged operation defines the document)."""
    rng = random.Random(seed)
    own: list[str] = []
    with httpx.Client(base_url=url, timeout=30.0) as client:
        i = 0
        while not stop.is_set():
            roll = rng.random()
            if own and roll < 0.15:
                user_id = rng.choice(own)
                fields = {"title": f"updated {user_id}", "text": "failover load updated document"}
                operations = {name: {"assign": value} for name, value in fields.items()}
                response = client.put(f"/document/v1/test/doc/docid/{user_id}", json={"fields": operations})
                state = ("update", fields)
            elif own and roll < 0.22:
                user_id = own.pop(rng.randrange(len(own)))
                response = client.delete(f"/document/v1/test/doc/docid/{user_id}")
                state = ("remove", None)
            else:
                user_id = f"{name}-{i}"
                i += 1
                fields = {"title": f"document {user_id}", "text": f"failover load document {name} {i}"}
                response = client.post(f"/document/v1/test/doc/docid/{user_id}", json={"fields": fields})
                own.append(user_id)
                state = ("put", fields)
            with lock:
                log.count += 1
                doc = document_id(user_id)
                if response.status_code == 200:
                    previous = log.acked.get(doc)
                    if state[0] == "update":
                        log.acked[doc] = {**(previous or {}), **state[1]}
                    else:
                        log.acked[doc] = state[1]
                else:
                    log.unknown.add(doc)
                    log.failures.append(f"{response.status_code} {response.text[:200]}")


def querier(url: str, stop: threading.Event, log: QueryLog, lock: threading.Lock) -> None:
    terms = ["failover", "load", "document", "updated"]
    with httpx.Client(base_url=url, timeout=30.0) as client:
        k = 0
        while not stop.is_set():
            term = terms[k % len(terms)]
            k += 1
            started = time.monotonic()
            try:
                response = client.get("/search/", params={
                    "yql": f'select * from doc where text contains "{term}"', "hits": 10,
                    "timeout": QUERY_TIMEOUT})
            except httpx.HTTPError as error:
                with lock:
                    log.failures.append(f"transport: {error}")
                continue
            elapsed = time.monotonic() - started
            body = response.json() if response.headers.get("content-type", "").startswith("application/json") \
                else {}
            root = body.get("root", {})
            coverage = root.get("coverage", {})
            with lock:
                log.statuses.append(response.status_code)
                log.latencies.append((started, elapsed))
                log.coverages.append((started, coverage))
                if response.status_code != 200 or root.get("errors"):
                    log.failures.append(f"{response.status_code} {root.get('errors')}")
                elif not coverage.get("full"):
                    log.degraded.append(coverage)


class Load:
    """Start feeders and queriers; `stop()` joins them."""

    def __init__(self, url: str, feeders: int = 3, queriers: int = 3, seed: int = 7) -> None:
        self.writes, self.queries = WriteLog(), QueryLog()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=feeder, args=(url, f"f{seed}x{n}", self._stop, self.writes,
                                                                self._lock, seed * 100 + n), daemon=True)
                         for n in range(feeders)]
        self._threads += [threading.Thread(target=querier, args=(url, self._stop, self.queries, self._lock),
                                           daemon=True) for _ in range(queriers)]

    def __enter__(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)


def node_documents(address: str) -> dict[str, int]:
    """document id → checksum of every document on one content node."""
    with grpc.insecure_channel(address) as channel:
        reply = pb_grpc.ContentNodeStub(channel).ListDocuments(pb.ListDocumentsRequest(), timeout=30)
    return {entry.document_id: entry.checksum for entry in reply.documents}


def group_documents(cluster, group: int) -> dict[str, int]:
    documents: dict[str, int] = {}
    for spec in cluster.nodes:
        if spec.group == group:
            documents.update(node_documents(spec.address))
    return documents


def nodes_view(http: httpx.Client) -> dict[int, dict]:
    return {n["distribution_key"]: n for n in http.get("/state/v1/nodes").json()["nodes"]}


def wait_for(predicate, seconds: float = 30.0, interval: float = 0.1):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


def p99(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
