"""Keep the process's resident memory close to its live data.

Index merges allocate large temporary numpy arrays. glibc raises its mmap threshold dynamically
after such a block is freed, so later temporaries come from the heap instead, get interleaved with
long-lived objects and are never returned to the OS: feeding scifact left ~2.5x the live data
resident. Pinning the threshold keeps big blocks in mmap (returned on free). No-op off glibc.
"""
from __future__ import annotations

import ctypes
import ctypes.util

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
