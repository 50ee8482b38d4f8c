"""Keep the process's resident memory close to its live data.

Index merges allocate large temporary numpy arrays. glibc raises its mmap threshold dynamically
after such a block is freed, so later temporaries come from the heap instead, get interleaved with
long-lived objects and are never returned to the OS: feeding scifact left ~2.5x the live data
resident. Pinning the threshold keeps big blocks in mmap (returned on free). No-op off glibc.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import threading
from typing import Callable

_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
_ARENAS = 2  # gRPC's worker threads would otherwise each get an arena that fragments on its own
_MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's default, but fixed instead of adaptive
_pinned = False


def pin_mmap_threshold() -> bool:
    """Idempotent; True if the allocator accepted the setting."""
    global _pinned
    if _pinned:
        return True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _pinned = bool(libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES))
        libc.mallopt(_M_ARENA_MAX, _ARENAS)
    except (OSError, AttributeError):
        _pinned = False
    return _pinned


def release_free_memory() -> bool:
    """Give free pages inside the heap back to the OS (glibc `malloc_trim`). Feeding parses every
    document into short-lived Python objects; their freed space sits between long-lived blocks and
    stays resident until trimmed (scifact: ~4 MB a node). False where unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.malloc_trim(0))
    except (OSError, AttributeError):
        return False


class IdleTrimmer:
    """Calls `release_free_memory` once after each burst of work has settled: when `progress()`
    (writes and searches so far) moved during one interval and then stood still for the next.
    Searches count too: the first ones after a feed merge the index tiers the feed left."""

    def __init__(self, progress: Callable[[], object], interval: float = 2.0) -> None:
        self._progress = progress
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="idle-trim", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        seen = self._progress()
        moved = False
        while not self._stopped.wait(self._interval):
            now = self._progress()
            if now != seen:
                seen, moved = now, True
            elif moved:
                moved = False
                release_free_memory()
