"""Declared inputs the query does not give (issue 22, searchlib/query_inputs.py). A tensor input
without a default that the profile's phases read is a 400 naming it and the profile (else a text
query on a vector profile silently ranks by nothing). Scalars keep Vespa's 0, an input only
reported by match-features need not be given, and the rank property `phasedsearch.missingInputs:
default` (profile or query) restores Vespa's empty tensors. A nearestNeighbor without its query
tensor is refused as before."""
from __future__ import annotations

import pytest

from tests.container.in_process import APPS, in_process_cluster

DOCS = {"1": {"album": "A head full of dreams", "category_scores": {"cells": {"pop": 1.0}}, "embedding": [1.0, 2.0]},
        "2": {"album": "Hardwired to self-destruct", "category_scores": {"cells": {"rock": 1.0}}, "embedding": [3.0, 1.0]}}
YQL = 'select * from music where album contains "head"'
TENSORS = {"input.query(user_profile)": "{}", "input.query(e)": "[0, 0]"}
OPT_OUT = "ranking.properties.phasedsearch.missingInputs"


@pytest.fixture(scope="module")
def music(tmp_path_factory):
    with in_process_cluster(APPS / "input_defaults", tmp_path_factory.mktemp("inputs"), nodes=1) as cluster:
        cluster.feed("music", DOCS)
        yield cluster


def only_hit(root: dict) -> dict:
    assert root["fields"]["totalCount"] == 1, root
    return root["children"][0]


def error_of(response) -> str:
    assert response.status_code == 400, response.text
    error = response.json()["root"]["errors"][0]
    assert error["code"] == 4
    return error["message"]


def test_a_tensor_input_the_ranking_reads_is_a_400_naming_it_and_the_profile(music) -> None:
    message = error_of(music.http.get("/search/", params={"yql": YQL, "ranking": "rank_albums"}))
    assert "'rank_albums'" in message and "'query(e)'" in message and "no default" in message
    given_one = {"yql": YQL, "ranking": "rank_albums", "input.query(e)": "[0, 0]"}
    assert "'query(user_profile)'" in error_of(music.http.get("/search/", params=given_one))


def test_a_scalar_input_keeps_vespas_zero(music) -> None:
    bare = only_hit(music.search(yql=YQL, ranking="rank_albums", **TENSORS))
    explicit = only_hit(music.search(yql=YQL, ranking="rank_albums", **TENSORS, **{"input.query(boost)": "0"}))
    assert bare["relevance"] == explicit["relevance"] > 0  # bm25(album) alone
    assert bare["fields"]["matchfeatures"] == {"query(boost)": 0.0, "sum(query(e))": 0.0}


def test_the_opt_out_restores_vespas_empty_tensors_from_the_profile_or_the_query(music) -> None:
    explicit = only_hit(music.search(yql=YQL, ranking="rank_albums", **TENSORS))["relevance"]
    assert only_hit(music.search(yql=YQL, ranking="rank_albums_vespa"))["relevance"] == explicit
    assert only_hit(music.search(yql=YQL, ranking="rank_albums", **{OPT_OUT: "default"}))["relevance"] == explicit


def test_an_input_only_reported_need_not_be_given(music) -> None:
    hit = only_hit(music.search(yql=YQL, ranking="reports_e"))
    assert hit["relevance"] > 0 and hit["fields"]["matchfeatures"] == {"sum(query(e))": 0.0}


def test_given_inputs_still_count(music) -> None:
    bare = only_hit(music.search(yql=YQL, ranking="rank_albums", **TENSORS))["relevance"]
    given = only_hit(music.search(yql=YQL, ranking="rank_albums", **{
        "input.query(user_profile)": "{{cat:pop}:4}", "input.query(e)": "[1, 1]", "input.query(boost)": "2"}))["relevance"]
    # 0.25 * 4 * 1 (pop) + (1*1 + 1*2) (embedding) + 2 (boost)
    assert given == pytest.approx(bare + 1.0 + 3.0 + 2.0)


def test_a_nearest_neighbor_without_its_tensor_is_refused(music) -> None:
    response = music.http.get("/search/", params={
        "yql": "select * from music where {targetHits: 2}nearestNeighbor(embedding, e)", "ranking": "rank_albums"})
    assert "query(e)" in error_of(response)


def test_the_message_reaches_the_client_whole(music) -> None:
    """The HTTP edge cuts long quoted parts (searchlib.errors.shorten_quotes): the message must
    survive it with its advice and opt-out."""
    for profile, params, advice in (("rank_albums", {}, "set input.query(e)=..., use a query profile"),
                                    ("near_e", {"input.query(e)": "[1, 1]"}, "add nearestNeighbor(embedding, e)")):
        message = error_of(music.http.get("/search/", params={"yql": YQL, "ranking": profile, **params}))
        assert message.startswith(f"Rank profile '{profile}'") and advice in message, message
        assert message.endswith(f"{OPT_OUT}=default"), message


def test_a_closeness_without_a_nearest_neighbor_over_its_field_is_a_400_given_the_input_or_not(music) -> None:
    """Issue 22's trap with the input given: a text query on a dense profile ranks every hit 0."""
    for given in ({}, {"input.query(e)": "[1, 1]"}):
        message = error_of(music.http.get("/search/", params={"yql": YQL, "ranking": "near_e", **given}))
        assert "closeness(field,embedding)" in message and "add nearestNeighbor(embedding, e)" in message
    nearest = 'select * from music where {targetHits: 2}nearestNeighbor(embedding, e)'
    hits = music.search(yql=nearest, ranking="near_e", **{"input.query(e)": "[1, 1]"})["children"]
    assert len(hits) == 2 and all(hit["relevance"] > 0 for hit in hits)
    assert only_hit(music.search(yql=YQL, ranking="near_e", **{OPT_OUT: "default"}))["relevance"] == 0


def test_the_400_comes_when_the_query_is_planned_before_its_features_are_computed(music, monkeypatch) -> None:
    """No embedding (a model run) for a query that is refused anyway."""
    import container.search.phases as phases

    computed = []

    async def features(application, profile, query):
        computed.append(profile.name)
        return {}

    monkeypatch.setattr(phases, "query_features", features)
    assert "'query(e)'" in error_of(music.http.get("/search/", params={"yql": YQL, "ranking": "rank_albums"}))
    assert computed == []
