"""The HTTP APIs of a real 2-node cluster: feed, search, fill, errors (real gRPC, real processes)."""
from __future__ import annotations

import pytest

from tests.integration.conftest import put, search

DOCS = {
    "1": {"title": "Phased ranking in search engines", "text": "First phase ranks every match cheaply",
          "path": "docs/ranking"},
    "2": {"title": "Cross encoders", "text": "A cross encoder reranks the best hits in the global phase",
          "path": "docs/global"},
    "3": {"title": "Nearest neighbor search", "text": "HNSW graphs find close vectors quickly",
          "path": "docs/ann"},
    "4": {"title": "Ranking expressions", "text": "Expressions combine rank features such as bm25",
          "path": "docs/expressions"},
}


@pytest.fixture(scope="module", autouse=True)
def fed(http):
    for user_id, fields in DOCS.items():
        response = put(http, user_id, fields)
        assert response.status_code == 200, response.text
        assert response.json() == {"pathId": f"/document/v1/test/doc/docid/{user_id}",
                                   "id": f"id:test:doc::{user_id}"}


def test_documents_are_spread_over_both_nodes(http):
    nodes = http.get("/state/v1/nodes").json()["nodes"]
    assert [n["up"] for n in nodes] == [True, True]
    assert sum(n["documents"] for n in nodes) == len(DOCS)
    assert all(n["documents"] > 0 for n in nodes)


def test_bm25_query_ranks_and_fills_window(http):
    body = search(http, yql="select * from sources * where userQuery()", query="ranking",
                  ranking="bm25", hits=2).json()
    root = body["root"]
    assert root["fields"]["totalCount"] == 2
    assert root["coverage"]["full"] is True and root["coverage"]["nodes"] == 2
    ids = [h["id"] for h in root["children"]]
    assert set(ids) == {"id:test:doc::1", "id:test:doc::4"}
    first = root["children"][0]
    assert list(first["fields"])[:3] == ["matchfeatures", "sddocname", "documentid"]
    assert first["fields"]["matchfeatures"]["bm25(title_text)"] > 0
    relevances = [h["relevance"] for h in root["children"]]
    assert relevances == sorted(relevances, reverse=True)


def test_offset_and_hits_window(http):
    everything = search(http, yql="select * from doc where true", ranking="unranked", hits=10).json()
    all_ids = [h["id"] for h in everything["root"]["children"]]
    assert len(all_ids) == 4
    page = search(http, yql="select * from doc where true", ranking="unranked", hits=2, offset=1).json()
    assert [h["id"] for h in page["root"]["children"]] == all_ids[1:3]


def test_post_json_with_nested_parameters(http):
    response = http.post("/search/", json={"yql": "select * from doc where title contains \"cross\"",
                                           "ranking": {"profile": "bm25"}, "presentation": {"timing": True}})
    body = response.json()
    assert response.status_code == 200
    assert [h["id"] for h in body["root"]["children"]] == ["id:test:doc::2"]
    assert body["timing"]["searchtime"] > 0


def test_query_input_changes_ranking(http):
    def top(weight):
        return search(http, yql="select * from doc where userQuery()", query="ranking expressions",
                      queryProfile="bm25-title-boost", **{"input.query(title_weight)": weight}).json()
    low, high = top(0.0), top(10.0)
    assert low["root"]["children"][0]["fields"]["matchfeatures"]["weighted_bm25"] != \
        high["root"]["children"][0]["fields"]["matchfeatures"]["weighted_bm25"]


def test_phrase_and_boolean_operators(http):
    phrase = search(http, yql='select * from doc where text contains phrase("global", "phase")').json()
    assert [h["id"] for h in phrase["root"]["children"]] == ["id:test:doc::2"]
    negated = search(http, yql='select * from doc where default contains "ranking" and !(title contains "expressions")').json()
    assert [h["id"] for h in negated["root"]["children"]] == ["id:test:doc::1"]


def test_update_assign_and_get_and_delete(http):
    assert put(http, "temp", {"title": "temporary", "text": "to be removed"}).status_code == 200
    updated = http.put("/document/v1/test/doc/docid/temp", json={"fields": {"title": {"assign": "changed"}}})
    assert updated.status_code == 200
    got = http.get("/document/v1/test/doc/docid/temp")
    assert got.status_code == 200 and got.json()["fields"]["title"] == "changed"
    found = search(http, yql='select * from doc where title contains "changed"').json()
    assert found["root"]["fields"]["totalCount"] == 1
    assert http.delete("/document/v1/test/doc/docid/temp").status_code == 200
    assert http.get("/document/v1/test/doc/docid/temp").status_code == 404
    gone = search(http, yql='select * from doc where title contains "changed"').json()
    assert gone["root"]["fields"]["totalCount"] == 0


@pytest.mark.parametrize("params, fragment", [
    ({"yql": "select * from doc where"}, "yql"),
    ({"yql": "select * from doc where nosuchfield contains \"x\""}, "nosuchfield"),
    ({"yql": "select * from doc where true", "ranking": "nosuchprofile"}, "nosuchprofile"),
    ({"yql": "select * from doc where true", "hits": "many"}, "hits"),
    ({"yql": "select * from doc where true", "timeout": "soon"}, "timeout"),
    ({"yql": "select * from doc where true", "summary": "nosuchsummary"}, "nosuchsummary"),
])
def test_bad_queries_are_400_with_a_message(http, params, fragment):
    response = http.get("/search/", params=params)
    assert response.status_code == 400, response.text
    error = response.json()["root"]["errors"][0]
    assert error["code"] in (3, 4) and fragment.lower() in error["message"].lower()


@pytest.mark.parametrize("body, fragment", [
    ('{"fields": {"title": "x"', "json"),
    ('{"fields": {"nosuchfield": "x"}}', "nosuchfield"),
    ('{"fields": {"title": 42}}', "title"),
    ('{"nofields": {}}', "fields"),
])
def test_bad_documents_are_400_and_the_cluster_keeps_serving(http, body, fragment):
    response = http.post("/document/v1/test/doc/docid/bad", content=body,
                         headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert fragment.lower() in response.json()["message"].lower()
    assert search(http, yql="select * from doc where true").status_code == 200


def test_unknown_document_type_is_400(http):
    response = http.post("/document/v1/test/nosuchtype/docid/1", json={"fields": {}})
    assert response.status_code == 400 and "nosuchtype" in response.json()["message"]


def test_rank_properties_reach_the_profile(http):
    def match_features(**params) -> dict[str, dict]:
        root = search(http, yql="select * from sources * where userQuery()", query="ranking expressions",
                      hits=4, **params).json()["root"]
        return {h["id"]: h["fields"]["matchfeatures"] for h in root["children"]}

    # the title-boost query profile searches title and text apart (the default fieldset is title_text)
    default = match_features(queryProfile="bm25-title-boost")
    tuned = match_features(queryProfile="bm25-title-boost", **{"rankproperty.bm25(title).k1": "0.1"})
    assert default.keys() == tuned.keys() and default
    # k1 matters where a title's length differs from the node's average (doc 4's title here)
    assert any(tuned[i]["bm25(title)"] != default[i]["bm25(title)"] for i in default)
    assert all(tuned[i]["bm25(text)"] == default[i]["bm25(text)"] for i in default)  # only title's k1 changed
    boosted = match_features(queryProfile="bm25-title-boost", **{"ranking.properties.query(title_weight)": "5"})
    for features in boosted.values():
        assert features["weighted_bm25"] == pytest.approx(5 * features["bm25(title)"] + features["bm25(text)"])
