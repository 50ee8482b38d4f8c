"""Segment files of the write-ahead log, created full of zeros (why: `WriteAheadLog._open_segment`
in wal.py), and the next one prepared ahead of need by a background thread.

Writing up to 64 MB of zeros and fsyncing them took the append that filled a segment up to ~2 s
(BENCHMARKS.md), under the database lock, so writes and queries waited. `SegmentPreparer`
writes the next segment as `wal-prepared.tmp` (not a `wal-*.log` name: replay never sees it) while
the current one fills; the append that needs it only renames it (and fsyncs the directory). A
preparation that failed (full disk) or is not ready leaves the append to create the file itself
(create_segment, under a temporary name too): a full disk then still fails that append before
anything is acknowledged. A temporary file left by a crash may be partial: the next log removes it.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Callable

from content_node.store.durable_files import fsync_directory

log = logging.getLogger(__name__)

PREPARED_NAME = "wal-prepared.tmp"
CREATING_NAME = "wal-creating.tmp"  # a segment created inline, until it is complete
_CHUNK = 1 << 20

ZeroWriter = Callable[[int, int, int], None]  # (fd, offset, length)


def write_zeros(fd: int, offset: int, length: int) -> None:
    """The one zero-writing loop: preallocation and the roll-back of a failed append (raises OSError)."""
    zeros = memoryview(bytes(min(length, _CHUNK)))
    while length > 0:
        written = os.pwrite(fd, zeros[:length], offset)
        offset, length = offset + written, length - written


def create_zeroed(path: Path, size: int, header: bytes, zeros: ZeroWriter = write_zeros) -> int:
    """Create `path` as `header` then zeros to `size` bytes, fsync'd; its open (write) descriptor.
    Never a `wal-*.log` name (create_segment renames it into place). On OSError the partial file
    is removed (a full disk keeps no half-made segment)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        zeros(fd, len(header), size - len(header))
        os.pwrite(fd, header, 0)
        os.fsync(fd)
    except OSError:
        _discard(fd, path)
        raise
    return fd


def create_segment(target: Path, size: int, header: bytes, zeros: ZeroWriter = write_zeros) -> int:
    """Segment `target` created inline (no prepared file to use): written whole as CREATING_NAME,
    then renamed and its name made durable, so a `wal-*.log` name always means a complete file (a
    crash part-way leaves only the temporary, which the next log removes). Raises OSError, leaving
    no temporary."""
    temporary = target.parent / CREATING_NAME
    fd = create_zeroed(temporary, size, header, zeros)
    try:
        os.replace(temporary, target)
        fsync_directory(target.parent)
    except OSError:
        _discard(fd, temporary)  # renamed already: `target` is complete and empty, the retry replaces it
        raise
    return fd


SECTOR = 512  # the smallest unit a disk writes: a page that never reached it reads as whole zero sectors


def zero_sector(data: bytes, start: int, stop: int) -> bool:
    """Whether a whole SECTOR-aligned sector of zeros lies in data[start:stop] (the mark of a write
    that stopped, in a preallocated segment: wal.py `_torn_in_place`)."""
    zeros = bytes(SECTOR)
    found = data.find(zeros, start, stop)
    while found >= 0:
        aligned = -(-found // SECTOR) * SECTOR
        if aligned + SECTOR <= stop and data[aligned:aligned + SECTOR] == zeros:
            return True
        found = data.find(zeros, aligned + 1, stop)  # a run starting before `aligned` has no other
    return False


class SegmentPreparer:
    """At most one prepared segment file, written by the preparer's own thread (started once: the
    append that asks for the next file only signals it). `start`, `wait` and `take` are called by
    the log under its append lock."""

    _write_zeros = staticmethod(write_zeros)  # tests substitute a failing one (a full disk)

    def __init__(self, directory: Path, header: bytes) -> None:
        self._path = directory / PREPARED_NAME
        self._header = header
        self._condition = threading.Condition()
        self._wanted: int | None = None  # the size asked for and not yet being written
        self._busy = False  # the thread is writing a file
        self._ready: tuple[int, int] | None = None  # (descriptor, size) of the finished file
        self._preparing = 0  # the size wanted or being written
        self._closed = False
        self.failure: str | None = None  # why the last preparation failed (None: it did not)
        for stale in (self._path, directory / CREATING_NAME):  # a crash's: maybe partial
            try:
                stale.unlink(missing_ok=True)
            except OSError as error:  # a read-only disk: nothing is prepared until it works again
                log.warning("could not remove the stale %s: %s", stale, error)
        self._thread = threading.Thread(target=self._run, name="wal-prepare", daemon=True)
        self._thread.start()

    @property
    def path(self) -> Path:
        return self._path

    def start(self, size: int) -> None:
        """Prepare a segment of `size` bytes in the background (unless one is ready or being made)."""
        with self._condition:
            if not (self._closed or self._busy or self._ready or self._wanted):
                self._wanted = self._preparing = size
                self._condition.notify_all()

    def wait(self) -> bool:
        """Wait for the preparation in progress; whether a prepared file is ready."""
        with self._condition:
            while self._wanted is not None or self._busy:
                self._condition.wait()
            return self._ready is not None

    def _run(self) -> None:
        while True:
            with self._condition:
                while self._wanted is None and not self._closed:
                    self._condition.wait()
                if self._closed:
                    return
                size, self._wanted, self._busy = self._wanted, None, True
            fd = None
            try:
                fd = create_zeroed(self._path, size, self._header, self._write_zeros)
            except OSError as error:
                self.failure = error.strerror or type(error).__name__
                log.warning("could not prepare the next write-ahead log segment (%d bytes): %s; the "
                            "append that needs it creates it", size, error)
            with self._condition:
                self._busy = False
                if fd is not None:
                    self._ready, self.failure = (fd, size), None
                self._condition.notify_all()

    def take(self, target: Path, size: int) -> int | None:
        """The prepared file renamed to `target` (its name durable), cut to `size` if larger; None
        if there is none to use (failed, too small, or the rename failed): create it inline."""
        with self._condition:  # one hold: a close() between the wait and the take leaves nothing
            # a half-written file is done sooner than a new one, unless it is larger than needed: a
            # rotation's 1 MB is written sooner than the rest of a 64 MB file (the thread goes on:
            # the next segment cuts that file to its size)
            while (self._wanted is not None or self._busy) and self._preparing <= size:
                self._condition.wait()
            if self._ready is None:  # failed, closed meanwhile, or a larger one still in progress
                return None
            (fd, prepared), self._ready = self._ready, None
        try:
            if prepared < size:  # an oversized record: this one stays unused
                raise _Unusable
            if prepared > size:  # a rotation restarts at the first capacity: its blocks are zeros already
                os.ftruncate(fd, size)
                os.fsync(fd)
            os.replace(self._path, target)
            fsync_directory(target.parent)
        except (OSError, _Unusable) as error:
            if not isinstance(error, _Unusable):
                log.warning("could not use the prepared segment for %s: %s", target, error)
            _discard(fd, self._path)
            return None
        return fd

    def close(self) -> None:
        """Stop the thread (after the file it is writing), remove a prepared file (the next log
        prepares its own)."""
        with self._condition:
            self._closed, self._wanted = True, None
            self._condition.notify_all()
            while self._busy:
                self._condition.wait()
            ready, self._ready = self._ready, None
        if ready is not None:
            _discard(ready[0], self._path)


class _Unusable(Exception):
    pass


def _discard(fd: int, path: Path) -> None:
    os.close(fd)
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        log.warning("could not remove %s: %s", path, error)
