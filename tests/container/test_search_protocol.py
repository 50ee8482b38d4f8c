"""The lean HTTP/1.1 path of GET /search/ (container/http/search_protocol.py) answers byte for byte
as uvicorn's path through the ASGI stack: the same status line, headers (the date aside) and body
for answers, 400s, 504s, auth refusals and a bug's 500; keep-alive, pipelining, `Connection: close`
and HTTP/2 on the same port still work. A real uvicorn server on a socket, in-process content nodes.
Each request is sent as is (the lean path) and with `Content-Length: 0` (a request that says it has
a body takes uvicorn's path; the search front ignores a GET's empty body)."""
from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn

from container.app import create_app
from container.dispatch.content_client import NodeAddress
from container.dispatch.local_client import LocalContentNodeClient
from container.http import search_protocol
from container.http.auth import ClientAuth
from container.http.protocols import with_http2
from container.http.search_front import SearchFront
from container.http.search_protocol import search_protocol_for
from content_node.node import ContentNode
from content_node.service import ContentNodeService
from searchlib.schema.clients import DataPlaneClient
from tests.container.in_process import APPS

DOCS = {str(i): {"title": f"item {i} {'red' if i % 3 else 'blue'}", "brand": "acme", "year": 2000 + i,
                 "price": 10.5 + i} for i in range(12)}
YQL = 'select * from item where title contains "red"'
READER, WRITER = DataPlaneClient("reader", frozenset({"read"})), DataPlaneClient("writer", frozenset({"write"}))
AUTH = ClientAuth((READER, WRITER), ((READER, b"read-secret"), (WRITER, b"write-secret")), ())


@contextlib.contextmanager
def serving(clients: list, auth: ClientAuth | None = None):
    """The container app under uvicorn with the lean protocol (beside HTTP/2), on a free port."""
    app = create_app(str(APPS / "inprocess"), clients=clients, auth=auth)
    limits = app.state.application.limits
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_keep_alive=limits.idle_timeout,
                            http=with_http2(search_protocol_for(limits, app)))
    server = uvicorn.Server(config)
    listener = socket.create_server(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive()
        time.sleep(0.01)
    try:
        yield listener.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)
        listener.close()


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    data = tmp_path_factory.mktemp("lean")
    content = [ContentNode(APPS / "inprocess", data / f"node{k}", k, group_keys=[0, 1], groups=1) for k in (0, 1)]
    yield content
    for node in content:
        node.close()


def _clients(nodes) -> list[LocalContentNodeClient]:
    return [LocalContentNodeClient(NodeAddress(k, 0, f"in-process-{k}"), ContentNodeService(n))
            for k, n in enumerate(nodes)]


@pytest.fixture(scope="module")
def server(nodes):
    clients = _clients(nodes)
    with serving(clients) as port:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            for user_id, fields in DOCS.items():
                assert http.post(f"/document/v1/test/item/docid/{user_id}", json={"fields": fields}).status_code == 200
        yield port, clients


@pytest.fixture(scope="module")
def guarded(nodes):
    """The same container with data-plane clients (services.xml <clients>)."""
    with serving(_clients(nodes), AUTH) as port:
        yield port


@pytest.fixture
def lean_answers(monkeypatch) -> list:
    """Every request the lean path answered."""
    answered = []
    answer = search_protocol.SearchHttpProtocol._answer

    async def counted(self, front, scope, cycle):
        answered.append(scope["query_string"])
        await answer(self, front, scope, cycle)

    monkeypatch.setattr(search_protocol.SearchHttpProtocol, "_answer", counted)
    return answered


def request(target: str, *headers: str) -> bytes:
    return "\r\n".join([f"GET {target} HTTP/1.1", "Host: test", *headers, "", ""]).encode("latin-1")


def read_answer(stream) -> tuple[str, list[tuple[str, str]], bytes]:
    """(status line, headers in order without the date's value, body) of one answer."""
    status = stream.readline().decode("latin-1").rstrip("\r\n")
    headers = []
    while (line := stream.readline().decode("latin-1").rstrip("\r\n")):
        name, _, value = line.partition(": ")
        headers.append((name, "<date>" if name == "date" else value))
    length = int(dict(headers)["content-length"])
    return status, headers, stream.read(length)


