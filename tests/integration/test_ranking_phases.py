"""Rank profiles through a real cluster (tests/apps/ranking, one content node): second phase on the
per-node rerank-count best hits with the rest rescaled below them, match-features and
summary-features rendered (tensors in the short JSON form), constants from files, and the
reference's title-freshness profile with an xgboost second phase."""
from __future__ import annotations

import json
import time

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import REPO

APP = REPO / "tests" / "apps" / "ranking"
DAY = 86400
MAX_DOUBLE = 1.7976931348623157e308


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("ranking"), nodes=1) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=60.0) as client:
            now = time.time()
            for i in range(1, 9):
                fields = {"title": "daily news" if i % 2 == 0 else "weekly digest",
                          "timestamp": int(now - (10 if i <= 4 else 80) * DAY), "pop": float(i),
                          "emb": {"values": [float(i), 0.0, 1.0]}}
                response = client.post(f"/document/v1/test/doc/docid/{i}", json={"fields": fields})
                assert response.status_code == 200, response.text
            yield client


def search(http: httpx.Client, **params) -> dict:
    response = http.get("/search/", params=params)
    assert response.status_code == 200, response.text
    return response.json()["root"]


def numbers(root: dict) -> list[int]:
    return [int(hit["id"].rsplit(":", 1)[1]) for hit in root["children"]]


def test_second_phase_reranks_the_top_three_and_rescales_the_rest(http) -> None:
    root = search(http, yql="select * from doc where true", ranking="phases", hits=10,
                  **{"input.query(q)": "[1, 1, 1]"})
    # reranked: pop 8, 7, 6 -> -8, -7, -6; fp [6, 8], sp [-8, -6]: scale 1, adjust 6 + 8 = 14
    assert numbers(root) == [6, 7, 8, 5, 4, 3, 2, 1]
    assert [hit["relevance"] for hit in root["children"]] == [-6.0, -7.0, -8.0, -9.0, -10.0, -11.0, -12.0, -13.0]
    assert root["fields"]["totalCount"] == 8


def test_match_features_rendered_with_tensors(http) -> None:
    root = search(http, yql="select * from doc where true", ranking="phases", hits=10,
                  **{"input.query(q)": "[1, 1, 1]"})
    by_number = {n: hit["fields"]["matchfeatures"] for n, hit in zip(numbers(root), root["children"])}
    assert by_number[8]["firstPhase"] == 8.0 and by_number[8]["firstPhaseRank"] == 1.0
    assert by_number[6]["firstPhaseRank"] == 3.0
    assert by_number[5]["firstPhaseRank"] == MAX_DOUBLE
    assert by_number[5]["secondPhase"] == -9.0
    assert by_number[3]["weighted"] == 103.0  # constant(w) from constants/w.json: 1*3 + 10*0 + 100*1
    assert by_number[3]["scaled_emb"] == {"type": "tensor<float>(x[3])", "values": [6.0, 0.0, 2.0]}


def test_summary_features_rendered(http) -> None:
    root = search(http, yql="select * from doc where true", ranking="phases", hits=2,
                  **{"input.query(q)": "[1, 2, 3]"})
    first = root["children"][0]
    assert numbers(root) == [6, 7]
    summary = first["fields"]["summaryfeatures"]
    assert summary["weighted"] == 106.0
    assert summary["qdot"] == 6.0 + 3.0  # [1,2,3] . [6,0,1]
    assert summary["attribute(emb)"] == {"type": "tensor<float>(x[3])", "values": [6.0, 0.0, 1.0]}


