"""The search admission limit (container/http/admission.py): beyond the limit a search waits for a
slot up to the queue timeout (then 503) or its own deadline (then 504); a slot freed in time
admits the waiter; the deadline counts from the stamped arrival."""
from __future__ import annotations

import asyncio
import time

from container.http.admission import SearchAdmission, arrival_time
from searchlib.errors import ErrorCode


def test_a_free_slot_admits_at_once_and_a_full_house_sheds_after_the_wait():
    async def run():
        admission = SearchAdmission(2, 0.05)
        far = time.monotonic() + 10
        assert await admission.enter(far) is None and await admission.enter(far) is None
        began = time.monotonic()
        refused = await admission.enter(far)  # both slots busy: refused after the queue wait
        assert refused is ErrorCode.NO_BACKENDS_IN_SERVICE and refused.http_status == 503
        assert 0.04 <= time.monotonic() - began < 0.5 and admission.shed == 1
        admission.leave()
        assert await admission.enter(far) is None  # the freed slot is taken again

    asyncio.run(run())


def test_a_query_whose_deadline_comes_first_times_out():
    async def run():
        admission = SearchAdmission(1, 5.0)
        assert await admission.enter(time.monotonic() + 10) is None
        began = time.monotonic()
        refused = await admission.enter(began + 0.05)
        assert refused is ErrorCode.TIMEOUT and refused.http_status == 504
        assert time.monotonic() - began < 0.5  # not the 5 s queue timeout
        assert "Timed out after 0.05 s" in admission.refusal(refused, 0.05)

    asyncio.run(run())


def test_a_slot_freed_while_waiting_admits_the_waiter():
    async def run():
        admission = SearchAdmission(1, 1.0)
        assert await admission.enter(time.monotonic() + 10) is None
        asyncio.get_running_loop().call_later(0.05, admission.leave)
        began = time.monotonic()
        assert await admission.enter(began + 10) is None
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
