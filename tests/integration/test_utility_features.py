"""globalSequence, randomNormal, randomNormalStable and flowCompleteness through a running two-node
cluster (tests/apps/utility_features): the values in matchfeatures and summaryfeatures are Vespa's,
worked out from each hit's local id and node (both read back from its globalSequence), or by hand;
tensorFromStructs over an array of structs and top(n, t) over it; a profile's filter-threshold."""
from __future__ import annotations

import httpx
import pytest

from content_node.matching.sequence_features import sequential_normals, stable_normals
from deploy.local_cluster import LocalCluster
from tests.integration.conftest import REPO

APP = REPO / "tests" / "apps" / "utility_features"
DOCS = 12
CHUNKS = {0: ["red fox red", "fox"], 1: ["red red"]}
ITEMS = {0: [{"name": "apple", "price": 1.5}, {"name": "pear", "price": 4.0}], 1: [{"name": "apple", "price": 2.0}]}
TOP = 1 << 48


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("cluster"), nodes=2) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=60.0) as client:
            for number in range(DOCS):
                fields = {"title": f"word{number} common", "pop": float(number),
                          "chunks": CHUNKS.get(number, ["blue"]), "items": ITEMS.get(number, [])}
                response = client.post(f"/document/v1/test/doc/docid/{number}", json={"fields": fields})
                assert response.status_code == 200, response.text
            yield client


def hits(http: httpx.Client, ranking: str, **params) -> list[dict]:
    response = http.get("/search/", params={"yql": "select * from doc where true", "hits": 50,
                                            "ranking": ranking, **params})
    assert response.status_code == 200, response.text
    return response.json()["root"]["children"]


def lid_and_key(sequence: float) -> tuple[int, int]:
    packed = TOP - int(sequence)
    return packed >> 16, packed & 0xFFFF


def test_global_sequence_is_lid_and_distribution_key_and_orders_the_hits(http) -> None:
    found = hits(http, "sequence")
    assert len(found) == DOCS
    sequences = [hit["fields"]["matchfeatures"]["globalSequence"] for hit in found]
    assert [hit["relevance"] for hit in found] == sequences == sorted(sequences, reverse=True)
    assert [hit["fields"]["summaryfeatures"]["globalSequence"] for hit in found] == sequences
    by_node: dict[int, list[int]] = {}
    for sequence in sequences:
        lid, key = lid_and_key(sequence)
        by_node.setdefault(key, []).append(lid)
    assert sorted(by_node) == [0, 1]  # both nodes hold documents, each hit names its node
    for lids in by_node.values():  # a fresh node gives its documents local ids 0, 1, 2, ...
        assert sorted(lids) == list(range(len(lids)))


def test_random_normal_stable_is_vespas_draw_for_the_document_and_seed(http) -> None:
    first, again = hits(http, "sequence"), hits(http, "sequence")
    assert [h["fields"]["matchfeatures"] for h in first] == [h["fields"]["matchfeatures"] for h in again]
    for hit in first:
        features = hit["fields"]["matchfeatures"]
        lid, _ = lid_and_key(features["globalSequence"])
        expected = float(stable_normals(1024, [lid])[0])  # the default seed
        assert features["randomNormalStable"] == pytest.approx(expected, abs=1e-12)
        assert features["randomNormalStable(10,0.5)"] == pytest.approx(10 + 0.5 * expected, abs=1e-12)
    seeded = hits(http, "sequence", **{"rankproperty.randomNormalStable.seed": "99"})
    for hit in seeded:
        features = hit["fields"]["matchfeatures"]
        lid, _ = lid_and_key(features["globalSequence"])
        assert features["randomNormalStable"] == pytest.approx(float(stable_normals(99, [lid])[0]), abs=1e-12)
    # an empty seed is no seed (Vespa): the default one, not a 400
    unset = hits(http, "sequence", **{"ranking.properties.randomNormalStable.seed": ""})
    assert [h["fields"]["matchfeatures"] for h in unset] == [h["fields"]["matchfeatures"] for h in first]


