"""A node whose summaries fail while it answers a one-round-trip search (content_node/service.py
`_summaries`) still returns its hits; the container fetches those summaries the two-phase way, so
the answer has every hit's fields (in process: real nodes, the servicer, the container)."""
from __future__ import annotations

import pytest

from content_node import service
from tests.container.in_process import APPS, in_process_cluster

DOCS = {str(i): {"title": f"item {i}", "brand": "acme", "year": 2000 + i, "price": 100.0 + i} for i in range(12)}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    with in_process_cluster(APPS / "inprocess", tmp_path_factory.mktemp("fallback"), nodes=2) as cluster:
        cluster.feed("item", DOCS)
        yield cluster


def test_failed_summaries_in_the_search_are_fetched_again(shop, monkeypatch) -> None:
    expected = shop.search(yql="select * from item where true", ranking="by_price", hits=8)
    calls = {"search": 0, "docsums": 0}
    node = shop.nodes[0]
    original_fill = node.fill

    def fill_fails_inside_search(*args, **kwargs):
        calls["search"] += 1
        raise RuntimeError("summary store unreadable for a moment")

    def get_docsums(original):
        def counted(request, context):
            calls["docsums"] += 1
            monkeypatch.setattr(node, "fill", original_fill)  # the fill of the second phase works
            return original(request, context)
        return counted

    monkeypatch.setattr(node, "fill", fill_fails_inside_search)
    servicer = shop.clients[0].servicer
    monkeypatch.setattr(servicer, "GetDocsums", get_docsums(servicer.GetDocsums))
    root = shop.search(yql="select * from item where true", ranking="by_price", hits=8)
    assert calls == {"search": 1, "docsums": 1}
    assert root == expected
    assert all(hit["fields"]["title"].startswith("item ") for hit in root["children"])
    assert "errors" not in root


def test_the_second_phase_encodes_the_nodes_summaries_as_they_are(shop, monkeypatch) -> None:
    """GetDocsums hands the node's own values to the encoder: a copy costs a value per hit and would
    drop the stored text a value may carry pre-encoded (DocsumValue.fields_json)."""
    node, servicer = shop.nodes[0], shop.clients[0].servicer
    filled, encoded = [], []
    original_fill, original_encode = node.fill, service.codec.encode_docsums

    def fill(*args, **kwargs):
        got = original_fill(*args, **kwargs)
        filled.extend(got)
        return got

    def encode(values, *rest):
        encoded.extend(values)
        return original_encode(values, *rest)

    monkeypatch.setattr(node, "fill", fill)
    monkeypatch.setattr(service.codec, "encode_docsums", encode)
    monkeypatch.setattr(servicer, "_summaries", lambda call, outcome: ())  # summaries by the second phase
    root = shop.search(yql="select * from item where true", ranking="by_price", hits=8)
    assert len(root["children"]) == 8 and all("title" in hit["fields"] for hit in root["children"])
    assert filled
    assert [id(value) for value in encoded] == [id(value) for value in filled]
