"""Visiting: a node's documents one page at a time, in global id order.

Global id order is the same before and after a restart (local ids are not: recovery compacts
them), so a continuation that names a global id resumes exactly where the last page ended, on any
node, across restarts. The sorted order is cached until the next write to the node.

A call considers at most `SCAN_LIMIT` documents, so a selective visit returns in bounded time; its
`scanned_to` tells the container how far it got.
"""
from __future__ import annotations

import bisect
import contextlib
import threading
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from content_node.document_db import DocumentDB
from content_node.imported_fields import imported_in
from searchlib.docid import bucket_of
from searchlib.documents import document_fields_only
from searchlib.selection import Selection
from searchlib.wire.visit_codec import VisitCall, VisitedDocument, VisitPage

SCAN_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class _Order:
    global_ids: list[bytes]  # sorted
    databases: np.ndarray  # index into the visited databases, per position
    local_ids: np.ndarray


class Visitor:
    def __init__(self, databases: Mapping[str, DocumentDB]) -> None:
        self._databases = databases
        self._cache: dict[tuple, _Order] = {}
        self._lock = threading.Lock()

    def visit(self, call: VisitCall) -> VisitPage:
        databases = [db for db in self._databases.values()
                     if not call.document_type or call.document_type in (db.schema.document_name, db.schema.name)]
        selection = Selection.parse(call.selection) if call.selection else None
        imported = {id(db): imported_in(selection, db) for db in databases}
        with contextlib.ExitStack() as stack:  # one consistent view of every database for the page
            for db in databases:
                stack.enter_context(db.read_view())
            order = self._order(databases)
            position = bisect.bisect_right(order.global_ids, call.after) if call.after else 0
            end = min(len(order.global_ids), position + SCAN_LIMIT)
            found: list[VisitedDocument] = []
            while position < end and len(found) < call.max_documents:
                gid = order.global_ids[position]
                position += 1
                if call.slices > 1 and bucket_of(gid) % call.slices != call.slice_id:
                    continue
                db = databases[int(order.databases[position - 1])]
                local_id = int(order.local_ids[position - 1])
                document_id = db.document_id(local_id)
                if call.namespace and document_id.split(":", 2)[1] != call.namespace:
                    continue
                fields = db.document(local_id)
                if fields is None:
                    continue
                stored, fields = fields, document_fields_only(db.schema, fields)
                if selection is not None and not selection.matches(document_id, {
                        **fields, **_imported(db, imported[id(db)], stored)}):
                    continue
                found.append(VisitedDocument(gid, document_id, fields))
            scanned_to = None if position >= len(order.global_ids) else order.global_ids[position - 1]
        return VisitPage(tuple(found), scanned_to)

    def _order(self, databases: Sequence[DocumentDB]) -> _Order:
        key = tuple((id(db), db.last_sequence, db.doc_count) for db in databases)
        with self._lock:
            cached = self._cache.get(key)
            if cached is None:
                cached = _sorted_order(databases)
                self._cache = {key: cached}  # one order per document-type selection is plenty
            return cached


def _imported(db: DocumentDB, names: frozenset[str], stored: Mapping) -> dict:
    return db.imported_values(stored, names) if names else {}  # type: ignore[attr-defined]


def _sorted_order(databases: Sequence[DocumentDB]) -> _Order:
    gids: list[bytes] = []
    owners, locals_ = [], []
    for index, db in enumerate(databases):
        alive = np.flatnonzero(db.alive)
        all_gids = db.global_ids
        gids.extend(all_gids[i] for i in alive.tolist())
        owners.append(np.full(len(alive), index, dtype=np.int32))
        locals_.append(alive.astype(np.int64))
    if not gids:
        return _Order([], np.zeros(0, np.int32), np.zeros(0, np.int64))
    packed = np.frombuffer(b"".join(gids), dtype=np.dtype([("high", ">u8"), ("low", ">u4")]))
    order = np.lexsort((packed["low"], packed["high"]))  # = byte order of the 12-byte global ids
    return _Order([gids[i] for i in order.tolist()], np.concatenate(owners)[order],
                  np.concatenate(locals_)[order])
