"""The vector indexes of one DocumentDB: one VectorFieldIndex per tensor attribute that
nearestNeighbor can search, kept in step with writes, saved with each snapshot and restored at
startup.

Fields with an `index` (HNSW) block are indexed from the start. A tensor attribute without one
(token ids, say) can still be searched exactly, but its vectors already live in the attribute
column, so its index is built from the column on the first nearestNeighbor query only, and then
kept in step with writes like the others (it is not saved: it has no graph to save).

Persistence: the graphs are a cache of the attribute's vectors. At a snapshot of sequence S, once
the writes since the last save reach a tenth of the vectors (or at close), every field writes
`<field>.S.npz` (slot table: global id, label and vector checksum per slot, no vectors) and
`<field>.S.hnsw` (the graph) under `hnsw/`, then older files are removed: so saving costs a
constant per write, not the corpus size per snapshot. At startup the newest saved graphs are loaded
whatever their sequence and reconciled with the stored tensors (the truth): documents whose vector
differs or is new are re-indexed, gone ones removed; without usable files the indexes are rebuilt.
Operations logged after the snapshot are replayed through the ordinary write hooks either way.
"""
from __future__ import annotations

import contextlib
import logging
import re
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from content_node.store.hnsw_index import VectorFieldIndex
from content_node.store.local_ids import LocalIds
from content_node.store.tensor_column import DenseTensorColumn
from searchlib.schema.model import Field, Schema
from searchlib.stop_progress import advance
from searchlib.tensor import TensorType

log = logging.getLogger(__name__)

_SAVED = re.compile(r"^(?P<field>.+)\.(?P<sequence>\d+)\.(?:npz|hnsw)$")


def searchable_tensor(field: Field) -> bool:
    """Tensor attributes with indexed dimensions and at most one mapped dimension."""
    if field.type.kind != "tensor" or not field.is_attribute or not field.type.tensor_type:
        return False
    try:
        tensor_type = TensorType.parse(field.type.tensor_type)
    except Exception:  # noqa: BLE001 - a type the tensor library cannot read is not searchable
        return False
    return bool(tensor_type.dense_shape) and len(tensor_type.mapped) <= 1


