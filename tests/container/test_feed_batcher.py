"""The container's FeedBatcher: concurrent writes to one node share Feed calls without waiting for
a timer, each gets its own reply, a failed call fails exactly its operations, and an operation
whose caller gave up before it was sent is never sent."""
from __future__ import annotations

import asyncio
from collections import deque

import pytest

from container.dispatch.content_client import NodeUnavailable
from container.dispatch.feed_batcher import FeedBatcher, NotSent
from protos import content_node_pb2 as pb


def put(n: int) -> pb.FeedOperation:
    return pb.FeedOperation(put=pb.PutRequest(document_id=f"id:test:doc::{n}"))


class Node:
    """Answers each batch when released; replies say which document they are for."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.batches: list[list[str]] = []
        self.release = asyncio.Event()
        self.fail = fail

    async def send(self, request: pb.FeedBatchRequest, timeout: float) -> pb.FeedBatchReply:
        self.batches.append([op.put.document_id for op in request.operations])
        await self.release.wait()
        if self.fail:
            raise self.fail
        return pb.FeedBatchReply(replies=[pb.FeedReply(ok=not op.put.document_id.endswith("::3"),
                                                       error=pb.ErrorMessage(message=op.put.document_id))
                                          for op in request.operations])


def held_long(batcher: FeedBatcher) -> FeedBatcher:
    """As if the last batch took two minutes to answer: a write is held for half of it at most."""
    batcher._round_trip = 120.0
    return batcher


def test_concurrent_writes_share_batches_and_get_their_own_replies():
    async def run():
        node = Node()
        batcher = FeedBatcher(node.send, max_in_flight=2, min_next=1)
        tasks = [asyncio.ensure_future(batcher.submit(put(0), 5.0))]
        await asyncio.sleep(0.01)
        tasks += [asyncio.ensure_future(batcher.submit(put(n), 5.0)) for n in (1, 2)]  # one turn of the loop
        await asyncio.sleep(0.01)
        tasks += [asyncio.ensure_future(batcher.submit(put(n), 5.0)) for n in range(3, 10)]
        await asyncio.sleep(0.01)
        # the first went out alone at once, the next turn's two together; the rest wait for a free
        # slot, then go together
        assert node.batches == [["id:test:doc::0"], ["id:test:doc::1", "id:test:doc::2"]]
        node.release.set()
        replies = await asyncio.gather(*tasks)
        assert [len(b) for b in node.batches] == [1, 2, 7]
        assert [r.error.message for r in replies] == [f"id:test:doc::{n}" for n in range(10)]
        assert [r.ok for r in replies] == [n != 3 for n in range(10)]

    asyncio.run(run())


def test_while_a_batch_is_in_flight_the_next_waits_for_its_reply_unless_enough_queue_or_the_hold_is_over():
    async def run():
        node = Node()
        batcher = held_long(FeedBatcher(node.send, max_in_flight=2, min_next=4, max_hold=60.0))
        tasks = [asyncio.ensure_future(batcher.submit(put(0), 5.0))]
        await asyncio.sleep(0.01)
        for n in (1, 2, 4):  # each in its own turn of the loop: three writes queue behind the first
            tasks.append(asyncio.ensure_future(batcher.submit(put(n), 5.0)))
            await asyncio.sleep(0.01)
        assert node.batches == [["id:test:doc::0"]]  # not split into batches of one
        tasks += [asyncio.ensure_future(batcher.submit(put(n), 5.0)) for n in (5, 6)]
        await asyncio.sleep(0.01)
        # four queued (min_next): the second slot takes them all at once
        assert [len(b) for b in node.batches] == [1, 5]
        node.release.set()
        replies = await asyncio.gather(*tasks)
        assert [r.error.message for r in replies] == [f"id:test:doc::{n}" for n in (0, 1, 2, 4, 5, 6)]

    asyncio.run(run())


def test_writes_queued_behind_a_batch_go_together_once_it_is_answered():
    async def run():
        node = Node()
        batcher = held_long(FeedBatcher(node.send, max_hold=60.0))
        first = asyncio.ensure_future(batcher.submit(put(0), 5.0))
        await asyncio.sleep(0.01)
        rest = []
        for n in range(1, 9):
            rest.append(asyncio.ensure_future(batcher.submit(put(n), 5.0)))
            await asyncio.sleep(0)
        await asyncio.sleep(0.01)
        assert len(node.batches) == 1
        node.release.set()
        await asyncio.gather(first, *rest)
        assert [len(b) for b in node.batches] == [1, 8]

    asyncio.run(run())


def test_a_failed_call_fails_its_operations_and_the_next_batch_goes_out():
    async def run():
        node = Node(NodeUnavailable("node 1 is down"))
        batcher = FeedBatcher(node.send, max_in_flight=1)
        first = asyncio.ensure_future(batcher.submit(put(0), 5.0))
        await asyncio.sleep(0.01)
        second = asyncio.ensure_future(batcher.submit(put(1), 5.0))
        await asyncio.sleep(0.01)
        node.release.set()
        with pytest.raises(NodeUnavailable):
            await first
        with pytest.raises(NodeUnavailable):
            await second
        assert node.batches == [["id:test:doc::0"], ["id:test:doc::1"]]

    asyncio.run(run())


def test_an_operation_whose_caller_gave_up_is_not_sent():
    async def run():
        node = Node()
        batcher = FeedBatcher(node.send, max_in_flight=1)
        sent = asyncio.ensure_future(batcher.submit(put(0), 5.0))
        await asyncio.sleep(0.01)
        with pytest.raises(NotSent):
            await batcher.submit(put(1), 0.01)  # queued behind the first, then timed out
        cancelled = asyncio.ensure_future(batcher.submit(put(2), 5.0))
        await asyncio.sleep(0.01)
        cancelled.cancel()
        kept = asyncio.ensure_future(batcher.submit(put(3), 5.0))
        await asyncio.sleep(0.01)
        node.release.set()
        await sent
        await kept
        assert node.batches == [["id:test:doc::0"], ["id:test:doc::3"]]

    asyncio.run(run())


def test_each_operation_times_out_at_its_own_deadline_with_one_timer():
    async def run():
        node = Node()
        batcher = FeedBatcher(node.send, max_in_flight=1)
        loop = asyncio.get_running_loop()
        long = asyncio.ensure_future(batcher.submit(put(0), 5.0))
        await asyncio.sleep(0.001)  # sent: the next ones queue behind it
        short = asyncio.ensure_future(batcher.submit(put(1), 0.05))  # queued: earlier deadline re-arms
        shorter = asyncio.ensure_future(batcher.submit(put(2), 0.02))
        started = loop.time()
        with pytest.raises(NotSent):  # queued, never sent
            await shorter
        assert 0.015 < loop.time() - started < 0.045 and not short.done()
        with pytest.raises(NotSent):
            await short
        assert loop.time() - started >= 0.045 and not long.done()
        node.release.set()
        assert (await long).error.message == "id:test:doc::0"
        # answered and expired operations are forgotten, and no timer is left armed
        assert batcher._deadlines == [] and batcher._timer is None
        assert node.batches == [["id:test:doc::0"]]

    asyncio.run(run())


class SlowFirstNode(Node):
    """Batch number `slow` is answered when released (a slow reply); the others after `delay`."""

    def __init__(self, slow: int = 0, delay: float = 0.0) -> None:
        super().__init__()
        self.slow, self.delay = slow, delay

    async def send(self, request: pb.FeedBatchRequest, timeout: float) -> pb.FeedBatchReply:
        if len(self.batches) == self.slow:
            return await super().send(request, timeout)
        self.batches.append([op.put.document_id for op in request.operations])
        await asyncio.sleep(self.delay)
        return pb.FeedBatchReply(replies=[pb.FeedReply(ok=True) for _ in request.operations])


def test_a_write_behind_a_slow_reply_goes_out_in_the_free_slot_and_is_answered():
    async def run():
        node = SlowFirstNode(slow=1, delay=0.05)
        batcher = FeedBatcher(node.send)  # the defaults: a batch's worth (64) never queues here
        loop = asyncio.get_running_loop()
        assert (await batcher.submit(put(0), 60.0)).ok
        assert batcher._round_trip >= 0.05  # the next write is held 25 ms at most
        slow = asyncio.ensure_future(batcher.submit(put(1), 60.0))
        await asyncio.sleep(0.01)
        started = loop.time()
        assert (await batcher.submit(put(2), 0.5)).ok  # timed out unsent while it waited for the reply
        assert 0.015 < loop.time() - started < 0.25
        assert node.batches == [[f"id:test:doc::{n}"] for n in range(3)]
        node.release.set()
        await slow

    asyncio.run(run())


def test_a_write_is_held_for_a_batch_half_a_round_trip_or_under_load_max_hold_at_most_half_its_timeout():
    async def run():
        loop = asyncio.get_running_loop()
        for round_trip, max_hold, timeout, held, batched in (
                (0.8, 60.0, 30.0, 0.4, 1), (120.0, 0.4, 30.0, 0.4, 1), (120.0, 60.0, 0.6, 0.3, 1),
                (0.1, 0.4, 30.0, 0.4, 16)):  # batches of 16 (load): held to max_hold, not 0.05
            node = SlowFirstNode()
            batcher = FeedBatcher(node.send, max_hold=max_hold)
            batcher._round_trip = round_trip
            slow = [asyncio.ensure_future(batcher.submit(put(n), 60.0)) for n in range(batched)]
            await asyncio.sleep(0.01)
            started = loop.time()
            write = asyncio.ensure_future(batcher.submit(put(batched), timeout))
            await asyncio.sleep(held / 4)
            assert len(node.batches) == 1  # held: more may join it
            assert (await write).ok
            assert held - 0.01 <= loop.time() - started < held + 0.25
            node.release.set()
            await asyncio.gather(*slow)

    asyncio.run(run())


def test_writes_whose_callers_gave_up_do_not_count_toward_a_batchs_worth():
    async def run():
        node = Node()
        batcher = held_long(FeedBatcher(node.send, max_in_flight=2, min_next=4, max_hold=60.0))
        first = asyncio.ensure_future(batcher.submit(put(0), 30.0))
        await asyncio.sleep(0.01)
        gave_up = [asyncio.ensure_future(batcher.submit(put(n), 30.0)) for n in range(1, 4)]
        await asyncio.sleep(0.01)
        for task in gave_up:
            task.cancel()
        waiting = [asyncio.ensure_future(batcher.submit(put(n), 30.0)) for n in range(4, 7)]
        await asyncio.sleep(0.01)
        assert len(node.batches) == 1  # 6 queued, 3 of them still waiting
        waiting.append(asyncio.ensure_future(batcher.submit(put(7), 30.0)))
        await asyncio.sleep(0.01)
        assert node.batches[1] == [f"id:test:doc::{n}" for n in range(4, 8)]
        node.release.set()
        await asyncio.gather(first, *waiting)

    asyncio.run(run())


def test_a_write_queued_past_its_deadline_fails_as_not_sent_and_leaves_the_queue_a_sent_one_times_out():
    async def run():
        node = Node()
        batcher = FeedBatcher(node.send, max_in_flight=1)
        sent = asyncio.ensure_future(batcher.submit(put(0), 0.05))
        await asyncio.sleep(0.001)
        queued = asyncio.ensure_future(batcher.submit(put(1), 0.03))
        kept = asyncio.ensure_future(batcher.submit(put(2), 5.0))
        with pytest.raises(NotSent):
            await queued
        assert [entry[0].put.document_id for entry in batcher._queue if not entry[1].done()] == ["id:test:doc::2"]
        with pytest.raises(asyncio.TimeoutError):  # sent, unanswered: it may have been applied
            await sent
        node.release.set()
        await kept
        assert node.batches == [["id:test:doc::0"], ["id:test:doc::2"]]

    asyncio.run(run())


class Unscanned(deque):
    """A queue that counts how often it is scanned whole."""

    scans = 0

    def __iter__(self):
        Unscanned.scans += 1
        return super().__iter__()


def test_expiring_queued_writes_does_not_scan_the_queue():
    """Under overload every queued write may expire on its own timer firing: a scan of the whole
    queue each time made that quadratic. Each still fails as NotSent and is never sent."""
    async def run():
        node = Node()
        batcher = FeedBatcher(node.send, max_in_flight=1)
        sent = asyncio.ensure_future(batcher.submit(put(0), 5.0))
        await asyncio.sleep(0.001)
        batcher._queue = Unscanned(batcher._queue)
        queued = [asyncio.ensure_future(batcher.submit(put(n), 0.01 + n * 0.002)) for n in range(1, 20)]
        outcomes = await asyncio.gather(*queued, return_exceptions=True)
        assert all(isinstance(outcome, NotSent) for outcome in outcomes), outcomes
        assert Unscanned.scans == 0
        node.release.set()
        await sent
        assert node.batches == [["id:test:doc::0"]]

    asyncio.run(run())


class Stalled:
    """A node whose Feed calls are answered only when released."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = asyncio.Event()

    async def rpc(self, method: str, request, timeout: float):
        self.batches.append([op.remove.document_id for op in request.operations])
        await asyncio.wait_for(self.release.wait(), timeout)
        return pb.FeedBatchReply(replies=[pb.FeedReply(ok=True) for _ in request.operations])


def test_the_client_answers_a_write_never_sent_as_unavailable_and_one_sent_as_a_timeout():
    """The document API's 503 (not applied: retry), not the 504 of an unknown outcome."""
    from container.dispatch.content_client import GrpcContentNodeClient, NodeAddress, NodeTimeout

    async def run():
        node = Stalled()
        client = GrpcContentNodeClient(NodeAddress(0, 0, "127.0.0.1:1"))
        client._rpc = node.rpc
        writes = []
        for n in range(2):  # both batch slots taken
            writes.append(asyncio.ensure_future(client.remove(f"id:test:doc::{n}", 0.2, timestamp=1)))
            await asyncio.sleep(0.01)
        assert len(node.batches) == 2
        later = asyncio.ensure_future(client.remove("id:test:doc::3", 0.05, timestamp=1))  # behind two in flight
        outcomes = await asyncio.gather(*writes, later, return_exceptions=True)
        node.release.set()
        await asyncio.sleep(0.01)
        assert all(isinstance(outcome, NodeTimeout) for outcome in outcomes[:2]), outcomes
        assert isinstance(outcomes[2], NodeUnavailable) and "was not sent" in str(outcomes[2])
        assert "id:test:doc::3" not in sum(node.batches, [])

    asyncio.run(run())
