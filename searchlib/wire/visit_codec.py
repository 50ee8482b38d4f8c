"""Visiting ⇄ protobuf: one page of documents in global id order from one content node."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from protos import content_node_pb2 as pb


@dataclass(frozen=True, slots=True)
class VisitCall:
    document_type: str = ""  # "" = every document type
    namespace: str = ""  # "" = every namespace
    selection: str = ""  # document selection language; "" = every document
    after: bytes = b""  # continue after this global id; b"" = from the start
    max_documents: int = 1024
    slices: int = 1
    slice_id: int = 0


@dataclass(frozen=True, slots=True)
class VisitedDocument:
    global_id: bytes
    document_id: str
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class VisitPage:
    """Documents in global id order; `scanned_to` is the global id up to which every document was
    considered (None: the node has nothing after the last one considered)."""

    documents: tuple[VisitedDocument, ...]
    scanned_to: bytes | None


def encode_visit_call(call: VisitCall) -> pb.VisitRequest:
    return pb.VisitRequest(document_type=call.document_type, namespace=call.namespace,
                           selection=call.selection, after_global_id=call.after,
                           max_documents=call.max_documents, slices=call.slices, slice_id=call.slice_id)


def decode_visit_call(request: pb.VisitRequest) -> VisitCall:
    return VisitCall(request.document_type, request.namespace, request.selection, request.after_global_id,
                     request.max_documents, max(request.slices, 1), request.slice_id)


def encode_visit_page(page: VisitPage) -> pb.VisitReply:
    return pb.VisitReply(
        documents=[pb.VisitedDocument(global_id=d.global_id, document_id=d.document_id,
                                      fields_json=json.dumps(d.fields, ensure_ascii=False))
                   for d in page.documents],
        exhausted=page.scanned_to is None, scanned_to=page.scanned_to or b"")


def decode_visit_page(reply: pb.VisitReply) -> VisitPage:
    documents = tuple(VisitedDocument(d.global_id, d.document_id, json.loads(d.fields_json))
                      for d in reply.documents)
    return VisitPage(documents, None if reply.exhausted else reply.scanned_to)
