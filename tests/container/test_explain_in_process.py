"""ranking.explain through the whole query path in one process (wire codecs included): the global
phase's part of each hit's trace, windows with an offset, and the JSON body form."""
from __future__ import annotations

import pytest

from tests.container.in_process import APPS, in_process_cluster

DOCS = {str(i): {"title": f"item {i}", "brand": "acme", "year": 2000 + (i * 7) % 20, "price": float(10 + i)}
        for i in range(12)}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    with in_process_cluster(APPS / "inprocess", tmp_path_factory.mktemp("explain"), nodes=2) as cluster:
        cluster.feed("item", DOCS)
        yield cluster


def by_price() -> list[str]:
    return sorted(DOCS, key=lambda i: -DOCS[i]["price"])


def test_global_phase_reranks_the_merged_top_four(shop) -> None:
    root = shop.search(yql="select * from item where true", ranking="newest_first", hits=6,
                       **{"ranking.explain": "true"})
    top = by_price()[:4]  # the global phase reranks these by year; the rest are rescaled below
    expected = sorted(top, key=lambda i: -DOCS[i]["year"]) + by_price()[4:6]
    hits = root["children"]
    assert [h["fields"]["documentid"].rsplit(":", 1)[1] for h in hits] == expected
    for rank, hit in enumerate(hits, 1):
        user_id = hit["fields"]["documentid"].rsplit(":", 1)[1]
        trace = hit["fields"]["phaseTrace"]
        assert trace["firstPhase"]["score"] == DOCS[user_id]["price"]
        assert trace["mergedRank"] == by_price().index(user_id) + 1
        assert trace["globalPhase"]["reranked"] == (user_id in top)
        if user_id in top:
            assert trace["globalPhase"]["score"] == hit["relevance"] == DOCS[user_id]["year"]
        assert trace["finalRank"] == rank and "secondPhase" not in trace
    (schema,) = root["phaseTrace"]["schemas"]
    assert schema["globalPhase"]["reranked"] == 4
    assert sum(n["matched"] for n in schema["nodes"]) == len(DOCS)


def test_final_rank_counts_the_offset_and_json_bodies_explain(shop) -> None:
    response = shop.http.post("/search/", json={"yql": "select * from item where true", "hits": 3, "offset": 2,
                                                "ranking": {"profile": "by_price", "explain": True}})
    assert response.status_code == 200, response.text
    hits = response.json()["root"]["children"]
    assert [h["fields"]["phaseTrace"]["finalRank"] for h in hits] == [3, 4, 5]
    assert [h["fields"]["phaseTrace"]["mergedRank"] for h in hits] == [3, 4, 5]
