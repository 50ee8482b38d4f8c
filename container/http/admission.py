"""Admission control for /search/ (Vespa's search handler thread pool): at most
`max-concurrent-searches` searches in flight. One more waits up to `search-queue-timeout` for a
slot and is then answered 503, so overload sheds load instead of queueing every query for
seconds. /document/v1 does not pass through here: feeding is never shed by the search limit.

The wait counts against the query's own timeout (its deadline runs from the request's arrival).
"""
from __future__ import annotations

import asyncio
import time

from starlette.requests import Request


class SearchAdmission:
    def __init__(self, limit: int, wait: float) -> None:
        self.limit = limit
        self.wait = wait
        self._slots = asyncio.Semaphore(limit)
        self.shed = 0  # searches answered 503 since start

    async def enter(self) -> bool:
        """A slot (then `leave` once the search is done), or False after waiting `wait`."""
        if not self._slots.locked():
            await self._slots.acquire()  # a free slot: taken without suspending
            return True
        try:
            await asyncio.wait_for(self._slots.acquire(), self.wait)
            return True
        except asyncio.TimeoutError:
            self.shed += 1
            return False

    def leave(self) -> None:
        self._slots.release()


def arrival_time(request: Request) -> float:
    """When the request's first byte was parsed (container/http/server.py stamps it), so time
    spent queued in the container counts against the query's timeout; now, where nothing stamped it."""
    return request.scope.get("state", {}).get("arrived") or time.monotonic()
