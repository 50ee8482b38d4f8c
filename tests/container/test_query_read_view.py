"""A query reads one view of each node's documents from match to summaries (content_node/store/
read_views.py), through the whole in-process path: documents replaced or removed between a node's
match and its fill come back as they were matched, with writes landing at exactly that moment and
with writers running concurrently with queries."""
from __future__ import annotations

import json
import random
import threading
import time

import pytest

from searchlib.distribution import node_in_group
from searchlib.docid import global_id
from tests.container.in_process import APPS, in_process_cluster

DOCS = {str(i): {"title": f"item {i}", "brand": "acme", "year": 2000 + i, "price": 100.0 + i} for i in range(30)}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    with in_process_cluster(APPS / "inprocess", tmp_path_factory.mktemp("views"), nodes=2) as cluster:
        cluster.feed("item", DOCS)
        yield cluster


def owner(shop, user_id: str):
    document_id = f"id:test:item::{user_id}"
    return shop.nodes[node_in_group(global_id(document_id), (0, 1))], document_id


def write(shop, user_id: str, fields: dict) -> None:
    node, document_id = owner(shop, user_id)
    node.update(document_id, json.dumps({k: {"assign": v} for k, v in fields.items()}), False)


def test_writes_between_match_and_fill_are_not_seen(shop, monkeypatch) -> None:
    changed = ["3", "17", "28"]
    removed_node, removed_id = owner(shop, "25")

    def write_first(original):
        def get_docsums(request, context):
            if changed:  # the first fill: the matched documents change right now
                for user_id in changed:
                    write(shop, user_id, {"title": "item changed", "price": 1.0})
                removed_node.remove(removed_id)
                changed.clear()
            return original(request, context)
        return get_docsums

    for client in shop.clients:
        monkeypatch.setattr(client.servicer, "GetDocsums", write_first(client.servicer.GetDocsums))
    # the two-phase fill (a small window's summaries come with the hits, in the same view)
    root = shop.search(yql="select * from item where true", ranking="by_price", hits=30,
                       **{"dispatch.summariesWithHits": "false"})
    assert not changed, "the writes ran"
    hits = root["children"]
    assert [h["fields"]["documentid"].rsplit(":", 1)[1] for h in hits] == sorted(DOCS, key=lambda i: -int(i))
    for hit in hits:
        user_id = hit["fields"]["documentid"].rsplit(":", 1)[1]
        assert hit["fields"]["title"] == DOCS[user_id]["title"] and hit["fields"]["price"] == hit["relevance"]
    after = shop.search(yql="select * from item where true", ranking="by_price", hits=30)
    assert len(after["children"]) == len(DOCS) - 1
    assert {h["fields"]["title"] for h in after["children"] if h["relevance"] == 1.0} == {"item changed"}
    for user_id in ("3", "17", "28", "25"):  # as fed again, for the next test
        shop.feed("item", {user_id: DOCS[user_id]})


def test_concurrent_writes_never_mix_a_summary(shop) -> None:
    stop, writes, errors = threading.Event(), [0], []

    def writer(part: int) -> None:
        rng = random.Random(part)
        try:
            while not stop.is_set():
                user_id = str(rng.randrange(part, len(DOCS), 2))  # a document has one writer
                node, document_id = owner(shop, user_id)
                if rng.random() < 0.2:  # removed and fed again
                    node.remove(document_id)
                    node.put(document_id, json.dumps(DOCS[user_id]))
                else:
                    price = round(rng.uniform(1, 1000), 2)
                    write(shop, user_id, {"price": price, "title": f"item {user_id} at {price}"})
                writes[0] += 1
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(part,)) for part in range(2)]
    for thread in threads:
        thread.start()
    queries, hits_checked, deadline = 0, 0, time.monotonic() + 2.0
    try:
        while time.monotonic() < deadline:
            root = shop.search(yql="select * from item where true", ranking="by_price", hits=10)
            for hit in root.get("children", ()):
                fields = hit["fields"]
                assert "documentid" in fields, f"a hit without its summary: {hit}"
                assert fields["price"] == hit["relevance"], f"summary of another version: {hit}"
                user_id = fields["documentid"].rsplit(":", 1)[1]
                assert fields["title"] in (DOCS[user_id]["title"], f"item {user_id} at {fields['price']}")
                hits_checked += 1
            queries += 1
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not errors
    assert queries >= 10 and writes[0] >= 100 and hits_checked >= 100, (queries, writes[0], hits_checked)