def test_seeded_random_normal_is_one_stream_per_node_in_local_id_order(http) -> None:
    found = hits(http, "seeded")
    by_node: dict[int, list[tuple[int, dict]]] = {}
    for hit in found:
        features = hit["fields"]["matchfeatures"]
        lid, key = lid_and_key(features["globalSequence"])
        by_node.setdefault(key, []).append((lid, features))
    for rows in by_node.values():
        rows.sort(key=lambda row: row[0])
        expected = 1 + 2 * sequential_normals(31, len(rows))
        assert [f["randomNormal(1,2)"] for _, f in rows] == pytest.approx(expected.tolist(), abs=1e-12)
        assert [f["randomNormalStable"] for _, f in rows] == pytest.approx(
            stable_normals(7, [lid for lid, _ in rows]).tolist(), abs=1e-12)  # the profile's seed


def test_unseeded_random_normal_varies_by_query_and_bad_arguments_are_refused(http) -> None:
    first = [hit["relevance"] for hit in hits(http, "unseeded")]
    second = [hit["relevance"] for hit in hits(http, "unseeded")]
    assert len(set(first)) == DOCS and first != second  # seeded by the query's time, as Vespa by the clock
    third = [hit["relevance"] for hit in hits(http, "unseeded", **{"ranking.properties.randomNormal.seed": ""})]
    assert len(set(third)) == DOCS and third not in (first, second)  # an empty seed is no seed (Vespa)
    response = http.get("/search/", params={"yql": "select * from doc where true", "ranking": "seeded",
                                            "rankproperty.randomNormal.seed": "x"})
    assert response.status_code == 400, response.text
    assert "randomNormal.seed must be an integer" in response.text


def test_flow_completeness_matches_repeated_query_words_to_distinct_positions(http) -> None:
    yql = 'select * from doc where chunks contains "red" or chunks contains "fox" or chunks contains "red"'
    response = http.get("/search/", params={"yql": yql, "ranking": "flow"})
    assert response.status_code == 200, response.text
    found = {hit["id"].rsplit(":", 1)[1]: hit for hit in response.json()["root"]["children"]}
    assert set(found) == {"0", "1"}
    # doc 0 "red fox red": red, fox, red take positions 0, 1, 2: flow 3 of 3 terms, 3 of 3 positions
    assert found["0"]["relevance"] == pytest.approx(1.0)
    assert found["0"]["fields"]["matchfeatures"] == {"flowCompleteness(chunks).flow": 3.0,
                                                     "flowCompleteness(chunks).fieldCompleteness": 1.0}
    # doc 1 "red red": both red terms placed, fox absent: flow 2, query 2/3, field 1 -> 0.5 + 1/3
    assert found["1"]["relevance"] == pytest.approx(0.5 * 1.0 + 0.5 * 2 / 3)
    assert found["1"]["fields"]["matchfeatures"]["flowCompleteness(chunks).flow"] == 2.0


def test_tensor_from_structs_in_ranking_and_match_features(http) -> None:
    found = hits(http, "structs", **{"input.query(basket)": "{apple:10,pear:1}"})
    top = [(hit["id"].rsplit(":", 1)[1], hit["relevance"]) for hit in found[:2]]
    assert top == [("1", 20.0), ("0", 19.0)]  # 10 * 2.0; 10 * 1.5 + 1 * 4.0
    features = found[1]["fields"]["matchfeatures"]["tensorFromStructs(attribute(items),name,price,float)"]
    assert features == {"type": "tensor<float>(name{})", "cells": {"apple": 1.5, "pear": 4.0}}  # short form
    assert found[1]["fields"]["matchfeatures"]["priciest"] == {"type": "tensor<float>(name{})",
                                                               "cells": {"pear": 4.0}}  # top(1, ...)
    assert all(hit["relevance"] == 0.0 for hit in found[2:])  # no items: the empty tensor


def test_filter_threshold_makes_a_term_in_most_documents_a_filter(http) -> None:
    yql = 'select * from doc where title contains "common" or title contains "word3"'
    found = {hit["id"].rsplit(":", 1)[1]: hit for hit in hits(http, "filtering", yql=yql)}
    assert len(found) == DOCS  # matching is unchanged
    # "common" is in every document (hit ratio 1 > 0.5): a filter, no bm25; word3 in one of a node's
    # six or so documents ranks
    assert found["3"]["fields"]["matchfeatures"]["bm25(title)"] > 0.0
    for number, hit in found.items():
        features = hit["fields"]["matchfeatures"]
        assert features["matches(title)"] == 1.0
        if number != "3":
            assert features["bm25(title)"] == 0.0 and hit["relevance"] == 0.0
