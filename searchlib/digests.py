"""One file digest for the whole project: the package generation (schema/application.py), the model
store's checks (model_store.py), the model fetch and conversion (deploy/models.py,
deploy/model_conversion.py)."""
from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

CACHE_ENV = "PHASEDSEARCH_DIGEST_CACHE"  # a private directory the launcher gives its processes
_CACHED_MIN_SIZE = 1 << 20  # only files worth a cache entry: models, not schemas


def file_sha256(path: str | Path) -> str:
    """The file's sha256 (hex), read once per (size, mtime) in a process: packages with models are
    loaded often, and a file rewritten in place gets a new mtime."""
    stat = Path(path).stat()
    return _file_sha256(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def shared_file_sha256(path: str | Path) -> str:
    """file_sha256, remembered across processes for big files when CACHE_ENV names a directory.

    Every node and container of a cluster computes the package generation, and a package with
    models is mostly ~100 MB of ONNX: ~0.2 CPU-s per process start. The entry is keyed by the
    file's identity and its size, mtime and ctime (ctime moves on every write and cannot be set
    back), so a changed file never finds the old digest. Only for the package generation: a check
    of a file's content (model_store) reads the file.
    """
    folder = os.environ.get(CACHE_ENV)
    stat = Path(path).stat()
    if not folder or stat.st_size < _CACHED_MIN_SIZE:
        return _file_sha256(str(path), stat.st_size, stat.st_mtime_ns)
    identity = (f"{os.path.realpath(path)}\0{stat.st_dev}\0{stat.st_ino}\0{stat.st_size}\0"
                f"{stat.st_mtime_ns}\0{stat.st_ctime_ns}")
    entry = Path(folder) / hashlib.sha256(identity.encode()).hexdigest()
    try:
        cached = entry.read_text()
        if len(cached) == 64 and all(c in "0123456789abcdef" for c in cached):
            return cached
    except OSError:
        pass
    digest = _file_sha256(str(path), stat.st_size, stat.st_mtime_ns)
    staging = entry.with_name(f"{entry.name}.{os.getpid()}")
    try:  # written whole then renamed: a concurrent reader sees no entry or a complete one
        staging.write_text(digest)
        os.replace(staging, entry)
    except OSError:
        pass  # no cache, same digest
    return digest
