"""A hostile client against a live 2-node cluster (real processes): every numeric query parameter
at its edges, hypothesis-generated malformed bodies for /search/ and /document/v1 (bad JSON,
wrong types, huge and deep values, bad UTF-8, lone surrogates) and YQL from a small grammar of
fields, operators, annotations and edge numbers. Every answer is a 200 or a 4xx
with a Vespa-style error and no server text; no node ever leaves rotation; every document fed
before is intact afterwards. Also: half-sent and idle connections are closed, and a 50 MB body
is refused without the container buffering it."""
from __future__ import annotations

import json
import re
import shutil
import socket
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import DEFAULT_APP

IDLE_TIMEOUT, REQUEST_TIMEOUT = 1.0, 2.0
SERVER_TEXT = re.compile(r"\b\w*(Error|Exception)\b|Traceback|File \"")
YQL = "select * from doc where true"
NUMERIC = ["hits", "offset", "timeout", "ranking.rerankCount", "ranking.secondPhase.rerankCount",
           "ranking.keepRankCount", "ranking.rankScoreDropLimit", "ranking.globalPhase.rerankCount", "trace.level",
           "ranking.freshness"]
EDGES = ["0", "-1", "2147483647", "2147483648", "1000000000000", "NaN", "Infinity", "-Infinity", "1e400", "1.5", ""]
YQL_EDGES = ["select * from doc where {targetHits:%s}nearestNeighbor(embedding, q)",
             "select * from doc where ({targetHits:%s}weakAnd(title contains \"cell\", text contains \"cell\"))",
             "select * from doc where true limit %s", "select * from doc where true offset %s",
             "select * from doc where true timeout %s"]
DOCS = {f"doc-{i}": {"title": f"cell biology {i}", "text": f"protein folding number {i} in the cell",
                     "path": f"/papers/{i}"} for i in range(20)}
