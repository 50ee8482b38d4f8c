"""Admission control for /search/ (Vespa's search handler thread pool): at most
`max-concurrent-searches` searches in flight. One more waits for a slot up to
`search-queue-timeout` (then 503, so overload sheds load instead of queueing every query for
seconds) or up to its own deadline, whichever comes first (then 504: its time is up). /document/v1
does not pass through here: feeding is never shed by the search limit.

The deadline runs from the request's arrival, so the wait counts against the query's timeout.
"""
from __future__ import annotations

import asyncio
import time

from starlette.requests import Request

from searchlib.errors import ErrorCode

SHED = ErrorCode.NO_BACKENDS_IN_SERVICE  # 503 "Try later": Vespa's answer when no search thread is free
LATE = ErrorCode.TIMEOUT  # 504


class SearchAdmission:
    def __init__(self, limit: int, wait: float) -> None:
        self.limit = limit
        self.wait = wait
        self._slots = asyncio.Semaphore(limit)
        self.shed = 0  # searches refused (503 or 504) since start

    async def enter(self, deadline: float) -> ErrorCode | None:
        """None: a slot was taken (call `leave` once the search is done); else why there is none."""
        if not self._slots.locked():
            await self._slots.acquire()  # a free slot: taken without suspending
            return None
        until_deadline = deadline - time.monotonic()
        try:
            await asyncio.wait_for(self._slots.acquire(), max(min(self.wait, until_deadline), 0.0))
            return None
        except asyncio.TimeoutError:
            self.shed += 1
            return LATE if until_deadline <= self.wait else SHED

    def leave(self) -> None:
        self._slots.release()

    def refusal(self, reason: ErrorCode, timeout: float) -> str:
        if reason is LATE:
            return (f"Timed out after {timeout:g} s waiting for one of the container's {self.limit} "
                    "search slots (max-concurrent-searches)")
        return (f"The container is at its limit of {self.limit} concurrent searches (max-concurrent-searches) "
                f"and none finished within {self.wait:g} s: try again later")


def arrival_time(request: Request) -> float:
    return arrived(request.scope)


def arrived(scope) -> float:
    """When the request's first byte was parsed (container/http/server.py stamps it), so time
    spent queued in the container counts against the query's timeout; now, where nothing stamped it."""
    return scope.get("state", {}).get("arrived") or time.monotonic()
