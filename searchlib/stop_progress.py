"""What a stopping content node reports, so that its launcher waits for shutdown work that is
progressing (the index image of a big node takes a minute) and SIGKILLs only a node that is not.

The node's writers of big files (index images, snapshot segments) call `advance` as they go; while
a node stops (`reporting`), a thread rewrites the node's progress file every `INTERVAL` seconds with
the process id and that count. The count moves only when the work does: a hung node's file keeps
its old count (the reporting thread's own writes are not progress). The launcher (deploy) reads it
with `read_progress` and extends its grace period each time the count moved.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Iterator

PROGRESS_FILE = "stopping.json"  # in the node's data directory, only while it stops
INTERVAL = 0.5  # seconds between reports


class _Counter:
    """Work units done in this process (bytes written in MB, records read in thousands, steps).
    Racy increments from several threads may lose a unit: the launcher only asks whether it moved."""

    def __init__(self) -> None:
        self.done = 0


_WORK = _Counter()


def advance(units: int = 1) -> None:
    _WORK.done += units


def work_done() -> int:
    return _WORK.done


@contextlib.contextmanager
def reporting(data_dir: Path, interval: float = INTERVAL) -> Iterator[None]:
    """Report this process's progress in `data_dir` while the block runs (its shutdown); the file
    is removed at the end."""
    path = Path(data_dir) / PROGRESS_FILE
    finished = threading.Event()

    def report() -> None:
        while True:
            _write(path, {"pid": os.getpid(), "done": work_done(), "time": time.time()})
            if finished.wait(interval):
                return

    thread = threading.Thread(target=report, name="stop-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        finished.set()
        thread.join()
        path.unlink(missing_ok=True)


def _write(path: Path, report: dict) -> None:
    temporary = path.with_name(path.name + ".tmp")
    try:
        temporary.write_text(json.dumps(report))
        os.replace(temporary, path)
    except OSError:  # a full or read-only disk: the launcher then falls back to its plain grace
        pass


def read_progress(data_dir: Path, pid: int) -> int | None:
    """The work count `pid` last reported in `data_dir` (None: no report from that process)."""
    try:
        report = json.loads((Path(data_dir) / PROGRESS_FILE).read_text())
        return int(report["done"]) if report.get("pid") == pid else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