def exchange(port: int, *requests: bytes, see_close: bool = False) -> tuple[list[tuple], bool]:
    """Send `requests` in one write on one connection; their answers, and (`see_close`) whether the
    server then closed the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn, conn.makefile("rb") as stream:
        conn.sendall(b"".join(requests))
        answers = [read_answer(stream) for _ in requests]
        if not see_close:
            return answers, False
        conn.settimeout(0.3)
        try:
            closed = stream.read(1) == b""
        except TimeoutError:
            closed = False
        return answers, closed


def both_ways(port: int, target: str, *headers: str) -> tuple[tuple, tuple]:
    (lean,), _ = exchange(port, request(target, *headers))
    (generic,), _ = exchange(port, request(target, *headers, "Content-Length: 0"))
    return lean, generic


def search(**params: str) -> str:
    return "/search/?" + urlencode(params)


TARGETS = [
    search(yql=YQL, hits="5"),
    "/search?" + urlencode({"yql": YQL, "ranking": "by_price", "hits": "3", "offset": "2"}),
    search(yql='select * from item where title contains "none"'),
    search(yql="select * from item where", hits="5"),  # 400
    search(yql=YQL, ranking="no_such_profile"),  # 400
    search(yql=YQL, hits="x"),  # 400
    search(yql=YQL, timeout="bogus"),  # 400
    search(yql=YQL) + "&hits=1&hits=4",  # the last one counts
    "http://test" + search(yql=YQL, hits="2") + "#fragment",  # absolute form, a fragment
    "/search/",  # no query: 400
]


@pytest.mark.parametrize("target", TARGETS, ids=range(len(TARGETS)))
def test_the_lean_path_answers_as_uvicorns(server, lean_answers, target) -> None:
    lean, generic = both_ways(server[0], target)
    assert lean == generic
    assert len(lean_answers) == 1  # the plain GET took the lean path, the one with a Content-Length did not
    status, headers, body = lean
    assert [name for name, _ in headers] == ["date", "server", "content-length", "content-type"]
    assert status in ("HTTP/1.1 200 OK", "HTTP/1.1 400 Bad Request") and body.startswith(b'{"root":')


def test_keep_alive_pipelining_and_connection_close(server, lean_answers) -> None:
    port = server[0]
    one, two = request(search(yql=YQL, hits="1")), request(search(yql=YQL, hits="2"))
    answers, closed = exchange(port, one, two, one, see_close=True)  # pipelined on one kept-alive connection
    assert [a[2].count(b'"id":"id:test:item::') for a in answers] == [1, 2, 1] and not closed
    assert len(lean_answers) >= 1  # the first; those pipelined behind it may take uvicorn's path
    answers, closed = exchange(port, request(search(yql=YQL, hits="1"), "Connection: close"), see_close=True)
    assert ("connection", "close") in answers[0][1] and closed
    lean, generic = both_ways(port, search(yql=YQL), "Connection: close")
    assert lean == generic


def test_percent_escaped_path_and_other_methods_take_uvicorns_path(server, lean_answers) -> None:
    port = server[0]
    (escaped,), _ = exchange(port, request("/%73earch/?" + urlencode({"yql": YQL, "hits": "2"})))
    (plain,), _ = exchange(port, request(search(yql=YQL, hits="2")))
    assert escaped == plain and len(lean_answers) == 1
    (put,), _ = exchange(port, b"PUT /search/ HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
    assert put[0] == "HTTP/1.1 405 Method Not Allowed" and len(lean_answers) == 1


def test_a_late_answer_is_the_same_504(server, lean_answers) -> None:
    port, clients = server
    for client in clients:
        client.delay = 0.5
    try:
        lean, generic = both_ways(port, search(yql=YQL, timeout="100ms"))
    finally:
        for client in clients:
            client.delay = 0.0
    assert lean == generic and lean[0] == "HTTP/1.1 504 Gateway Timeout" and len(lean_answers) == 1


def test_a_bug_is_uvicorns_500_and_closes(server, lean_answers, monkeypatch) -> None:
    async def broken(self, scope, receive, send):
        raise RuntimeError("a bug")

    monkeypatch.setattr(SearchFront, "_serve", broken)
    target = search(yql=YQL)
    (lean,), lean_closed = exchange(server[0], request(target), see_close=True)
    (generic,), generic_closed = exchange(server[0], request(target, "Content-Length: 0"), see_close=True)
    assert lean == generic and lean_closed and generic_closed
    assert lean[0] == "HTTP/1.1 500 Internal Server Error" and lean[2] == b"Internal Server Error"


def test_query_metrics_count_lean_searches(server, lean_answers) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{server[0]}") as http:
        def queries() -> float:
            metrics = http.get("/metrics/v2/values").json()["nodes"][0]["services"][0]["metrics"]
            return sum(m["values"].get("queries.count", 0.0) for m in metrics)

        before = queries()
        exchange(server[0], request(search(yql=YQL)))
        exchange(server[0], request(search(yql="select * from item where")))
        assert queries() - before == 2 and len(lean_answers) == 2


def test_http2_on_the_same_port(server) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{server[0]}", http1=False, http2=True) as http:
        answer = http.get("/search/", params={"yql": YQL, "hits": "3"})
        assert answer.http_version == "HTTP/2" and answer.status_code == 200
        assert len(answer.json()["root"]["children"]) == 3


@pytest.mark.parametrize("authorization,status", [
    (None, 401), ("Bearer nope", 401), ("Basic abc", 401), ("Bearer write-secret", 403), ("Bearer read-secret", 200)])
def test_auth_answers_as_uvicorns(guarded, lean_answers, authorization, status) -> None:
    headers = [f"Authorization: {authorization}"] if authorization else []
    lean, generic = both_ways(guarded, search(yql=YQL, hits="2"), *headers)
    assert lean == generic and int(lean[0].split()[1]) == status and len(lean_answers) == 1
