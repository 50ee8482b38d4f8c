"""The longest wait a write or a query sees when a WAL segment fills, as a node holds its database
lock: a writer appends (under the lock) groups of 16 ~1.6 KB records and syncs each (outside it),
while a reader takes the lock every millisecond (a query's cut) and records how long it waited.
With the segment created in the append (format 4 as first written), the append that fills a
segment writes the next one's zeros (up to 64 MB) and fsyncs them under the lock; with it prepared
in the background (store/wal_files.py) that append renames a ready file.

    python -m benchmarks.wal_stall [--baseline FILE] [--first-mb 4] [--max-mb 64] [--rounds 2] [--dir DIR]

`--baseline FILE`: an older wal.py (`git show 61520d9:content_node/store/wal.py > /tmp/wal_inline.py`),
its rounds alternating with this checkout's. `--first-mb`/`--max-mb` set the segment capacities
(the node's are 1 and 64: a larger first one reaches 64 MB sooner). Prints a markdown table: per
created segment size, the append that needed it (ms) and the longest query wait around it."""
from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path
from types import ModuleType

from benchmarks.wal_groups import load_baseline
from content_node.store import wal as current

GROUP = 16
PAYLOAD = b'{"op":"put","id":"id:doc:doc::%08d","fields":{"text":"' + b"x" * 1500 + b'"}}'


def run(module: ModuleType, directory: Path, first: int, largest: int) -> dict:
    """Fill segments until one of `largest` bytes has been created; stalls by segment size."""
    module.FIRST_CAPACITY, module.MAX_CAPACITY = first, largest
    directory.mkdir()
    lock, stop = threading.Lock(), threading.Event()
    waits: list[tuple[float, float]] = []  # (when, seconds the reader waited for the lock)

    def reader() -> None:
        while not stop.is_set():
            asked = time.perf_counter()
            with lock:
                waits.append((asked, time.perf_counter() - asked))
            time.sleep(0.001)

    log = module.WriteAheadLog(directory, 1)
    thread = threading.Thread(target=reader)
    thread.start()
    rotations: list[tuple[int, float, float]] = []  # (new segment bytes, started, append seconds)
    appends: list[float] = []
    sequence = 0
    try:
        while True:
            for _ in range(GROUP):
                sequence += 1
                before = log.segment
                with lock:
                    started = time.perf_counter()
                    log.append(sequence, PAYLOAD % sequence)
                    took = time.perf_counter() - started
                appends.append(took)
                if log.segment != before:
                    rotations.append((log.segment.stat().st_size, started, took))
            log.sync(sequence)
            if rotations and rotations[-1][0] >= largest:
                break
    finally:
        stop.set()
        thread.join()
        log.close()
    stalls = []
    for size, started, took in rotations:
        nearby = [w for when, w in waits if started - 0.5 <= when <= started + took + 0.5]
        stalls.append((size, took, max(nearby, default=0.0)))
    return {"stalls": stalls, "append_p50": statistics.median(appends), "max_wait": max(w for _, w in waits)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, default=None, help="an older wal.py to compare with")
    parser.add_argument("--first-mb", type=int, default=4)
    parser.add_argument("--max-mb", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=None, help="where the segments are written (default: a temp dir)")
    args = parser.parse_args()
    modules = {"inline (baseline)": load_baseline(args.baseline)} if args.baseline else {}
    modules["prepared (this)"] = current
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(dir=args.dir) as name:
        for round_ in range(args.rounds):
            for label, module in modules.items():  # alternate: the machine's load drifts
                results.setdefault(label, []).append(
                    run(module, Path(name) / f"{label[:6]}-{round_}", args.first_mb << 20, args.max_mb << 20))
    print("| segment creation | new segment MB | append that needed it, ms (each round) | "
          "longest query wait around it, ms | median append, ms | longest query wait in the run, ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, runs in results.items():
        sizes = sorted({size for run_ in runs for size, _, _ in run_["stalls"]})
        for size in sizes:
            took = [f"{t * 1000:.1f}" for run_ in runs for s, t, _ in run_["stalls"] if s == size]
            waited = [f"{w * 1000:.1f}" for run_ in runs for s, _, w in run_["stalls"] if s == size]
            longest = " / ".join(f"{r['max_wait'] * 1000:.1f}" for r in runs)
            median = statistics.median(r["append_p50"] for r in runs) * 1000
            print(f"| {label} | {size >> 20} | {' / '.join(took)} | {' / '.join(waited)} | {median:.3f} | {longest} |")


if __name__ == "__main__":
    main()
