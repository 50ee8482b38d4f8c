"""The lean /document/v1/ front (container/http/document_front.py) answers exactly as the generic
Starlette stack behind it: the same status, content type and JSON ({"pathId", "message"} errors) for
puts, updates, removes and gets by id, with conditions, create=true, gzip, bad JSON, bad ids and
locations, refused bodies and client authentication; the same feed metrics; and the same stored
documents. Every request is sent through the front and then through the stack, so each is
idempotent or refused. Both run in one process on real content nodes."""
from __future__ import annotations

import gzip
import json

import pytest
from starlette.testclient import TestClient

from container.app import create_app
from container.http.auth import ClientAuth
from container.http.document_front import DocumentFront
from container.http.search_front import SearchFront
from searchlib.schema.clients import DataPlaneClient
from tests.container.in_process import APPS, in_process_cluster

DOC = "/document/v1/test/item/docid"
ITEM = {"title": "red kettle", "brand": "acme", "year": 2001, "price": 12.5}
METRICS = ("httpapi_num_operations.count", "httpapi_succeeded.count", "httpapi_failed.count",
           "httpapi_latency.count")


def _front_and_stack(http: TestClient) -> tuple[TestClient, TestClient]:
    http.get("/state/v1/health")  # the stack is built on the first request
    app = http.app
    search = app.middleware_stack
    assert isinstance(search, SearchFront) and isinstance(search.app, DocumentFront)
    stack = search.app.app

    async def behind_the_fronts(scope, receive, send) -> None:
        scope["app"] = app  # as Starlette.__call__ sets it
        await stack(scope, receive, send)

    return http, TestClient(behind_the_fronts)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    with in_process_cluster(APPS / "inprocess", tmp_path_factory.mktemp("docfront"), nodes=2) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def clients(shop) -> tuple[TestClient, TestClient]:
    return _front_and_stack(shop.http)


def _json(body: object, compress: bool = False, **extra) -> dict:
    data = json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if compress:
        data, headers = gzip.compress(data), {**headers, "content-encoding": "gzip"}
    return {"content": data, "headers": headers, **extra}


