"""/document/v1/<namespace>/<doctype>/docid/<id>: put, update, get, remove — routed by bucket to
the owning node in every group; acknowledged when every available group has it durably."""
from __future__ import annotations

import asyncio
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from container.dispatch.content_client import NodeTimeout, NodeUnavailable
from container.dispatch.search_cluster import SearchCluster
from container.docproc.processor import DocumentProcessor
from container.http.request_body import BodyError, parse_json_body
from searchlib.distribution import node_in_group
from searchlib.docid import DocumentId, global_id
from searchlib.errors import DocumentError, quote_input, shorten_quotes
from searchlib.schema.model import ApplicationPackage

log = logging.getLogger("container.document")

DOCUMENT_TIMEOUT = 180.0
WRITE_HEALTH_POLL = 0.25  # seconds between checks for owners that went down mid-write


class DocumentHandler:
    def __init__(self, application: ApplicationPackage, cluster: SearchCluster) -> None:
        self._application = application
        self._cluster = cluster
        self._docproc = DocumentProcessor(application)
        self._doctypes = {s.document_name for s in application.schemas.values()} | set(application.schemas)

    async def handle(self, request: Request) -> JSONResponse:
        namespace = request.path_params["namespace"]
        doctype = request.path_params["doctype"]
        user_id = request.path_params["docid"]
        path_id = request.url.path
        document_id = f"id:{namespace}:{doctype}::{user_id}"
        body_base = {"pathId": path_id, "id": document_id}
        if doctype not in self._doctypes:
            return JSONResponse({**body_base, "message": f"Document type {quote_input(doctype)} does not exist"}, 400)
        try:
            DocumentId.parse(document_id)
            if request.method == "GET":
                return await self._get(document_id, body_base)
            if request.method == "DELETE":
                return await self._write(body_base, lambda c: c.remove(document_id, DOCUMENT_TIMEOUT))
            payload = await _read_json_object(request, self._application.limits.json_depth)
            fields = payload.get("fields")
            if not isinstance(fields, dict):
                raise DocumentError("Expected a JSON object with a 'fields' object")
            if request.method == "POST":
                fields = await self._docproc.put(doctype, fields)
                return await self._write(body_base, lambda c: c.put(document_id, fields, DOCUMENT_TIMEOUT))
            fields = await self._docproc.update(doctype, fields)
            create = request.query_params.get("create", str(payload.get("create", "false"))).lower() == "true"
            return await self._write(body_base,
                                     lambda c: c.update(document_id, fields, create, DOCUMENT_TIMEOUT))
        except DocumentError as error:
            return JSONResponse({**body_base, "message": shorten_quotes(error.message)}, 400)

    def _owners(self, document_id: str):
        """The node holding the document in every group, those in rotation first (for reads)."""
        gid = global_id(document_id)
        owners = [self._cluster.clients[node_in_group(gid, keys)] for keys in self._cluster.groups.values()]
        return sorted(owners, key=lambda c: not self._cluster.health[c.node.distribution_key].up)

    async def _write(self, body_base: dict, operation) -> JSONResponse:
        """Send to the owner in every group; acknowledge once every node that is still reachable
        has the write durably. A node that health checks see go down meanwhile (killed, stalled)
        is not waited for: it catches up from a replica when it returns."""
        tasks = {asyncio.ensure_future(operation(c)): c for c in self._owners(body_base["id"])}
        pending, abandoned = set(tasks), set()
        while pending:
            _, pending = await asyncio.wait(pending, timeout=WRITE_HEALTH_POLL)
            for task in [t for t in pending if not self._cluster.health[tasks[t].node.distribution_key].reachable]:
                task.cancel()  # takes effect later: the task is not done yet, so never inspect it
                pending.discard(task)
                abandoned.add(task)
        outcomes = [NodeUnavailable(f"content node {client.node.distribution_key} went down")
                    if task in abandoned else task.exception() or task.result()
                    for task, client in tasks.items()]
        for outcome, client in zip(outcomes, tasks.values()):
            if isinstance(outcome, (NodeUnavailable, NodeTimeout)):
                self._cluster.note_missed_write(client.node.distribution_key)
        acked = 0
        for outcome in outcomes:
            if isinstance(outcome, (NodeUnavailable, NodeTimeout)):
                continue
            if isinstance(outcome, BaseException):
                log.error("document operation failed: %s", outcome)
                return JSONResponse({**body_base, "message": str(outcome)}, 500)
            if not outcome.ok:
                status = 400 if outcome.error_code in (3, 4, 17) else 500
                return JSONResponse({**body_base, "message": outcome.message}, status)
            acked += 1
        if acked == 0:
            problem = next(o for o in outcomes if isinstance(o, BaseException))
            status = 504 if isinstance(problem, NodeTimeout) else 503
            return JSONResponse({**body_base, "message": str(problem)}, status)
        return JSONResponse(body_base, 200)

    async def _get(self, document_id: str, body_base: dict) -> JSONResponse:
        last_problem: Exception | None = None
        for client in self._owners(document_id):
            try:
                fields = await client.get(document_id, DOCUMENT_TIMEOUT)
            except (NodeUnavailable, NodeTimeout) as error:
                last_problem = error
                continue
            if fields is None:
                return JSONResponse(body_base, 404)
            return JSONResponse({**body_base, "fields": fields}, 200)
        return JSONResponse({**body_base, "message": str(last_problem)}, 503)


async def _read_json_object(request: Request, max_depth: int) -> dict:
    data = await request.body()  # at most document-bytes: container.http.limits refused more
    try:
        payload = await parse_json_body(data, max_depth, "document JSON") if data.strip() else {}
    except BodyError as error:
        raise DocumentError(error.message) from None
    if not isinstance(payload, dict):
        raise DocumentError("Document JSON must be an object")
    return payload
