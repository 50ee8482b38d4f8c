"""Longs beyond 2^53 on a running 2-node cluster are exact, as Vespa's int64 attributes: `=`,
ranges, `in`, array elements, `order by` merged across nodes, grouping, and summaries (also after
the nodes restart and replay their logs). Before, float64 columns made 2^53 and 2^53 + 1 one value.
"""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import feed_all

APP = Path(__file__).resolve().parents[1] / "apps" / "attribute_kinds"
P53 = 2**53
MAX = 2**63 - 1
BIG = {"a": P53, "b": P53 + 1, "c": MAX, "d": MAX - 1, "e": -(2**63) + 1, "f": -P53 - 1, "g": P53 + 3}
DOCS = {name: {"title": f"doc {name}", "big": value, "longs": [value, 5]} for name, value in BIG.items()}
DOCS["h"] = {"title": "doc h"}  # no big value: last in either sort direction


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("longs"), nodes=2) as running:
        with httpx.Client(base_url=running.url, timeout=30.0) as client:
            feed_all(client, DOCS, "kind")
        yield running


@pytest.fixture(scope="module")
def http(cluster):
    with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
        yield client


def search(http: httpx.Client, yql: str, **params) -> dict:
    response = http.get("/search/", params={"yql": yql, "hits": 20, **params})
    assert response.status_code == 200, response.text
    return response.json()["root"]


def names(root: dict) -> list[str]:
    return [hit["id"].rsplit(":", 1)[1] for hit in root.get("children", [])]


@pytest.mark.parametrize("where, expected", [
    ("big = 9007199254740992L", {"a"}),
    ("big = 9007199254740993L", {"b"}),
    ("big = 9223372036854775807L", {"c"}),
    ("big = -9223372036854775807L", {"e"}),
    ("big > 9007199254740992L", {"b", "c", "d", "g"}),
    ("big < -9007199254740992L", {"e", "f"}),
    ("range(big, 9007199254740993L, 9223372036854775806L)", {"b", "d", "g"}),
    ("big in (9007199254740993L, 9223372036854775806L)", {"b", "d"}),
    ("longs = 9007199254740995L", {"g"}),
    ("longs in (9223372036854775807L)", {"c"}),
    ("range(longs, 9007199254740993L, 9007199254740995L)", {"b", "g"}),
])
def test_matching_is_exact(http, where, expected) -> None:
    assert set(names(search(http, f"select * from kind where {where}"))) == expected


def test_summaries_hold_the_exact_values(http) -> None:
    root = search(http, "select * from kind where big > 9007199254740992L")
    assert {hit["id"].rsplit(":", 1)[1]: hit["fields"]["big"] for hit in root["children"]} == \
        {n: BIG[n] for n in ("b", "c", "d", "g")}
    assert {hit["fields"]["longs"][0] for hit in root["children"]} == {BIG[n] for n in ("b", "c", "d", "g")}


def test_order_by_is_exact_across_nodes(http) -> None:
    ascending = sorted(BIG, key=BIG.get)
    everything = "select * from kind where true order by big"
    assert names(search(http, f"{everything} asc")) == ascending + ["h"]
    assert names(search(http, f"{everything} desc")) == ascending[::-1] + ["h"]
    assert names(search(http, "select * from kind where true", sorting="-big", hits=3)) == ["c", "d", "g"]


def test_grouping_keeps_neighbouring_longs_apart(http) -> None:
    root = search(http, "select * from kind where true | all(group(big) max(20) each(output(count())))", hits=0)
    groups = root["children"][0]["children"][0]["children"]
    assert sorted(group["value"] for group in groups) == sorted(str(v) for v in BIG.values())
    assert all(group["fields"]["count()"] == 1 for group in groups)
    root = search(http, "select * from kind where big > 0 | all(output(min(big), max(big), sum(big)))", hits=0)
    fields = root["children"][0]["fields"]  # a, b, c, d, g are spread over both nodes
    assert (fields["min(big)"], fields["max(big)"]) == (P53, MAX)
    root = search(http, "select * from kind where big = 9007199254740992L or big = 9007199254740993L"
                        " | all(output(sum(big)))", hits=0)
    assert root["children"][0]["fields"]["sum(big)"] == 2 * P53 + 1  # a double would say 2^54


def test_values_survive_a_restart(cluster, http) -> None:
    for key in (0, 1):
        cluster.restart_node(key)
    assert set(names(search(http, "select * from kind where big = 9007199254740993L"))) == {"b"}
    root = search(http, "select * from kind where big > 9223372036854775805L")
    assert {hit["fields"]["big"] for hit in root["children"]} == {MAX, MAX - 1}
