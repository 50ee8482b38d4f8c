"""/metrics/v2/values and /prometheus/v1/values on a real cluster: the figures move by exactly the
load that was sent (queries per rank profile, hits, feed operations, documents per node)."""
from __future__ import annotations

import re

import pytest

from tests.integration.conftest import put, search

_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def prometheus(http) -> dict[tuple[str, frozenset], float]:
    response = http.get("/prometheus/v1/values")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    values = {}
    for line in response.text.splitlines():
        found = _LINE.match(line)
        assert found, f"not Prometheus text: {line!r}"
        name, labels, value = found.groups()
        values[(name, frozenset(_LABEL.findall(labels or "")))] = float(value)
    return values


def value(values, name: str, **labels) -> float:
    wanted = set(labels.items())
    return sum(v for (n, found), v in values.items() if n == name and wanted <= set(found))


@pytest.fixture(scope="module", autouse=True)
def fed(http):
    for index in range(6):
        assert put(http, f"m{index}", {"title": f"metrics document {index}", "text": "counting things"}).status_code == 200


def test_query_and_feed_metrics_move_by_the_load_sent(http):
    before = prometheus(http)
    hits = 0
    for _ in range(5):
        body = search(http, yql="select * from doc where userQuery()", query="metrics", ranking="bm25",
                      hits=4).json()
        hits += len(body["root"]["children"])
    assert search(http, yql="select * from doc where", ranking="bm25").status_code == 400
    for index in range(3):
        assert put(http, f"extra{index}", {"title": "more"}).status_code == 200
    assert http.get("/document/v1/test/doc/docid/m1").status_code == 200
    after = prometheus(http)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)
    assert delta("queries_count", rankProfile="bm25") == 5
    assert delta("hits_per_query_sum", rankProfile="bm25") == hits == 20
    assert delta("totalhits_per_query_sum", rankProfile="bm25") == 5 * 6
    assert delta("query_latency_count", rankProfile="bm25") == 5
    assert value(after, "query_latency_99percentile", rankProfile="bm25") > 0
    assert delta("failed_queries_count") == 1  # the malformed YQL
    assert delta("httpapi_num_operations_count", operation="put") == 3
    assert delta("httpapi_succeeded_count", operation="put") == 3
    assert delta("httpapi_num_operations_count", operation="get") == 1
    assert value(after, "content_proton_documentdb_documents_active_last") == 9
    assert value(after, "content_node_up_last") == 2


def test_v2_values_groups_metrics_by_dimensions(http):
    search(http, yql="select * from doc where true", ranking="unranked")
    body = http.get("/metrics/v2/values").json()
    service = body["nodes"][0]["services"][0]
    assert service["name"] == "vespa.container" and service["status"]["code"] == "up"
    unranked = [m for m in service["metrics"] if m["dimensions"].get("rankProfile") == "unranked"]
    assert unranked and unranked[0]["values"]["queries.count"] >= 1
    assert {"query_latency.average", "query_latency.max", "query_latency.95percentile"} <= set(unranked[0]["values"])
    per_node = [m for m in service["metrics"] if "distributionKey" in m["dimensions"]]
    assert {m["dimensions"]["distributionKey"] for m in per_node} == {"0", "1"}
