"""Visiting, /document/v1 without a document id, as Vespa's API: `GET` pages through the documents
(`selection`, `continuation`, `wantedDocumentCount`, `slices`/`sliceId`, `fieldSet`, `stream=true`,
JSON lines with `Accept: application/jsonl`), `DELETE` removes and `PUT` updates every document a
`selection` matches.

Pages come from one complete group, in global id order: each node returns its next documents after
the continuation's global id and how far it looked, and a page ends at the smallest such point, so
every document is returned exactly once across pages, whatever restarts happen between them.
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
from dataclasses import dataclass, replace
from typing import AsyncIterator, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from container.dispatch.content_client import NodeTimeout, NodeUnavailable, outcome_unknown
from container.dispatch.search_cluster import SearchCluster
from container.http.placement import holders
from container.http.request_body import BodyError, parse_json_body
from container.http.condition_probe import as_judged, newest_verdict, silence, untested_status
from container.http.update_repair import held_after, reach_refusers, settle_condition
from container.search import request_parameters as rp
from searchlib.errors import UNSYNCED_STATUS, DocumentError, ErrorCode, InvalidParameterError, quote_input
from searchlib.schema.model import ApplicationPackage
from searchlib.selection import Selection, SelectionError
from searchlib.timestamps import CLOCK
from searchlib.wire.feed_codec import FeedResult
from searchlib.wire.visit_codec import VisitCall, VisitedDocument

MAX_WANTED = 1024  # documents a page at most, as Vespa
PAGE_TIMEOUT = 60.0
DEFAULT_TIMEOUT = 180.0  # Vespa's default for document operations
_FULL = int.from_bytes(b"\xff" * 8, "big") + 1


class _NodeRefused(Exception):
    """A content node refused one write of an update/delete by selection."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True, slots=True)
class _Visit:
    call: VisitCall
    wanted: int
    field_set: str
    stream: bool
    deadline: float


