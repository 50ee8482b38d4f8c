"""One file digest for the whole project: the package generation (schema/application.py), the model
store's checks (model_store.py), the model fetch and conversion (deploy/models.py,
deploy/model_conversion.py)."""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path


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
