"""DocumentDB: the documents of one schema on one content node, durable and indexed.

Writes: validate → (under the lock) assign the next sequence number, append to the WAL, apply to
the in-memory structures → (outside the lock) wait for the WAL fsync, then return: acknowledged
only once on disk; concurrent writers share fsyncs (group commit), a `write_batch()` one hold of the
lock and one sync (content_node/write_batch.py). Readers may see a write before it is acknowledged.
Each write records its timestamp; removes leave a tombstone (store/timestamps.py: replica merges).
A write the WAL cannot take (disk full, read-only, I/O error) raises StorageError and changes nothing.

Reads take the same re-entrant lock for the moment they read mutable structures. A query holds
`read_view()` from match to its last attribute read (queries share it, writes wait) and opens a
view whose generation its fill reads summaries at (store/read_views.py).

Snapshots: every `snapshot_interval` operations a background thread takes a consistent cut under
the lock (rotating the WAL) and writes the documents changed since the last one outside it
(store/snapshots.py); the write that crossed the interval is acknowledged without waiting. Then
older snapshots and WAL segments go, but for the previous snapshot (store/recovery.py `retain`).

Recovery (store/recovery.py): the newest intact snapshot, then the WAL records after it; indexes
are loaded from an index image, re-indexing only the documents changed since it (store/index_image.py;
without one, every document, compacting the local id space). `rebuild=True` (the node has a
replica) turns data-losing damage into `rebuild_reason` instead of StoreCorruption.
"""
from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any, Callable, Collection, Iterator, Mapping, Sequence

import numpy as np

from content_node.store.attributes import AttributeStore
from content_node.index_reads import IndexReads
from content_node.write_batch import BatchWrites
from content_node.store.document_store import DocumentStore, encode_fields
from content_node.store.index_image import IndexImages
from content_node.store.inverted_index import FieldIndex, indexed_as_text
from content_node.store.local_ids import LocalIds
from content_node.store.memory import pin_mmap_threshold
from content_node.store.mutable_attributes import MutableAttributeFile, PeriodicFlusher, restore_flushed
from content_node.store.tensor_column import DenseTensorColumn
from content_node.store.vector_indexes import VectorIndexes
from content_node.store.recovery import recover, retain
from content_node.store.read_views import ReadWriteLock, Version, VersionHistory
from content_node.store.snapshots import Snapshots, freeze, read_snapshot
from content_node.store.timestamps import DocumentTimestamps, assign, update_origin
from content_node.store.wal import LogRecord, WalWriteError, WriteAheadLog, put_payload, remove_payload
from searchlib.docid import DocumentId, global_id
from searchlib.documents import apply_update, check_languages, validate_document
from searchlib.struct_values import field_value
from searchlib.errors import DocumentError, StorageError
from searchlib.languages import field_language, language_sources
from searchlib.schema.model import Schema

log = logging.getLogger(__name__)

DEFAULT_SNAPSHOT_INTERVAL = 25_000  # operations between snapshots (incremental: bounds the log kept)
LOAD_BATCH = 2_000  # documents recovery indexes together (`_restage`)
Condition = Callable[[Mapping[str, Any] | None], None]  # test-and-set: raises to refuse a write