class VisitHandler:
    def __init__(self, application: ApplicationPackage, cluster: SearchCluster) -> None:
        self._application = application
        self._cluster = cluster
        self._cluster_name = application.content.id
        self._doctypes = {s.document_name for s in application.schemas.values()} | set(application.schemas)
        self._global_types = {t for cluster in application.clusters for t in cluster.global_types}

    async def handle(self, request: Request) -> Response:
        path_id = request.url.path
        try:
            visit = self._parse(request)
            if request.query_params.get("bucketSpace", "default") == "global":
                return JSONResponse(_page_body(path_id, [], None))  # no global documents here
            if request.method == "GET":
                if visit.stream or "application/jsonl" in request.headers.get("accept", ""):
                    return self._streamed(visit, path_id, jsonl="application/jsonl" in request.headers.get("accept", ""))
                documents, continuation = await self._page(visit)
                return JSONResponse(_page_body(path_id, [_rendered(d, visit.field_set) for d in documents],
                                               continuation))
            if not visit.call.selection:
                raise DocumentError(f"Must specify 'selection' to {request.method} by selection")
            if "cluster" not in request.query_params:
                raise DocumentError(f"Must specify 'cluster' to {request.method} by selection")
            # the selection is each write's condition too, as in Vespa: replicas test it on the
            # version they hold, and the one holding the newest decides (`_write_everywhere`)
            selection = visit.call.selection
            if request.method == "DELETE":
                return await self._write_where(visit, path_id, lambda c, d, left, ts, **step: c.remove(
                    d.document_id, left, selection, timestamp=ts, **step))
            operations = await _update_operations(request, self._application.limits.json_depth)
            if (blocked := self._cluster.feed_refusal()) is not None:  # feed block: updates, not removes
                return JSONResponse({"pathId": path_id, "message": blocked}, 507)
            return await self._write_where(visit, path_id, lambda c, d, left, ts, **step: c.update(
                d.document_id, operations, False, left, selection, timestamp=ts, **step))
        except (DocumentError, InvalidParameterError) as error:
            return JSONResponse({"pathId": path_id, "message": error.message}, 400)
        except SelectionError as error:
            return JSONResponse({"pathId": path_id, "message": f"Invalid selection: {error}"}, 400)
        except (NodeUnavailable, NodeTimeout) as error:
            return JSONResponse({"pathId": path_id, "message": str(error)}, 503)
        except _NodeRefused as error:
            return JSONResponse({"pathId": path_id, "message": error.message}, error.status)

    # -- parameters -------------------------------------------------------------------------------

    def _parse(self, request: Request) -> _Visit:
        params = request.query_params
        namespace = request.path_params.get("namespace", "")
        doctype = request.path_params.get("doctype", "")
        cluster = params.get("cluster")
        if cluster is None and not doctype:
            raise DocumentError("Must set 'cluster' parameter to a content cluster id when visiting at a root "
                                f"/document/v1/ level, e.g. 'cluster={self._cluster_name}'")
        if cluster is not None and cluster != self._cluster_name:
            raise DocumentError(f"Your Vespa deployment has no content cluster '{quote_input(cluster)}', only "
                                f"'{self._cluster_name}'")
        if doctype and doctype not in self._doctypes:
            raise DocumentError(f"Document type {quote_input(doctype)} does not exist")
        selection = params.get("selection", "").strip()
        if selection:
            Selection.parse(selection).check(self._application.schemas.values())
        slices, slice_id = rp.read_int(params, "slices", 1, 1, 1 << 16), rp.read_int(params, "sliceId", 0, 0, 1 << 16)
        if slice_id >= slices:
            raise DocumentError("'sliceId' must be in range [0, slices)")
        call = VisitCall(document_type=doctype, namespace=namespace, selection=selection,
                         after=_decode_continuation(params.get("continuation", "")),
                         slices=slices, slice_id=slice_id)
        wanted = rp.read_int(params, "wantedDocumentCount", MAX_WANTED, 1)
        timeout = rp.read_timeout_seconds(params, DEFAULT_TIMEOUT)
        stream = params.get("stream", "false").lower() == "true"
        return _Visit(call, min(wanted, MAX_WANTED), params.get("fieldSet", "[document]"), stream,
                      time.monotonic() + timeout)

    # -- pages ------------------------------------------------------------------------------------

    async def _page(self, visit: _Visit) -> tuple[list[VisitedDocument], bytes | None]:
        """One page: up to `wanted` documents after the continuation, and the next continuation
        (None when every document has been visited). A group whose node is found unreachable (it
        went down before health checks saw it) is retried once on another complete group."""
        group = self._cluster.pick_group()
        if group is None:
            raise NodeUnavailable("no group has all its content nodes in service: cannot visit now")
        call = replace(visit.call, max_documents=visit.wanted)
        timeout = max(0.001, min(PAGE_TIMEOUT, visit.deadline - time.monotonic()))
        try:
            pages = await asyncio.gather(*[node.visit(call, timeout) for node in self._cluster.group_nodes(group)])
        except NodeUnavailable:
            if (other := self._cluster.pick_group(exclude=[group])) is None:
                raise
            pages = await asyncio.gather(*[node.visit(call, timeout) for node in self._cluster.group_nodes(other)])
        # every node looked at least this far: documents beyond it may still be missing from others
        limits = [page.scanned_to for page in pages if page.scanned_to is not None]
        complete_to = min(limits) if limits else None
        documents = sorted((d for page in pages for d in page.documents), key=lambda d: d.global_id)
        if complete_to is not None:
            documents = [d for d in documents if d.global_id <= complete_to]
        if len(documents) > visit.wanted:
            documents = documents[:visit.wanted]
            complete_to = documents[-1].global_id
        return documents, complete_to

    def _streamed(self, visit: _Visit, path_id: str, jsonl: bool) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            current, count, first = visit, 0, True
            if not jsonl:
                yield b'{"pathId":' + json.dumps(path_id).encode() + b',"documents":['
            while True:
                documents, continuation = await self._page(current)
                for document in documents:
                    rendered = _rendered(document, visit.field_set)
                    if jsonl:
                        line = {"put": rendered["id"], **({"fields": rendered["fields"]} if "fields" in rendered else {})}
                        yield json.dumps(line, ensure_ascii=False).encode() + b"\n"
                    else:
                        yield (b"" if first else b",") + json.dumps(rendered, ensure_ascii=False).encode()
                        first = False
                count += len(documents)
                if continuation is None or time.monotonic() >= visit.deadline:
                    break
                current = replace(current, call=replace(current.call, after=continuation))
                if jsonl:
                    yield json.dumps({"continuation": {"token": _encode_continuation(continuation),
                                                       "percentFinished": _percent(continuation)}}).encode() + b"\n"
            token = None if continuation is None else _encode_continuation(continuation)
            if jsonl:
                yield json.dumps({"sessionStats": {"documentCount": count}}).encode() + b"\n"
                final = {"percentFinished": 100.0} if token is None else {"token": token, "percentFinished": _percent(continuation)}
                yield json.dumps({"continuation": final}).encode() + b"\n"
            else:
                yield b'],"documentCount":' + str(count).encode() + (
                    b"" if token is None else b',"continuation":' + json.dumps(token).encode()) + b"}"
        media = "application/jsonl" if jsonl else "application/json"
        return StreamingResponse(body(), media_type=media)

    async def _write_where(self, visit: _Visit, path_id: str, operation) -> JSONResponse:
        """Apply `operation` to every matching document in every group, page by page, until done
        or the deadline (then the continuation says where to resume)."""
        count, current = 0, visit
        while True:
            documents, continuation = await self._page(current)
            for document in documents:
                count += await self._write_everywhere(document, operation, visit.deadline)
            if continuation is None or time.monotonic() >= visit.deadline:
                break
            current = replace(current, call=replace(current.call, after=continuation))
        body = {"pathId": path_id, "documentCount": count}
        if continuation is not None:
            body["continuation"] = _encode_continuation(continuation)
        return JSONResponse(body)

    async def _write_everywhere(self, document: VisitedDocument, operation, deadline: float) -> bool:
        """True: written; False: the newest version no longer matches the selection (the page was read
        from a replica that missed a write, or a write came since). With replicas the selection is
        probed first and the write sent pinned to the newest version it held on (condition_probe.py)."""
        owners = holders(self._cluster, self._global_types, document.document_id, document.global_id)
        left = lambda: max(0.001, deadline - time.monotonic())  # noqa: E731
        # an owner health checks see down is not sent to (a stalled one would hold every document up
        # until the deadline): it missed the write and catches up when back
        down = {c for c in owners if not self._cluster.health[c.node.distribution_key].reachable}

        async def each(call) -> dict:
            # a selection reads the stored version: an owner that may hold a stale one is refused it
            # (SearchCluster.stale_owner_refusals), probe and write alike, checked at each send
            refused = self._cluster.stale_owner_refusals(c for c in owners if c not in down)
            refused |= {client: NodeUnavailable(f"content node {client.node.distribution_key} is down")
                        for client in down}
            return dict(zip(owners, await asyncio.gather(*[_raise(refused[client]) if client in refused else
                                                           call(client) for client in owners],
                                                         return_exceptions=True)))
        async with self._cluster.writes.turn(document.document_id):  # stamped in turn: searchlib/sequencing.py
            # a selection reads the stored version: not judged on an owner that may hold a stale one
            if (stale := self._cluster.stale_base_refusal(c.node.distribution_key for c in owners
                                                          if c not in down)) is not None:
                raise _NodeRefused(UNSYNCED_STATUS, f"{document.document_id}: {stale}")
            step: dict = {}
            if len(owners) > 1:
                probes = await each(lambda client: operation(client, document, left(), 0, probe=True))
                _raise_failure(document, probes.values())
                verdict = newest_verdict(probes)
                if verdict is None:  # a probe writes nothing: only a timeout is a 504
                    _raise_not_taken(document, list(probes.values()), lambda problem: isinstance(problem, NodeTimeout))
                if not verdict.ok:
                    return False
                if (problem := silence(probes)) is not None:  # held on what answered; it may hold a newer version
                    raise _NodeRefused(untested_status(problem), f"{document.document_id}: the selection could not "
                                       f"be tested on every replica ({problem}), nothing was written")
                step = {"tested_base": verdict.base}
            timestamp = CLOCK.next()  # one for every replica (searchlib/timestamps.py)
            outcomes = await each(lambda client: operation(client, document, left(), timestamp, **step))
            results = list(outcomes.values())
            held = held_after(outcomes, timestamp)  # what a rewrite below is conditional on (update_repair.py)
            settled = await settle_condition(document.document_id,
                                             as_judged(outcomes, step["tested_base"]) if step else outcomes, left, held)
            # an owner that refused it as stale gets the version written, before the next write of it,
            # unless it holds a newer version than the takers wrote on: then the write is undone
            undone, copied = await reach_refusers(document.document_id, outcomes, left, held)
        lacking = [client.node.distribution_key for client, result in outcomes.items()  # whatever the answer
                   if isinstance(result, (NodeUnavailable, NodeTimeout)) and client not in copied]
        for key in lacking:  # it may lack what was written: it catches up
            self._cluster.note_missed_write(key)
        if lacking:  # told before the answer: it then refuses reads for write from every container
            await self._cluster.order_resyncs(lacking, left())
        if undone:
            raise _NodeRefused(undone.status, f"{document.document_id}: {undone.message}")
        if settled is not None and settled.unrepaired is not None:
            raise _NodeRefused(settled.unrepaired.status, f"{document.document_id}: {settled.unrepaired.message}")
        missed = [result for result in results if isinstance(result, (NodeUnavailable, NodeTimeout))]
        if len(missed) == len(owners):  # nobody has it: never counted as done, the client gets the error
            _raise_not_taken(document, missed, outcome_unknown)
        self._cluster.note_refused_writes(outcomes)
        _raise_failure(document, results)
        if settled is not None:
            return settled.held
        return not any(isinstance(result, FeedResult) and result.condition_failed for result in results)


