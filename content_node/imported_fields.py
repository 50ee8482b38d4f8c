"""Imported fields (`import field ref.f as g {}`): a child document type's attributes that hold no
values of their own. Each read follows the child's reference attribute to the parent's document on
this node (parents are global documents: every node holds every one) and gathers the parent's
current attribute values, so a parent's update is seen by its children's next query, and a child
whose parent is missing (never fed, or removed) has no value: the attribute's unset value (NaN,
Vespa's undefined integer, None), no summary field.

Everything that reads attributes through `DocumentDB.attribute` (matching, rank features, sorting,
grouping, match-phase) sees imported fields that way; summaries through `document`. A parent's
own imported field (a grandparent's) is followed the same way, one reference at a time.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Collection, Mapping

import numpy as np

from content_node.document_db import DocumentDB
from content_node.store.position_column import PositionPoints
from content_node.store.tensor_column import DenseTensorRows
from searchlib.docid import global_id
from searchlib.numbers import UNSET_INTEGER
from searchlib.schema.model import Field, Schema
from searchlib.selection import Selection


def stored_schema(schema: Schema) -> Schema:
    """The schema the store keeps: without imported fields (they have no column, no values)."""
    return replace(schema, fields=MappingProxyType(
        {name: f for name, f in schema.fields.items() if f.imported is None}))


def open_database(schema: Schema, data_dir: Path, **options: Any) -> DocumentDB:
    """The DocumentDB of one schema: one that resolves imported fields when the schema has any."""
    if any(f.imported is not None for f in schema.fields.values()):
        return ReferencingDocumentDB(schema, data_dir, **options)
    return DocumentDB(schema, data_dir, **options)


def bind_parents(databases: Mapping[str, DocumentDB]) -> None:
    """Give every child database the parent databases its references point to (by document type)."""
    by_type = {db.schema.document_name: db for db in databases.values()}
    for db in databases.values():
        if isinstance(db, ReferencingDocumentDB):
            db.bind(by_type)


def imported_in(selection: Selection | None, db: DocumentDB) -> frozenset[str]:
    """The imported fields of `db`'s schema a document selection reads (resolved per document by
    `ReferencingDocumentDB.imported_values` when the selection is evaluated)."""
    if selection is None or not isinstance(db, ReferencingDocumentDB):
        return frozenset()
    return selection.field_names(db.schema) & db._imported.keys()


class ReferencingDocumentDB(DocumentDB):
    def __init__(self, schema: Schema, data_dir: Path, **options: Any) -> None:
        self._imported: dict[str, Field] = {n: f for n, f in schema.fields.items() if f.imported is not None}
        self._parents: dict[str, DocumentDB] = {}
        self._mappings: dict[str, tuple[tuple, np.ndarray]] = {}  # reference -> (valid for, parent lids)
        self._mapping_lock = threading.Lock()
        super().__init__(stored_schema(schema), data_dir, **options)

    def bind(self, by_type: Mapping[str, DocumentDB]) -> None:
        for field in self._imported.values():
            parent = by_type.get(field.imported.document_type)
            if parent is None:  # the package was validated: a parent type is in the child's cluster
                raise ValueError(f"no database of document type '{field.imported.document_type}' on this node")
            self._parents[field.imported.reference] = parent

    def attribute(self, name: str) -> np.ndarray:
        field = self._imported.get(name)
        if field is None:
            return super().attribute(name)
        parent_ids = self.parent_local_ids(field.imported.reference)
        return _gather(self._parents[field.imported.reference].attribute(field.imported.field), parent_ids, field)

    def document_frequency(self, field: str, term: str) -> int:
        """An imported field in a fieldset with index fields: Vespa's hit estimate of an imported
        attribute is the child's document count (ImportedSearchContext::approximateHits, the
        reference attribute's number of documents), whatever the parent holds."""
        if field in self._imported:
            return self.doc_count
        return super().document_frequency(field, term)

    def document(self, local_id: int, wanted: Collection[str] | None = None) -> dict[str, Any] | None:
        fields = super().document(local_id, wanted)
        if fields is None:
            return None
        for name in self._imported.keys() & set(wanted or ()):
            field = self._imported[name]
            if field.parent:  # struct-field attributes: their struct field is imported whole
                continue
            parent_ids = self.parent_local_ids(field.imported.reference)
            parent_id = int(parent_ids[local_id]) if local_id < len(parent_ids) else -1
            if parent_id >= 0:
                parent_fields = self._parents[field.imported.reference].document(parent_id, {field.imported.field})
                if parent_fields and parent_fields.get(field.imported.field) is not None:
                    fields[name] = parent_fields[field.imported.field]
        return fields

    def imported_values(self, fields: Mapping[str, Any] | None, names: Collection[str]) -> dict[str, Any]:
        """The current values of the imported `names` for a child document whose stored fields are
        `fields` (what a document selection reads): each read through the child's own reference,
        absent when it is unset or its parent is missing."""
        values: dict[str, Any] = {}
        for name in names:
            field = self._imported[name]
            target = (fields or {}).get(field.imported.reference)
            if not target:
                continue
            parent = self._parents[field.imported.reference]
            parent_id = parent.local_id(global_id(target))
            found = parent.document(parent_id, {field.imported.field}) if parent_id is not None else None
            if found and found.get(field.imported.field) is not None:
                values[name] = found[field.imported.field]
        return values

    def values_for_condition(self, document_id: str, names: Collection[str]) -> Callable[[Mapping | None], dict]:
        """For a test-and-set condition, which runs under this database's lock: the imported `names`
        are resolved now, before the write takes it, so no parent's lock is taken under a child's
        (two types may import from each other). Only when the document's references changed in
        between are they resolved again under the lock."""
        before = self.get(document_id)
        references = sorted({self._imported[name].imported.reference for name in names})

        def pointing(fields: Mapping | None) -> tuple:
            return tuple((fields or {}).get(reference) for reference in references)

        resolved = self.imported_values(before, names)
        return lambda fields: resolved if pointing(fields) == pointing(before) else self.imported_values(fields, names)

    def parent_local_ids(self, reference: str) -> np.ndarray:
        """Per local id of this database: the parent's local id its `reference` points to, -1 when
        unset or the parent is missing. Kept until either database is written to."""
        parent = self._parents[reference]
        valid_for = (self.last_sequence, self.local_id_limit, parent.last_sequence, parent.local_id_limit)
        cached = self._mappings.get(reference)
        if cached is not None and cached[0] == valid_for:
            return cached[1]
        references = super().attribute(reference)
        targets: dict[str, int] = {}
        for document_id in set(references.tolist()) - {None, ""}:
            found = parent.local_id(global_id(document_id))
            targets[document_id] = -1 if found is None else found
        mapping = np.fromiter((targets.get(r, -1) if r else -1 for r in references.tolist()), dtype=np.int64,
                              count=len(references))
        with self._mapping_lock:
            self._mappings[reference] = (valid_for, mapping)
        return mapping


