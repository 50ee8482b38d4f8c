"""Files replaced or created durably: the one way every store file (snapshots, segments, images,
the node's own files) reaches the disk, and the directory fsync that makes a name durable."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable, Iterator


def write_durably(path: Path, data: bytes) -> None:
    """Create or replace a small file atomically and durably (temporary file, fsync, rename)."""
    with replaced_durably(path) as handle:
        handle.write(data)
    fsync_directory(path.parent)


@contextmanager
def replaced_durably(path: Path, step: Callable[[str], None] = lambda _: None,
                     buffering: int = -1) -> Iterator[BinaryIO]:
    """The one way a store file is replaced: the block writes `path`.tmp, which is then flushed,
    fsynced and renamed over `path`; an error removes the temporary file and leaves `path` as it
    was. The name is not made durable here: callers fsync the directory, once for many files.
    `step` is called after the write, the fsync and the rename (crash-point tests)."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        with open(temporary, "wb", buffering=buffering) as handle:
            yield handle
            step("write")
            handle.flush()
            os.fsync(handle.fileno())
        step("fsync")
        os.replace(temporary, path)
        step("rename")
    except Exception:  # a simulated crash (BaseException) keeps its temporary file, as a real one
        temporary.unlink(missing_ok=True)
        raise


def fsync_directory(directory: Path) -> None:
    """Make a created, renamed or deleted file name itself durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
