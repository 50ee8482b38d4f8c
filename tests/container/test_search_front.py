"""The lean /search/ front (container/http/search_front.py) answers exactly as the generic Starlette
stack behind it: the same status, content type and JSON for good, bad and refused requests, GET and
POST (plain and gzip), and the same query metrics. Both run in one process on real content nodes."""
from __future__ import annotations

import gzip
import json

import pytest
from starlette.testclient import TestClient

from container.http.search_front import SearchFront
from tests.container.in_process import APPS, in_process_cluster

DOCS = {str(i): {"title": f"item {i} {'red' if i % 3 else 'blue'}", "brand": "acme", "year": 2000 + i,
                 "price": 10.5 + i} for i in range(12)}
YQL = 'select * from item where title contains "red"'
METRICS = ("queries.count", "failed_queries.count", "degraded_queries.count", "hits_per_query.sum",
           "totalhits_per_query.sum")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    with in_process_cluster(APPS / "inprocess", tmp_path_factory.mktemp("front"), nodes=2) as cluster:
        cluster.feed("item", DOCS)
        yield cluster


@pytest.fixture(scope="module")
def clients(shop) -> tuple[TestClient, TestClient]:
    shop.http.get("/state/v1/health")  # the stack is built on the first request
    app = shop.http.app
    front = app.middleware_stack
    assert isinstance(front, SearchFront)

    async def behind_the_front(scope, receive, send) -> None:
        scope["app"] = app  # as Starlette.__call__ sets it
        await front.app(scope, receive, send)

    return shop.http, TestClient(behind_the_front)  # the same app: with the front, and the stack behind it


def _json_post(body: object, compress: bool = False) -> dict:
    data = json.dumps(body).encode()
    headers = {"content-type": "application/json"}
    if compress:
        data, headers = gzip.compress(data), {**headers, "content-encoding": "gzip"}
    return {"method": "POST", "content": data, "headers": headers}


REQUESTS = [
    ("GET", "/search/", {"params": {"yql": YQL, "hits": "5"}}),
    ("GET", "/search", {"params": {"yql": YQL, "ranking": "by_price", "hits": "3", "offset": "2"}}),
    ("GET", "/search/", {"params": {"yql": 'select * from item where title contains "none"'}}),
    ("GET", "/search/", {"params": {"yql": "select * from item where", "hits": "5"}}),  # 400
    ("GET", "/search/", {"params": {"yql": YQL, "ranking": "no_such_profile"}}),  # 400
    ("GET", "/search/", {"params": {"yql": YQL, "hits": "5", "hits": "x"}}),
    ("GET", "/search/", {"params": [("yql", YQL), ("hits", "1"), ("hits", "4")]}),  # the last one counts
    ("GET", "/search/", {"params": {"yql": YQL, "timeout": "bogus"}}),
    ("POST", "/search/", _json_post({"yql": YQL, "hits": 4, "ranking": {"profile": "by_price"}})),
    ("POST", "/search/", _json_post({"yql": YQL, "hits": 2}, compress=True)),
    ("POST", "/search/", {"content": b"{not json", "headers": {"content-type": "application/json"}}),
    ("POST", "/search/", _json_post([1, 2])),
    ("POST", "/search/", {"content": b"\x1f\x8b not gzip", "headers": {"content-encoding": "gzip"}}),
    ("POST", "/search/", {"content": b" " * (8 * 1024 * 1024 + 1)}),  # 413
    ("POST", "/search/", {"content": b""}),
    ("GET", "/search/", {"params": {"yql": YQL}, "content": b" " * (8 * 1024 * 1024 + 1)}),  # 413 for a GET too
    ("GET", "/search/", {"params": {"yql": YQL}, "content": b"ignored"}),
    ("PUT", "/search/", {}),  # 405 from the router either way
]


def _metrics(client: TestClient) -> dict[str, float]:
    values: dict[str, float] = {}
    for entry in client.get("/metrics/v2/values").json()["nodes"][0]["services"][0]["metrics"]:
        for name, value in entry["values"].items():
            if name in METRICS:
                values[name] = values.get(name, 0.0) + value
    return values


def _answer(client: TestClient, method: str, path: str, kwargs: dict) -> tuple:
    kwargs = {k: v for k, v in kwargs.items() if k != "method"}
    before = _metrics(client)
    response = client.request(method, path, **kwargs)
    after = _metrics(client)
    body = response.json()
    return (response.status_code, response.headers["content-type"], body,
            {name: after.get(name, 0.0) - before.get(name, 0.0) for name in METRICS})


@pytest.mark.parametrize("method,path,kwargs", REQUESTS, ids=[f"{m} {p} {i}" for i, (m, p, _) in enumerate(REQUESTS)])
def test_the_front_answers_as_the_generic_stack(clients, method, path, kwargs) -> None:
    front, generic = clients
    fast = _answer(front, method, path, kwargs)
    slow = _answer(generic, method, path, kwargs)
    assert fast == slow
    status, _, body, counted = fast
    if method in ("GET", "POST"):
        assert counted["queries.count"] == 1.0  # every search request is counted once
    if status == 200 and "children" in body["root"]:
        assert counted["hits_per_query.sum"] == len(body["root"]["children"])


def test_the_front_serves_search_and_leaves_other_paths(clients) -> None:
    front, _ = clients
    ok = front.get("/search/", params={"yql": YQL, "hits": "20"})
    assert ok.status_code == 200 and ok.headers["content-type"] == "application/json"
    assert int(ok.headers["content-length"]) == len(ok.content)
    assert len(ok.json()["root"]["children"]) == sum("red" in d["title"] for d in DOCS.values())
    assert front.get("/document/v1/test/item/docid/1").json()["fields"]["price"] == DOCS["1"]["price"]
    assert front.get("/searchx").status_code == 404