SETTINGS = settings(max_examples=200, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The default package with short connection timeouts (the rest at their defaults)."""
    root = tmp_path_factory.mktemp("fuzz")
    app = root / "app"
    shutil.copytree(DEFAULT_APP, app, symlinks=True)
    services = (app / "services.xml").read_text()
    limits = (f"<limits><idle-timeout>{IDLE_TIMEOUT}</idle-timeout>"
              f"<request-timeout>{REQUEST_TIMEOUT}</request-timeout></limits>")
    (app / "services.xml").write_text(services.replace("<search/>", "<search/>\n    " + limits))
    with LocalCluster(app, root / "data", nodes=2) as running:
        with httpx.Client(base_url=running.url, timeout=30.0) as client:
            for user_id, fields in DOCS.items():
                assert client.post(f"/document/v1/test/doc/docid/{user_id}", json={"fields": fields}).status_code == 200
        yield running


@pytest.fixture(scope="module")
def http(cluster):
    with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
        yield client


def check(response: httpx.Response, document: bool = False) -> None:
    """200, or a 4xx in the shape of the API, naming no exception and quoting no server text."""
    assert response.status_code == 200 or 400 <= response.status_code < 500, response.text[:500]
    body = response.json()
    if document:
        assert body["pathId"].startswith("/document/v1/")
        messages = [body["message"]] if response.status_code >= 400 and "message" in body else []
        assert messages or response.status_code in (200, 404), body  # a missing document's GET has none
    else:
        errors = body["root"].get("errors", [])
        assert response.status_code == 200 or errors, body
        assert all({"code", "summary", "message"} <= e.keys() for e in errors)
        messages = [e["message"] for e in errors]
    for message in messages:
        assert not SERVER_TEXT.search(message), message
        assert len(message) < 1000, message[:200]


def test_numeric_parameters_at_their_edges(http):
    for name in NUMERIC:
        for value in EDGES:
            check(http.get("/search/", params={"yql": YQL, name: value}))
    vector = json.dumps([0.05] * 384)
    for template in YQL_EDGES:
        for value in EDGES[:5] + ["2147483647L", "1000000000000L"]:
            check(http.post("/search/", json={"yql": template % value, "ranking": "semantic",
                                              "input": {"query(q)": vector}}))


scalars = (st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False, allow_infinity=False)
           | st.text(st.characters(exclude_categories=()), max_size=20)
           | st.sampled_from(["NaN", "-1", "2147483648", "1e400", "[1,2]", "{}", "embed(bge, @query)"]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=10)
SEARCH_KEYS = ["yql", "hits", "offset", "query", "ranking", "ranking.profile", "ranking.sorting", "input",
               "input.query(q)", "presentation", "trace", "model", "select", "sorting", "model.searchPath",
               "ranking.rerankCount", "ranking.keepRankCount", "ranking.rankScoreDropLimit", "model.restrict"]
yqls = st.sampled_from([YQL, "select * from doc where userQuery()", 'select * from doc where title contains "cell"',
                        "select * from doc where {targetHits:10}nearestNeighbor(embedding, q)",
                        "select * from doc where true order by path", "select * from doc where true | all(group(path) "
                        "each(output(count())))", "select * from doc where (((("]) | st.text(max_size=60)


def encoded(value: object, escape: bool) -> bytes:
    """JSON with non-ASCII escaped (lone surrogates as \\udXXX), or raw (surrogates as invalid UTF-8)."""
    if escape:
        return json.dumps(value).encode("ascii")
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def mutated(data: bytes, position: int, insert: bytes) -> bytes:
    position %= len(data) + 1
    return data[:position] + insert + data[position + len(insert):]


def nested(depth: int, leaf: bytes = b"1") -> bytes:
    return b'{"a":[' * depth + leaf + b"]}" * depth


edges = st.sampled_from(EDGES + [10, 0, -1, 2**31, 10**12, 1.5, -1e300, True, "semantic", "bm25", "-path"])
search_values = edges | edges | json_values  # mostly plausible values, to get past the first check
search_bodies = st.one_of(
    st.builds(encoded, st.fixed_dictionaries({"yql": yqls}, optional={k: search_values for k in SEARCH_KEYS
                                                                       if k != "yql"}), st.booleans()),
    st.builds(encoded, st.fixed_dictionaries({"yql": yqls}, optional={k: search_values for k in SEARCH_KEYS
                                                                       if k != "yql"}), st.booleans()),
    st.builds(mutated, st.builds(encoded, st.fixed_dictionaries({"yql": yqls}), st.just(True)), st.integers(0, 80),
              st.binary(min_size=1, max_size=4)),
    st.builds(lambda n: b'{"yql": "' + YQL.encode() + b'", "input": {"query(q)": ' + nested(n) + b"}}",
              st.integers(50, 3000)),
    st.binary(max_size=200),
    st.sampled_from([b'{"yql": "' + b"x" * 70_000 + b'"}', b"[" * 100_000, b'{"hits": ' + b"9" * 5000 + b"}"]),
)
texts = st.text(st.characters(exclude_categories=()), max_size=40)  # lone surrogates included
field_values = (texts | texts | json_values | st.just([0.5] * 384)
                | st.builds(lambda n: "x" * n, st.integers(0, 300_000)))
fields = st.dictionaries(st.sampled_from(["title", "text", "path", "url", "embedding", "tokens", "nope"]) | st.text(
    max_size=6), field_values, max_size=4)
update_ops = st.dictionaries(st.sampled_from(["title", "text", "path", "embedding"]), st.dictionaries(
    st.sampled_from(["assign", "increment", "add", "remove", "divide", "x"]), field_values, max_size=2), max_size=3)
document_bodies = st.one_of(
    st.builds(encoded, st.fixed_dictionaries({"fields": fields | update_ops}), st.booleans()),
    st.builds(encoded, st.fixed_dictionaries({"fields": fields | update_ops}), st.booleans()),
    st.builds(encoded, json_values, st.booleans()),
    st.builds(mutated, st.builds(encoded, st.fixed_dictionaries({"fields": fields}), st.just(True)),
              st.integers(0, 80), st.binary(min_size=1, max_size=4)),
    st.builds(lambda n: b'{"fields": {"title": ' + nested(n, b'"x"') + b"}}", st.integers(50, 3000)),
    st.binary(max_size=200),
)


FIELDS = ["title", "text", "path", "url", "embedding", "tokens", "default", "nosuch", "[relevance]"]
NUMBERS = ["0", "-1", "1.5", "2147483647", "2147483648", "1000000000000L", "-Infinity", "1e400", "NaN"]
ANNOTATIONS = ["targetHits", "weight", "hitLimit", "distanceThreshold", "hnsw.exploreAdditionalHits", "ranked",
               "filter", "label", "approximate", "stem"]
field_names = st.sampled_from(["title", "text", "default", "path"]) | st.sampled_from(FIELDS)  # valid ones more often
numbers = st.sampled_from(["1", "10", "100"]) | st.sampled_from(NUMBERS)
words = (st.sampled_from(['"cell"', '"protein"', '"cell"', '""', "'x'", '"' + "w" * 200 + '"'])
         | st.text(max_size=8).map(json.dumps))
annotation = st.builds(lambda k, v: "{%s:%s}" % (k, v), st.sampled_from(ANNOTATIONS), numbers | words)
leaves = st.one_of(
    st.builds(lambda f, w: f"{f} contains {w}", field_names, words),
    st.builds(lambda f, op, n: f"{f} {op} {n}", field_names, st.sampled_from(["=", "<", ">", "<=", ">="]), numbers),
    st.builds(lambda f, a, b: f"range({f}, {a}, {b})", field_names, numbers, numbers),
    st.builds(lambda a, f: f"{a}nearestNeighbor({f}, q)", annotation, field_names),
    st.builds(lambda f, w: f"{f} contains phrase({w}, {w})", field_names, words),
    st.builds(lambda f, w: f"{f} in ({w})", field_names, words),
    st.builds(lambda f, w: f"{f} matches {w}", field_names, words),
    st.sampled_from(["true", "false", "userQuery()"]),
)
where = st.recursive(leaves, lambda inner: st.one_of(
    st.builds(lambda a, b, op: f"({a} {op} {b})", inner, inner, st.sampled_from(["and", "or"])),
    st.builds(lambda a: f"!({a})", inner),
    st.builds(lambda a, b, k: f"{k}({a}, {b})", inner, inner, st.sampled_from(["rank", "weakAnd", "and"])),
    st.builds(lambda x, a: f"({x}{a})", annotation, inner)), max_leaves=6)
tails = st.lists(st.one_of(
    st.builds(lambda f, d: f" order by {f} {d}", field_names, st.sampled_from(["asc", "desc", ""])),
    st.builds(lambda k, n: f" {k} {n}", st.sampled_from(["limit", "offset"]), numbers),
    st.builds(lambda n: f" timeout {n}", st.sampled_from(["5000", "0", "-1", "600001", "1000000000000L", "NaN"])),
    st.builds(lambda f, a, g: f" | all(group({f}) max({a}) each(output(count(), {g}({f}))))", field_names, numbers,
              st.sampled_from(["sum", "avg", "min", "max"])),
), max_size=2).map("".join)


@SETTINGS
@given(condition=where, tail=tails, profile=st.sampled_from(["default", "bm25", "semantic", "hybrid", "bert-ranker"]),
       query=st.text(max_size=20))
def test_fuzzed_yql(http, condition, tail, profile, query):
    response = http.post("/search/", json={"yql": f"select * from doc where {condition}{tail}", "query": query,
                                           "ranking": profile, "input": {"query(q)": [0.05] * 384}})
    event(f"HTTP {response.status_code}")
    check(response)


@SETTINGS
@given(body=search_bodies, params=st.dictionaries(st.sampled_from(NUMERIC + SEARCH_KEYS), st.text(max_size=12)
                                                  | st.sampled_from(EDGES), max_size=3))
def test_fuzzed_search_requests(http, body, params):
    response = http.post("/search/", content=body, params=params)
    event(f"HTTP {response.status_code}")
    check(response)


user_ids = st.sampled_from(["fuzz-a", "fuzz-b"]) | st.text(st.characters(exclude_categories=()), max_size=30).filter(
    lambda text: not text.startswith("doc-") and text not in ("", ".", ".."))  # never a fed one; no path tricks


@SETTINGS
@given(body=document_bodies, method=st.sampled_from(["POST", "PUT", "POST", "PUT", "GET", "DELETE", "PATCH"]),
       user_id=user_ids, doctype=st.sampled_from(["doc", "doc", "nodoc"]))
def test_fuzzed_document_requests(http, body, method, user_id, doctype):
    path = quote(user_id.encode("utf-8", "surrogatepass"), safe="")
    response = http.request(method, f"/document/v1/test/{doctype}/docid/{path}", content=body)
    event(f"HTTP {response.status_code}")
    check(response, document=True)


def test_idle_and_half_sent_connections_are_closed(cluster, http):
    partial = [b"", b"GET /search/?yql=sel", b"GET /search/ HTTP/1.1\r\nHost: x\r\n",
               b"POST /search/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"yql\"",
               b"GET /state/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"]  # the last one answered, then idle
    sockets = []
    for index in range(100):
        sock = socket.create_connection(("127.0.0.1", cluster.port))
        sock.sendall(partial[index % len(partial)])
        sockets.append(sock)
    started = time.monotonic()
    assert http.get("/search/", params={"yql": YQL}).status_code == 200  # others are served meanwhile
    for sock in sockets:
        sock.settimeout(max(started + REQUEST_TIMEOUT + 3 - time.monotonic(), 0.1))
        try:
            while sock.recv(65536):  # a 408 or the health answer may come first; then the close
                pass
        except ConnectionResetError:
            pass
        except TimeoutError:
            pytest.fail(f"a connection was still open {time.monotonic() - started:.1f} s later")
        finally:
            sock.close()


def test_a_request_line_above_header_bytes_is_431(cluster, http):
    sock = socket.create_connection(("127.0.0.1", cluster.port))
    sock.settimeout(5)
    try:
        sock.sendall(b"GET /search/?yql=" + b"a" * 300_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    except OSError:
        pass  # closed while the rest was still being sent
    answer = sock.recv(65536)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 431 ") and b"262144 bytes" in answer
    assert http.get("/search/", params={"yql": YQL}).status_code == 200


def rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))


def test_a_50mb_body_is_refused_without_being_buffered(cluster):
    before = rss_kb(cluster.container_pid)
    declared = socket.create_connection(("127.0.0.1", cluster.port))
    declared.sendall(b"POST /document/v1/test/doc/docid/huge HTTP/1.1\r\nHost: x\r\nContent-Length: 52428800\r\n\r\n"
                     + b"x" * 65536)
    declared.settimeout(5)
    assert declared.recv(65536).startswith(b"HTTP/1.1 413 ")  # answered after 64 KB of the 50 MB
    declared.close()
    streamed = socket.create_connection(("127.0.0.1", cluster.port))
    streamed.sendall(b"POST /search/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    sent, chunk = 0, b"x" * 1_000_000
    try:
        while sent < 50_000_000:
            streamed.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
    except OSError:
        pass  # the container answered and closed the connection
    streamed.settimeout(5)
    try:
        answer = streamed.recv(65536)
    except OSError:
        answer = b""
    streamed.close()
    assert sent < 20_000_000, f"the container kept reading: {sent} bytes accepted"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 413 ")
    assert rss_kb(cluster.container_pid) - before < 30_000  # KB: nowhere near 50 MB held


def test_afterwards_every_node_is_in_rotation_and_every_document_intact(cluster, http):
    nodes = http.get("/state/v1/nodes").json()["nodes"]
    assert all(node["up"] and node["reachable"] for node in nodes), nodes
    log = cluster.log_path("container").read_text()
    assert "out of rotation" not in log  # never, not just now
    assert "unexpected error" not in log and "search failed" not in log and "Exception in ASGI" not in log
    for user_id, fields in DOCS.items():
        stored = http.get(f"/document/v1/test/doc/docid/{user_id}").json()["fields"]
        assert {name: stored.get(name) for name in fields} == fields
