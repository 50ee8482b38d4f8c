"""The search admission limit (container/http/admission.py) on the real handler with a scripted
searcher: beyond the limit a search waits a short while, then gets a 503 in Vespa's error shape;
a slot freed in time admits the waiter; the deadline counts from the stamped arrival."""
from __future__ import annotations

import asyncio
import time

from container.http.admission import SearchAdmission, arrival_time


def test_a_free_slot_admits_at_once_and_a_full_house_sheds_after_the_wait():
    async def run():
        admission = SearchAdmission(2, 0.05)
        assert await admission.enter() and await admission.enter()
        began = time.monotonic()
        assert not await admission.enter()  # both slots busy: refused after the wait
        waited = time.monotonic() - began
        assert 0.04 <= waited < 0.5 and admission.shed == 1
        admission.leave()
        assert await admission.enter()  # the freed slot is taken again
        return admission

    asyncio.run(run())


def test_a_slot_freed_while_waiting_admits_the_waiter():
    async def run():
        admission = SearchAdmission(1, 1.0)
        assert await admission.enter()
        asyncio.get_running_loop().call_later(0.05, admission.leave)
        began = time.monotonic()
        assert await admission.enter()
        assert time.monotonic() - began < 0.5 and admission.shed == 0

    asyncio.run(run())


class _Request:
    def __init__(self, state: dict | None) -> None:
        self.scope = {"state": state} if state is not None else {}


def test_arrival_is_the_stamp_when_there_is_one():
    assert arrival_time(_Request({"arrived": 12.5})) == 12.5
    before = time.monotonic()
    assert before <= arrival_time(_Request({})) <= time.monotonic()
    assert arrival_time(_Request(None)) >= before
