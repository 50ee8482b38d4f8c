"""Vectors for a feed file before it is fed: the default package's `embedding` is a document field
that feeders fill in batch (`python -m container.embedding`, run as a process: deploy never
imports the container). Results are cached next to the input by content, package and settings, so
a second demo start or eval run does not embed again."""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, TextIO

from tqdm import tqdm

from searchlib.schema.application import load_application

_PROGRESS = re.compile(r"^embedded (\d+) documents \(")  # what `python -m container.embedding` prints

# the default package's dense field and its embedder, documents as the embedder is configured
# (bge: 512 tokens; ~12 min for scifact on 2 shared cores: the cost is tokens x model)
FULL_EMBEDDING = {"embedder": "bge", "field": "embedding", "from": "title,text"}
# the demo's: cut at 128 tokens, ~40 s for the stdlib docstrings instead of minutes
DEFAULT_EMBEDDING = {**FULL_EMBEDDING, "max-tokens": "128"}

CACHE_SUFFIX = ".embedded.jsonl"
CACHE_FORMAT = 2  # part of every key: raise it when the way vectors are made changes
CACHE_DAYS = 30  # a cached feed no run has used for this long is removed


def embeds_documents(app_dir: Path, settings: dict[str, str] = DEFAULT_EMBEDDING) -> bool:
    """True when the package has the embedder and a schema with the dense field."""
    try:
        application = load_application(app_dir)
    except Exception:  # noqa: BLE001 - a package the loader rejects is reported by the cluster itself
        return False
    return settings["embedder"] in application.components and any(
        settings["field"] in schema.fields for schema in application.schemas.values())


def embedded_feed(app_dir: Path, feed_path: Path, out: TextIO,
                  settings: dict[str, str] = DEFAULT_EMBEDDING, *, cache_name: str | None = None) -> Path | None:
    """`feed_path` with a vector in every put, embedded now or taken from the cache (next to
    `feed_path`, named `<cache_name or its stem>.<key>.embedded.jsonl`); None (and a warning on
    `out`) if embedding fails. Safe for concurrent processes and checkouts sharing the directory:
    one embeds a key while the others wait on its lock and then read its file, a file only gets
    its name complete, and entries of other packages or corpora are left alone (only entries no
    run has used for CACHE_DAYS are removed)."""
    target = embedded_feed_path(app_dir, feed_path, settings, cache_name=cache_name)
    with _locked(target):
        if target.is_file():
            with contextlib.suppress(OSError):  # another user's file: used all the same
                os.utime(target)  # used now: pruning keeps it
            print(f"using the embedded feed from an earlier run ({target.name})", file=out)
            return target
        print(f"embedding the documents with {settings['embedder']} (once; cached) ...", file=out, flush=True)
        started = time.perf_counter()
        options = [f"--{name}={value}" for name, value in settings.items()]
        with feed_path.open("rb") as lines:
            total = sum(1 for line in lines if line.strip())
        returncode, last = _run_with_progress(
            [sys.executable, "-m", "container.embedding", f"--app={app_dir}", *options, str(feed_path), str(target)],
            total, out)
        if returncode != 0 or not target.is_file():
            print(f"warning: embedding failed ({last}); nearestNeighbor over '{settings['field']}' will find "
                  "nothing", file=out)
            return None
        print(f"embedded them in {time.perf_counter() - started:.0f}s (cached in {target.name})", file=out)
    prune_cache(target.parent)
    return target


def embedded_feed_path(app_dir: Path, feed_path: Path, settings: dict[str, str] = DEFAULT_EMBEDDING, *,
                       cache_name: str | None = None) -> Path:
    """Where the embedded feed of `feed_path` is cached: keyed by the digest of the corpus (the
    feed's bytes), the embedding settings, the embedder's construction (its type and
    configuration: prepend, max-tokens, pooling, normalization) and the content of the model and
    tokenizer files it names, so any change to them embeds again, while copies of one package
    (checkouts, a moved package, one whose services.xml differs elsewhere) share the vectors
    instead of each embedding anew (scifact: ~20 min)."""
    app_dir = Path(app_dir)
    identity = json.dumps({"format": CACHE_FORMAT, "settings": settings,
                           "embedder": _embedder_identity(app_dir, settings["embedder"])}, sort_keys=True)
    with feed_path.open("rb") as stream:
        corpus = hashlib.file_digest(stream, "sha256").hexdigest()
    key = hashlib.sha256(f"{corpus}\n{identity}".encode()).hexdigest()[:16]
    return feed_path.with_name(f"{cache_name or feed_path.stem}.{key}{CACHE_SUFFIX}")


def prune_cache(directory: Path, max_age_days: float = CACHE_DAYS) -> list[Path]:
    """Remove the cached feeds in `directory` that no run has used for `max_age_days` (each use
    touches its file) and that no process holds the lock of; returns what was removed."""
    removed = []
    horizon = time.time() - max_age_days * 86400
    for entry in directory.glob(f"*{CACHE_SUFFIX}"):
        try:
            if entry.stat().st_mtime >= horizon:
                continue
            with _locked(entry, wait=False):
                if entry.stat().st_mtime < horizon:  # not used while the lock was being taken
                    entry.unlink()
                    # at worst a process that opened this lock file just now embeds the key again
                    entry.with_name(entry.name + ".lock").unlink(missing_ok=True)
                    removed.append(entry)
        except OSError:
            continue  # gone already, or locked (BlockingIOError): in use by another run
    return removed


@contextlib.contextmanager
def _locked(target: Path, *, wait: bool = True) -> Iterator[None]:
    """An flock on `<target>.lock` for the block (released however its process ends); without
    `wait`, BlockingIOError when another process holds it."""
    fd = os.open(target.with_name(target.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        yield
    finally:
        os.close(fd)


def _embedder_identity(app_dir: Path, embedder: str) -> dict:
    """The embedder's type, configuration and file digests; services.xml and the package's
    resolved path when the package does not load (embedding it fails; the key only must differ)."""
    try:
        component = load_application(app_dir).components.get(embedder)
    except Exception:  # noqa: BLE001 - see the docstring
        services = app_dir / "services.xml"
        return {"services": services.read_text(encoding="utf-8") if services.is_file() else "",
                "package": str(app_dir.resolve())}
    if component is None:
        return {"missing": embedder, "package": str(app_dir.resolve())}
    return {"type": component.type, "config": dict(component.config), "files": _embedder_files(app_dir, component)}


def _embedder_files(app_dir: Path, component) -> dict[str, str]:
    """Config entry → sha256 of the file it names, for each entry that names a file of the
    package (model, tokenizer)."""
    digests = {}
    for name, value in sorted(component.config.items()):
        path = app_dir / value  # only the package's own files (a value may be any text)
        if value and not Path(value).is_absolute() and ".." not in Path(value).parts and path.is_file():
            with path.open("rb") as stream:
                digests[name] = hashlib.file_digest(stream, "sha256").hexdigest()
    return digests


def _run_with_progress(command: list[str], total: int, out: TextIO) -> tuple[int, str]:
    """Run the batch embedder with a progress bar fed from its `embedded N documents` lines;
    returns its exit code and last line of output (the reason when it fails)."""
    last = "no output"
    with tqdm(total=total, unit="doc", desc="embedding", file=out, disable=None, leave=False,
              mininterval=0) as bar, \
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None
        for line in process.stderr:
            if line.strip():
                last = line.strip()
            progress = _PROGRESS.match(line)
            if progress:
                bar.update(int(progress.group(1)) - bar.n)
    return process.returncode, last
