"""Mutable attributes (`attribute: mutable`, outside the document): initial values and flushing.

Their values change on queries (rank-profile `mutate`), never through the feed, so the WAL does not
see them. They are persisted by flushing: a background thread writes every value that differs from
its initial value to `mutable-attributes.json` (atomically: temporary file, fsync, rename) at most
once per `flush_interval` seconds while anything changed, and always on close and with every
document snapshot. So a graceful restart keeps every value; a kill -9 loses at most the changes of
the last interval (Vespa likewise flushes attributes periodically).

On recovery the flush file wins over the mutable values inside the snapshot: it is written under
the same cut as each snapshot and only ever later, so it is never older.
"""
from __future__ import annotations

import json
import logging
import os
import re
import threading
from pathlib import Path
from typing import Callable, Mapping

import numpy as np

from content_node.store.durable_files import fsync_directory
from searchlib.errors import SchemaError
from searchlib.schema.model import Field

log = logging.getLogger(__name__)

FLUSH_FILE = "mutable-attributes.json"
FORMAT_VERSION = 1
DEFAULT_FLUSH_INTERVAL = 1.0  # seconds

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[lL]?")
_CONVERSIONS: Mapping[str, Callable[[float], float]] = {
    "to_long": lambda v: float(int(v)), "to_int": lambda v: float(int(v)),
    "to_byte": lambda v: float(int(v)), "to_double": float, "to_float": float}
_SINKS = ("attribute", "summary", "index")


def initial_value(field: Field) -> float:
    """The value a new document starts with: the constant of `7 | to_long | attribute | summary`,
    else 0. Only this simple form (a number, conversions, sinks) is understood here."""
    steps = [step.strip() for step in field.indexing.split("|") if step.strip()]
    if not steps or not _NUMBER.fullmatch(steps[0]):
        return 0.0
    value = float(steps[0].rstrip("lL"))
    for step in steps[1:]:
        if step in _CONVERSIONS:
            value = _CONVERSIONS[step](value)
        elif step not in _SINKS:
            raise SchemaError(f"mutable attribute '{field.name}': unsupported indexing step '{step}' "
                              f"in '{field.indexing}'", field.location)
    if field.type.kind in ("int", "long", "byte"):
        value = float(int(value))
    return value


class MutableAttributeFile:
    """Reads and writes the flush file of one DocumentDB directory."""

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / FLUSH_FILE

    def write(self, names: list[str], global_ids: list[bytes], values: np.ndarray) -> None:
        """`values[i, j]` is attribute `names[j]` of the document with `global_ids[i]`."""
        documents = {gid.hex(): [_plain(v) for v in row] for gid, row in zip(global_ids, values.tolist())}
        body = json.dumps({"format": FORMAT_VERSION, "attributes": names, "documents": documents},
                          separators=(",", ":")).encode()
        temporary = self.path.with_suffix(".tmp")
        with open(temporary, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
        fsync_directory(self.path.parent)

    def read(self) -> tuple[list[str], dict[bytes, list[float]]] | None:
        """(attribute names, values per global id), or None when there is no usable file."""
        if not self.path.exists():
            return None
        try:
            content = json.loads(self.path.read_bytes())
            if content.get("format") != FORMAT_VERSION:
                raise ValueError(f"unknown format {content.get('format')!r}")
            return list(content["attributes"]), {bytes.fromhex(gid): row
                                                 for gid, row in content["documents"].items()}
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            log.error("ignoring unreadable %s: %s", self.path, error)
            return None


class PeriodicFlusher:
    """Calls `flush` every `interval` seconds while `mark_dirty` was called since the last flush."""

    def __init__(self, flush: Callable[[], None], interval: float = DEFAULT_FLUSH_INTERVAL) -> None:
        self._flush = flush
        self._interval = interval
        self._dirty = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def mark_dirty(self) -> None:
        self._dirty.set()
        if self._thread is None:
            with self._start_lock:  # started lazily: schemas without mutate never get a thread
                if self._thread is None and not self._stopped.is_set():
                    self._thread = threading.Thread(target=self._run, name="mutable-flush", daemon=True)
                    self._thread.start()

    def clear(self) -> None:
        """Called by a flush made elsewhere (snapshot, close): nothing pending any more."""
        self._dirty.clear()

    def stop(self) -> None:
        with self._start_lock:
            self._stopped.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            if self._dirty.is_set():
                self._dirty.clear()
                try:
                    self._flush()
                except Exception:  # noqa: BLE001 - retried next interval; the values are still in memory
                    self._dirty.set()
                    log.exception("flushing mutable attributes failed")


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def restore_flushed(flushed: tuple[list[str], dict[bytes, list[float]]] | None, attributes, local_ids) -> None:
    """Put flushed values (MutableAttributeFile.read) back on the recovered documents, by global id."""
    if flushed is None or not attributes.mutable_names:
        return
    names, by_gid = flushed
    found = [(local_ids.lookup(gid), row) for gid, row in by_gid.items()]
    found = [(local_id, row) for local_id, row in found if local_id is not None]
    rows = np.array([row for _, row in found], dtype=object).reshape(len(found), len(names))
    attributes.replace_mutable(local_ids.limit, names, np.array([i for i, _ in found], dtype=np.int64), rows)
