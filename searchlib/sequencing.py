"""Operations on one document one at a time, in the order they asked (Vespa's distributor
sequences operations per document; `vespa feed` keeps one a document in flight).

Why it matters here: every operation gets a timestamp when it is taken, and a node keeps only the
newest version of a document. Two operations on one document sent concurrently can reach a node
in the other order; the one with the older timestamp is then refused as superseded: harmless for
a put or remove (the newer one wins, as it should), but an update refused so is acknowledged and
lost (two increments apply once), and a resent put stamped after a later remove brings the
document back. The container (one sequencer a content cluster: /document/v1 writes by id and by
selection) and the feed client (deploy/feeder.py) take each document's turn before they stamp or
send. Writes of one document through different containers at once are not sequenced (their
timestamps decide, as between any two containers): feed one document through one container.
"""
from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator


class KeySequencer:
    """Per key, one holder of its turn at a time, in the order `turn` was entered (an asyncio
    loop's tasks; a turn registers before its first await)."""

    def __init__(self) -> None:
        self._last: dict[str, asyncio.Future] = {}  # key → done when its latest turn is over

    def __len__(self) -> int:
        return len(self._last)

    @contextlib.asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        previous = self._last.get(key)
        done = asyncio.get_running_loop().create_future()
        self._last[key] = done
        try:
            if previous is not None:
                await asyncio.shield(previous)  # a cancelled wait must not cancel the previous turn
            yield
        finally:
            if previous is None or previous.done():
                self._release(key, done)
            else:  # cancelled while waiting: the next turn still waits for the previous one
                previous.add_done_callback(lambda _: self._release(key, done))

    def _release(self, key: str, done: asyncio.Future) -> None:
        done.set_result(None)
        if self._last.get(key) is done:
            del self._last[key]
