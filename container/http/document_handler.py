"""/document/v1/<namespace>/<doctype>/docid/<id>: put, update, get, remove — routed by bucket to
the owning node in every group (a global document type's to every node); acknowledged when every
available owner has it durably."""
from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from typing import Mapping

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import JSONResponse

from container.dispatch.content_client import NodeTimeout, NodeUnavailable, UnsyncedOwner, outcome_unknown
from container.dispatch.feed_block import passes_block
from container.dispatch.search_cluster import SearchCluster
from container.dispatch.write_watch import OwnerDown, WriteWatch
from container.docproc.processor import DocumentProcessor
from container.http.placement import holders
from container.http.request_body import BodyError, parse_json_body
from container.http.condition_probe import as_judged, newest_verdict, silence, untested_status
from container.http.update_repair import Settled, held_after, reach_refusers, repair, settle_condition
from container.search.request_parameters import read_timeout_seconds
from searchlib.docid import DocumentId, global_id
from searchlib.documents import document_fields_only
from searchlib.errors import (UNSYNCED_STATUS, DocumentError, ErrorCode, InvalidParameterError, OperationTimeout,
                              quote_input, shorten_quotes)
from searchlib.schema.model import ApplicationPackage
from searchlib.selection import Selection, SelectionError
from searchlib.timestamps import CLOCK
from searchlib.wire.feed_codec import StoredVersion

log = logging.getLogger("container.document")

DOCUMENT_TIMEOUT = 180.0  # Vespa's default for document operations; `timeout=` overrides it
BODY_METHODS = frozenset({"POST", "PUT"})  # put, update: the others' bodies are not read
WRITE_HEALTH_POLL = 0.25  # seconds between checks for owners that went down mid-write, or came back
# JSONResponse's json.dumps arguments: json.dumps builds a new encoder on every call given any
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))


class DocumentResponse(JSONResponse):
    """A JSONResponse with the same bytes, from one shared encoder."""

    def render(self, content: object) -> bytes:
        return _ENCODER.encode(content).encode("utf-8")


