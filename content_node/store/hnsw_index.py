"""The vectors of one tensor field on one content node, with an hnswlib graph when the field has `index`.

Every vector lives in a slot; the slot number is the hnswlib label. A single-vector field
(`tensor<float>(x[N])`) has one slot per document, a multi-vector field (`tensor<float>(p{}, x[N])`)
one slot per paragraph, and a document's distance is the minimum over its slots. Slots of removed
documents are marked deleted in the graph and reused (hnswlib updates a reused label in place).

A float32 copy of every vector stays in numpy: exact search, the rank features and the distances
reported for approximate hits are all computed from it, so both paths report the same values.
Thread safety: one lock guards the graph and the arrays (hnswlib's `ef` is index-wide state, and it
must not be searched while it inserts); a write batch's graph inserts hold it after the DocumentDB
write lock is released (`take_staged`, `insert_taken`).
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import hnswlib
import numpy as np
from google_crc32c import value as crc32c

from content_node.store.vector_metrics import HNSW_SPACES, check_metric, distances
from content_node.store.durable_files import fsync_directory
from searchlib.errors import DocumentError
from searchlib.schema.model import Field
from searchlib.tensor import TensorType, dense_cells, tensor_from_json

INITIAL_CAPACITY = 1024
GID_BYTES = 12
NO_SLOT = -1
INSERT_THREADS = 2  # a write batch's graph inserts (hnswlib releases the GIL while it inserts)
MIPS_SPARE = 8  # dotproduct: candidates fetched beyond k + explore, re-ranked exactly
MIPS_HEADROOM = 1.25  # a raised M: 1.25× the largest norm (2× cost ~0.1 of recall@10 at explore 0)


@dataclass(frozen=True, slots=True)
class NeighborHits:
    """Documents found by one nearestNeighbor search: sorted local ids and their distances."""

    local_ids: np.ndarray  # int32, ascending
    distances: np.ndarray  # float64, aligned with local_ids

    @staticmethod
    def empty() -> "NeighborHits":
        return NeighborHits(np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float64))


class VectorFieldIndex:
    def __init__(self, field: Field) -> None:
        self.field = field.name
        self.metric = check_metric(field.distance_metric)
        self.tensor_type = TensorType.parse(field.type.tensor_type)
        if len(self.tensor_type.mapped) > 1 or not self.tensor_type.dense_shape:
            raise DocumentError(f"Field '{field.name}': nearestNeighbor needs a tensor with indexed "
                                f"dimensions and at most one mapped dimension, not {self.tensor_type}")
        self.multi_vector = bool(self.tensor_type.mapped)
        self.dim = int(np.prod(self.tensor_type.dense_shape))
        self.hnsw_params = field.hnsw if self.metric in HNSW_SPACES else None
        self._lock = threading.RLock()
        self._vectors = np.zeros((0, self.dim), dtype=np.float32)
        self._slot_doc = np.zeros(0, dtype=np.int32)  # local id per slot, NO_SLOT when free
        self._slot_label: list[str] = []  # paragraph label per slot (multi-vector fields)
        self._doc_slots: dict[int, list[int]] = {}
        self._doc_slot = np.zeros(0, dtype=np.int64)  # local id → its slot (single-vector fields)
        self._free: list[int] = []
        self._used = 0
        self._graph: hnswlib.Index | None = None
        # dotproduct → euclidean: x ↦ [x, sqrt(M² − |x|²)], q ↦ [q, 0] gives |x' − q'|² =
        # M² + |q|² − 2x·q, the inner-product order exactly, if ONE M ≥ every norm places all of the
        # graph's vectors. A larger vector raises M (with headroom) and re-places them all.
        self._mips = self.metric == "dotproduct"
        self._radius = 0.0  # M
        self._replace_all = False  # M was raised: the graph's vectors are placed afresh before use
        self._saved_crcs: np.ndarray | None = None  # between `load` and `reconcile`
        self._staged: list[tuple[int, list[tuple[str, np.ndarray]]]] | None = None  # `stage()`d sets, removes
        self._graph_inserts: list[tuple[np.ndarray, list[int]]] | None = None  # inside `take_staged`

    # -- writes ---------------------------------------------------------------------------------

    def parse(self, value: Any) -> list[tuple[str, np.ndarray]]:
        """A fed JSON value → (paragraph label, float32 vector) pairs; parsed once, at write time."""
        if not self.multi_vector and (cells := dense_cells(value, self.tensor_type)) is not None:
            return [("", cells.astype(np.float32))]  # a list or hex: no Tensor
        tensor = tensor_from_json(value, self.tensor_type)
        return [(key[0] if key else "", np.asarray(block, dtype=np.float32).reshape(self.dim))
                for key, block in sorted(tensor.blocks.items())]

    def set(self, local_id: int, value: Any) -> None:
        """Replace the document's vectors (None removes them); while staged, at `take_staged`."""
        vectors = self.parse(value) if value is not None else []
        if self._staged is not None:
            self._staged.append((local_id, vectors))
            return
        with self._lock:
            self._remove(local_id)
            if vectors:
                self._add(local_id, vectors)

    def stage(self) -> None:
        """A write batch starts: its sets and removes are only recorded (the DocumentDB write lock
        keeps readers out meanwhile) and applied in order by `take_staged` at its end, whose graph
        inserts `insert_taken` makes after the write lock is released: one multi-threaded hnswlib
        `add_items` for the batch, while queries that do not search this field go on."""
        if self._staged is None:
            self._staged = []

    def take_staged(self) -> list[tuple[np.ndarray, list[int]]]:
        """Under the DocumentDB write lock, at a batch's end: apply the staged writes to the slots
        and vectors, and take this field's lock, held until `insert_taken` has put their vectors in
        the graph (hnswlib must not be searched while it inserts: a search of this field waits, so
        it never sees the batch's vectors half inserted). Returns the graph inserts to make."""
        staged, self._staged = self._staged, None
        self._lock.acquire()
        try:
            self._graph_inserts = []
            for local_id, vectors in staged or ():
                self._remove(local_id)
                if vectors:
                    self._add(local_id, vectors)
            return self._graph_inserts
        except BaseException:
            self._lock.release()
            raise
        finally:
            self._graph_inserts = None

    def insert_taken(self, inserts: list[tuple[np.ndarray, list[int]]]) -> None:
        """Outside the DocumentDB lock: `take_staged`'s graph inserts, then this field's lock is released."""
        try:
            if self._replace_all:
                self._replace_graph()  # every vector, the batch's too
            elif inserts:
                slots = np.asarray([slot for _, batch in inserts for slot in batch], dtype=np.int64)
                self._ensure_graph().add_items(self._graph_vectors(np.vstack([block for block, _ in inserts])),
                                               slots, num_threads=INSERT_THREADS if len(slots) > 1 else 1)
        finally:
            self._lock.release()

    def remove(self, local_id: int) -> None:
        if self._staged is not None:
            self._staged.append((local_id, []))
            return
        with self._lock:
            self._remove(local_id)

    def _remove(self, local_id: int) -> None:
        slots = self._doc_slots.pop(local_id, None)
        if not slots:
            return
        if self._graph_inserts and any(slot in batch for _, batch in self._graph_inserts for slot in slots):
            self._insert_now()  # mark_deleted needs them in the graph (a document put twice in a batch)
        if local_id < len(self._doc_slot):
            self._doc_slot[local_id] = NO_SLOT
        for slot in slots:
            self._slot_doc[slot] = NO_SLOT
            if self._graph is not None:
                self._graph.mark_deleted(slot)
        self._free.extend(slots)

    def _insert_now(self) -> None:
        inserts, self._graph_inserts = self._graph_inserts, []
        self._lock.acquire()  # insert_taken releases it
        self.insert_taken(inserts)

    def _add(self, local_id: int, vectors: list[tuple[str, np.ndarray]]) -> None:
        slots = [self._take_slot() for _ in vectors]
        block = np.stack([v for _, v in vectors])
        self._vectors[slots] = block
        self._slot_doc[slots] = local_id
        for slot, (label, _) in zip(slots, vectors):
            self._slot_label[slot] = label
        self._doc_slots[local_id] = slots
        if local_id >= len(self._doc_slot):
            self._doc_slot = _grow(self._doc_slot, max(local_id + 1, 2 * len(self._doc_slot)), NO_SLOT)
        self._doc_slot[local_id] = slots[0]
        if self.hnsw_params is not None:
            if self._mips:
                self._fit_radius(block)
            # a reused (marked-deleted) label: hnswlib unmarks it and repairs its links in place
            if self._graph_inserts is not None:
                self._graph_inserts.append((block, slots))
            elif self._replace_all:
                self._replace_graph()
            else:
                self._ensure_graph().add_items(self._graph_vectors(block), np.asarray(slots, dtype=np.int64),
                                               num_threads=1)

    def _take_slot(self) -> int:
        if self._free:
            return self._free.pop()
        slot = self._used
        self._used += 1
        if slot >= len(self._slot_doc):
            capacity = max(INITIAL_CAPACITY, 2 * len(self._slot_doc))
            self._vectors = _grow(self._vectors, capacity, 0.0)
            self._slot_doc = _grow(self._slot_doc, capacity, NO_SLOT)
            self._slot_label.extend([""] * (capacity - len(self._slot_label)))
            if self._graph is not None:
                self._graph.resize_index(capacity)
        return slot

    def _ensure_graph(self) -> hnswlib.Index:
        if self._graph is None:
            self._graph = self._new_graph(len(self._slot_doc))
        return self._graph

    def _fit_radius(self, block: np.ndarray) -> None:
        largest = float(np.linalg.norm(block.astype(np.float64), axis=1).max(initial=0.0))
        if largest > self._radius:
            self._radius = MIPS_HEADROOM * largest
            self._replace_all = self._used > len(block)  # vectors placed under the old M, maybe

    def _replace_graph(self) -> None:
        """A new graph of every slot's vector under the current M (free slots too, marked deleted, as
        `load` expects): 6× faster than hnswlib's update in place (20k vectors), and M grows
        geometrically between two, so their cost is amortized."""
        self._replace_all = False
        used = self._used
        graph = self._new_graph(len(self._slot_doc))
        graph.add_items(self._graph_vectors(self._vectors[:used]), np.arange(used, dtype=np.int64),
                        num_threads=INSERT_THREADS if used > 1 else 1)
        for slot in np.flatnonzero(self._slot_doc[:used] == NO_SLOT).tolist():
            graph.mark_deleted(slot)
        self._graph = graph

    def _graph_vectors(self, block: np.ndarray) -> np.ndarray:
        if not self._mips:
            return block
        norms = np.linalg.norm(block.astype(np.float64), axis=1)
        extra = np.sqrt(np.maximum(self._radius ** 2 - norms ** 2, 0.0))
        return np.hstack([block, extra[:, None].astype(np.float32)])

    def _graph_query(self, query: np.ndarray) -> np.ndarray:
        return np.append(query, np.float32(0.0)) if self._mips else query

    @property
    def _graph_dim(self) -> int:
        return self.dim + 1 if self._mips else self.dim

    def _new_graph(self, capacity: int) -> hnswlib.Index:
        graph = hnswlib.Index(space=HNSW_SPACES[self.metric], dim=self._graph_dim)
        graph.init_index(max_elements=max(capacity, INITIAL_CAPACITY), M=self.hnsw_params.max_links_per_node,
                         ef_construction=self.hnsw_params.neighbors_to_explore_at_insert, random_seed=100)
        return graph

    # -- reads ----------------------------------------------------------------------------------

    @property
    def document_count(self) -> int:
        return len(self._doc_slots)

    @property
    def vector_count(self) -> int:
        with self._lock:
            return self._used - len(self._free)

    def query_vector(self, query: Any) -> np.ndarray:
        """The query tensor (a Tensor of the field's dense type) as a flat float32 vector."""
        blocks = getattr(query, "blocks", None)
        if blocks is None or len(blocks) != 1 or () not in blocks:
            raise DocumentError(f"nearestNeighbor({self.field}): the query tensor must be a dense tensor "
                                f"of {self.dim} cells, got {query!r}")
        vector = np.asarray(blocks[()], dtype=np.float32).reshape(-1)
        if vector.shape != (self.dim,):
            raise DocumentError(f"nearestNeighbor({self.field}): the query tensor has {vector.size} "
                                f"cells, the field has {self.dim}")
        return vector

    def document_distances(self, query: np.ndarray, local_ids: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray]:
        """(min distance, closest slot) per local id; +inf and NO_SLOT where it has no vector."""
        local_ids = np.asarray(local_ids, dtype=np.int64)
        with self._lock:
            if not self.multi_vector:
                slots = self._single_slots(local_ids)
                result = np.full(len(local_ids), np.inf)
                has = slots != NO_SLOT
                result[has] = distances(self.metric, self._vectors[slots[has]], query)
                return result, slots
            rows, slots = self._slots_of(local_ids)
            dist = distances(self.metric, self._vectors[slots], query)
        return _min_per_row(len(local_ids), rows, slots, dist)

    def slot_labels(self, slots: np.ndarray) -> list[str]:
        with self._lock:
            return [self._slot_label[s] if s != NO_SLOT else "" for s in slots.tolist()]

    def exact(self, query: np.ndarray, k: int, allowed: np.ndarray | None,
              distance_threshold: float | None = None) -> NeighborHits:
        """Brute force: the k closest documents among `allowed` (sorted local ids; None = all)."""
        with self._lock:
            used = np.flatnonzero(self._slot_doc[: self._used] != NO_SLOT)
            if allowed is not None:
                used = used[np.isin(self._slot_doc[used], allowed)]
            if 2 * len(used) >= self._used:  # most slots: scan them in place (no gathered copy)
                dist = distances(self.metric, self._vectors[: self._used], query)[used]
            else:
                dist = distances(self.metric, self._vectors[used], query)
            docs = self._slot_doc[used]
        return _best_documents(docs, dist, k, distance_threshold)

    def approximate(self, query: np.ndarray, k: int, explore: int, allowed_mask: np.ndarray | None,
                    distance_threshold: float | None = None) -> NeighborHits:
        """HNSW search for the k closest documents, exploring k+explore candidates; `allowed_mask`
        (bool per local id) restricts the graph search itself, so strict filters still give k."""
        with self._lock:
            graph = self._graph
            if graph is None or self.hnsw_params is None:
                return self.exact(query, k, None if allowed_mask is None else np.flatnonzero(allowed_mask),
                                  distance_threshold)
            slot_doc = self._slot_doc
            live = self.vector_count
            filter_fn = None
            if allowed_mask is not None:
                slot_allowed = np.zeros(len(slot_doc), dtype=bool)
                has = slot_doc >= 0
                in_range = has & (slot_doc < len(allowed_mask))
                slot_allowed[in_range] = allowed_mask[slot_doc[in_range]]
                live = int(slot_allowed.sum())
                filter_fn = slot_allowed.__getitem__
            wanted = k + explore
            # the exact distances below pick the k; a few more dotproduct candidates absorb the
            # float32 rounding of |x' − q'|² next to M² in the graph's order
            fetch = wanted + (MIPS_SPARE if self._mips else 0)
            while True:
                fetch = min(fetch, live)
                if fetch <= 0:
                    return NeighborHits.empty()
                graph.set_ef(max(fetch, 10))
                try:
                    labels, _ = graph.knn_query(self._graph_query(query), k=fetch, num_threads=1, filter=filter_fn)
                except RuntimeError:  # hnswlib could not collect `fetch` results: fall back
                    allowed = None if allowed_mask is None else np.flatnonzero(allowed_mask)
                    return self.exact(query, k, allowed, distance_threshold)
                slots = labels[0].astype(np.int64)
                docs = slot_doc[slots]
                keep = docs >= 0
                if not keep.all():
                    slots, docs = slots[keep], docs[keep]
                if not self.multi_vector:  # one slot per document: the documents are distinct
                    break
                # multi-vector: several slots may belong to one document; fetch more until k docs
                if len(np.unique(docs)) >= min(wanted, self.document_count) or fetch >= live:
                    break
                fetch *= 2
            dist = distances(self.metric, self._vectors[slots], query)
        if not self.multi_vector:
            return _best_distinct_documents(docs, dist, k, distance_threshold)
        return _best_documents(docs, dist, k, distance_threshold)

    # -- persistence ----------------------------------------------------------------------------

    def save(self, directory: Path, stem: str, global_ids: Sequence[bytes]) -> None:
        """Write the graph and the slot table (slot → global id, paragraph label, CRC32C of the
        vector). The vectors themselves are not written: the attribute holds them (see `reconcile`)."""
        with self._lock:
            used = self._used
            present = self._slot_doc[:used] >= 0
            gids = np.zeros((used, GID_BYTES), dtype=np.uint8)  # 12 bytes a slot (hex text: 96)
            gids[present] = np.frombuffer(b"".join(global_ids[d] for d in self._slot_doc[:used][present].tolist()),
                                          dtype=np.uint8).reshape(-1, GID_BYTES)
            table = {"gids": gids, "present": present, "metric": self.metric, "radius": self._radius,
                     "labels": np.array(self._slot_label[:used], dtype=str),
                     "crcs": np.array([crc32c(row.tobytes()) for row in self._vectors[:used]], dtype=np.uint32)}
            write_durably(directory / f"{stem}.npz", lambda path: np.savez(path, **table))
            if self._graph is not None:
                write_durably(directory / f"{stem}.hnsw", lambda path: self._graph.save_index(str(path)))

    def load(self, directory: Path, stem: str, lookup) -> bool:
        """Restore a saved graph and slot table, mapping global ids to this run's local ids with
        `lookup` (slots of documents that are gone are freed); `reconcile` then takes the vectors
        from the attribute. False (and nothing changed) if the files are missing or do not fit."""
        table_path, graph_path = directory / f"{stem}.npz", directory / f"{stem}.hnsw"
        if not table_path.exists():
            return False
        with np.load(table_path, allow_pickle=False) as table:
            if str(table["metric"]) != self.metric:
                return False
            labels = table["labels"]
            if "present" in table:
                gids = [bytes(row) if kept else None for row, kept in zip(table["gids"], table["present"].tolist())]
            else:  # saved as hex text
                gids = [bytes.fromhex(text) if text else None for text in table["gids"].tolist()]
            crcs = table["crcs"] if "crcs" in table else np.array(  # saved before checksums: with vectors
                [crc32c(row.tobytes()) for row in table["vectors"].astype(np.float32)], dtype=np.uint32)
            radius = float(table["radius"]) if "radius" in table else None
        if self._mips and self.hnsw_params and radius is None:  # saved before one M: a varying M
            return False
        used = len(gids)
        if self.hnsw_params is not None and used and not graph_path.exists():
            return False  # an empty field has no graph file
        graph = None
        if self.hnsw_params is not None and used:
            graph = hnswlib.Index(space=HNSW_SPACES[self.metric], dim=self._graph_dim)
            graph.load_index(str(graph_path), max_elements=max(used, INITIAL_CAPACITY))
            if graph.element_count != used or (self._mips and not _placed_under(graph, gids, radius)):
                return False
        slot_doc = np.full(used, NO_SLOT, dtype=np.int32)
        doc_slots: dict[int, list[int]] = {}
        for slot, gid in enumerate(gids):
            local_id = lookup(gid) if gid is not None else None
            if local_id is None:
                if gid is not None and graph is not None:
                    graph.mark_deleted(slot)  # a document removed after the save
                continue
            slot_doc[slot] = local_id
            doc_slots.setdefault(local_id, []).append(slot)
        with self._lock:
            capacity = max(INITIAL_CAPACITY, used)
            self._vectors = np.zeros((capacity, self.dim), dtype=np.float32)
            self._slot_doc = _grow(slot_doc, capacity, NO_SLOT)
            self._slot_label = labels.tolist() + [""] * (capacity - used)
            self._doc_slots = doc_slots
            self._doc_slot = np.full(max(doc_slots, default=-1) + 1, NO_SLOT, dtype=np.int64)
            for local_id, slots in doc_slots.items():
                self._doc_slot[local_id] = slots[0]
            self._free = np.flatnonzero(slot_doc == NO_SLOT).tolist()
            self._used = used
            self._graph = graph
            self._radius = radius or 0.0
            self._saved_crcs = crcs
            if graph is not None and graph.get_max_elements() < capacity:
                graph.resize_index(capacity)
        return True

    def reconcile(self, local_ids: np.ndarray, current: Callable[[int], list[tuple[str, np.ndarray]]]) -> int:
        """After `load`: take each document's vectors from `current` (the attribute, the truth) and
        re-index those that differ from what the saved graph holds (it may be older than the
        documents). Returns how many documents were re-indexed."""
        with self._lock:
            crcs, self._saved_crcs = self._saved_crcs, None
            alive = set(local_ids.tolist())
            for local_id in [d for d in self._doc_slots if d not in alive]:
                self.remove(local_id)
            redo = []
            for local_id in local_ids.tolist():
                vectors, slots = current(local_id), self._doc_slots.get(local_id, [])
                saved = sorted((self._slot_label[s], int(crcs[s]), s) for s in slots)
                if [(label, crc) for label, crc, _ in saved] == sorted(
                        (label, crc32c(v.tobytes())) for label, v in vectors):
                    for (_, _, slot), (_, vector) in zip(saved, sorted(vectors, key=lambda p: p[0])):
                        self._vectors[slot] = vector
                else:
                    redo.append((local_id, vectors))
            for local_id, vectors in redo:
                self.remove(local_id)
                if vectors:
                    self._add(local_id, vectors)
        return len(redo)

    # -- internals ------------------------------------------------------------------------------

    def _single_slots(self, local_ids: np.ndarray) -> np.ndarray:
        slots = np.full(len(local_ids), NO_SLOT, dtype=np.int64)
        known = local_ids < len(self._doc_slot)
        slots[known] = self._doc_slot[local_ids[known]]
        return slots

    def _slots_of(self, local_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows: list[int] = []
        slots: list[int] = []
        for row, local_id in enumerate(local_ids.tolist()):
            for slot in self._doc_slots.get(local_id, ()):
                rows.append(row)
                slots.append(slot)
        return np.asarray(rows, dtype=np.int64), np.asarray(slots, dtype=np.int64)


def write_durably(path: Path, write: Callable[[Path], None]) -> None:
    """`write` to a temporary file, fsync it, rename it into place (a torn graph file must never
    be loaded: hnswlib trusts its links)."""
    temporary = path.with_name(path.name + ".tmp.npz" if path.suffix == ".npz" else path.name + ".tmp")
    write(temporary)
    with open(temporary, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_directory(path.parent)


def _placed_under(graph: hnswlib.Index, gids: list, radius: float) -> bool:
    """Whether the graph's vectors lie on the sphere of radius M (the table's M): the graph and
    table files are replaced one after the other, so a crash between them may pair different Ms."""
    sample = [slot for slot, gid in enumerate(gids) if gid is not None][:16]
    placed = np.asarray(graph.get_items(sample), dtype=np.float64).reshape(len(sample), graph.dim)
    norms = np.linalg.norm(placed, axis=1)
    return bool(np.allclose(norms, radius, rtol=1e-4, atol=1e-6))


def _grow(array: np.ndarray, capacity: int, fill: float) -> np.ndarray:
    if len(array) >= capacity:
        return array
    grown = np.full((capacity, *array.shape[1:]), fill, dtype=array.dtype)
    grown[: len(array)] = array
    return grown


def _min_per_row(n_rows: int, rows: np.ndarray, slots: np.ndarray, dist: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    best = np.full(n_rows, np.inf)
    best_slot = np.full(n_rows, NO_SLOT, dtype=np.int64)
    if not len(rows):
        return best, best_slot
    order = np.lexsort((dist, rows))  # by row, then distance: the first of each row is its best
    rows, slots, dist = rows[order], slots[order], dist[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    best[rows[first]] = dist[first]
    best_slot[rows[first]] = slots[first]
    return best, best_slot


def _best_distinct_documents(docs: np.ndarray, dist: np.ndarray, k: int,
                             distance_threshold: float | None) -> NeighborHits:
    """_best_documents for documents distinct already (one vector each), without the minimum per document."""
    if distance_threshold is not None:
        keep = dist <= distance_threshold
        docs, dist = docs[keep], dist[keep]
    if not len(docs) or k <= 0:
        return NeighborHits.empty()
    if len(docs) > k:
        best = np.lexsort((docs, dist))[:k]
        docs, dist = docs[best], dist[best]
    order = np.argsort(docs)
    return NeighborHits(docs[order].astype(np.int32), dist[order].astype(np.float64))


def _best_documents(docs: np.ndarray, dist: np.ndarray, k: int,
                    distance_threshold: float | None) -> NeighborHits:
    """Min distance per document, the k best (ties by local id), returned sorted by local id."""
    if distance_threshold is not None:
        keep = dist <= distance_threshold
        docs, dist = docs[keep], dist[keep]
    if not len(docs) or k <= 0:
        return NeighborHits.empty()
    order = np.lexsort((dist, docs))
    docs, dist = docs[order], dist[order]
    first = np.ones(len(docs), dtype=bool)
    first[1:] = docs[1:] != docs[:-1]
    docs, dist = docs[first], dist[first]
    if len(docs) > k:
        best = np.lexsort((docs, dist))[:k]
        docs, dist = docs[best], dist[best]
        order = np.argsort(docs)
        docs, dist = docs[order], dist[order]
    return NeighborHits(docs.astype(np.int32), dist.astype(np.float64))
