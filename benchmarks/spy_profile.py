"""Sampling CPU profiles of running processes with py-spy (no instrumentation, so the proportions
are not bent by per-call overhead as a tracing profiler's are): record each process while a load
runs, then split its samples into named parts by the functions on the stack.

A part is a list of (function, file name) pairs; a sample counts for the first part (in the
order given) one of whose functions is on its stack, so the parts never overlap, and what no part
claims is "the rest"."""
from __future__ import annotations

import re
import signal
import subprocess
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<name>.+?) \((?P<file>[^():]+)(?::\d+)?\)$")


def start(pid: int, out: Path, seconds: float, rate: int = 250, native: bool = False) -> subprocess.Popen:
    """Record `pid` for `seconds`: samples of the thread holding the GIL only, which is where a
    Python process's CPU goes (a sample of every thread not idle would count threads queued on
    the GIL and polling gRPC threads as busy); C code that releases the GIL (hnswlib's search,
    gRPC's I/O) is left out. `native`: C frames too (the garbage collector, syscalls; py-spy then
    pauses the process for each sample)."""
    mode = ["--native"] if native else ["--nonblocking"]
    return subprocess.Popen(["py-spy", "record", "-p", str(pid), "-d", str(int(seconds)), "-r", str(rate),
                             "-f", "raw", "--gil", *mode, "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop(recorder: subprocess.Popen) -> None:
    """End a recording early (py-spy writes what it has on SIGINT)."""
    recorder.send_signal(signal.SIGINT)
    recorder.wait()


def read_stacks(path: Path) -> Counter:
    """Collapsed stacks (root first) → samples."""
    stacks: Counter = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            frames = tuple(_frame(f) for f in stack.split(";"))
            stacks[frames] += int(count)
    return stacks


def _frame(text: str) -> tuple[str, str]:
    found = _FRAME.match(text.strip())
    if not found:
        return text.strip(), ""
    return found["name"], Path(found["file"]).name


def split(stacks: Counter, parts: dict[str, list[tuple[str, str]]]) -> dict[str, float]:
    """Share of the samples per part (first matching part wins), plus "the rest"."""
    total = sum(stacks.values()) or 1
    shares: Counter = Counter()
    for frames, count in stacks.items():
        on_stack = set(frames)
        name = next((part for part, functions in parts.items() if on_stack.intersection(functions)), "the rest")
        shares[name] += count
    return {name: shares[name] / total for name in [*parts, "the rest"]}


def top(stacks: Counter, limit: int = 30) -> list[tuple[float, float, str]]:
    """(inclusive share, own share, function (file)) of the heaviest functions."""
    total = sum(stacks.values()) or 1
    inclusive: Counter = Counter()
    own: Counter = Counter()
    for frames, count in stacks.items():
        for frame in set(frames):
            inclusive[frame] += count
        if frames:
            own[frames[-1]] += count
    return [(inclusive[f] / total, own[f] / total, f"{f[0]} ({f[1]})") for f, _ in inclusive.most_common(limit)]