class DocumentHandler:
    def __init__(self, application: ApplicationPackage, cluster: SearchCluster) -> None:
        self._application = application
        self._cluster = cluster
        self._docproc = DocumentProcessor(application)
        self._doctypes = {s.document_name for s in application.schemas.values()} | set(application.schemas)
        self._global_types = {t for cluster in application.clusters for t in cluster.global_types}
        self._watch = WriteWatch(lambda key: cluster.health[key].reachable, WRITE_HEALTH_POLL)

    async def handle(self, request: Request) -> JSONResponse:
        """The Starlette route (the lean front, container/http/document_front.py, answers before it)."""
        body = await request.body() if request.method in BODY_METHODS else b""
        return await self.answer(request.method, path_id_of(request.scope), request.path_params, request.query_params,
                                 body)

    async def answer(self, method: str, path_id: str, path_params: Mapping[str, str],
                     query_params: Mapping[str, str], body: bytes) -> JSONResponse:
        """One document request: its method, URL path (`path_id`), the route's
        path parameters, its query parameters and (put/update) body."""
        namespace = path_params["namespace"]
        doctype = path_params["doctype"]
        user_id = path_params["docid"]
        # /group/NAME/ and /number/N/ paths: ids `id:ns:type:g=NAME:key` / `n=N` (streaming groups)
        location = (f"g={path_params['group']}" if "group" in path_params
                    else f"n={path_params['number']}" if "number" in path_params else "")
        document_id = f"id:{namespace}:{doctype}:{location}:{user_id}"
        body_base = {"pathId": path_id, "id": document_id}
        if doctype not in self._doctypes:
            return DocumentResponse({**body_base, "message": f"Document type {quote_input(doctype)} does not exist"}, 400)
        try:
            number = path_params.get("number", "0")  # ASCII digits: str.isdigit() alone takes '²'
            if not (number.isascii() and number.isdigit()) or ":" in path_params.get("group", ""):
                raise DocumentError(f"Invalid document location in {quote_input(path_id)}: a number must be "
                                    "digits and a group name cannot hold ':'")
            DocumentId.parse(document_id)
            timeout = read_timeout_seconds(query_params, DOCUMENT_TIMEOUT)
            if method in ("GET", "HEAD"):  # HEAD: a get whose body the server leaves out
                return await self._get(document_id, body_base, timeout)
            if method == "DELETE":
                condition = self._condition(query_params.get("condition", ""))
                return await self._write(body_base, lambda c, left, ts, **step: c.remove(
                    document_id, left, condition, ts, **step), timeout, conditional=bool(condition))
            payload = await _json_object(body, self._application.limits.json_depth)
            fields = payload.get("fields")
            if not isinstance(fields, dict):
                raise DocumentError("Expected a JSON object with a 'fields' object")
            condition = self._condition(query_params.get("condition", payload.get("condition", "")))
            create = query_params.get("create", str(payload.get("create", "false"))).lower() == "true"
            if method == "POST":
                fields = await self._docproc.put(doctype, fields, timeout)
                return await self._write(body_base, lambda c, left, ts, **step: c.put(
                    document_id, fields, left, condition, create, ts, **step), timeout, conditional=bool(condition),
                    blockable=True)
            fields = await self._docproc.update(doctype, fields, timeout)
            # create can add a whole document: refused as a put is
            blockable = create or not passes_block(self._schema_of(document_id), fields)
            return await self._write(
                body_base, lambda c, left, ts, **step: c.update(document_id, fields, create, left, condition, ts, **step),
                timeout, reconcile=True, conditional=bool(condition), blockable=blockable)
        except OperationTimeout as error:
            return DocumentResponse({**body_base, "message": shorten_quotes(error.message)}, 504)
        except (DocumentError, InvalidParameterError) as error:
            return DocumentResponse({**body_base, "message": shorten_quotes(error.message)}, 400)
        except SelectionError as error:
            return DocumentResponse({**body_base, "message": f"Invalid condition: {shorten_quotes(str(error))}"}, 400)

    def _condition(self, text) -> str:
        """A test-and-set condition checked here (a located 400 for a bad one); the owning nodes
        evaluate it against the stored document."""
        if not isinstance(text, str):
            raise DocumentError("'condition' must be a string")
        if text:
            Selection.parse(text).check(self._application.schemas.values())
        return text

    def _schema_of(self, document_id: str):
        doctype = DocumentId.parse(document_id).doctype
        return next(s for s in self._application.schemas.values() if doctype in (s.document_name, s.name))

    def _owners(self, document_id: str):
        """The node holding the document in every group, those in service first (for reads): not one
        that missed a write, though health checks may not have seen it go (a node restarted between two
        pings), so an acknowledged write is read back from a node that has it."""
        owners = holders(self._cluster, self._global_types, document_id, global_id(document_id))
        if len(owners) == 1:
            return owners
        return sorted(owners, key=lambda c: not self._cluster.in_service(c.node.distribution_key))

    async def _write(self, body_base: dict, operation, timeout: float, reconcile: bool = False,
                     conditional: bool = False, blockable: bool = False) -> JSONResponse:
        """`_write_in_turn` once the document's earlier writes are done: its timestamp is then newer
        than theirs on every replica (searchlib/sequencing.py). The timeout counts from then.
        `blockable` (puts, updates but those feed_block.passes_block lets through): refused with 507,
        sent to no node, while the cluster's feed is blocked (container/dispatch/feed_block.py);
        removes are not."""
        async with self._cluster.writes.turn(body_base["id"]):
            if blockable and (blocked := self._cluster.feed_refusal()) is not None:
                return DocumentResponse({**body_base, "message": blocked}, 507)
            return await self._write_in_turn(body_base, operation, timeout, reconcile, conditional)

    async def _write_in_turn(self, body_base: dict, operation, timeout: float, reconcile: bool,
                             conditional: bool = False) -> JSONResponse:
        """Send to the owner in every group; acknowledge once every owner that is still reachable
        has the write durably. An owner that health checks see go down meanwhile (killed, stalled)
        is not waited for when another group has the write: it catches up from a replica when it
        returns. When no owner could take it, wait for one to come back within `timeout` and send
        again: at least once, as Vespa's feed path (a put or remove is idempotent; an arithmetic
        update whose first attempt landed just before the node died can apply twice).
        One timestamp for every owner and every attempt: a node that already has it ignores it again,
        and replicas that diverge agree on the newest version (searchlib/timestamps.py). `reconcile`
        (updates): replicas that applied it to different versions are made equal first (update_repair.py).
        `conditional` with replicas: the condition is probed first (condition_probe.py). Both read the
        stored version: 503, sent nowhere, while an owner may hold a stale one (SearchCluster.stale_base_refusal);
        not sent to an owner that missed a write and is not caught up (SearchCluster.stale_owner_refusals),
        which gets the UnsyncedOwner outcome it would give itself once its resync order lands. A reachable
        owner that missed an acknowledged write gets that order before the answer (SearchCluster.order_resyncs,
        within what is left of the timeout), so every container's reads for write are refused there.
        An owner that refuses it itself for that reason (UnsyncedOwner: catching up, or not synced from
        a replica) gets the version the owner that took it wrote, as a replica copy, before the answer
        (update_repair.copy_to_refusers; if that fails it is noted as missing the write); if no owner
        took it and none timed out (that one may have applied it: 504 at the deadline), its 503 is the
        answer at once."""
        deadline = time.monotonic() + timeout
        owners = self._owners(body_base["id"])
        reads_stored = reconcile or conditional  # updates (reconcile), conditions: they read the stored version
        timestamp = CLOCK.next()
        step: dict = {}
        unknown: list[Exception] = []  # any attempt's failures that may have applied it (outcome_unknown)
        if conditional and len(owners) > 1:
            if (stale := self._stale_base(body_base, owners)) is not None:
                return stale
            tested = await self._probe(body_base, owners, operation, deadline, timeout)
            if isinstance(tested, JSONResponse):
                return tested
            step = {"tested_base": tested}
        while True:
            if reads_stored and (stale := self._stale_base(body_base, owners)) is not None:
                return stale  # checked before every send: an owner that came back meanwhile may be stale
            targets = self._targets(owners, reads_stored)
            refused = self._cluster.stale_owner_refusals(targets) if reads_stored else {}
            outcomes, running = await self._send([c for c in targets if c not in refused],
                                                 lambda c, left: operation(c, left, timestamp, **step), deadline)
            outcomes.update(refused)
            outcomes.update((c, NodeUnavailable(f"content node {c.node.distribution_key} is down"))
                            for c in owners if c not in outcomes)
            for task in running.values():
                task.cancel()  # no-op once done; else takes effect later, so never inspect it
            missed = [client for client, outcome in outcomes.items()
                      if isinstance(outcome, (NodeUnavailable, NodeTimeout))]
            unknown += [outcomes[client] for client in missed if outcome_unknown(outcomes[client])]
            judged = as_judged(outcomes, step["tested_base"]) if step else outcomes
            left = lambda: max(0.0, deadline - time.monotonic())  # noqa: E731
            held = held_after(outcomes, timestamp)  # what a rewrite below is conditional on (update_repair.py)
            if (settled := await settle_condition(body_base["id"], judged, left, held)) is not None:
                break  # someone judged it: the refusers get the settled version (or it is undone) below
            if (refused := _refusal(body_base, outcomes)) is not None:
                self._cluster.note_refused_writes(outcomes)
                return refused
            if len(missed) == len(owners) and not unknown and (unsynced := _unsynced(body_base, outcomes)) is not None:
                # nobody took it and an owner refused it as stale: waiting would not help (an attempt that
                # may have applied it makes the outcome unknown, answered as such at the deadline)
                return unsynced
            if len(missed) < len(owners) or not await self._one_comes_back(missed, deadline):
                break
        if settled is None and len(missed) == len(owners):
            for client in missed:
                self._cluster.note_missed_write(client.node.distribution_key)
            # an earlier attempt that may have applied it (timed out, interrupted) makes a later one that
            # certainly did not (never sent, refused) no "nothing written": 504
            return _not_taken(body_base, (unknown or [outcomes[missed[0]]])[0], timeout, bool(unknown))
        unrepaired = await repair(body_base["id"], outcomes, left, held) if reconcile and settled is None else None
        # an owner that refused it as stale gets the result (or the settled version) before the answer:
        # its own copy, not only this container's memory of the miss, keeps a later update off the old
        # base; unless it holds a newer version than the takers wrote on: then the write is undone
        undone, copied = await reach_refusers(body_base["id"], outcomes, left, held)
        lacking = [client.node.distribution_key for client in missed if client not in copied]
        for key in lacking:  # it may lack what was written (or written again): it catches up
            self._cluster.note_missed_write(key)
        if lacking:  # told before the answer: it then refuses reads for write from every container
            await self._cluster.order_resyncs(lacking, left())
        if undone is not None:
            return DocumentResponse({**body_base, "message": undone.message}, undone.status)
        if settled is not None:
            return self._settled_answer(body_base, settled)
        if unrepaired is not None:  # 504: applied, the replicas not made equal
            return DocumentResponse({**body_base, "message": unrepaired.message}, unrepaired.status)
        return DocumentResponse(body_base, 200)

    def _targets(self, owners, reads_stored: bool) -> list:
        """The owners a write is sent to: every one; for a write that reads the stored version only
        those health checks see reachable (one that is not may hold a stale version and is not
        judged by stale_base_refusal: it misses the write and catches up), or every one when none is
        (each fails at once, and the write waits for one to come back)."""
        reachable = [c for c in owners if self._cluster.health[c.node.distribution_key].reachable]
        return reachable if reads_stored and reachable else list(owners)

    def _stale_base(self, body_base: dict, owners) -> JSONResponse | None:
        """503 while an owner the write is sent to (`_targets`: the reachable ones; none while every
        one is down) may hold a stale version (SearchCluster.stale_base_refusal). Checked before every
        send of a write that reads the stored version, the first and each after a wait for an owner to
        come back: the one that comes back first may be the stale one."""
        keys = [c.node.distribution_key for c in owners]
        stale = self._cluster.stale_base_refusal(key for key in keys if self._cluster.health[key].reachable)
        return None if stale is None else DocumentResponse({**body_base, "message": stale}, UNSYNCED_STATUS)

    async def _probe(self, body_base: dict, owners, operation, deadline: float, timeout: float) -> JSONResponse | int:
        """Test-and-set's first step (condition_probe.py): the version the condition held on that the
        write is sent with, or the answer (412: refused on the newest version; nothing is written).
        An owner that stalls meanwhile is awaited until the deadline, as it may hold the newest version;
        one already down (health checks) is not: it has been missing writes, as a dead one."""
        while True:
            down = {c for c in owners if not self._cluster.health[c.node.distribution_key].reachable}
            refused = self._cluster.stale_owner_refusals(owners)  # its verdict would be on a stale version
            outcomes, running = await self._send([c for c in owners if c not in refused],
                                                 lambda c, left: operation(c, left, 0, probe=True), deadline)
            outcomes.update(refused)
            stalled = {client: task for client, task in running.items() if client not in down}
            outcomes = await self._late_verdicts(outcomes, stalled, deadline)
            for client in down & running.keys():
                running[client].cancel()
            if (refused := _refusal(body_base, outcomes, conditions=False)) is not None:
                return refused
            verdict = newest_verdict(outcomes)
            if verdict is not None and not verdict.ok:
                return DocumentResponse({**body_base, "message": verdict.message}, 412)
            if verdict is not None and (problem := silence(outcomes)) is None:
                return verdict.base
            if verdict is not None:  # held on what answered; a silent owner may hold a newer version
                return DocumentResponse({**body_base, "message": f"{problem}: the condition could not be tested on "
                                         "every replica, nothing was written"}, untested_status(problem))
            if (unsynced := _unsynced(body_base, outcomes)) is not None:
                return unsynced
            if not await self._one_comes_back(owners, deadline):
                problem = next(iter(outcomes.values()))  # a probe writes nothing: only a timeout is a 504
                return _not_taken(body_base, problem, timeout, isinstance(problem, NodeTimeout))
            if (stale := self._stale_base(body_base, owners)) is not None:
                return stale

    @staticmethod
    def _settled_answer(body_base: dict, settled: Settled) -> JSONResponse:
        """Replicas that judged the condition on different versions: the newest decided
        (update_repair.settle_condition)."""
        if settled.unrepaired is not None:
            return DocumentResponse({**body_base, "message": settled.unrepaired.message}, settled.unrepaired.status)
        return DocumentResponse(body_base, 200) if settled.held else DocumentResponse({**body_base, "message": settled.message}, 412)

    async def _send(self, owners, operation, deadline: float) -> tuple[dict, dict]:
        """One attempt at every owner: client → FeedResult, or the exception it failed with; and the
        attempts at owners that went down meanwhile, still running (client → task: the caller
        cancels them or awaits a stalled node's late answer, `_late_verdicts`)."""
        if len(owners) == 1:  # a write, or a probe whose other owners were refused as stale: awaited here,
            # under the shared watch (a stalled owner is a 503, nothing written: not `_late_verdicts`' wait)
            client = owners[0]
            try:
                outcome = await self._watch.run(client.node.distribution_key,
                                                operation(client, deadline - time.monotonic()))
            except OwnerDown as down:
                outcome = NodeUnavailable(str(down))
            except Exception as error:  # noqa: BLE001 - the outcome, as a task's exception() gives it
                outcome = error
            return {client: outcome}, {}
        tasks = {asyncio.ensure_future(operation(c, deadline - time.monotonic())): c for c in owners}
        pending, abandoned = set(tasks), set()
        while pending:
            _, pending = await asyncio.wait(pending, timeout=WRITE_HEALTH_POLL)
            for task in [t for t in pending if not self._cluster.health[tasks[t].node.distribution_key].reachable]:
                pending.discard(task)
                abandoned.add(task)
        return ({client: NodeUnavailable(f"content node {client.node.distribution_key} went down")
                 if task in abandoned else task.exception() or task.result() for task, client in tasks.items()},
                {tasks[task]: task for task in abandoned})

    @staticmethod
    async def _late_verdicts(outcomes: dict, running: dict, deadline: float) -> dict:
        """Probes at owners that went down meanwhile: a stalled one (not dead) answers when it resumes,
        and is awaited until the deadline (as Vespa's distributor waits for every replica); one that
        does not answer by then is a NodeTimeout. A dead node fails at once: no wait."""
        if not running:
            return outcomes
        await asyncio.wait(running.values(), timeout=max(0.0, deadline - time.monotonic()))
        late = {client: task.exception() or task.result() if task.done() else
                NodeTimeout(f"content node {client.node.distribution_key} did not answer within the timeout")
                for client, task in running.items()}
        for task in running.values():
            task.cancel()
        return {**outcomes, **late}

    async def _one_comes_back(self, clients, deadline: float) -> bool:
        """Wait until health checks see one of `clients` reachable again; False at the deadline."""
        while True:
            await asyncio.sleep(max(0.0, min(WRITE_HEALTH_POLL, deadline - time.monotonic())))
            if time.monotonic() >= deadline:
                return False
            if any(self._cluster.health[c.node.distribution_key].reachable for c in clients):
                return True

    async def _get(self, document_id: str, body_base: dict, timeout: float) -> JSONResponse:
        """One replica's answer while one is in service (SearchCluster.in_service: it holds every
        acknowledged write), given up for the next once health checks see it go down. When none is, or
        none of those answers, then as Vespa's distributor for a bucket whose replicas are
        inconsistent: every reachable replica is read and the newest version wins (a remove newer than
        a put: 404); one that does not answer (within `timeout`, or seen down meanwhile) leaves the
        newest of those that did. 504 if nothing answered in time."""
        deadline = time.monotonic() + timeout
        owners = self._owners(document_id)
        health = self._cluster.health
        in_service = owners if len(owners) == 1 else [
            c for c in owners if self._cluster.in_service(c.node.distribution_key)]
        problems: list[Exception] = []
        for client in in_service:  # under the watch: a stalled one seen down leaves the read to the next
            key = client.node.distribution_key
            try:
                fields = await self._watch.run(key, client.get(document_id, deadline - time.monotonic()))
                return self._found(document_id, body_base, fields)
            except OwnerDown as down:
                problems.append(NodeUnavailable(str(down)))
            except (NodeUnavailable, NodeTimeout) as error:
                problems.append(error)
            if time.monotonic() >= deadline:
                break
        rest = [c for c in owners if c not in in_service and health[c.node.distribution_key].reachable]
        if rest and time.monotonic() < deadline:
            outcomes, running = await self._send(rest, lambda c, left: c.get_version(document_id, left), deadline)
            for task in running.values():
                task.cancel()
            for outcome in outcomes.values():
                if isinstance(outcome, BaseException) and not isinstance(outcome, (NodeUnavailable, NodeTimeout)):
                    raise outcome  # a bug or a node's error: the 500 every request gets for one
            versions = [o for o in outcomes.values() if isinstance(o, StoredVersion)]
            if versions:
                return self._found(document_id, body_base, max(versions, key=lambda v: v.order).fields)
            problems.extend(outcomes.values())
        if not problems:
            return DocumentResponse({**body_base, "message": "no replica of the document is in service"}, 503)
        timed_out = next((p for p in problems if isinstance(p, NodeTimeout)), None)
        if timed_out is not None:
            return DocumentResponse({**body_base, "message": f"{timed_out}: no replica answered within the "
                                                         f"timeout of {timeout:g} s"}, 504)
        return DocumentResponse({**body_base, "message": str(problems[-1])}, 503)

    def _found(self, document_id: str, body_base: dict, fields: dict | None) -> DocumentResponse:
        if fields is None:
            return DocumentResponse(body_base, 404)
        return DocumentResponse({**body_base, "fields": document_fields_only(self._schema_of(document_id), fields)}, 200)


