"""The lean request path of /document/v1/ by id (get, put, update, remove): an ASGI layer in front
of the Starlette stack, as container/http/search_front.py is for /search/.

A document request goes from the HTTP server straight to its cluster's DocumentHandler.answer,
through the rules the generic stack applies to it, each from its one definition: the feed metrics
(ContainerMetrics.record_feed, metrics.feed_operation), client authentication
(ClientAuthMiddleware.refusal), gzip bodies (compression.inflating), the body's size limit and
timeout (limits.read_body), the routes themselves (the same Starlette Route objects match the path,
in the router's order), the 500 for a bug (limits.error_response) and the same JSON responses. What
it skips is the generic machinery around them: Starlette's error and exception middleware, router
and Request object, and four middleware layers. Visits, other paths and other methods go to the
Starlette stack unchanged.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Awaitable, Callable, Sequence

from starlette.datastructures import QueryParams
from starlette.routing import BaseRoute, Match, Route

from container.http.auth import ClientAuth, ClientAuthMiddleware, send_refusal
from container.http.compression import inflating
from container.http.document_handler import BODY_METHODS, DocumentHandler, path_id_of
from container.http.limits import DOCUMENT_PREFIX, BodyRefused, body_limit, error_response, read_body
from container.http.search_front import has_body
from container.metrics import ContainerMetrics, feed_operation
from searchlib.schema.model import ContainerLimits

log = logging.getLogger("container.http")

ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]
_PREFIX = DOCUMENT_PREFIX + "v1/"
_METHODS = frozenset({"GET", "POST", "PUT", "DELETE"})  # HEAD and others: the stack
_NO_PARAMETERS = QueryParams(b"")  # immutable: shared by every request without a query string


class DocumentFront:
    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute], endpoint: Callable,
                 handler_for: Callable[[str], DocumentHandler], metrics: ContainerMetrics,
                 auth: ClientAuth | None, limits: ContainerLimits) -> None:
        """`routes`: the router's, in its order; a request is served here when the first route that
        fully matches it has `endpoint`; `handler_for(doctype)`: the DocumentHandler of its cluster."""
        self.app = app
        self.routes = list(routes)
        self.endpoint = endpoint
        # each plain Route as its compiled parts (what Route.matches reads), without the child scope
        # and path-parameter dicts it builds for every route it tries
        self._matchers = [(route.path_regex.match, route.param_convertors, route.methods, route.endpoint == endpoint)
                          if type(route) is Route else route for route in self.routes]
        self.handler_for = handler_for
        self.metrics = metrics
        self.auth = ClientAuthMiddleware(app, auth) if auth is not None else None
        self.limits = limits

    async def __call__(self, scope: dict[str, Any], receive: Callable, send: Callable) -> None:
        if (scope["type"] != "http" or scope["method"] not in _METHODS or not scope["path"].startswith(_PREFIX)
                or (path_params := self._document_route(scope)) is None):
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500
        try:
            status = await self._serve(scope, receive, send, path_params)
        finally:
            self.metrics.record_feed(feed_operation(scope["method"], scope["path"]), status,
                                     time.perf_counter() - started)

    def _document_route(self, scope: dict[str, Any]) -> dict[str, str] | None:
        """The path parameters when the router would send this request to the document endpoint: the
        first route that fully matches (path and method; one that matches the path alone is passed
        over, as the router does while it looks for a full match)."""
        if scope.get("root_path") or scope.get("path_params"):
            return self._document_route_of_any(scope)
        path, method = scope["path"], scope["method"]
        for matcher in self._matchers:
            if type(matcher) is not tuple:
                match, child = matcher.matches(scope)
                if match is Match.FULL:
                    return child["path_params"] if child.get("endpoint") == self.endpoint else None
                continue
            match_path, convertors, methods, is_document = matcher
            found = match_path(path)
            if found is None or methods and method not in methods:
                continue
            if not is_document:
                return None
            params = found.groupdict()
            for key, value in params.items():
                params[key] = convertors[key].convert(value)
            return params
        return None

    def _document_route_of_any(self, scope: dict[str, Any]) -> dict[str, str] | None:
        """`_document_route` by the routes' own `matches` (a scope with a root path or path parameters)."""
        for route in self.routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                return child["path_params"] if child.get("endpoint") == self.endpoint else None
        return None

    async def _serve(self, scope: dict[str, Any], receive: Callable, send: Callable,
                     path_params: dict[str, str]) -> int:
        path = scope["path"]
        if self.auth is not None and (refused := self.auth.refusal(scope)) is not None:
            await send_refusal(send, path, *refused)
            return refused[0]
        method = scope["method"]
        body = b""
        if method in BODY_METHODS or has_body(scope):
            scope, receive = inflating(scope, receive)
            try:
                body = await read_body(scope, receive, body_limit(self.limits, path), self.limits.request_timeout)
            except BodyRefused as refused:
                await error_response(path, refused.status, refused.message, close=True)(scope, receive, send)
                return refused.status
            if body is None:
                return 500  # the client went away before its body arrived (as the generic stack counts it)
            if method not in BODY_METHODS:
                body = b""  # read as the stack reads every body; a get or remove ignores it
        try:
            handler = self.handler_for(path_params["doctype"])
            query = scope["query_string"]
            response = await handler.answer(method, path_id_of(scope), path_params,
                                            QueryParams(query) if query else _NO_PARAMETERS, body)
        except Exception:  # noqa: BLE001 - a bug: logged, and the client gets no server text
            log.exception("unexpected error on %s %s", method, path)
            response = error_response(path, 500, "Internal server error: see the container log")
        await response(scope, receive, send)
        return response.status_code
