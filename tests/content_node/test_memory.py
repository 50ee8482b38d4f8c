"""Allocator settings and the idle trim that returns freed heap pages after a burst of writes."""
from __future__ import annotations

import threading

from content_node.store import memory


def test_the_allocator_accepts_the_settings_and_the_trim():
    assert memory.pin_mmap_threshold()
    memory.release_free_memory()  # callable on glibc (its result only says whether pages moved)


def test_trims_once_per_settled_burst(monkeypatch):
    trims = threading.Semaphore(0)
    monkeypatch.setattr(memory, "release_free_memory", trims.release)
    sequence = [0]
    trimmer = memory.IdleTrimmer(lambda: sequence[0], interval=0.05)
    try:
        assert not trims.acquire(timeout=0.3)  # nothing written: no trim
        sequence[0] = 5  # a burst of writes, then quiet
        assert trims.acquire(timeout=2.0)
        assert not trims.acquire(timeout=0.3)  # once per burst, not every interval
        sequence[0] = 9
        assert trims.acquire(timeout=2.0)
    finally:
        trimmer.stop()
