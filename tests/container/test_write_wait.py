"""The document handler's wait for a write's attempts (`_done_or_abandoned`): done when every
attempt is, and an attempt whose node a health check finds unreachable is abandoned, checked every
WRITE_HEALTH_POLL seconds, as `asyncio.wait(..., timeout=WRITE_HEALTH_POLL)` in a loop did."""
from __future__ import annotations

import asyncio

from container.http import document_handler
from container.http.document_handler import _done_or_abandoned


def test_done_when_every_attempt_is():
    async def run():
        async def answer(value, delay):
            await asyncio.sleep(delay)
            return value

        tasks = {asyncio.ensure_future(answer("a", 0.01)): "a", asyncio.ensure_future(answer("b", 0.02)): "b"}
        assert await _done_or_abandoned(tasks, lambda client: True) == set()
        assert sorted(t.result() for t in tasks) == ["a", "b"]
        assert await _done_or_abandoned({}, lambda client: True) == set()

    asyncio.run(run())


def test_an_attempt_at_an_unreachable_node_is_abandoned_at_a_check(monkeypatch):
    monkeypatch.setattr(document_handler, "WRITE_HEALTH_POLL", 0.02)

    async def run():
        reachable = {"up": True, "stalled": True}
        stalled = asyncio.ensure_future(asyncio.sleep(10))
        quick = asyncio.ensure_future(asyncio.sleep(0.001))
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, reachable.update, {"stalled": False})
        started = loop.time()
        abandoned = await _done_or_abandoned({stalled: "stalled", quick: "up"}, reachable.__getitem__)
        assert abandoned == {stalled} and not stalled.done() and quick.done()
        assert 0.05 <= loop.time() - started < 1.0  # at the first check after it went down
        stalled.cancel()

    asyncio.run(run())
