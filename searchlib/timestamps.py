"""Operation timestamps (Vespa's distributor timestamps): every document operation carries one,
assigned once by the container that takes it and sent with it to every replica, so replicas that
missed or reordered operations agree on which version of a document is the newest.

A timestamp is microseconds since the epoch, made strictly increasing per process by a counter
(`max(now, last + 1)`): two operations of one container never share one, and operations of
different containers (or of a restarted one) collide only if they hit the same microsecond on the
same document. A clock stepped backwards is absorbed by the counter within the process; across a
restart it can make new operations lose to older ones, as in Vespa (keep clocks NTP-synchronized).
Timestamp 0 marks data written before timestamps existed: older than every real operation."""
from __future__ import annotations

import threading
import time

MICROSECONDS = 1_000_000


class TimestampClock:
    def __init__(self, now_ns=time.time_ns) -> None:
        self._now_ns = now_ns
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> int:
        with self._lock:
            self._last = max(self._now_ns() // 1000, self._last + 1)
            return self._last


def timestamp_of(seconds: float) -> int:
    """The timestamp of a wall-clock time (for ages: tombstones older than a cutoff)."""
    return int(seconds * MICROSECONDS)


CLOCK = TimestampClock()  # one per process: strictly increasing across every caller in it