def _gather(values: Any, parent_ids: np.ndarray, field: Field) -> Any:
    """The parent's column read at `parent_ids` (-1: unset), in the column form of the field's type."""
    present = parent_ids >= 0
    if isinstance(values, PositionPoints):
        return _gather_points(values, parent_ids)
    safe = np.where(present, parent_ids, 0) if len(values) else np.zeros(0, dtype=np.int64)
    if isinstance(values, DenseTensorRows):
        if not len(values):
            return DenseTensorRows(values.type, values.arena, np.full(len(parent_ids), -1, dtype=np.int64),
                                   np.zeros(len(parent_ids), dtype=np.int32))
        rows = values[safe]
        return DenseTensorRows(values.type, values.arena, np.where(present, rows.starts, -1), rows.lengths)
    values = np.asarray(values)
    unset = _unset(values, field)
    out = np.full(len(parent_ids), unset, dtype=values.dtype)
    if len(values):
        out[present] = values[safe[present]]
    return out


def _unset(values: np.ndarray, field: Field) -> Any:
    if values.dtype.kind == "i":
        return UNSET_INTEGER
    if values.dtype.kind == "f":
        return 0.0 if field.type.kind == "bool" else np.nan
    return None


def _gather_points(points: PositionPoints, parent_ids: np.ndarray) -> PositionPoints:
    """Each child gets the points of its parent (a parent's points repeated for each of its children)."""
    children = np.flatnonzero(parent_ids >= 0)
    parents = parent_ids[children]
    starts = np.searchsorted(points.owners, parents, side="left")
    lengths = np.searchsorted(points.owners, parents, side="right") - starts
    total = int(lengths.sum())
    offsets = np.cumsum(lengths) - lengths
    index = np.repeat(starts - offsets, lengths) + np.arange(total)
    return PositionPoints(len(parent_ids), np.repeat(children, lengths).astype(np.int32),
                          points.x[index], points.y[index])