class VectorIndexes:
    def __init__(self, schema: Schema, directory: Path) -> None:
        self._schema = schema
        self.directory = Path(directory)
        self._searchable = frozenset(f.name for f in schema.fields.values() if searchable_tensor(f))
        self._declared = frozenset(name for name in self._searchable if schema.fields[name].hnsw is not None)
        self.fields: dict[str, VectorFieldIndex] = {
            name: VectorFieldIndex(schema.fields[name]) for name in sorted(self._declared)}
        self._suspended = False
        self._changes = 0  # writes since the graphs were last saved
        self.save_all = False  # set at close: save whatever changed
        self.restored = False  # True when the last startup loaded saved graphs

    def field(self, name: str) -> VectorFieldIndex | None:
        return self.fields.get(name)

    def searchable_later(self, name: str) -> bool:
        """True for a searchable field whose index is not built yet (see `build`)."""
        return name in self._searchable and name not in self.fields

    def build(self, name: str, local_ids: np.ndarray, stored_value: Callable[[int], Any]) -> VectorFieldIndex:
        """The index of an attribute-only tensor field, built from its stored values."""
        index = VectorFieldIndex(self._schema.fields[name])
        for local_id in local_ids.tolist():
            value = stored_value(local_id)
            if value is not None:
                index.set(local_id, value)
        self.fields[name] = index
        log.info("exact vector index of %s.%s built from the attribute: %d vectors",
                 self._schema.name, name, index.vector_count)
        return index

    # -- write hooks (called under the DocumentDB lock) ----------------------------------------

    def index_document(self, local_id: int, fields: Mapping[str, Any]) -> None:
        if self._suspended:
            return
        self._changes += 1
        for name, index in self.fields.items():
            value = fields.get(name)
            if value is not None:
                index.set(local_id, value)

    def assign(self, local_id: int, fields: Mapping[str, Any], names: set[str]) -> None:
        if self._suspended:
            return
        self._changes += 1
        for name in names & self.fields.keys():
            self.fields[name].set(local_id, fields.get(name))

    def remove(self, local_id: int) -> None:
        if self._suspended:
            return
        self._changes += 1
        for index in self.fields.values():
            index.remove(local_id)

    def stage(self) -> None:
        """A write batch starts: its vector writes wait for `take_staged()` (hnsw_index.py `stage`)."""
        for index in self.fields.values():
            index.stage()

    def take_staged(self) -> Callable[[], None]:
        """Under the write lock, at a batch's end: apply its vector writes; returns what inserts
        them into the graphs, to call once the write lock is released (and before acknowledging).
        Searches of these fields wait until then (hnsw_index.py `take_staged`)."""
        taken = []
        try:
            for index in self.fields.values():
                taken.append((index, index.take_staged()))
        except BaseException:
            _insert_all(taken)
            raise
        return lambda: _insert_all(taken)

    @contextlib.contextmanager
    def suspended(self, suspend: bool = True) -> Iterator[None]:
        """Skip the write hooks (while loading a snapshot whose saved indexes will be restored)."""
        previous, self._suspended = self._suspended, suspend
        try:
            yield
        finally:
            self._suspended = previous

    # -- persistence ----------------------------------------------------------------------------

    def saved_sequence(self) -> int | None:
        """The newest sequence at which every field's slot table was saved."""
        sequences = [{int(m["sequence"]) for p in self.directory.glob(f"{name}.*.npz")
                      if (m := _SAVED.match(p.name)) and m["field"] == name} for name in self._declared]
        common = set.intersection(*sequences) if sequences else set()
        return max(common, default=None)

    def save(self, sequence: int, global_ids: Sequence[bytes]) -> None:
        """Save the graphs if enough changed since the last save (see the module doc)."""
        total = sum(index.vector_count for index in self.fields.values())
        if not self._declared or not self._changes or (self._changes < total / 10 and not self.save_all):
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for name in self._declared:
            self.fields[name].save(self.directory, f"{name}.{sequence}", global_ids)
            advance()  # a stopping node reports it (searchlib/stop_progress.py)
        self._changes = 0
        for path in self.directory.iterdir():
            found = _SAVED.match(path.name)
            if (found and int(found["sequence"]) != sequence) or ".tmp" in path.name:
                path.unlink(missing_ok=True)

    def restore(self, local_ids: LocalIds, column: Callable[[str], Any]) -> bool:
        """Load the newest saved indexes and reconcile them with the stored vectors; False if
        there are none or any is unreadable."""
        sequence = self.saved_sequence()
        if sequence is None:
            return False
        fresh = {name: VectorFieldIndex(self._schema.fields[name]) for name in self._declared}
        for name, index in fresh.items():
            try:
                loaded = index.load(self.directory, f"{name}.{sequence}", local_ids.lookup)
            except Exception as error:  # noqa: BLE001 - a damaged cache file: the tensors are the truth
                log.warning("saved vector index of %s is unreadable (%s); rebuilding", name, error)
                return False
            if not loaded:
                log.warning("saved vector index of %s does not fit; rebuilding", name)
                return False
        alive = local_ids.alive_local_ids()
        redone = {name: index.reconcile(alive, _stored_vectors(index, column(name), local_ids.limit))
                  for name, index in fresh.items()}
        self.fields.update(fresh)
        self.restored = True
        self._changes = sum(redone.values())
        log.info("vector indexes of %s restored from sequence %d: %s, re-indexed %s", self._schema.name,
                 sequence, {name: index.vector_count for name, index in fresh.items()}, redone)
        return True

    def rebuild(self, local_ids: np.ndarray, stored_value: Callable[[str, int], Any]) -> None:
        """Index every document again from the stored tensor values (attribute columns)."""
        self.fields = {name: VectorFieldIndex(self._schema.fields[name]) for name in self._declared}
        self.restored = False
        self._changes = len(local_ids)
        for name, index in self.fields.items():
            for local_id in local_ids.tolist():
                value = stored_value(name, local_id)
                if value is not None:
                    index.set(local_id, value)
        if self.fields:
            log.info("vector indexes of %s rebuilt from stored tensors: %s", self._schema.name,
                     {name: index.vector_count for name, index in self.fields.items()})


def _stored_vectors(index: VectorFieldIndex, column: Any, limit: int) -> Callable[[int], list[tuple[str, np.ndarray]]]:
    """A document's vectors as the index would parse them from its stored value (dense columns:
    straight from the cell arena)."""
    if isinstance(column, DenseTensorColumn) and not index.multi_vector:
        rows = column.values(limit)

        def dense(local_id: int) -> list[tuple[str, np.ndarray]]:
            start, length = int(rows.starts[local_id]), int(rows.lengths[local_id])
            if start < 0:
                return []
            vector = np.zeros(index.dim, dtype=np.float32)
            vector[:length] = rows.arena[start: start + length]
            return [("", vector)]
        return dense
    return lambda local_id: [] if (value := column.get(local_id)) is None else index.parse(value)


def _insert_all(taken: list) -> None:
    """Every field's taken inserts (each releases its field's lock), the first error raised after."""
    error = None
    for index, inserts in taken:
        try:
            index.insert_taken(inserts)
        except BaseException as failed:  # noqa: BLE001 - the other fields' locks must be released
            error = error or failed
    if error is not None:
        raise error