def _raise_failure(document: VisitedDocument, results) -> None:
    """An owner's error (not unreachable, not timed out, not a failed condition) fails the request:
    the node's answer decides its status (a full disk: 507)."""
    for result in results:
        if isinstance(result, (NodeUnavailable, NodeTimeout)):
            continue
        if isinstance(result, BaseException):
            raise result
        if not result.ok and not result.condition_failed:
            raise _NodeRefused(ErrorCode.of(result.error_code).http_status, f"{document.document_id}: {result.message}")


async def _raise(problem: Exception) -> FeedResult:
    """An owner not sent to (down, or refused as stale): its outcome, as gather gives a call's failure."""
    raise problem


def _raise_not_taken(document: VisitedDocument, missed: list, maybe_applied: Callable[[Exception], bool]) -> None:
    """504 if an owner's failure is one that `maybe_applied` (the outcome is unknown), else 503."""
    problem = next((m for m in missed if maybe_applied(m)), missed[0])
    raise _NodeRefused(504 if maybe_applied(problem) else 503,
                       f"{document.document_id}: no content node holding it took the write: {problem}")


# -- rendering and parameters -----------------------------------------------------------------------

def _page_body(path_id: str, documents: list[dict], continuation: bytes | None) -> dict:
    body = {"pathId": path_id, "documents": documents, "documentCount": len(documents)}
    if continuation is not None:
        body["continuation"] = _encode_continuation(continuation)
    return body


