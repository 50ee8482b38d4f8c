"""Many writes to one DocumentDB under one hold of its write lock and one WAL sync (the
container's Feed batches): the per-write lock hand-off and fsync wait are paid once a batch.

Durability is unchanged: a write in a batch is acknowledged only after the sync that follows the
whole batch; if that sync fails, no write of the batch is acknowledged (StorageError for each).
That sync is the caller's (`BatchEnd.make_durable`, after the locks around the batch are released):
the next batch is applied while this one's fsync runs, as single writes are.
"""
from __future__ import annotations

import contextlib
import threading
from typing import Callable, Iterator


class BatchWrites:
    """Mixed into DocumentDB, whose `_views` (ReadWriteLock), `_lock`, `_indexes` and `_vectors`
    (staged while a batch runs: store/inverted_index.py, store/hnsw_index.py) and `_acknowledge`
    it uses.
    Its writes take the lock through `_exclusive()` and hand their sequence to `_deferred()`
    before syncing: inside `write_batch()` on the batch's own thread both are no-ops."""

    _batch_owner: int | None = None  # the thread running a batch (it holds the write lock)
    _batch_sequence = 0  # the last sequence the batch wrote

    @contextlib.contextmanager
    def write_batch(self) -> Iterator[BatchEnd]:
        """Writes in the block (on this thread) are applied under one hold of the write lock; the
        `BatchEnd` it yields makes them durable together once the block is left (its caller must
        call `make_durable` before acknowledging any of them). Their graph inserts are made after
        the write lock is released (only searches of those vector fields wait for them) and before
        the block ends: acknowledged writes are searchable, as single ones."""
        insert_vectors: Callable[[], None] = _nothing
        end = BatchEnd(self)
        try:
            with self._views.exclusive(), self._lock:  # type: ignore[attr-defined]
                self._batch_owner, self._batch_sequence = threading.get_ident(), 0
                indexes = self._indexes.values()  # type: ignore[attr-defined]
                for index in [*indexes, self._vectors]:  # type: ignore[attr-defined]
                    index.stage()  # the batch's documents are indexed together, before readers return
                try:
                    yield end
                finally:
                    end.sequence, self._batch_owner = self._batch_sequence, None
                    try:
                        for index in indexes:
                            index.flush()
                    finally:
                        insert_vectors = self._vectors.take_staged()  # type: ignore[attr-defined]
        finally:
            insert_vectors()

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """The write lock, unless this thread's batch holds it already (it is not re-entrant)."""
        if self._batch_owner == threading.get_ident():
            yield
            return
        with self._views.exclusive(), self._lock:  # type: ignore[attr-defined]
            yield

    def acknowledge_logged(self) -> None:
        """Return once every write logged so far is durable (inside a batch: with the batch)."""
        self._acknowledge(self._last_sequence)  # type: ignore[attr-defined]

    def _deferred(self, sequence: int) -> bool:
        """True inside this thread's batch: the batch's end syncs `sequence` with the rest."""
        if self._batch_owner != threading.get_ident():
            return False
        self._batch_sequence = max(self._batch_sequence, sequence)
        return True


class BatchEnd:
    """What a write batch leaves to do once its locks are released: its sync."""

    def __init__(self, database: BatchWrites) -> None:
        self._database = database
        self.sequence = 0  # the last sequence the batch wrote (0: nothing), set when the block ends

    def make_durable(self) -> None:
        """Return once the batch's writes are on disk; raises StorageError if they cannot be."""
        if self.sequence:
            self._database._acknowledge(self.sequence)  # type: ignore[attr-defined]


def _nothing() -> None:
    pass
