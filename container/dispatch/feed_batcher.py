"""Coalesces the document operations the container sends one content node at the same time into
Feed calls (one gRPC round trip, one write-lock hold and one fsync on the node for many writes).

No operation waits for a timer to fill a batch: with no batch in flight to the node, what was
submitted in this turn of the event loop goes out together at the start of the next (the requests
one read of the sockets brought in: sent one by one they made batches of ~6 writes at 128 in flight,
and a node spends ~20% more CPU a document in batches of 16 than of 64); while one is in flight, the
next carries what queued meanwhile, and goes out before the reply (up to `max_in_flight` batches)
once `min_next` writes queue, so batches grow with the load, or once the oldest queued write has
been held long enough: half the last batch's round trip under a light load (small batches),
`max_hold` under load (so a batch still gathers what queues until the reply, unless the reply is
late), and never more than half its own timeout. Each operation keeps its own timeout and gets its
own reply (a bad one fails alone), and each is acknowledged by the node only once durable, as a
single Put. The timeouts share one timer, armed for the earliest deadline not yet answered (a timer
a write, as `asyncio.wait_for` sets, was a measurable part of the container's CPU a write). A write
still queued at its deadline was never sent: it fails as NotSent (certainly not applied: retryable;
skipped when its turn comes), unlike one sent and unanswered (TimeoutError: it may have been applied).
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections import deque
from typing import Awaitable, Callable

from protos import content_node_pb2 as pb

MAX_IN_FLIGHT = 2  # one batch applied under the node's write lock while the previous one syncs
MAX_OPERATIONS = 128  # a batch holds the node's write lock (queries wait) while it is applied
# while a batch is in flight, the next goes out only once this many writes queue: a node's CPU a
# document falls with the batch's size (scifact, one node in process: batches of 16 cost ~15% more
# than of 64), and a second slot used at once split 64 writes a node into batches of ~17
MIN_NEXT_BATCH = MAX_OPERATIONS // 2
# ...or once the oldest queued write has waited this long (half a round trip under a light load): a
# write's wait is bounded, not the batch in flight's (a slow reply held the next write until it timed
# out); 2 ms, or half a round trip, under load split the batches at 128 in flight (see BENCHMARKS.md)
MAX_HOLD = 0.05
MAX_BYTES = 4 * 1024 * 1024



class NotSent(Exception):
    """The operation's deadline passed while it was queued behind earlier batches: it was never
    sent, and never will be."""


Send = Callable[[pb.FeedBatchRequest, float], Awaitable[pb.FeedBatchReply]]


class FeedBatcher:
    def __init__(self, send: Send, max_in_flight: int = MAX_IN_FLIGHT,
                 max_operations: int = MAX_OPERATIONS, max_bytes: int = MAX_BYTES,
                 min_next: int = MIN_NEXT_BATCH, max_hold: float = MAX_HOLD) -> None:
        self._send = send
        self._max_hold = max_hold
        self._round_trip = 0.0  # the last answered batch's
        self._last_size = 0  # the last batch sent's
        self._send_by = math.inf  # when the next batch goes out even if short: see `max_hold`
        self._hold_timer: asyncio.TimerHandle | None = None
        self._max_in_flight = max_in_flight
        self._min_next = min_next
        self._max_operations = max_operations
        self._max_bytes = max_bytes
        self._queue: deque[tuple[pb.FeedOperation, asyncio.Future, float]] = deque()
        self._queued: set[asyncio.Future] = set()  # those of `_queue` not sent yet: `_expire` asks, O(1)
        self._in_flight = 0
        self._tasks: set[asyncio.Task] = set()
        self._deadlines: list[tuple[float, int, asyncio.Future]] = []  # heap of unanswered operations
        self._order = itertools.count()  # ties of the heap: futures do not compare
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._pump_scheduled = False
        self.batches = 0  # Feed calls sent (tests and benchmarks read them)

    async def submit(self, operation: pb.FeedOperation, timeout: float) -> pb.FeedReply:
        """The node's reply to `operation`; raises what the Feed call raised (NodeUnavailable,
        NodeTimeout), or past `timeout` (the operation's own deadline) asyncio.TimeoutError if it
        was sent, NotSent if it was still queued.
        A caller that is cancelled cancels its future: a queued operation is then skipped."""
        future = asyncio.get_running_loop().create_future()
        now = time.monotonic()
        deadline = now + timeout
        self._queue.append((operation, future, deadline))
        self._queued.add(future)
        heapq.heappush(self._deadlines, (deadline, next(self._order), future))
        if self._timer is None or deadline < self._timer_at:
            self._arm(deadline)
        # light load (small batches): held half a round trip; under load, to `max_hold`, so batches
        # stay as large as waiting for the reply made them
        hold = self._round_trip / 2 if self._last_size < self._min_next // 4 else self._max_hold
        send_by = now + min(hold, self._max_hold, timeout / 2)
        if send_by < self._send_by:
            self._send_by = send_by
            if self._in_flight:
                self._hold()
        if not self._pump_scheduled and self._may_send(now):
            self._pump_scheduled = True  # the rest of this turn's writes join it
            asyncio.get_running_loop().call_soon(self._pump)
        return await future

    def _may_send(self, now: float) -> bool:
        """A batch may go out now: none in flight, or a free slot and enough queued to fill one (or
        the oldest queued has been held long enough)."""
        if self._in_flight == 0:
            return True
        if self._in_flight >= self._max_in_flight:
            return False
        return now >= self._send_by or (len(self._queue) >= self._min_next and self._pending() >= self._min_next)

    def _pending(self) -> int:
        """How many queued operations still wait for a reply: those whose callers gave up (timed
        out, cancelled) leave the queue here, so they do not count toward a batch's worth."""
        queue = self._queue
        if any(future.done() for _, future, _ in queue):
            self._queue = queue = deque(entry for entry in queue if not entry[1].done())
            self._queued.intersection_update(future for _, future, _ in queue)
        return len(queue)

    def _hold(self) -> None:
        """Arm the timer that sends the next batch at `_send_by` (a slot being free then)."""
        if self._hold_timer is not None:
            self._hold_timer.cancel()
        delay = max(0.0, self._send_by - time.monotonic())
        self._hold_timer = asyncio.get_running_loop().call_later(delay, self._held)

    def _held(self) -> None:
        self._hold_timer = None
        self._send_by = min(self._send_by, time.monotonic())  # the loop may run a timer a bit early
        self._pump()

    def _arm(self, deadline: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = deadline
        self._timer = asyncio.get_running_loop().call_later(max(0.0, deadline - time.monotonic()), self._expire)

    def _expire(self) -> None:
        """The timer: operations past their deadline fail (see `submit`); re-armed for the next."""
        self._timer = None
        now = time.monotonic()
        heap = self._deadlines
        while heap and (heap[0][2].done() or heap[0][0] <= now):
            future = heapq.heappop(heap)[2]
            if future.done():
                continue
            if future in self._queued:  # left in the queue, done: `_pump` skips it, never sends it
                self._queued.discard(future)
                future.set_exception(NotSent("it was still queued behind earlier writes to the node "
                                             "at its deadline, and was not sent"))
            else:
                future.set_exception(asyncio.TimeoutError())
        if heap:
            self._arm(heap[0][0])

    def _forget_answered(self) -> None:
        """Drop answered operations from the head of the deadline heap (with one timeout for every
        write, the order they were answered in), so it holds about what is unanswered."""
        heap = self._deadlines
        while heap and heap[0][2].done():
            heapq.heappop(heap)
        if not heap and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _pump(self) -> None:
        self._pump_scheduled = False
        while self._queue and self._may_send(time.monotonic()):
            batch, size = [], 0
            while self._queue and len(batch) < self._max_operations and size < self._max_bytes:
                entry = self._queue.popleft()
                self._queued.discard(entry[1])
                if not entry[1].done():  # its caller gave up (timeout, cancelled) before it was sent
                    batch.append(entry)
                    size += entry[0].ByteSize()
            if batch:
                self._in_flight += 1
                self._last_size = len(batch)
                task = asyncio.ensure_future(self._run(batch))
                self._tasks.add(task)  # the loop keeps only a weak reference to a task
                task.add_done_callback(self._tasks.discard)
        if not self._queue:
            self._send_by = math.inf
            if self._hold_timer is not None:
                self._hold_timer.cancel()
                self._hold_timer = None
        elif self._hold_timer is None and self._in_flight < self._max_in_flight:
            self._hold()  # what is left goes out at `_send_by` (with every slot busy: on a reply)

    async def _run(self, batch: list[tuple[pb.FeedOperation, asyncio.Future, float]]) -> None:
        try:
            self.batches += 1
            started = time.monotonic()
            timeout = max(deadline for _, _, deadline in batch) - started
            try:
                reply = await self._send(pb.FeedBatchRequest(operations=[op for op, _, _ in batch]), timeout)
                if len(reply.replies) != len(batch):
                    raise RuntimeError(f"Feed answered {len(reply.replies)} replies to {len(batch)} operations")
                self._round_trip = time.monotonic() - started
            except Exception as error:  # noqa: BLE001 - every operation of the batch fails with it
                for _, future, _ in batch:
                    if not future.done():
                        future.set_exception(error)
                return
            for (_, future, _), answer in zip(batch, reply.replies):
                if not future.done():
                    future.set_result(answer)
        finally:
            self._in_flight -= 1
            self._forget_answered()
            self._pump()