class DocumentDB(BatchWrites, IndexReads):
    def __init__(self, schema: Schema, data_dir: Path, *,
                 snapshot_interval: int = DEFAULT_SNAPSHOT_INTERVAL, rebuild: bool = False,
                 timestamps: DocumentTimestamps | None = None) -> None:
        pin_mmap_threshold()  # merges' big temporaries must not fragment the heap
        self.schema = schema
        self._data_dir = Path(data_dir)
        self._data_dir.mkdir(parents=True, exist_ok=True)
        self._snapshot_interval = snapshot_interval
        self._lock = threading.RLock()
        self._views = ReadWriteLock()  # queries share it, writes take it alone (store/read_views.py)
        self._history = VersionHistory()
        self._snapshot_lock = threading.Lock()
        self._background_snapshot: threading.Thread | None = None
        self.timestamps = DocumentTimestamps() if timestamps is None else timestamps  # newest per document
        self._images = IndexImages(self._data_dir)
        self._reset()
        # fields held by their attribute alone, as in Vespa: synthetic attribute-only fields and every
        # dense tensor attribute (one copy of the cells); `get`, summaries, snapshots read the column
        self._attribute_held = frozenset(
            f.name for f in schema.fields.values()
            if f.is_attribute and not f.is_mutable and (
                (not f.in_document and not f.is_index and not f.is_summary)
                or isinstance(self._attributes.columns.get(f.name), DenseTensorColumn)))
        self._document_held = frozenset(name for name in self._attribute_held if schema.fields[name].in_document)
        self._summary_held = self._document_held | {n for n in self._attribute_held if schema.fields[n].is_summary}
        self._language_sources = language_sources(schema)  # field → the field whose set_language it follows
        self._retokenized_by = frozenset(n.split('.')[0] for n in self._indexes) | set(self._language_sources.values())
        self._last_sequence = self._operations_since_snapshot = 0
        self._mutable_file = MutableAttributeFile(self._data_dir)
        self._mutable_flush_lock = threading.Lock()
        self._flusher = PeriodicFlusher(self.flush_mutable_attributes)
        self.rebuild_reason = self._recover(rebuild)  # set: catch up from a replica before serving
        self._wal = WriteAheadLog(self._data_dir, self._last_sequence + 1)
        self._closed = False
        if self.rebuild_reason:  # what was kept becomes durable again without the files moved aside
            try:
                self.snapshot()
            except (OSError, WalWriteError) as error:  # catch-up rewrites every document anyway
                log.error("no snapshot after moving damaged files aside: %s", error)

    def _reset(self) -> None:
        """Empty in-memory structures (recovery starts over on them after a damaged snapshot)."""
        self._local_ids = LocalIds()
        self._documents = DocumentStore()
        self._attributes = AttributeStore(self.schema)
        self._indexes = {f.name: FieldIndex.for_field(f, self._local_ids)
                         for f in self.schema.fields.values() if f.is_index and indexed_as_text(f.type)}
        self._vectors = VectorIndexes(self.schema, self._data_dir / "hnsw")
        self.timestamps.clear()
        self._snapshots = Snapshots(self._data_dir)

    # -- writes -------------------------------------------------------------------------------

    def put(self, document_id: str, fields: Mapping[str, Any], condition: Condition | None = None,
            timestamp: int | None = None, origin: int = 0, replica_copy: bool = False) -> None:
        """Create or replace a document; durable when this returns. `condition` (test-and-set): called with
        the stored fields (None: no document) under the lock, atomically with the write; raises to refuse it.
        `timestamp` (None: now), `origin`: the version's (store/timestamps.py); `replica_copy`: validate_document."""
        self._check_document_type(document_id)
        document = validate_document(self.schema, fields, allow_synthetic=True, languages=not replica_copy)
        fields_json = encode_fields(document)  # once, outside the lock: the WAL and the store share it
        with self._exclusive():
            if condition is not None:
                condition(self._stored_fields(global_id(document_id)))
            sequence = self._log(put_payload(document_id, fields_json, timestamp := assign(timestamp), origin))
            self._apply_put(document_id, document, fields_json=fields_json)
            self._stamp(document_id, timestamp, origin=origin)
        self._acknowledge(sequence)

    def update(self, document_id: str, operations: Mapping[str, Any],
               create: bool = False, condition: Condition | None = None, timestamp: int | None = None) -> bool:
        """Apply field operations; False (and nothing written) if missing and not `create`."""
        self._check_document_type(document_id)
        with self._exclusive():  # a read-modify-write must not interleave
            current = self._stored_fields(global_id(document_id))
            if condition is not None:
                condition(current)
            if current is None and not create:
                return False
            document = check_languages(self.schema, apply_update(self.schema, current, operations, allow_synthetic=True))
            fields_json, origin = encode_fields(document), update_origin(self.timestamps.get(global_id(document_id)))
            sequence = self._log(put_payload(document_id, fields_json, timestamp := assign(timestamp), origin))
            self._apply_put(document_id, document, fields_json=fields_json)
            self._stamp(document_id, timestamp, updated=True, origin=origin)
        self._acknowledge(sequence)
        return True

    def remove(self, document_id: str, condition: Condition | None = None, timestamp: int | None = None) -> bool:
        """Remove a document; False if it did not exist. Its tombstone is written even then if the
        remove has a `timestamp` (it may be newer than a copy a replica still has)."""
        self._check_document_type(document_id)
        with self._exclusive():
            if condition is not None:
                condition(self._stored_fields(global_id(document_id)))
            local_id = self._local_ids.lookup(global_id(document_id))
            if local_id is None and timestamp is None:
                return False
            sequence = self._log(remove_payload(document_id, timestamp := assign(timestamp)))
            if local_id is not None:
                self._apply_remove(local_id)
            self._stamp(document_id, timestamp, removed=True)
        self._acknowledge(sequence)
        return local_id is not None

    def mutate(self, attribute: str, local_ids: np.ndarray, operator: str,
               operand: float) -> None:
        """Rank-profile `mutate` on a mutable attribute ("=", "+=", "-="). Not logged: mutable
        attributes live outside the document; they are flushed (store/mutable_attributes.py)."""
        with self._lock:
            self._attributes.mutate(attribute, local_ids, operator, operand)
        self._flusher.mark_dirty()

    def flush_mutable_attributes(self) -> None:
        """Write every mutable attribute value now (durable when this returns)."""
        names = self._attributes.mutable_names
        if not names:
            return
        with self._mutable_flush_lock:  # flushes are written in the order their cuts were taken
            with self._lock:
                local_ids, rows = self._attributes.mutable_rows(self._local_ids.alive_local_ids())
                gids = [self._local_ids.global_ids[i] for i in local_ids.tolist()]
                self._flusher.clear()
            self._mutable_file.write(names, gids, rows)

    # -- reads: documents -----------------------------------------------------------------------

    def get(self, document_id: str, condition: Condition | None = None) -> dict[str, Any] | None:
        """`condition`: called with the fields under the lock, as a write's (test-and-set's probe)."""
        with self._lock:
            fields = self._stored_fields(global_id(document_id))
            if condition is not None:
                condition(fields)
            return fields

    def document(self, local_id: int, wanted: Collection[str] | None = None) -> dict[str, Any] | None:
        """A local id's stored fields and its attribute-held ones in `wanted` (None: its own, for get)."""
        held = self._document_held if wanted is None else self._summary_held.intersection(wanted)
        with self._lock:
            return self._with_attribute_held(local_id, self._documents.fields(local_id), held)

    def stored_json(self, local_id: int, wanted: Collection[str]) -> bytes | None:
        """The stored fields' JSON as fed, or None (nothing stored, or an attribute holds one of `wanted`)."""
        if self._summary_held.intersection(wanted):
            return None
        with self._lock:
            return self._documents.fields_json(local_id)

    def local_id(self, global_id_bytes: bytes) -> int | None:
        with self._lock:
            return self._local_ids.lookup(global_id_bytes)

    def document_id(self, local_id: int) -> str:
        with self._lock:
            return self._local_ids.document_id(local_id)

    # -- reads: for matching and ranking (all indexed by local id) ----------------------------

    @contextlib.contextmanager
    def read_view(self) -> Iterator["DocumentDB"]:
        """Hold to read several structures consistently; writers wait until it is released."""
        with self._views.shared():
            yield self

    def open_view(self, seconds: float) -> int:
        """Inside `read_view`: the generation a later fill asks `version_at` for, kept `seconds`."""
        self._history.open(self._last_sequence, seconds)
        return self._last_sequence

    def version_at(self, gid: bytes, generation: int) -> Version | None:
        """The document as it was at `generation` if a write since replaced or removed it."""
        return self._history.as_of(gid, generation)

    @property
    def doc_count(self) -> int:
        return self._local_ids.alive_count

    @property
    def local_id_limit(self) -> int:
        return self._local_ids.limit

    @property
    def alive(self) -> np.ndarray:
        with self._lock:
            return self._local_ids.alive

    @property
    def global_ids(self) -> Sequence[bytes]:
        """Global id per local id (a live list: take `read_view()` to hold it still)."""
        return self._local_ids.global_ids

    @property
    def last_sequence(self) -> int:
        return self._last_sequence

    @property
    def write_error(self) -> str | None:
        """Why this database refuses writes now (disk full, read-only, failed fsync), or None."""
        return self._wal.write_error

    def attribute(self, name: str) -> np.ndarray:
        """The column per local id: float64 for numeric/bool, `DenseTensorRows` for dense tensors,
        object for the rest."""
        with self._lock:
            return self._column(name).values(self._local_ids.limit)

    def vector_index(self, field: str):
        """The nearestNeighbor index of a tensor attribute (None if the field cannot have one)."""
        with self._lock:
            if self._vectors.searchable_later(field):
                column = self._column(field)
                return self._vectors.build(field, self._local_ids.alive_local_ids(), column.get)
            return self._vectors.field(field)

    @property
    def vector_indexes_restored(self) -> bool:
        return self._vectors.restored

    # -- lifecycle ------------------------------------------------------------------------------

    def snapshot(self) -> Path | None:
        """Persist the documents written since the last snapshot (store/snapshots.py), then drop
        older WAL segments. Returns None if another snapshot is already being written."""
        if not self._snapshot_lock.acquire(blocking=False):
            return None
        try:
            self.flush_mutable_attributes()  # first, so the flush file is never older than a snapshot
            with self._lock:  # a consistent cut: collect immutable blobs, rotate the log
                sequence = self._last_sequence
                self._vectors.save(sequence, self._local_ids.global_ids)  # when due (see its doc)
                self.timestamps.prune(now := time.time())  # first: a full snapshot writes the tombstones kept
                cut = self._snapshots.cut(sequence, self._local_ids.alive_count + self.timestamps.tombstone_count)
                image = self._images.capture(cut, self._local_ids, self._documents, self._indexes, self._attributes,
                                             self.timestamps)
                if cut is not None:
                    records = freeze(cut, self._local_ids, self._documents, self._attributes, self._attribute_held,
                                     self.timestamps)
                    self._wal.rotate(sequence + 1)
                    self._operations_since_snapshot = 0
            if cut is None:  # nothing written since the newest snapshot (an image may be due at close)
                self._images.write(self._snapshots.manifest, image)
                return self._snapshots.current
            path = self._snapshots.write(cut, records, self.timestamps.cutoff(now))
            self._images.write(self._snapshots.manifest, image)  # after the manifest it extends
            retain(self._data_dir, path)
            return path
        except BaseException:
            self._snapshots.failed()  # the changes it took are in the log only: the next one is full
            raise
        finally:
            self._snapshot_lock.release()

    def wait_for_snapshot(self) -> None:
        """Return once an automatic snapshot that is being written is complete."""
        if (running := self._background_snapshot) is not None:
            running.join()

    def close(self) -> None:
        if self._closed:
            return
        self._flusher.stop()
        self.wait_for_snapshot()
        self._vectors.save_all = self._images.closing = True  # a graceful restart re-indexes little (index_image.py)
        try:
            self.snapshot()
        except (OSError, WalWriteError) as error:  # the log holds every acknowledged write anyway
            log.error("no snapshot at close: %s", error)
        try:
            self._wal.close()
        except (OSError, WalWriteError) as error:
            log.error("closing the write-ahead log: %s", error)
        self._closed = True

    def __enter__(self) -> "DocumentDB":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def memory_usage(self) -> dict[str, int]:
        """Bytes held by the big structures (excluding Python object overhead of dictionaries)."""
        with self._lock:
            return {"documents": self._documents.stored_bytes, "attributes": self._attributes.nbytes,
                    "indexes": sum(index.nbytes for index in self._indexes.values()),
                    "inflated_documents": self._documents.inflated_bytes}

    # -- internals ------------------------------------------------------------------------------

    def _recover(self, rebuild: bool) -> str | None:
        recovered = recover(self._data_dir, load_snapshot=self._load_snapshot, reset=self._reset,
                            apply=self._replay, rebuild=rebuild)
        for index in self._indexes.values():  # the last batch of the load and the replay (`_restage`)
            index.flush()
        self._last_sequence = recovered.last_sequence
        self._operations_since_snapshot = recovered.replayed
        restore_flushed(self._mutable_file.read(), self._attributes, self._local_ids)
        log.info("document db recovered", extra={
            "schema": self.schema.name, "documents": self.doc_count,
            "last_sequence": self._last_sequence, "replayed": recovered.replayed})
        return recovered.rebuild_reason

    def _load_snapshot(self, snapshot: Path) -> int:
        sequence, documents = read_snapshot(snapshot)
        restored = self._images.restore(snapshot, self.schema)  # None: re-index every document
        if restored is not None:  # the structures as saved, and the documents changed since to apply
            self._local_ids, self._documents, self._indexes, self._attributes, documents = restored.parts
        applied = 0  # documents not in an image: what the next image is due by
        with self._vectors.suspended():  # vectors: restored from their own files, or rebuilt
            for applied, document in enumerate(documents, start=1):
                if applied % LOAD_BATCH == 1:
                    self._restage()
                if document.removed:
                    self._remove_id(document.document_id)
                else:
                    self._apply_put(document.document_id, document.fields, document.mutable)
                if restored is None:
                    self.timestamps.loaded(document)
            for applied, local_id in enumerate(restored.gone() if restored else (), start=applied + 1):
                self._apply_remove(local_id)
        if restored is not None:  # the image's timestamps and the records since (or every record's)
            restored.load_stamps(self.timestamps)
        self.timestamps.load_sidecar(snapshot)
        self._images.changes = applied if restored else self.doc_count
        self._snapshots.loaded(snapshot)
        if not self._vectors.restore(self._local_ids, self._column):
            self._vectors.rebuild(self._local_ids.alive_local_ids(),
                                  lambda name, local_id: self._column(name).get(local_id))
        return sequence

    def _restage(self) -> None:
        """Recovery indexes its documents in batches as writes do (`_recover` flushes the last)."""
        for index in self._indexes.values():
            index.flush()
            index.stage()

    def _replay(self, record: LogRecord) -> None:
        if record.sequence % LOAD_BATCH == 1:
            self._restage()
        op = json.loads(record.payload)
        if op["op"] == "put":
            self._apply_put(op["id"], op["fields"])
        else:
            self._remove_id(op["id"])
        self._stamp(op["id"], op.get("ts", 0), op["op"] == "remove", origin=op.get("origin", 0))

    def _stamp(self, document_id: str, timestamp: int, removed=False, updated=False, origin=0) -> None:
        self.timestamps.record(document_id, gid := global_id(document_id), timestamp, removed, updated, origin)
        self._snapshots.touched(gid, document_id)

    def _remove_id(self, document_id: str) -> None:
        if (local_id := self._local_ids.lookup(global_id(document_id))) is not None:
            self._apply_remove(local_id)

    def _log(self, payload: bytes) -> int:
        """Append the next record (under the lock); a failure consumes no sequence number."""
        sequence = self._last_sequence + 1
        try:
            self._wal.append(sequence, payload)
        except WalWriteError as error:
            raise StorageError(f"content node cannot store writes: {error}") from None
        self._last_sequence = sequence
        self._operations_since_snapshot += 1
        return sequence

    def _acknowledge(self, sequence: int) -> None:
        if self._deferred(sequence):  # write_batch() syncs once at its end
            return
        try:
            self._wal.sync(sequence)
        except WalWriteError as error:
            raise StorageError(f"content node cannot store writes: {error}") from None
        if self._operations_since_snapshot >= self._snapshot_interval:
            self._start_snapshot()

    def _start_snapshot(self) -> None:
        """Write the automatic snapshot on its own thread: the write that crossed the interval is
        durable already and is acknowledged now, not after the snapshot."""
        with self._lock:
            running = self._background_snapshot
            if running is not None and running.is_alive():
                return
            self._background_snapshot = threading.Thread(target=self._snapshot_logged, name="snapshot", daemon=True)
            self._background_snapshot.start()

    def _snapshot_logged(self) -> None:
        try:
            started, path = time.monotonic(), self.snapshot()
            if path is not None:
                log.info("snapshot %s written in %.1f s", path.name, time.monotonic() - started)
        except Exception:  # noqa: BLE001 - the WAL still holds every operation; the next one retries
            log.exception("automatic snapshot failed")

    def _apply_put(self, document_id: str, fields: Mapping[str, Any],
                   mutable: Mapping[str, float] | None = None, fields_json: bytes | None = None) -> None:
        """`fields_json`: `fields` already encoded (the stored form unless attribute-held ones are in it)."""
        gid = global_id(document_id)
        previous = self._local_ids.lookup(gid)
        carried: Mapping[str, float] = mutable or {}
        if fields_json is None or not self._attribute_held.isdisjoint(fields):
            fields_json = encode_fields({k: v for k, v in fields.items() if k not in self._attribute_held})
        if previous is not None:
            self._keep_superseded(previous)
            previous_fields = self._documents.fields(previous, cache=False) or {}
            stored_names = (previous_fields.keys() | fields.keys()) - self._attribute_held
            changed = self._changed_attribute_held(previous, fields) | {
                name for name in stored_names if previous_fields.get(name) != fields.get(name)}
            if not changed & self._retokenized_by:  # no re-tokenizing: update in place
                self._documents.store(previous, fields_json)
                self._attributes.assign(previous, fields, changed)
                self._vectors.assign(previous, fields, changed)
                return
            carried = mutable or self._attributes.mutable_values(previous)
            self._unindex(previous, previous_fields)
        local_id = self._local_ids.allocate(document_id, gid)
        self._documents.store(local_id, fields_json)
        for name, index in self._indexes.items():
            value = field_value(fields, self.schema.fields[name])  # struct-fields: from their parent
            if value is not None:
                index.add(local_id, value, self._language(fields, name))
        self._attributes.index_document(local_id, fields)
        self._attributes.restore_mutable(local_id, carried)
        self._vectors.index_document(local_id, fields)

    def _apply_remove(self, local_id: int) -> None:
        self._keep_superseded(local_id)
        self._unindex(local_id, self._documents.fields(local_id, cache=False) or {})

    def _keep_superseded(self, local_id: int) -> None:
        if self._history.retaining():  # a query's view may still fill it
            held = self._with_attribute_held(local_id, {})
            self._history.record(self._last_sequence, self._local_ids.global_ids[local_id], Version(
                self._local_ids.document_id(local_id), self._documents.compressed(local_id), held,
                self._documents.decoder()))

    def _unindex(self, local_id: int, fields: Mapping[str, Any]) -> None:
        for name, index in self._indexes.items():
            value = field_value(fields, self.schema.fields[name])  # struct-fields: from their parent
            if value is not None:
                index.remove(local_id, value, self._language(fields, name))
        self._attributes.clear(local_id)
        self._vectors.remove(local_id)
        self._documents.drop(local_id)
        self._local_ids.release(local_id)

    def _language(self, fields: Mapping[str, Any], name: str) -> str:
        """The language `name` is tokenized in: its `set_language` field's, "" = detect."""
        return field_language(fields, self._language_sources.get(name, ""))

    def _stored_fields(self, gid: bytes) -> dict[str, Any] | None:
        """Every field of a document: the stored ones and the attribute-held ones."""
        local_id = self._local_ids.lookup(gid)
        return None if local_id is None else self._with_attribute_held(local_id, self._documents.fields(local_id))

    def _with_attribute_held(self, local_id: int, fields: dict[str, Any] | None,
                             names: frozenset[str] | None = None) -> dict[str, Any] | None:
        if fields is not None:
            for name in self._attribute_held if names is None else names:
                value = self._attributes.columns[name].get(local_id)
                if value is not None:
                    fields[name] = value
        return fields

    def _changed_attribute_held(self, local_id: int, fields: Mapping[str, Any]) -> set[str]:
        """The attribute-held fields a rewrite of `local_id` with `fields` changes (a partial
        update of another field must not re-insert the document's vectors into the graph)."""
        changed = set()
        for name in self._attribute_held:
            column = self._attributes.columns[name]
            holds = getattr(column, "holds", None)
            if holds is None or not holds(local_id, fields.get(name)):
                changed.add(name)
        return changed

    def _check_document_type(self, document_id: str) -> None:
        parsed = DocumentId.parse(document_id)
        if parsed.doctype != self.schema.document_name:
            raise DocumentError(f"Document type '{parsed.doctype}' of '{document_id}' does not match "
                                f"document type '{self.schema.document_name}'")

    def _column(self, name: str):
        column = self._attributes.columns.get(name)
        if column is None:
            raise KeyError(f"field '{name}' is not an attribute in schema '{self.schema.name}'")
        return column

