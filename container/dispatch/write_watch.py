"""A write to a single owner (or a read of one replica), awaited in the request's own task and given
up when health checks see the owner go down (a stalled node would otherwise hold it until its
timeout, 180 s by default).

A task and an `asyncio.wait` with its own poll timer for every write cost ~15–20 µs of the
container's CPU a write; here one timer serves every watched write: each poll, a write in flight
for at least one poll interval whose owner is unreachable is interrupted by cancelling its task,
and the cancellation is turned back into `OwnerDown` where the write was awaited (as
`asyncio.timeout` turns its own cancellation into TimeoutError). A cancellation from anyone else
stays a cancellation.
"""
from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable, TypeVar

T = TypeVar("T")


class OwnerDown(Exception):
    """Health checks saw the owner of a watched write go down while it was in flight."""


class WriteWatch:
    def __init__(self, reachable: Callable[[int], bool], poll: float) -> None:
        """`reachable(key)`: whether health checks see node `key` answer; `poll`: seconds between checks."""
        self._reachable = reachable
        self._poll = poll
        self._watched: dict[asyncio.Task, tuple[int, float]] = {}  # task → (owner key, when it started)
        self._interrupted: set[asyncio.Task] = set()  # cancelled by the watch, not yet seen by `run`
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None  # a closed loop's timer never fires

    async def run(self, key: int, write: Awaitable[T]) -> T:
        """`write`'s result; OwnerDown when health checks saw node `key` go down meanwhile (the write
        is then cancelled). One write at a time per task."""
        task = asyncio.current_task()
        assert task is not None and task not in self._watched
        self._watched[task] = (key, time.monotonic())
        loop = asyncio.get_running_loop()
        if self._timer is None or self._timer_loop is not loop:
            self._timer, self._timer_loop = loop.call_later(self._poll, self._check), loop
        try:
            return await write
        except asyncio.CancelledError:
            if task in self._interrupted:
                self._interrupted.discard(task)
                if task.uncancel() == 0:  # the watch's cancellation alone
                    raise OwnerDown(f"content node {key} went down") from None
            raise
        finally:
            del self._watched[task]
            if task in self._interrupted:  # the write swallowed the cancellation: undo its count
                self._interrupted.discard(task)
                task.uncancel()

    def _check(self) -> None:
        self._timer = None
        started_before = time.monotonic() - self._poll
        for task, (key, started) in self._watched.items():
            if started <= started_before and task not in self._interrupted and not self._reachable(key):
                self._interrupted.add(task)
                task.cancel()
        if self._watched:
            self._timer = asyncio.get_running_loop().call_later(self._poll, self._check)

    @property
    def watching(self) -> int:
        """Writes in flight under the watch (tests)."""
        return len(self._watched)

    @property
    def armed(self) -> bool:
        """Whether the poll timer is set (tests: none stays armed once every write is done)."""
        return self._timer is not None
