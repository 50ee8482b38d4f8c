"""The package generation's digest cache shared by a cluster's processes."""
from __future__ import annotations

import hashlib
import os

from searchlib import digests
from searchlib.digests import CACHE_ENV, shared_file_sha256


def test_a_big_file_is_hashed_once_for_all_processes_and_again_when_written(tmp_path, monkeypatch):
    cache = tmp_path / "digests"
    cache.mkdir()
    monkeypatch.setenv(CACHE_ENV, str(cache))
    model = tmp_path / "model.onnx"
    model.write_bytes(b"a" * (2 << 20))
    expected = hashlib.sha256(model.read_bytes()).hexdigest()
    assert shared_file_sha256(model) == expected
    assert [entry.read_text() for entry in cache.iterdir()] == [expected]
    digests._file_sha256.cache_clear()  # another process: only the shared entry remembers
    monkeypatch.setattr(digests, "_file_sha256", lambda *args: "not read again")
    assert shared_file_sha256(model) == expected
    monkeypatch.undo()
    monkeypatch.setenv(CACHE_ENV, str(cache))
    stat = model.stat()
    model.write_bytes(b"b" * (2 << 20))  # same size; even the old mtime put back
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    digests._file_sha256.cache_clear()
    assert shared_file_sha256(model) == hashlib.sha256(model.read_bytes()).hexdigest() != expected


def test_without_the_cache_or_for_a_small_file_nothing_is_written(tmp_path, monkeypatch):
    cache = tmp_path / "digests"
    cache.mkdir()
    schema = tmp_path / "doc.sd"
    schema.write_text("schema doc {}")
    monkeypatch.delenv(CACHE_ENV, raising=False)
    assert shared_file_sha256(schema) == hashlib.sha256(schema.read_bytes()).hexdigest()
    monkeypatch.setenv(CACHE_ENV, str(cache))
    assert shared_file_sha256(schema) == hashlib.sha256(schema.read_bytes()).hexdigest()
    assert not list(cache.iterdir())
    (cache / "corrupt").write_text("x")  # an unreadable cache never changes the digest
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "missing"))
    big = tmp_path / "big.bin"
    big.write_bytes(b"c" * (2 << 20))
    assert shared_file_sha256(big) == hashlib.sha256(big.read_bytes()).hexdigest()