def _refusal(body_base: dict, outcomes: dict, conditions: bool = True) -> JSONResponse | None:
    """The answer when an owner refused the write or failed (not unreachable, not timed out); a
    failed condition too unless `conditions` is False (a probe's, judged by condition_probe)."""
    for outcome in outcomes.values():
        if isinstance(outcome, (NodeUnavailable, NodeTimeout)):
            continue
        if isinstance(outcome, BaseException):
            log.error("document operation failed", exc_info=outcome)  # no server text to the client
            return DocumentResponse({**body_base, "message": "Internal server error: see the container log"}, 500)
        if not outcome.ok and outcome.condition_failed:
            if conditions:
                return DocumentResponse({**body_base, "message": outcome.message}, 412)
        elif not outcome.ok:
            return DocumentResponse({**body_base, "message": outcome.message}, ErrorCode.of(outcome.error_code).http_status)
    return None


def _unsynced(body_base: dict, outcomes: dict) -> JSONResponse | None:
    """An owner refused the write as its copy may be stale (the node's own check, UnsyncedOwner): the
    503 the container's check gives (`_stale_base`), with the node's message; None if none did."""
    refused = next((o for o in outcomes.values() if isinstance(o, UnsyncedOwner)), None)
    return None if refused is None else DocumentResponse({**body_base, "message": str(refused)}, UNSYNCED_STATUS)


