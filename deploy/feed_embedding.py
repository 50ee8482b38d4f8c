"""Vectors for a feed file before it is fed: the default package's `embedding` is a document field
that feeders fill in batch (`python -m container.embedding`, run as a process: deploy never
imports the container). Results are cached next to the input by content, package and settings, so
a second demo start or eval run does not embed again."""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from searchlib.schema.application import load_application

_PROGRESS = re.compile(r"^embedded (\d+) documents \(")  # what `python -m container.embedding` prints

# the default package's dense field and its embedder, documents as the embedder is configured
# (bge: 512 tokens; ~12 min for scifact on 2 shared cores: the cost is tokens x model)
FULL_EMBEDDING = {"embedder": "bge", "field": "embedding", "from": "title,text"}
# the demo's: cut at 128 tokens, ~40 s for the stdlib docstrings instead of minutes
DEFAULT_EMBEDDING = {**FULL_EMBEDDING, "max-tokens": "128"}


def embeds_documents(app_dir: Path, settings: dict[str, str] = DEFAULT_EMBEDDING) -> bool:
    """True when the package has the embedder and a schema with the dense field."""
    try:
        application = load_application(app_dir)
    except Exception:  # noqa: BLE001 - a package the loader rejects is reported by the cluster itself
        return False
    return settings["embedder"] in application.components and any(
        settings["field"] in schema.fields for schema in application.schemas.values())


def embedded_feed(app_dir: Path, feed_path: Path, out: TextIO,
                  settings: dict[str, str] = DEFAULT_EMBEDDING) -> Path | None:
    """`feed_path` with a vector in every put, embedded now or taken from the cache; None (and a
    warning on `out`) if embedding fails."""
    target = embedded_feed_path(app_dir, feed_path, settings)
    if target.is_file():
        print(f"using the embedded feed from an earlier run ({target.name})", file=out)
        return target
    for stale in feed_path.parent.glob(f"{feed_path.stem}.*.embedded.jsonl"):
        stale.unlink()
    print(f"embedding the documents with {settings['embedder']} (once; cached) ...", file=out, flush=True)
    started = time.perf_counter()
    options = [f"--{name}={value}" for name, value in settings.items()]
    with feed_path.open("rb") as lines:
        total = sum(1 for line in lines if line.strip())
    returncode, last = _run_with_progress(
        [sys.executable, "-m", "container.embedding", f"--app={app_dir}", *options, str(feed_path), str(target)],
        total, out)
    if returncode != 0:
        print(f"warning: embedding failed ({last}); nearestNeighbor over '{settings['field']}' will find "
              "nothing", file=out)
        return None
    print(f"embedded them in {time.perf_counter() - started:.0f}s (cached in {target.name})", file=out)
    return target


def embedded_feed_path(app_dir: Path, feed_path: Path, settings: dict[str, str] = DEFAULT_EMBEDDING) -> Path:
    """Where the embedded feed of `feed_path` is cached: named by the feed's content, the settings,
    `services.xml` and the content of the embedder's files, so any change to them embeds again,
    and copies of one package (checkouts, a moved package) share the vectors instead of each
    embedding anew (scifact: ~20 min) and removing the others' file."""
    services = Path(app_dir) / "services.xml"  # the embedder's model and settings live there
    identity = json.dumps([settings, services.read_text(encoding="utf-8") if services.is_file() else "",
                           _embedder_files(Path(app_dir), settings["embedder"])]).encode()
    key = hashlib.sha256(feed_path.read_bytes() + identity).hexdigest()[:16]
    return feed_path.with_name(f"{feed_path.stem}.{key}.embedded.jsonl")


def _embedder_files(app_dir: Path, embedder: str) -> dict[str, str]:
    """Config entry → sha256 of the file it names, for each entry of the embedder's component that
    names a file of the package (model, tokenizer); the package's resolved path when it does not load."""
    try:
        component = load_application(app_dir).components.get(embedder)
    except Exception:  # noqa: BLE001 - embedding such a package fails and says why; the key only must differ
        return {"package": str(app_dir.resolve())}
    digests = {}
    for name, value in sorted((component.config if component else {}).items()):
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