def test_presentation_format_tensors_shapes_fields_and_features(http) -> None:
    params = {"yql": "select * from doc where true", "ranking": "phases", "hits": 1, "input.query(q)": "[1, 2, 3]"}
    short = search(http, **params)["children"][0]["fields"]  # Vespa 8's default: short, with the type
    assert short["emb"] == {"type": "tensor<float>(x[3])", "values": [6.0, 0.0, 1.0]}  # fed as {"values": ..}
    long = search(http, **params, **{"presentation.format.tensors": "long"})["children"][0]["fields"]
    assert long["emb"] == {"type": "tensor<float>(x[3])", "cells": [
        {"address": {"x": "0"}, "value": 6.0}, {"address": {"x": "1"}, "value": 0.0},
        {"address": {"x": "2"}, "value": 1.0}]}
    assert long["summaryfeatures"]["attribute(emb)"] == long["emb"]
    assert long["matchfeatures"]["scaled_emb"]["cells"][0] == {"address": {"x": "0"}, "value": 12.0}
    value = search(http, **params, **{"presentation.format.tensors": "short-value"})["children"][0]["fields"]
    assert (value["emb"], value["matchfeatures"]["scaled_emb"]) == ([6.0, 0.0, 1.0], [12.0, 0.0, 2.0])
    response = http.get("/search/", params={**params, "presentation.format.tensors": "flat"})
    assert response.status_code == 400 and response.json()["root"]["errors"][0]["code"] == 4


def test_query_overrides_rerank_count_and_drop_limit(http) -> None:
    root = search(http, yql="select * from doc where true", ranking="phases", hits=10,
                  **{"ranking.secondPhase.rerankCount": 1, "input.query(q)": "[1, 1, 1]"})
    # only pop 8 reranked (-8): scale 1, adjust 8 + 8 = 16: the rest pop - 16
    assert [hit["relevance"] for hit in root["children"]][:3] == [-8.0, -9.0, -10.0]
    dropped = search(http, yql="select * from doc where true", ranking="phases", hits=10,
                     **{"ranking.rankScoreDropLimit": 5.5, "input.query(q)": "[1, 1, 1]"})
    assert sorted(numbers(dropped)) == [6, 7, 8]
    assert dropped["fields"]["totalCount"] == 3


def test_title_freshness_profile_with_xgboost_second_phase(http) -> None:
    root = search(http, yql='select * from doc where title contains "news"', ranking="title-freshness")
    # fresh with bm25 > 0.1 -> 2.0, stale -> -1.0; pop >= 4.5 adds 0.25
    relevance = {n: hit["relevance"] for n, hit in zip(numbers(root), root["children"])}
    assert relevance == {2: 2.0, 4: 2.0, 6: -0.75, 8: -0.75}
    features = root["children"][0]["fields"]["matchfeatures"]
    assert features["bm25(title)"] > 0.1 and 0.85 < features["freshness(timestamp)"] < 0.9


def test_bad_expression_fails_the_load_with_a_location(tmp_path) -> None:
    from searchlib.errors import SchemaError
    from searchlib.schema.application import load_application

    (tmp_path / "schemas").mkdir()
    text = (APP / "schemas" / "doc.sd").read_text().replace("-1 * attribute(pop)", "-1 * attribute(popularity)")
    (tmp_path / "schemas" / "doc.sd").write_text(text)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "my-model.json").write_text((APP / "models" / "my-model.json").read_text())
    (tmp_path / "constants").mkdir()
    (tmp_path / "constants" / "w.json").write_text(json.dumps({"values": [1, 2, 3]}))
    with pytest.raises(SchemaError) as raised:
        load_application(tmp_path)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "attribute(popularity)" in l)
    assert f"doc.sd:{line}:" in str(raised.value) and "second-phase" in str(raised.value)


def test_ranking_freshness_sets_now(http) -> None:
    root = search(http, yql='select * from doc where title contains "news"', ranking="title-freshness")
    stamp = {n: hit for n, hit in zip(numbers(root), root["children"])}
    base = stamp[2]["fields"]["timestamp"] + 45 * DAY  # 45 days after document 2 was written
    shifted = search(http, yql='select * from doc where title contains "news"', ranking="title-freshness",
                     **{"ranking.freshness": str(base)})
    features = {n: hit["fields"]["matchfeatures"] for n, hit in zip(numbers(shifted), shifted["children"])}
    assert features[2]["freshness(timestamp)"] == pytest.approx(0.5)
