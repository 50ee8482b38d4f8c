"""A small window comes in one round trip (the nodes send their hits' summaries with the hits):
the answer is the same as the two-phase fill's (`dispatch.summariesWithHits=false`), hits,
relevance, summary fields and summary-features, total count and coverage, on a real 2-node
cluster, for rank order with a second phase, sorting, an offset, and a window too large for it.
A summary of strings only is spliced into the response as the node wrote it: the same bytes."""
from __future__ import annotations

import time

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import REPO

APP = REPO / "tests" / "apps" / "ranking"
DAY = 86400
NOW = time.time()
TWO_PHASE = {"dispatch.summariesWithHits": "false"}


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("summaries"), nodes=2) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=60.0) as client:
            for i in range(1, 41):
                fields = {"title": ["daily news", "weekly digest", "daily digest news"][i % 3],
                          "timestamp": int(NOW - (i % 7) * 10 * DAY), "pop": float(i % 13),
                          "emb": {"values": [float(i), float(i % 4), 1.0]}}
                response = client.post(f"/document/v1/test/doc/docid/{i}", json={"fields": fields})
                assert response.status_code == 200, response.text
            yield client


def search(http: httpx.Client, **params) -> dict:
    response = http.get("/search/", params={"ranking.freshness": str(int(NOW)), **params})
    assert response.status_code == 200, response.text
    return response.json()["root"]


QUERIES = [
    # second phase, match-features, summary-features reading a query tensor
    {"yql": "select * from doc where true", "ranking": "phases", "hits": "10", "input.query(q)": "[1, 2, 3]"},
    # text match, freshness, an xgboost second phase; an offset into the window
    {"yql": "select * from doc where title contains \"daily\"", "ranking": "title-freshness",
     "hits": "5", "offset": "3"},
    {"yql": "select * from doc where userQuery() order by pop desc", "query": "news digest", "model.defaultIndex": "title",
     "ranking": "title-freshness", "hits": "7"},
    # 2 nodes x 40 hits is more summaries than the one round trip carries: two-phase either way
    {"yql": "select * from doc where true", "ranking": "phases", "hits": "40", "input.query(q)": "[1, 0, 0]"},
]


@pytest.mark.parametrize("params", QUERIES, ids=["phases", "offset", "sorted", "large-window"])
def test_one_round_trip_answers_as_the_two_phase_fill(http, params) -> None:
    one = search(http, **params)
    two = search(http, **params, **TWO_PHASE)
    assert one["children"], "the query must find something to compare"
    assert one == two
    assert all("title" in hit["fields"] and "documentid" in hit["fields"] for hit in one["children"])
    assert one["coverage"]["full"] and one["coverage"]["nodes"] == 2


def test_summary_features_come_with_the_hits(http) -> None:
    root = search(http, **QUERIES[0])
    features = [hit["fields"]["summaryfeatures"] for hit in root["children"]]
    assert len(features) == 10 and all({"weighted", "qdot"} <= set(f) for f in features)


def test_the_trace_says_which_path_answered(http) -> None:
    note = "summaries came with the hits"

    def trace(params: dict) -> str:
        response = http.get("/search/", params={**params, "trace.level": "1"})
        assert response.status_code == 200, response.text
        return str(response.json()["trace"])

    assert note in trace(QUERIES[0])
    assert note not in trace({**QUERIES[0], **TWO_PHASE})
    assert note not in trace(QUERIES[3])


@pytest.mark.parametrize("params", QUERIES[:3], ids=["phases", "offset", "sorted"])
def test_plain_summaries_spliced_unread_give_the_same_bytes(http, params) -> None:
    """Class `titles` (strings only): the one round trip's summaries go into the response unread
    (container/http/rendering.py, _spliced); the two-phase fill reads them and renders them again."""
    params = {"ranking.freshness": str(int(NOW)), **params, "presentation.summary": "titles"}
    one = http.get("/search/", params=params)
    two = http.get("/search/", params={**params, **TWO_PHASE})
    assert one.status_code == two.status_code == 200, one.text
    assert one.content == two.content
    children = one.json()["root"]["children"]
    assert children and all(set(hit["fields"]) >= {"sddocname", "title"} for hit in children)
    assert all("timestamp" not in hit["fields"] for hit in children)