def _rendered(document: VisitedDocument, field_set: str) -> dict:
    """The document as the field set asks: `[id]`, `[document]`/`[all]`, or `type:f1,f2`."""
    wanted = field_set.split(":", 1)[1] if ":" in field_set else field_set
    if wanted == "[id]":
        return {"id": document.document_id}
    if wanted in ("[document]", "[all]", ""):
        return {"id": document.document_id, "fields": document.fields}
    names = {name.strip() for name in wanted.split(",")}
    return {"id": document.document_id, "fields": {k: v for k, v in document.fields.items() if k in names}}


async def _update_operations(request: Request, max_depth: int) -> dict:
    """Read as every JSON body (request_body.py: bounded nesting, finite numbers, no lone surrogate)."""
    data = await request.body()
    try:
        payload = await parse_json_body(data, max_depth, "the update JSON") if data.strip() else {}
    except BodyError as error:
        raise DocumentError(error.message) from None
    fields = payload.get("fields") if isinstance(payload, dict) else None
    if not isinstance(fields, dict) or not fields:
        raise DocumentError("Expected a JSON object with a 'fields' object of update operations")
    return fields


def _encode_continuation(global_id: bytes) -> str:
    return base64.urlsafe_b64encode(global_id).decode().rstrip("=")


def _decode_continuation(token: str) -> bytes:
    if not token:
        return b""
    try:
        decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        decoded = b""
    if len(decoded) != 12:
        raise DocumentError(f"Invalid continuation token '{quote_input(token)}'")
    return decoded


def _percent(global_id: bytes) -> float:
    return round(100.0 * int.from_bytes(global_id[:8], "big") / _FULL, 3)
