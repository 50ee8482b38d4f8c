"""Two containers in front of the same 2 content nodes (benchmarks/apps/bm25, fed scifact, e.g. a
baseline checkout's and this one's; see benchmarks/container_pair.py): every answer compared, status,
Content-Type, Content-Length, Connection and body bytes. /search/ on the 300 scifact queries and
malformed, POST, HEAD, 405 and 413 requests; /document/v1 put, get, update, remove with conditions,
create, gzip and the 400/404/405/412/413 errors; with `--stall PID` (the pid of content node 1) the
node is SIGSTOPped for the 504 (timed out before health checks see it) and 503 (went down) answers,
then SIGCONTed. Each request goes to A, then to B, so the document state is the same for both.

    python -m benchmarks.front_answers http://127.0.0.1:A http://127.0.0.1:B [--stall PID]

Prints each difference and one JSON object with the counts."""
from __future__ import annotations

import argparse
import gzip
import json
import os
import signal
import time

import httpx

from benchmarks.query_cost import SCIFACT
from deploy.beir_eval import load_dataset, sanitize_query_text
from searchlib.distribution import node_in_group
from searchlib.docid import global_id

HEAD = ("content-type", "content-length", "connection")
P = "/document/v1/doc/doc/docid/"
SEARCH_EXTRAS = [("GET", "/search/?query=a&hits=-1", None), ("GET", "/search/?yql=select%20bad", None),
                 ("POST", "/search/", b'{"yql": "select * from doc where userQuery()", "query": "cancer cells", '
                                      b'"ranking": "bm25"}'),
                 ("POST", "/search/", b"{bad json"), ("GET", "/search/?query=x&timeout=abc", None),
                 ("PUT", "/search/", b""), ("HEAD", "/search/?query=a", None),
                 ("POST", "/search/", b"x" * (70 * 1024 * 1024))]


def key(response: httpx.Response) -> tuple:
    return response.status_code, tuple((h, response.headers.get(h)) for h in HEAD), response.content


class Comparison:
    def __init__(self, a: str, b: str) -> None:
        self.urls = (a, b)
        self.same = self.different = 0

    def request(self, label: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                quiet: bool = False) -> httpx.Response:
        answers = []
        for url in self.urls:  # A first, then B: a write leaves the state B's request finds as A's found it
            with httpx.Client(timeout=30) as client:
                answers.append(client.request(method, url + path, content=body, headers=headers or {}))
        same = key(answers[0]) == key(answers[1])
        self.same += same
        self.different += not same
        if not same or not quiet:
            print(label, method, path[:70], answers[0].status_code,
                  "same" if same else f"DIFFERENT {key(answers[0])!r:.300} {key(answers[1])!r:.300}", flush=True)
        return answers[0]


def owned_by(node: int, prefix: str = "cmp") -> str:
    """A user id whose document node `node` holds (of 2 nodes in one group)."""
    n = 0
    while node_in_group(global_id(f"id:doc:doc::{prefix}-{n}"), [0, 1]) != node:
        n += 1
    return f"{prefix}-{n}"


def document_steps(d0: str) -> list[tuple]:
    big = json.dumps({"fields": {"title": "x" * (3 * 1024 * 1024)}}).encode()
    title = "doc.title%3D%3D%22"
    return [
        ("DELETE", P + d0, None, {}), ("GET", P + d0, None, {}),
        ("POST", P + d0, b'{"fields": {"title": "hello", "text": "world \\u00e9 \\u2028 \\"q\\""}}', {}),
        ("GET", P + d0, None, {}),
        ("PUT", P + d0, b'{"fields": {"title": {"assign": "hi"}}}', {}),
        ("PUT", P + d0 + f"?condition={title}nope%22", b'{"fields": {"title": {"assign": "x"}}}', {}),
        ("PUT", P + d0 + f"?condition={title}hi%22%20or%20{title}y%22", b'{"fields": {"title": {"assign": "y"}}}', {}),
        ("PUT", P + "missing-xyz?create=true", b'{"fields": {"title": {"assign": "c"}}}', {}),
        ("DELETE", P + "missing-xyz", None, {}),
        ("PUT", P + "missing-abc", b'{"fields": {"title": {"assign": "c"}}}', {}),
        ("POST", P + d0, b"{bad", {}), ("POST", P + d0, b"[1]", {}), ("POST", P + d0, b'{"fields": {"nope": 1}}', {}),
        ("POST", P + d0, b'{"fields": {"title": 5}}', {}), ("POST", P + d0, b"{}", {}), ("POST", P + d0, b"", {}),
        ("POST", P + d0 + "?timeout=abc", b'{"fields": {"title": "a"}}', {}),
        ("POST", P + d0 + "?condition=((", b'{"fields": {"title": "a"}}', {}),
        ("POST", "/document/v1/doc/nosuch/docid/x", b'{"fields": {"title": "a"}}', {}),
        ("POST", "/document/v1/doc/doc/number/abc/x", b'{"fields": {"title": "a"}}', {}),
        ("POST", "/document/v1/doc/doc/group/g1/x", b'{"fields": {"title": "a"}}', {}),
        ("GET", "/document/v1/doc/doc/group/g1/x", None, {}),
        ("POST", P + "q%3Fa%23b%2Fc", b'{"fields": {"title": "a"}}', {}),
        ("POST", P + d0, gzip.compress(b'{"fields": {"title": "gz"}}'), {"content-encoding": "gzip"}),
        ("POST", P + d0, b"notgzip", {"content-encoding": "gzip"}),
        ("POST", P + d0, big, {}),
        ("PATCH", P + d0, b"{}", {}), ("HEAD", P + d0, None, {}), ("GET", "/document/v1/nope", None, {}),
        ("GET", "/document/v1/doc/doc/docid?wantedDocumentCount=1&selection=false", None, {}),
        ("DELETE", P + d0, None, {}), ("GET", P + d0, None, {}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--stall", type=int, default=0, help="pid of content node 1 (SIGSTOPped for a while)")
    args = parser.parse_args()
    compare = Comparison(args.a, args.b)
    for text in load_dataset(SCIFACT).queries.values():
        params = {"yql": "select * from doc where userQuery()", "query": sanitize_query_text(text), "type": "any",
                  "ranking": "bm25", "hits": "10"}
        compare.request("search", "GET", "/search/?" + str(httpx.QueryParams(params)), quiet=True)
    for method, path, body in SEARCH_EXTRAS:
        compare.request("search", method, path, body)
    for method, path, body, headers in document_steps(owned_by(0)):
        compare.request("document", method, path, body, headers)
    if args.stall:
        d1 = owned_by(1)
        os.kill(args.stall, signal.SIGSTOP)
        try:  # before health checks see it (1.5 s ping timeout): the write times out, 504
            compare.request("stalled", "POST", P + d1 + "?timeout=0.4", b'{"fields": {"title": "late"}}')
            time.sleep(3.5)  # now it is seen down: a write in flight to it is given up, 503
            compare.request("down", "POST", P + d1 + "?timeout=1", b'{"fields": {"title": "down"}}')
            compare.request("down", "DELETE", P + d1 + "?timeout=0.6")
        finally:
            os.kill(args.stall, signal.SIGCONT)
    print(json.dumps({"same": compare.same, "different": compare.different}))


if __name__ == "__main__":
    main()
