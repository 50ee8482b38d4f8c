"""The lean request path of GET/POST /search/: an ASGI layer in front of the Starlette stack.

A search request goes from the HTTP server straight to the search handler, through the same rules
the generic stack applies to it, each from its one definition: the query metrics
(ContainerMetrics.record_search), client authentication (ClientAuthMiddleware.refusal), gzip bodies
(compression.inflating), the body's size limit and timeout (limits.read_body), admission control,
deadlines and error codes (SearchHandler.answer), and the same JSON. What it skips is the generic
machinery around them: Starlette's error and exception middleware, router and Request object, and
four middleware layers (each an async frame and a wrapped send per request). Every other path and
method goes to the Starlette stack unchanged.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Awaitable, Callable

from container.http.auth import ClientAuth, ClientAuthMiddleware, send_refusal
from container.http.admission import arrived
from container.http.compression import inflating
from container.http.limits import BodyRefused, error_response, read_body, body_limit
from container.http.search_handler import MEDIA_TYPE, SearchHandler
from container.metrics import ContainerMetrics
from searchlib.schema.model import ContainerLimits

log = logging.getLogger("container.http")

ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]
SEARCH_PATHS = frozenset({"/search/", "/search"})
_METHODS = frozenset({"GET", "POST"})  # others get the router's 405
_CONTENT_TYPE = (b"content-type", MEDIA_TYPE.encode("ascii"))


class SearchFront:
    def __init__(self, app: ASGIApp, handler: SearchHandler, metrics: ContainerMetrics,
                 auth: ClientAuth | None, limits: ContainerLimits) -> None:
        self.app = app
        self.handler = handler
        self.metrics = metrics
        self.auth = ClientAuthMiddleware(app, auth) if auth is not None else None
        self.limits = limits

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or scope["path"] not in SEARCH_PATHS or scope["method"] not in _METHODS:
            await self.app(scope, receive, send)
            return
        started, status, outcome = time.perf_counter(), 500, None
        try:
            status, outcome = await self._serve(scope, receive, send)
        finally:
            self.metrics.record_search(outcome, status, time.perf_counter() - started)

    async def _serve(self, scope: dict[str, Any], receive: Callable, send: Callable) -> tuple[int, Any]:
        path = scope["path"]
        if self.auth is not None and (refused := self.auth.refusal(scope)) is not None:
            await send_refusal(send, path, *refused)
            return refused[0], None
        body = b""
        if scope["method"] == "POST" or has_body(scope):  # a GET without a body has nothing to wait for
            scope, receive = inflating(scope, receive)
            try:
                body = await read_body(scope, receive, body_limit(self.limits, path), self.limits.request_timeout)
            except BodyRefused as refused:
                await error_response(path, refused.status, refused.message, close=True)(scope, receive, send)
                return refused.status, None
            if body is None:
                return 500, None  # the client went away before its body arrived (as the generic stack counts it)
        try:
            answer = await self.handler.answer(scope["method"], scope["query_string"], body, arrived(scope))
        except Exception:  # noqa: BLE001 - a bug: logged, and the client gets no server text
            log.exception("unexpected error on %s %s", scope["method"], path)
            await error_response(path, 500, "Internal server error: see the container log")(scope, receive, send)
            return 500, None
        await send({"type": "http.response.start", "status": answer.status,
                    "headers": [(b"content-length", b"%d" % len(answer.body)), _CONTENT_TYPE]})
        await send({"type": "http.response.body", "body": answer.body})
        return answer.status, answer.outcome


def has_body(scope: dict[str, Any]) -> bool:
    """HTTP/1.x: a request has a body only when it says so (Content-Length or Transfer-Encoding);
    HTTP/2 may send one without either."""
    if not scope.get("http_version", "1.1").startswith("1"):
        return True
    return any(name in (b"content-length", b"transfer-encoding") for name, _ in scope["headers"])
