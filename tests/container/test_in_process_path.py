"""The whole query path in one process: HTTP (starlette's TestClient) → container phases → two real
ContentNodes through LocalContentNodeClient (every call through the wire codecs) → back. Each query
feature of the README against answers computed here from the fed documents."""
from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests.container.in_process import APPS, in_process_cluster

BRANDS = ("acme", "bolt", "cora", "zeta")
DOCS = {str(i): {"title": f"item {i} {'red' if i % 3 else 'blue'}", "brand": BRANDS[(i * 5) % 4],
                 "year": 2000 + (i * 7) % 20, "price": 10.5 + (i * 13) % 20} for i in range(20)}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    with in_process_cluster(APPS / "inprocess", tmp_path_factory.mktemp("shop"), nodes=2) as cluster:
        cluster.feed("item", DOCS)
        yield cluster


def ids(root: dict) -> list[str]:
    return [hit["id"].rsplit(":", 1)[1] for hit in root.get("children", ())]


def by_price() -> list[str]:
    return sorted(DOCS, key=lambda i: -DOCS[i]["price"])


def test_documents_are_spread_over_both_nodes(shop) -> None:
    counts = [node.databases["item"].doc_count for node in shop.nodes]
    assert sum(counts) == len(DOCS) and all(counts)


def test_hits_and_offset_windows(shop) -> None:
    pages = [shop.search(yql="select * from item where true", ranking="by_price", hits=6, offset=offset)
             for offset in (0, 6, 12, 18)]
    assert [i for page in pages for i in ids(page)] == by_price()
    assert all(page["fields"]["totalCount"] == len(DOCS) for page in pages)
    assert pages[0]["children"][0]["fields"]["price"] == DOCS[by_price()[0]]["price"]  # filled
    assert ids(shop.search(yql="select * from item where true", hits=5, offset=25)) == []
    limited = shop.search(yql="select * from item where true limit 7 offset 2", ranking="by_price")
    assert ids(limited) == by_price()[2:7]


def test_text_match_and_total_count(shop) -> None:
    root = shop.search(yql='select * from item where title contains "blue"', hits=20)
    assert sorted(ids(root), key=int) == [i for i in DOCS if int(i) % 3 == 0]
    assert root["fields"]["totalCount"] == 7


def test_sorting(shop) -> None:
    ascending = shop.search(yql="select * from item where true order by year asc", hits=20)
    assert ids(ascending) == sorted(DOCS, key=lambda i: DOCS[i]["year"])
    mixed = shop.search(yql="select * from item where true", hits=20, **{"ranking.sorting": "-brand +price"})
    assert ids(mixed) == sorted(DOCS, key=lambda i: (-BRANDS.index(DOCS[i]["brand"]), DOCS[i]["price"]))
    window = shop.search(yql="select * from item where true order by price asc", hits=3, offset=4)
    assert ids(window) == sorted(DOCS, key=lambda i: DOCS[i]["price"])[4:7]


def test_grouping_counts_and_sums(shop) -> None:
    root = shop.search(yql="select * from item where true | all(group(brand) order(-count()) "
                           "each(output(count(), sum(price))))", hits=0)
    group_root = next(c for c in root["children"] if c["id"] == "group:root:0")
    groups = group_root["children"][0]["children"]
    counts = Counter(d["brand"] for d in DOCS.values())
    assert {g["value"]: g["fields"]["count()"] for g in groups} == dict(counts)
    for g in groups:
        assert g["fields"]["sum(price)"] == pytest.approx(sum(d["price"] for d in DOCS.values()
                                                              if d["brand"] == g["value"]))
    assert [g["fields"]["count()"] for g in groups] == sorted(counts.values(), reverse=True)


def test_grouping_hits_are_filled(shop) -> None:
    root = shop.search(yql="select * from item where true | all(group(brand) each(max(2) each(output(summary()))))",
                       ranking="by_price", hits=0)
    group_root = next(c for c in root["children"] if c["id"] == "group:root:0")
    for group in group_root["children"][0]["children"]:
        hits = group["children"][0]["children"]
        expected = [i for i in by_price() if DOCS[i]["brand"] == group["value"]][:2]
        assert [h["fields"]["documentid"].rsplit(":", 1)[1] for h in hits] == expected
        assert all(h["fields"]["brand"] == group["value"] for h in hits)


def test_global_phase_reranks_the_top_and_keeps_the_rest_below(shop) -> None:
    root = shop.search(yql="select * from item where true", ranking="newest_first", hits=20)
    top = by_price()[:4]
    assert ids(root) == sorted(top, key=lambda i: -DOCS[i]["year"]) + by_price()[4:]
    assert [h["relevance"] for h in root["children"][:4]] == sorted((DOCS[i]["year"] for i in top), reverse=True)
    assert root["children"][4]["relevance"] < root["children"][3]["relevance"]
    window = shop.search(yql="select * from item where true", ranking="newest_first", hits=2, offset=3)
    assert ids(window) == ids(root)[3:5]


