"""A declared input the query does not give is Vespa's default (0, or an empty tensor of the declared
type; indexed cells 0), not a 400: the sample apps' text queries use profiles that also declare the
tensors their vector queries send (album-recommendation, simple-semantic-search, colbert). A
nearestNeighbor without its query tensor is still refused."""
from __future__ import annotations

import pytest

from tests.container.in_process import APPS, in_process_cluster

DOCS = {"1": {"album": "A head full of dreams", "category_scores": {"cells": {"pop": 1.0}}, "embedding": [1.0, 2.0]},
        "2": {"album": "Hardwired to self-destruct", "category_scores": {"cells": {"rock": 1.0}}, "embedding": [3.0, 1.0]}}
YQL = 'select * from music where album contains "head"'


@pytest.fixture(scope="module")
def music(tmp_path_factory):
    with in_process_cluster(APPS / "input_defaults", tmp_path_factory.mktemp("inputs"), nodes=1) as cluster:
        cluster.feed("music", DOCS)
        yield cluster


def only_hit(root: dict) -> dict:
    assert root["fields"]["totalCount"] == 1, root
    return root["children"][0]


def test_inputs_not_given_rank_as_zero_and_empty(music) -> None:
    bare = only_hit(music.search(yql=YQL, ranking="rank_albums"))
    explicit = only_hit(music.search(yql=YQL, ranking="rank_albums", **{
        "input.query(user_profile)": "{}", "input.query(e)": "[0, 0]", "input.query(boost)": "0"}))
    assert bare["relevance"] == explicit["relevance"] > 0  # bm25(album) alone
    assert bare["fields"]["matchfeatures"] == {"query(boost)": 0.0, "sum(query(e))": 0.0}


def test_given_inputs_still_count(music) -> None:
    bare = only_hit(music.search(yql=YQL, ranking="rank_albums"))["relevance"]
    given = only_hit(music.search(yql=YQL, ranking="rank_albums", **{
        "input.query(user_profile)": "{{cat:pop}:4}", "input.query(e)": "[1, 1]", "input.query(boost)": "2"}))
    # 0.25 * 4 * 1 (pop) + (1*1 + 1*2) (embedding) + 2 (boost)
    assert given["relevance"] == pytest.approx(bare + 1.0 + 3.0 + 2.0)


def test_a_nearest_neighbor_without_its_tensor_is_refused(music) -> None:
    response = music.http.get("/search/", params={
        "yql": "select * from music where {targetHits: 2}nearestNeighbor(embedding, e)", "ranking": "rank_albums"})
    assert response.status_code == 400
    assert "query(e)" in response.json()["root"]["errors"][0]["message"]