REQUESTS = [
    ("POST", f"{DOC}/a1", _json({"fields": ITEM})),
    ("GET", f"{DOC}/a1", {}),
    ("GET", f"{DOC}/missing", {}),  # 404
    ("PUT", f"{DOC}/a1", _json({"fields": {"year": {"assign": 2024}}})),
    ("PUT", f"{DOC}/a1", _json({"fields": {"price": {"assign": 3.25}}}, params={"condition": "item.year==2024"})),
    ("PUT", f"{DOC}/a1", _json({"fields": {"price": {"assign": 9.0}}}, params={"condition": "item.year==1999"})),  # 412
    ("POST", f"{DOC}/a1", _json({"fields": ITEM, "condition": "item.brand==\"other\""})),  # 412
    ("GET", f"{DOC}/a1", {}),  # year 2024, price 3.25: the refused writes changed nothing
    ("PUT", f"{DOC}/nothing-here", _json({"fields": {"year": {"assign": 1}}})),  # no create: not there
    ("PUT", f"{DOC}/made", _json({"fields": {"year": {"assign": 7}}}, params={"create": "true"})),
    ("PUT", f"{DOC}/made2", _json({"fields": {"year": {"assign": 8}}, "create": True})),
    ("GET", f"{DOC}/made", {}),
    ("POST", f"{DOC}/gz", _json({"fields": {**ITEM, "title": "blue pot"}}, compress=True)),
    ("GET", f"{DOC}/gz", {}),
    ("POST", f"{DOC}/bad", {"content": b"{not json", "headers": {"content-type": "application/json"}}),
    ("POST", f"{DOC}/bad", _json([1, 2])),
    ("POST", f"{DOC}/bad", _json({"title": "no fields object"})),
    ("POST", f"{DOC}/bad", _json({"fields": {"no_such_field": 1}})),
    ("POST", f"{DOC}/bad", _json({"fields": {"year": "not a number"}})),
    ("POST", f"{DOC}/bad", _json({"fields": ITEM}, params={"condition": "item.year =="})),
    ("POST", f"{DOC}/bad", _json({"fields": ITEM, "condition": 5})),
    ("POST", f"{DOC}/bad", _json({"fields": ITEM}, params={"timeout": "bogus"})),
    ("POST", f"{DOC}/bad", {"content": b""}),
    ("POST", f"{DOC}/bad", {"content": b"\x1f\x8b not gzip", "headers": {"content-encoding": "gzip"}}),
    ("POST", f"{DOC}/bad", {"content": b" " * (2 * 1024 * 1024 + 1)}),  # 413
    ("POST", "/document/v1/test/no_such_type/docid/x", _json({"fields": ITEM})),
    ("GET", "/document/v1/test/item/number/abc/x", {}),  # a number must be digits
    ("POST", "/document/v1/test/item/group/a:b/x", _json({"fields": ITEM})),
    ("POST", "/document/v1/test/item/number/12/n1", _json({"fields": ITEM})),
    ("GET", "/document/v1/test/item/number/12/n1", {}),
    ("POST", f"{DOC}/what%3Fis%23this", _json({"fields": ITEM})),  # pathId as Starlette's request.url.path
    ("GET", f"{DOC}/what%3Fis%23this", {}),
    ("POST", f"{DOC}/deep/er/id", _json({"fields": ITEM})),
    ("DELETE", f"{DOC}/a1", {"params": {"condition": "item.year==1999"}}),  # 412
    ("DELETE", f"{DOC}/deep/er/id", {"content": b"ignored"}),
    ("DELETE", f"{DOC}/never-was", {}),
    ("GET", f"{DOC}/deep/er/id", {}),  # removed: 404
    ("GET", DOC, {}),  # a visit: the stack either way
    ("GET", f"{DOC}/", {}),
    ("PATCH", f"{DOC}/a1", {}),  # 405 from the router either way
    ("HEAD", f"{DOC}/a1", {}),
]


TOKEN = {"headers": {"authorization": "Bearer read-secret"}}


def _metrics(client: TestClient, kwargs: dict | None = None) -> dict[tuple[str, str], float]:
    values: dict[tuple[str, str], float] = {}
    for entry in client.get("/metrics/v2/values", **(kwargs or {})).json()["nodes"][0]["services"][0]["metrics"]:
        operation = entry["dimensions"].get("operation", "")
        for name, value in entry["values"].items():
            if name in METRICS:
                values[(name, operation)] = value
    return values


def _answer(client: TestClient, method: str, path: str, kwargs: dict) -> tuple:
    before = _metrics(client)
    response = client.request(method, path, **kwargs)
    after = _metrics(client)
    body = response.json() if response.content else None
    counted = {key: after[key] - before.get(key, 0.0) for key in after if after[key] != before.get(key, 0.0)}
    return response.status_code, response.headers.get("content-type"), body, counted


@pytest.mark.parametrize("method,path,kwargs", REQUESTS, ids=[f"{m} {p} {i}" for i, (m, p, _) in enumerate(REQUESTS)])
def test_the_front_answers_as_the_generic_stack(clients, method, path, kwargs) -> None:
    front, generic = clients
    fast = _answer(front, method, path, kwargs)
    slow = _answer(generic, method, path, kwargs)
    assert fast == slow
    if method == "HEAD":  # answered as a get (status and headers), never read as a write without a body
        assert fast[0] == front.get(path).status_code
    status, _, body, counted = fast
    if status >= 400 and method != "HEAD" and (method, status) != ("GET", 404):  # a missing document: no message
        assert set(body) >= {"pathId", "message"} and body["pathId"].startswith("/document/v1/")
    if method in ("POST", "PUT", "DELETE") or "/docid/" in path and not path.endswith("/docid/"):
        assert sum(v for (name, _), v in counted.items() if name == "httpapi_num_operations.count") == 1.0