def test_sorting_with_a_global_phase_is_refused(shop) -> None:
    response = shop.http.get("/search/", params={"yql": "select * from item where true order by year desc",
                                                 "ranking": "newest_first"})
    assert response.status_code == 400
    assert "Sorting is not supported with global phase" in response.json()["root"]["errors"][0]["message"]


def test_coverage_with_a_failing_node(shop) -> None:
    down = shop.clients[1]
    on_node_0 = {d.rsplit(":", 1)[1] for d in _document_ids(shop.nodes[0])}
    shop.http.get("/state/v1/nodes")  # a ping round: the container knows each node's documents
    down.available = False
    try:
        root = shop.search(yql="select * from item where true", ranking="by_price", hits=20)
        assert sorted(ids(root), key=int) == sorted(on_node_0, key=int)
        coverage = root["coverage"]
        assert coverage["full"] is False and coverage["documents"] == len(on_node_0)
        assert coverage["coverage"] == round(100 * len(on_node_0) / len(DOCS))
        assert coverage["degraded"]["non-ideal-state"] is True
        assert any("content node 1" in e.get("source", "") + e["message"] for e in root["errors"])
    finally:
        down.available = True
    shop.http.get("/state/v1/nodes")  # a ping round puts it back in rotation
    root = shop.search(yql="select * from item where true", hits=20)
    assert len(ids(root)) == len(DOCS) and root["coverage"]["full"] is True


def test_test_and_set(shop) -> None:
    url = "/document/v1/test/item/docid/5"
    refused = shop.http.put(url, params={"condition": "item.year == 1900"},
                            json={"fields": {"brand": {"assign": "nope"}}})
    assert refused.status_code == 412, refused.text
    assert shop.http.get(url).json()["fields"]["brand"] == DOCS["5"]["brand"]
    accepted = shop.http.put(url, params={"condition": f"item.year == {DOCS['5']['year']}"},
                             json={"fields": {"title": {"assign": "item 5 renamed"}}})
    assert accepted.status_code == 200, accepted.text
    root = shop.search(yql='select * from item where title contains "renamed"')
    assert ids(root) == ["5"] and root["children"][0]["fields"]["title"] == "item 5 renamed"
    restored = shop.http.put(url, json={"fields": {"title": {"assign": DOCS["5"]["title"]}}})
    assert restored.status_code == 200


def test_visiting_pages_through_a_selection(shop) -> None:
    seen, continuation = [], None
    while True:
        params = {"selection": "item.year >= 2010", "wantedDocumentCount": 3, "cluster": "shop"}
        if continuation:
            params["continuation"] = continuation
        page = shop.http.get("/document/v1/test/item/docid", params=params).json()
        seen += [d["id"].rsplit(":", 1)[1] for d in page["documents"]]
        continuation = page.get("continuation")
        if not continuation:
            break
    assert sorted(seen, key=int) == [i for i in DOCS if DOCS[i]["year"] >= 2010]


def test_every_call_crossed_the_wire_codecs(shop) -> None:
    assert {"Search", "GetDocsums", "Put", "Ping"} <= set(shop.clients[0].calls)


def _document_ids(node) -> list[str]:
    db = node.databases["item"]
    return [db.document_id(local_id) for local_id in db.alive.nonzero()[0].tolist()]


def test_what_grpc_cannot_carry_fails_in_process_too(shop) -> None:
    from container.dispatch.content_client import RequestNotEncodable
    from searchlib.query import tree as q
    from searchlib.wire.search_codec import SearchCall

    call = SearchCall(schema="item", rank_profile="by_price", query=q.TrueItem(), hits=2 ** 33, timeout_ms=1000)
    with pytest.raises(RequestNotEncodable):
        asyncio.run(shop.clients[0].search(call, 1.0))


def test_an_unreachable_node_is_unavailable_and_a_slow_one_times_out(shop) -> None:
    from container.dispatch.content_client import NodeTimeout, NodeUnavailable

    client = shop.clients[0]
    client.available = False
    try:
        with pytest.raises(NodeUnavailable):
            asyncio.run(client.ping(1.0))
    finally:
        client.available = True
    client.delay = 0.5
    try:
        with pytest.raises(NodeTimeout):
            asyncio.run(client.ping(0.05))
    finally:
        client.delay = 0.0
    assert asyncio.run(client.ping(1.0)).active_docs == shop.nodes[0].databases["item"].doc_count


def test_a_timeout_in_the_containers_own_work_is_reported_as_such(shop, monkeypatch) -> None:
    import container.search.phases as phases

    async def slow_embedding(application, profile, query):  # a model far slower than the timeout
        await asyncio.sleep(0.3)
        return {}

    monkeypatch.setattr(phases, "query_features", slow_embedding)
    response = shop.http.get("/search/", params={"yql": "select * from item where true", "timeout": "100ms"})
    error = response.json()["root"]["errors"][0]
    assert response.status_code == 504, response.text
    assert "while embedding the query in the container" in error["message"]
    assert "content node" not in error["message"].replace("before any content node", "")
