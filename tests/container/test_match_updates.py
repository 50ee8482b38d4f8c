"""Vespa's `match` update ({"match": {"element": k, "increment": 2}}) through /document/v1: a weighted
set weight counted up from nothing with create-if-nonexistent and removed at 0 with remove-if-zero
(workshop-ecommerce's purchase counts), left alone without create-if-nonexistent, and arithmetic on
an array element; then a dotProduct query ranks by the counted weights."""
from __future__ import annotations

import pytest

from tests.container.in_process import APPS, in_process_cluster

URL = "/document/v1/test/user/docid/"


@pytest.fixture(scope="module")
def users(tmp_path_factory):
    with in_process_cluster(APPS / "weightedset_match", tmp_path_factory.mktemp("match"), nodes=1) as cluster:
        yield cluster


def update(users, user: str, fields: dict, create: bool = True) -> None:
    response = users.http.put(URL + user, params={"create": str(create).lower()}, json={"fields": fields})
    assert response.status_code == 200, response.text


def fields(users, user: str) -> dict:
    response = users.http.get(URL + user)
    assert response.status_code == 200, response.text
    return response.json()["fields"]


def test_match_counts_weights_and_removes_at_zero(users) -> None:
    for product in (11, 12, 11, 11):  # one purchase each
        update(users, "a", {"user_profile": {"match": {"element": product, "increment": 1}}})
    update(users, "a", {"tags": {"match": {"element": "red", "increment": 1}}, "visits": {"assign": [1, 2]}})
    update(users, "a", {"visits": {"match": {"element": 1, "multiply": 5}}})
    assert fields(users, "a") == {"user_profile": {"11": 3, "12": 1}, "visits": [1, 10]}  # no tag created
    update(users, "a", {"user_profile": {"match": {"element": "12", "decrement": 1}}})
    assert fields(users, "a")["user_profile"] == {"11": 3}


def test_the_counted_weights_rank(users) -> None:
    update(users, "b", {"user_profile": {"match": {"element": 12, "increment": 7}}})
    root = users.search(yql='select * from user where dotProduct(user_profile, {"11": 2, "12": 1})', ranking="sparse_dot")
    assert [(hit["id"].rsplit(":", 1)[1], hit["relevance"]) for hit in root["children"]] == [("b", 7.0), ("a", 6.0)]


def test_a_malformed_match_is_a_400(users) -> None:
    response = users.http.put(URL + "a", json={"fields": {"visits": {"match": {"element": "x", "increment": 1}}}})
    assert response.status_code == 400
    assert "element must be an index" in response.json()["message"]