def test_the_stored_document_is_what_both_paths_wrote(clients) -> None:
    front, generic = clients
    fields = front.get(f"{DOC}/a1").json()["fields"]
    assert fields == {**ITEM, "year": 2024, "price": 3.25}
    assert generic.get(f"{DOC}/made").json()["fields"] == {"year": 7}
    assert front.get(f"{DOC}/what%3Fis%23this").json()["pathId"] == f"{DOC}/what%3Fis%23this"


def test_the_front_serves_documents_without_the_route(shop, clients, monkeypatch) -> None:
    front, generic = clients
    handler = shop.http.app.state.clusters.documents_for("item")
    routed = []
    original = handler.handle

    async def counting(request):
        routed.append(request.url.path)
        return await original(request)

    monkeypatch.setattr(handler, "handle", counting)
    for client in (front, generic):
        assert client.post(f"{DOC}/r1", json={"fields": ITEM}).status_code == 200
        assert client.put(f"{DOC}/r1", json={"fields": {"year": {"increment": 1}}}).status_code == 200
        assert client.get(f"{DOC}/r1").json()["fields"]["year"] in (ITEM["year"] + 1, ITEM["year"] + 2)
        assert client.delete(f"{DOC}/r1").status_code == 200
    assert routed == [f"{DOC}/r1"] * 4  # only the stack's requests went through the Starlette route


WRITER = DataPlaneClient("writer", frozenset({"read", "write"}), tokens=("w",))
READER = DataPlaneClient("reader", frozenset({"read"}), tokens=("r",))
AUTH_REQUESTS = [
    ("POST", {}),  # 401: no credentials
    ("POST", {"authorization": "Bearer nope"}),  # 401
    ("POST", {"authorization": "Basic abc"}),  # 401
    ("POST", {"authorization": "Bearer read-secret"}),  # 403: read only
    ("POST", {"authorization": "Bearer write-secret"}),
    ("GET", {"authorization": "Bearer read-secret"}),
    ("GET", {}),  # 401
    ("DELETE", {"authorization": "Bearer read-secret"}),  # 403
]


@pytest.fixture(scope="module")
def guarded(shop):
    auth = ClientAuth((WRITER, READER), ((WRITER, b"write-secret"), (READER, b"read-secret")), ())
    with TestClient(create_app(str(APPS / "inprocess"), clients=shop.clients, auth=auth)) as http:
        yield _front_and_stack(http)


@pytest.mark.parametrize("method,headers", AUTH_REQUESTS, ids=[f"{m} {i}" for i, (m, _) in enumerate(AUTH_REQUESTS)])
def test_client_authentication_is_the_same(guarded, method, headers) -> None:
    front, generic = guarded
    kwargs = {"headers": headers, **({"json": {"fields": ITEM}} if method == "POST" else {})}
    answers = []
    for client in (front, generic):
        before = _metrics(client, TOKEN)
        response = client.request(method, f"{DOC}/auth1", **kwargs)
        after = _metrics(client, TOKEN)
        answers.append((response.status_code, response.headers.get("www-authenticate"), response.json(),
                        {key: after[key] - before.get(key, 0.0) for key in after}))
    assert answers[0] == answers[1]
    status, _, body, counted = answers[0]
    assert sum(v for (name, _), v in counted.items() if name == "httpapi_num_operations.count") == 1.0
    if "secret" not in headers.get("authorization", ""):
        assert status == 401 and body["pathId"] == f"{DOC}/auth1"
    elif headers["authorization"] == "Bearer read-secret" and method != "GET":
        assert status == 403


