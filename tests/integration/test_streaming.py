"""Streaming mode (tests/apps/streaming: `mail` in mode="streaming", two nodes): a query with
`streaming.groupname`/`streaming.userid`/`streaming.selection` searches exactly that group's
documents. Profile `bysize`: relevance = size.

  id:mail:mail:g=alice:1  "hello world"   size 10
  id:mail:mail:g=alice:2  "hello there"   size 20
  id:mail:mail:g=alice:3  "goodbye"       size 30
  id:mail:mail:g=bob:4    "hello bob"     size 40
  id:mail:mail:n=7:5      "hello seven"   size 50
"""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster

APP = Path(__file__).resolve().parents[1] / "apps" / "streaming"
DOCS = [("group/alice", "1", "hello world", 10), ("group/alice", "2", "hello there", 20),
        ("group/alice", "3", "goodbye", 30), ("group/bob", "4", "hello bob", 40), ("number/7", "5", "hello seven", 50)]


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("streaming"), nodes=2) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
            for location, key, subject, size in DOCS:
                response = client.post(f"/document/v1/mail/mail/{location}/{key}",
                                       json={"fields": {"subject": subject, "size": size}})
                assert response.status_code == 200, response.text
            yield client


def search(http: httpx.Client, **parameters) -> httpx.Response:
    return http.get("/search/", params={"yql": 'select * from mail where subject contains "hello"',
                                       "ranking": "bysize", **parameters})


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [hit["fields"]["documentid"] for hit in response.json()["root"].get("children", [])]


@pytest.mark.parametrize("parameters, expected", [
    ({"streaming.groupname": "alice"}, ["id:mail:mail:g=alice:2", "id:mail:mail:g=alice:1"]),
    ({"streaming.groupname": "bob"}, ["id:mail:mail:g=bob:4"]),
    ({"streaming.groupname": "carol"}, []),
    ({"streaming.userid": "7"}, ["id:mail:mail:n=7:5"]),
    ({"streaming.selection": 'id.group == "alice" and mail.size > 15'}, ["id:mail:mail:g=alice:2"]),
    ({}, ["id:mail:mail:n=7:5", "id:mail:mail:g=bob:4", "id:mail:mail:g=alice:2", "id:mail:mail:g=alice:1"]),
])
def test_a_query_searches_exactly_its_group(http, parameters, expected) -> None:
    response = search(http, **parameters)
    assert ids(response) == expected
    assert response.json()["root"]["fields"]["totalCount"] == len(expected)


def test_documents_are_read_back_by_their_group_path(http) -> None:
    response = http.get("/document/v1/mail/mail/group/alice/3")
    assert response.status_code == 200 and response.json()["id"] == "id:mail:mail:g=alice:3"
    assert http.get("/document/v1/mail/mail/number/x/3").status_code == 400


@pytest.mark.parametrize("parameters, message", [
    ({"streaming.userid": "seven"}, "Invalid streaming.userid"),
    ({"streaming.selection": "mail.nosuch == 1"}, "Invalid streaming.selection"),
    ({"streaming.groupname": 'a"b'}, "Invalid streaming.groupname"),
])
def test_bad_streaming_parameters_are_400(http, parameters, message) -> None:
    response = search(http, **parameters)
    assert response.status_code == 400 and message in response.json()["root"]["errors"][0]["message"]