def _not_taken(body_base: dict, problem: Exception, timeout: float, maybe_applied: bool) -> JSONResponse:
    """No owner took the write and none came back within the timeout: 504 when it may have been
    applied (the outcome is unknown), else 503 (nothing written: retry)."""
    status = 504 if maybe_applied else 503
    return DocumentResponse({**body_base, "message": f"{problem}: not back within the timeout of {timeout:g} s"}, status)


_PLAIN_PATH = re.compile(r"[^?#\\\t\r\n]*")


def path_id_of(scope) -> str:
    """The request's `pathId`: Starlette's `request.url.path` (URL(scope=...).path, which escapes ?, #
    and \\ and drops tabs and line breaks); a plain path, the common case, is that path itself."""
    path = scope["path"]
    if not path.startswith("//") and _PLAIN_PATH.fullmatch(path):
        return path
    return URL(scope=scope).path


async def _json_object(data: bytes, max_depth: int) -> dict:
    """The put/update body (at most document-bytes: container.http.limits refused more)."""
    try:
        payload = await parse_json_body(data, max_depth, "document JSON") if data.strip() else {}
    except BodyError as error:
        raise DocumentError(error.message) from None
    if not isinstance(payload, dict):
        raise DocumentError("Document JSON must be an object")
    return payload