def test_path_id_of_is_starlettes_request_url_path() -> None:
    """The plain-path shortcut of document_handler.path_id_of gives what URL(scope=...).path gives, for
    paths with every character URL escapes or drops, with and without a Host header."""
    import random

    from starlette.datastructures import URL

    from container.http.document_handler import path_id_of

    def outcome(function, scope):
        try:
            return function(scope)
        except ValueError as error:  # urlsplit refuses some (a 500 on either path)
            return type(error)

    alphabet = ["/", "?", "#", "\\", "\t", "\n", "\r", "%", "a", "é", " ", ":", "@", "[", "]", "\x00", "\x7f", "\u2028"]
    rng = random.Random(20)
    paths = [f"{DOC}/x", f"{DOC}/x?y", "//document/v1/x", f"{DOC}/a\\b#c\td"]
    paths += ["/" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(5000)]
    for path in paths:
        for headers in ([(b"host", b"localhost:8080")], []):
            scope = {"type": "http", "path": path, "query_string": b"", "headers": headers, "scheme": "http",
                     "server": ("127.0.0.1", 8080) if headers else None}
            assert outcome(path_id_of, scope) == outcome(lambda s: URL(scope=s).path, scope), repr(path)


def test_the_route_match_is_the_routers(shop) -> None:
    """DocumentFront._document_route (compiled route parts) finds what the routes' own `matches`
    find, in the router's order, for random paths and methods: document paths of every form, visit
    paths, other routes, and a root path."""
    import random

    app = create_app(str(APPS / "inprocess"), clients=shop.clients)
    front = app.build_middleware_stack().app
    assert isinstance(front, DocumentFront)
    parts = ["document", "v1", "ns", "shop", "docid", "group", "number", "g1", "12", "x", "", "a b", "é", "%2F",
             "search", "explorer", "state"]
    rng = random.Random(7)
    paths = [f"{DOC}/x", f"{DOC}/", DOC, f"{DOC}/a/b/c", "/document/v1/ns/shop/group/g/x", "/document/v1/ns/shop/number/7/x",
             "/document/v1/", "/document/v1/ns/shop/number/x/y", "/search/", "/"]
    paths += ["/document/v1/" + "/".join(rng.choice(parts) for _ in range(rng.randint(0, 6))) for _ in range(3000)]
    paths += ["/" + "/".join(rng.choice(parts) for _ in range(rng.randint(0, 6))) for _ in range(500)]
    checked = 0
    for path in paths:
        for method in ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"):
            for root_path in ("", "/document"):
                scope = {"type": "http", "path": path, "method": method, "root_path": root_path}
                assert front._document_route(scope) == front._document_route_of_any(scope), (path, method, root_path)
                checked += front._document_route(scope) is not None
    assert checked > 500  # many of them are document requests


def test_document_responses_are_starlettes_json_bytes() -> None:
    """DocumentResponse (one shared encoder) renders what JSONResponse renders, and refuses what it refuses."""
    import math
    import random

    from starlette.responses import JSONResponse

    from container.http.document_handler import DocumentResponse

    rng = random.Random(3)
    alphabet = ["a", "é", "\u2028", "\x00", "\x1f", "\x7f", '"', "\\", "/", "\n", "😀", " "]

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))

    def value(depth: int):
        kind = rng.randrange(7 if depth < 3 else 4)
        if kind == 0:
            return text()
        if kind == 1:
            return rng.choice([0, -1, 2**63, 1.5, 1e16, -0.0, 1e-7, True, None])
        if kind == 2:
            return rng.random() * 10 ** rng.randint(-20, 20)
        if kind == 3:
            return rng.randint(-10**20, 10**20)
        if kind == 4:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        return {text(): value(depth + 1) for _ in range(rng.randint(0, 3))}

    for _ in range(3000):
        content = {"pathId": text(), "id": text(), "fields": value(1)}
        status = rng.choice([200, 400, 404, 412, 503])
        ours, theirs = DocumentResponse(content, status), JSONResponse(content, status)
        assert (ours.body, ours.status_code, ours.raw_headers) == (theirs.body, theirs.status_code, theirs.raw_headers)
    for refused in (math.nan, math.inf, "\ud800"):
        for cls in (DocumentResponse, JSONResponse):
            with pytest.raises((ValueError, UnicodeEncodeError)):
                cls({"fields": {"x": refused}})
