"""The shared health watch over single-owner writes (container/dispatch/write_watch.py): a write
whose owner health checks see go down is interrupted with OwnerDown after at least one poll; one
whose owner stays reachable is never interrupted; a cancellation from anyone else stays a
cancellation; the cancellation count is always left balanced and no timer stays armed. Then through
the container: a write to a single owner that stalls is given up once health checks see it go down
(503 within its timeout), and a write whose owner answers is acknowledged."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from container.app import create_app
from container.dispatch.write_watch import OwnerDown, WriteWatch
from tests.container.test_write_availability import FlakyNode, owner_of, put

MUSIC = str(Path(__file__).resolve().parents[1] / "apps" / "music")
POLL = 0.05


def test_a_write_whose_owner_goes_down_is_interrupted_after_a_poll():
    async def main():
        reachable = {1: True}
        watch = WriteWatch(lambda key: reachable[key], POLL)
        started = time.monotonic()
        asyncio.get_running_loop().call_later(0.12, lambda: reachable.update({1: False}))
        with pytest.raises(OwnerDown, match="content node 1 went down"):
            await watch.run(1, asyncio.sleep(10))
        assert 0.12 <= time.monotonic() - started < 1.0
        task = asyncio.current_task()
        assert task.cancelling() == 0 and watch.watching == 0
        await asyncio.sleep(POLL * 2)
        assert not watch.armed
        await asyncio.sleep(0)  # the task is usable: later awaits are not cancelled

    asyncio.run(main())


def test_an_owner_unreachable_from_the_start_still_gets_one_poll_interval():
    async def main():
        watch = WriteWatch(lambda key: False, 0.2)
        assert await watch.run(0, asyncio.sleep(0.05, "done")) == "done"
        started = time.monotonic()
        with pytest.raises(OwnerDown):
            await watch.run(0, asyncio.sleep(10))
        assert 0.2 <= time.monotonic() - started < 1.0

    asyncio.run(main())


def test_a_reachable_owner_is_never_interrupted_and_results_and_errors_pass_through():
    async def failing():
        await asyncio.sleep(POLL * 2)
        raise ValueError("the node's answer")

    async def main():
        watch = WriteWatch(lambda key: True, POLL)
        assert await watch.run(0, asyncio.sleep(POLL * 4, "answer")) == "answer"
        with pytest.raises(ValueError, match="the node's answer"):
            await watch.run(0, failing())
        await asyncio.sleep(POLL * 2)
        assert watch.watching == 0 and not watch.armed

    asyncio.run(main())


def test_a_cancellation_from_elsewhere_stays_a_cancellation():
    async def main():
        watch = WriteWatch(lambda key: True, POLL)
        task = asyncio.ensure_future(watch.run(0, asyncio.sleep(10)))
        await asyncio.sleep(POLL / 2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # both at once: the request is cancelled as the watch interrupts the write
        def unreachable_and_cancelled(key: int) -> bool:
            task.cancel()
            return False

        watch = WriteWatch(unreachable_and_cancelled, POLL)
        task = asyncio.ensure_future(watch.run(0, asyncio.sleep(10)))
        with pytest.raises(asyncio.CancelledError):
            await task
        assert watch.watching == 0

    asyncio.run(main())


def test_several_writes_share_one_timer_and_only_the_down_owners_are_interrupted():
    async def main():
        reachable = {0: True, 1: True}
        watch = WriteWatch(lambda key: reachable[key], POLL)
        results = asyncio.gather(*(watch.run(key, asyncio.sleep(0.3, key)) for key in (0, 1, 0, 1)),
                                 return_exceptions=True)
        await asyncio.sleep(0.01)
        assert watch.watching == 4 and watch.armed
        reachable[1] = False
        outcomes = await results
        assert outcomes[0] == 0 and outcomes[2] == 0
        assert all(isinstance(outcomes[i], OwnerDown) for i in (1, 3))

    asyncio.run(main())


def test_a_write_that_swallows_the_cancellation_leaves_the_count_balanced():
    async def stubborn():
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            return "kept going"

    async def main():
        watch = WriteWatch(lambda key: False, POLL)
        assert await watch.run(0, stubborn()) == "kept going"
        assert asyncio.current_task().cancelling() == 0
        async with asyncio.timeout(5):  # a timeout in the same task still works
            await asyncio.sleep(0.01)

    asyncio.run(main())


def test_a_watch_still_interrupts_writes_in_a_later_event_loop():
    """A loop that closes within a poll of a write leaves its timer behind (it never fires): a later
    loop's writes must still be watched (tests and tools run the handler under several asyncio.run)."""
    reachable = {0: True}
    watch = WriteWatch(lambda key: reachable[key], POLL)

    async def quick():
        return await watch.run(0, asyncio.sleep(0, "done"))

    assert asyncio.run(quick()) == "done"
    reachable[0] = False

    async def stalled():
        async with asyncio.timeout(1.0):
            with pytest.raises(OwnerDown):
                await watch.run(0, asyncio.sleep(10))
        await asyncio.sleep(POLL * 2)
        assert watch.watching == 0 and not watch.armed

    asyncio.run(stalled())


class StallingNode(FlakyNode):
    """Takes writes but never answers them while `stalled` (a SIGSTOPped node); pings fail then."""

    stalled = False

    async def put(self, document_id, fields, timeout, condition="", create=False, timestamp=0):
        self.attempts += 1
        while self.stalled:
            await asyncio.sleep(0.02)
        return await super().put(document_id, fields, timeout, condition, create, timestamp)

    def _check(self) -> None:
        if self.stalled:
            raise asyncio.TimeoutError("ping timed out")
        super()._check()


def test_a_stalled_single_owner_is_given_up_once_health_checks_see_it_down():
    nodes = [StallingNode(0, 0), StallingNode(1, 0)]
    user_id = next(f"w{i}" for i in range(100) if owner_of(f"w{i}", [0, 1]) == 1)
    with TestClient(create_app(MUSIC, clients=nodes)) as client:
        assert put(client, user_id)[0].status_code == 200
        nodes[1].stalled = True
        response, seconds = put(client, user_id, timeout="2s")
        assert response.status_code == 503, response.text
        assert response.json()["message"] == "content node 1 went down: not back within the timeout of 2 s"
        assert 1.9 < seconds < 6
        nodes[1].stalled = False
        deadline = time.monotonic() + 5
        while put(client, user_id, timeout="1s")[0].status_code != 200:
            assert time.monotonic() < deadline
