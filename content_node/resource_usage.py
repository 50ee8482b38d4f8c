"""What the node reports in every Ping for the container's feed block (container/dispatch/feed_block.py),
measured as Vespa's proton does: the disk as the used fraction of its data directory's filesystem,
the memory as the process's anonymous resident memory over the machine's (or cgroup's) memory."""
from __future__ import annotations

import os
from pathlib import Path

_CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")  # v2, v1


def disk_usage(path: str | Path) -> float:
    """used / (used + available) of the filesystem holding `path` (statvfs), as df's Use%: it reaches
    1.0 exactly when the node can write no more. Blocks neither used nor available to it (reserved
    for root, or held back by the volume) count on neither side. 0.0 if it cannot be measured."""
    try:
        stats = os.statvfs(path)
    except OSError:
        return 0.0
    used = stats.f_blocks - stats.f_bfree
    if used + stats.f_bavail <= 0:
        return 0.0
    return min(1.0, max(0.0, used / (used + stats.f_bavail)))


def memory_usage(status: str = "/proc/self/status") -> float:
    """RssAnon / physical memory (the smaller of the machine's and a cgroup limit). Mapped files
    (the page cache, memory-mapped index images) are left out: the kernel can drop them. 0.0 where
    /proc is not there."""
    total = physical_memory()
    try:
        with open(status, encoding="ascii", errors="replace") as handle:
            anonymous = next((int(line.split()[1]) * 1024 for line in handle if line.startswith("RssAnon:")), 0)
    except (OSError, ValueError, IndexError):
        return 0.0
    return min(1.0, anonymous / total) if total > 0 else 0.0


def physical_memory() -> int:
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGESIZE")
    except (ValueError, OSError, AttributeError):
        total = 0
    for limit_file in _CGROUP_LIMITS:
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < (total or int(text) + 1):
            total = int(text)
    return total
