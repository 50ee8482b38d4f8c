"""Coalesces the document operations the container sends one content node at the same time into
Feed calls (one gRPC round trip, one write-lock hold and one fsync on the node for many writes).

No operation waits for a timer: one goes out at once while fewer than `max_in_flight` batches are
in flight to the node; under load, each batch carries what queued while the previous ones ran, so
batches grow with the load. Each operation keeps its own timeout and gets its own reply (a bad
one fails alone), and each is acknowledged by the node only once durable, as a single Put.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Awaitable, Callable

from protos import content_node_pb2 as pb

MAX_IN_FLIGHT = 2  # one batch applied under the node's write lock while the previous one syncs
MAX_OPERATIONS = 128  # a batch holds the node's write lock (queries wait) while it is applied
MAX_BYTES = 4 * 1024 * 1024

Send = Callable[[pb.FeedBatchRequest, float], Awaitable[pb.FeedBatchReply]]


class FeedBatcher:
    def __init__(self, send: Send, max_in_flight: int = MAX_IN_FLIGHT,
                 max_operations: int = MAX_OPERATIONS, max_bytes: int = MAX_BYTES) -> None:
        self._send = send
        self._max_in_flight = max_in_flight
        self._max_operations = max_operations
        self._max_bytes = max_bytes
        self._queue: deque[tuple[pb.FeedOperation, asyncio.Future, float]] = deque()
        self._in_flight = 0
        self._tasks: set[asyncio.Task] = set()
        self.batches = 0  # Feed calls sent (tests and benchmarks read them)

    async def submit(self, operation: pb.FeedOperation, timeout: float) -> pb.FeedReply:
        """The node's reply to `operation`; raises what the Feed call raised (NodeUnavailable,
        NodeTimeout), or asyncio.TimeoutError past `timeout` (the operation's own deadline)."""
        future = asyncio.get_running_loop().create_future()
        self._queue.append((operation, future, time.monotonic() + timeout))
        self._pump()
        return await asyncio.wait_for(future, timeout)  # cancels the future: a queued one is skipped

    def _pump(self) -> None:
        while self._in_flight < self._max_in_flight and self._queue:
            batch, size = [], 0
            while self._queue and len(batch) < self._max_operations and size < self._max_bytes:
                entry = self._queue.popleft()
                if not entry[1].done():  # its caller gave up (timeout, cancelled) before it was sent
                    batch.append(entry)
                    size += entry[0].ByteSize()
            if batch:
                self._in_flight += 1
                task = asyncio.ensure_future(self._run(batch))
                self._tasks.add(task)  # the loop keeps only a weak reference to a task
                task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[pb.FeedOperation, asyncio.Future, float]]) -> None:
        try:
            self.batches += 1
            timeout = max(deadline for _, _, deadline in batch) - time.monotonic()
            try:
                reply = await self._send(pb.FeedBatchRequest(operations=[op for op, _, _ in batch]), timeout)
                if len(reply.replies) != len(batch):
                    raise RuntimeError(f"Feed answered {len(reply.replies)} replies to {len(batch)} operations")
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
            self._pump()
