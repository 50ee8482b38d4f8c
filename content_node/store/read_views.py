"""One consistent view of a DocumentDB per query, from match to summaries (tantivy's `Searcher`).

Within a search, `ReadWriteLock`: queries share it, a write takes it alone, so match, ranking and
attribute reads of one query see no write half applied (and queries still run side by side).

Across the search and the later fill (two RPCs), `VersionHistory`: a search opens a view at the
database's generation (its last sequence number) and returns it with the hits; while any view is
open, a write keeps the version it supersedes, and the fill asks for the documents as of the
view's generation. So a document updated between match and fill comes back as it was matched, and
a removed one with the summary it had, never a mix or an empty summary. Views expire after the
query's timeout plus a grace period (a fill later than that reads the current version); versions
no open view can ask for are dropped.
"""
from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping


class ReadWriteLock:
    """Shared for readers, exclusive for writers; a waiting writer holds off new readers (so a
    stream of queries cannot starve feeding). Not re-entrant: a view must not be nested."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        with self._condition:
            self._condition.wait_for(lambda: not self._writer and not self._writers_waiting)
            self._readers += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers -= 1
                if not self._readers:
                    self._condition.notify_all()

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._condition:
            self._writers_waiting += 1
            try:
                self._condition.wait_for(lambda: not self._writer and not self._readers)
            finally:
                self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._condition:
                self._writer = False
                self._condition.notify_all()


@dataclass(frozen=True, slots=True)
class Version:
    """A superseded document: its stored blob (decoded only if a fill asks) and attribute-held values."""
    document_id: str
    blob: bytes
    held: Mapping[str, Any]
    decode: Callable[[bytes], bytes]

    def fields(self) -> dict[str, Any]:
        return {**json.loads(self.decode(self.blob)), **self.held}


class VersionHistory:
    """Superseded versions, kept while an open view may read them. Writes call `record` under the
    database's write lock; `open` and `as_of` may run concurrently with each other."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._views: dict[int, float] = {}  # generation -> when it expires
        self._by_gid: dict[bytes, list[tuple[int, Version]]] = {}
        self._order: deque[tuple[int, bytes]] = deque()  # (superseded at, gid) in sequence order

    def open(self, generation: int, seconds: float) -> None:
        with self._lock:
            self._views[generation] = max(self._views.get(generation, 0.0), self._clock() + seconds)

    def retaining(self) -> bool:
        """Whether a write now must keep the version it supersedes (some view is open)."""
        with self._lock:
            self._prune()
            return bool(self._views)

    def record(self, sequence: int, gid: bytes, previous: Version) -> None:
        """`previous` stopped being current at `sequence`."""
        with self._lock:
            self._by_gid.setdefault(gid, []).append((sequence, previous))
            self._order.append((sequence, gid))

    def as_of(self, gid: bytes, generation: int) -> Version | None:
        """The version of `gid` that was current at `generation` if a later write superseded it;
        None when the current version is the one (or the history no longer reaches back)."""
        with self._lock:
            for sequence, version in self._by_gid.get(gid, ()):
                if sequence > generation:
                    return version
        return None

    def __len__(self) -> int:
        return len(self._order)

    def _prune(self) -> None:
        now = self._clock()
        for generation in [g for g, until in self._views.items() if until < now]:
            del self._views[generation]
        oldest = min(self._views, default=None)
        while self._order and (oldest is None or self._order[0][0] <= oldest):
            sequence, gid = self._order.popleft()
            versions = self._by_gid[gid]
            versions.pop(0)
            if not versions:
                del self._by_gid[gid]
