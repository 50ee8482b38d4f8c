"""Batched feeding with real processes: many writes in flight through /document/v1 go to the
nodes in Feed batches (container/dispatch/feed_batcher.py); kill -9 a node in the middle of them
and every write that was acknowledged is there after it restarts, and the cluster holds the same
documents as single writes give."""
from __future__ import annotations

import asyncio
import signal
import threading

import httpx

from tests.integration.conftest import search

COUNT = 400
IN_FLIGHT = 48


def fields(n: int) -> dict:
    return {"title": f"batched document {n}", "text": f"feed batch survivor number {n} " + "word " * (n % 17)}


async def feed(url: str, ids: list[int], acknowledged: dict[int, int], started: threading.Event) -> None:
    pending = iter(ids)
    async with httpx.AsyncClient(base_url=url, timeout=30.0,
                                 limits=httpx.Limits(max_connections=IN_FLIGHT)) as client:
        async def worker():
            for n in pending:
                try:
                    response = await client.post(f"/document/v1/test/doc/docid/b{n}", json={"fields": fields(n)},
                                                 params={"timeout": "3s"})
                except httpx.TransportError:
                    continue  # not acknowledged: nothing is claimed about it
                acknowledged[n] = response.status_code
                if len(acknowledged) >= 60:
                    started.set()
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))


def test_kill_9_mid_batch_keeps_every_acknowledged_write(cluster, http):
    acknowledged: dict[int, int] = {}
    started = threading.Event()
    feeding = threading.Thread(target=lambda: asyncio.run(feed(cluster.url, list(range(COUNT)), acknowledged,
                                                                 started)))
    feeding.start()
    assert started.wait(60)
    cluster.kill_node(1, signal.SIGKILL)  # writes to node 1 are in flight in batches now
    feeding.join(120)
    assert not feeding.is_alive()
    ok = {n for n, status in acknowledged.items() if status == 200}
    assert all(status in (200, 503, 504) for status in acknowledged.values()), set(acknowledged.values())
    assert len(ok) >= 60 and len(ok) < COUNT  # some writes to node 1 were refused after the kill
    cluster.restart_node(1)  # waits until the cluster is healthy again
    missing = [n for n in sorted(ok) if http.get(f"/document/v1/test/doc/docid/b{n}").status_code != 200]
    assert missing == []
    found = search(http, yql='select * from doc where text contains "survivor"', hits=0).json()["root"]
    assert found["fields"]["totalCount"] >= len(ok)


def test_batched_feed_gives_the_documents_single_writes_give(cluster, http):
    """The same documents written again, now one request at a time (so one operation a Feed
    call), read back equal to what the concurrent feed stored, and searchable once each."""
    ids = list(range(COUNT, COUNT + 120))
    acknowledged: dict[int, int] = {}
    asyncio.run(feed(cluster.url, ids, acknowledged, threading.Event()))
    assert set(acknowledged.values()) == {200}
    concurrent = {n: http.get(f"/document/v1/test/doc/docid/b{n}").json()["fields"] for n in ids}
    for n in ids:
        assert http.post(f"/document/v1/test/doc/docid/b{n}", json={"fields": fields(n)}).status_code == 200
    single = {n: http.get(f"/document/v1/test/doc/docid/b{n}").json()["fields"] for n in ids}
    assert single == concurrent
    assert all(concurrent[n]["title"] == fields(n)["title"] for n in ids)
    hits = search(http, yql='select * from doc where title contains "batched" and text contains "survivor"',
                  hits=0).json()["root"]["fields"]["totalCount"]
    assert hits >= len(ids)
