"""One running copy per data directory: `phasedsearch demo` holds `<data dir>/demo.lock` while it
runs, so a second demo (or an `up` on the demo's directory) is refused instead of adopting, feeding
and, on its Ctrl-C, stopping the first one's cluster.

The lock is an flock on the file, so it is released when its process dies however it dies (a
stale file never blocks); the file holds the owner's pid for the message.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Iterator

from deploy.local_cluster import ClusterError
from deploy.processes import pid_is_running

LOCK_NAME = "demo.lock"


def lock_path(data_dir: Path) -> Path:
    return Path(data_dir) / LOCK_NAME


def holder(data_dir: Path) -> int | None:
    """The pid of the live process holding data_dir's lock, or None."""
    path = lock_path(data_dir)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = _recorded_pid(path)
        return pid if pid is None or pid_is_running(pid) else None
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


@contextlib.contextmanager
def exclusive(data_dir: Path, what: str = "phasedsearch demo") -> Iterator[None]:
    """Hold data_dir's lock for the block; ClusterError naming the holder's pid if it is taken."""
    path = lock_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _recorded_pid(path)
            raise ClusterError(f"{what} is already running from {data_dir}" + (f" (pid {pid})" if pid else "")
                               + "; stop it first, or pass another --data-dir") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _recorded_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None
