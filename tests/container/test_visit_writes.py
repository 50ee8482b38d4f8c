"""Updates and removes by selection (/document/v1 PUT/DELETE with `selection`): a document's write
counts as done only if a replica took it. One that reached no replica (every owner went down
between the page and the write) is an error, never a document counted as updated or removed."""
from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import pytest

from container.dispatch.content_client import NodeAddress, NodeUnavailable
from container.http import visit_handler
from container.http.visit_handler import VisitHandler, _NodeRefused
from searchlib.docid import global_id
from searchlib.sequencing import KeySequencer
from searchlib.wire.feed_codec import FeedResult
from searchlib.wire.visit_codec import VisitedDocument

DOCUMENT = VisitedDocument(global_id("id:test:doc::x"), "id:test:doc::x", {"title": "x"})


class Owner:
    def __init__(self, key: int, down: bool) -> None:
        self.node, self.down = NodeAddress(key, key, f"host:{key}"), down

    async def remove(self, document, timeout, timestamp):
        if self.down:
            raise NodeUnavailable(f"content node {self.node.distribution_key} went down")
        return FeedResult(True, found=True)


def write(monkeypatch, owners):
    missed = []
    cluster = SimpleNamespace(note_missed_write=missed.append, writes=KeySequencer())
    handler = SimpleNamespace(_cluster=cluster, _global_types=frozenset())
    monkeypatch.setattr(visit_handler, "holders", lambda *args: owners)
    operation = lambda client, document, left, timestamp: client.remove(document, left, timestamp)  # noqa: E731
    asyncio.run(VisitHandler._write_everywhere(handler, DOCUMENT, operation, time.monotonic() + 5))
    return missed


def test_a_write_one_replica_took_counts_and_the_other_catches_up(monkeypatch):
    assert write(monkeypatch, [Owner(0, down=False), Owner(1, down=True)]) == [1]


def test_a_write_no_replica_took_is_an_error_not_a_document_counted(monkeypatch):
    with pytest.raises(_NodeRefused) as refused:
        write(monkeypatch, [Owner(0, down=True), Owner(1, down=True)])
    assert refused.value.status == 503 and "id:test:doc::x" in refused.value.message
