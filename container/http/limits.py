"""The container's request guard (ASGI middleware): every request body is read here, under the
size limit and the request timeout, before any handler runs.

- A declared Content-Length above the limit is refused with 413 at once, without reading; a
  chunked body is counted while it arrives and refused as soon as it passes the limit, so a 50 MB
  body is never buffered.
- A body that stops arriving is answered 408 after `request-timeout`.
- Refusals close the connection (the unread rest of the body is not parsed as the next request).
- An exception that escapes a handler is logged with its traceback and answered 500 with a
  neutral message: no exception type or server text reaches the client.

Errors have the shape of the API the path belongs to: /document/v1 `{"pathId", "message"}`,
everything else Vespa's search result with one error.
"""
from __future__ import annotations

import asyncio
import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from container.http.compression import InvalidContentEncoding
from searchlib.errors import ErrorCode, quote_input
from searchlib.schema.model import ContainerLimits

log = logging.getLogger("container.http")

DOCUMENT_PREFIX = "/document/"
_CODES = {404: ErrorCode.NOT_FOUND, 408: ErrorCode.TIMEOUT, 413: ErrorCode.REQUEST_TOO_LARGE,
          500: ErrorCode.INTERNAL_SERVER_ERROR}


def error_response(path: str, status: int, message: str, code: ErrorCode | None = None,
                   close: bool = False) -> JSONResponse:
    headers = {"connection": "close"} if close else None
    if path.startswith(DOCUMENT_PREFIX):
        return JSONResponse({"pathId": path, "message": message}, status, headers=headers)
    code = code if code is not None else _CODES.get(status, ErrorCode.BAD_REQUEST)
    error = {"code": int(code), "summary": code.summary, "message": message}
    return JSONResponse({"root": {"id": "toplevel", "relevance": 1.0, "fields": {"totalCount": 0},
                                  "errors": [error]}}, status, headers=headers)


async def http_error(request: Request, error: HTTPException) -> JSONResponse:
    """No route (404) or method (405): the API's error shape, not Starlette's plain text."""
    return error_response(request.url.path, error.status_code, f"{error.detail}: {request.method} "
                                                                f"{quote_input(request.url.path, 100)}")


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    """Starlette's handler for anything a route let escape (Starlette logs it and re-raises)."""
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return error_response(request.url.path, 500, "Internal server error: see the container log")


class RequestGuard:
    def __init__(self, app: ASGIApp, limits: ContainerLimits) -> None:
        self.app = app
        self.limits = limits

    def body_limit(self, path: str) -> int:
        if path.startswith(DOCUMENT_PREFIX):
            return min(self.limits.request_body_bytes, self.limits.document_bytes)
        return self.limits.request_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = self.body_limit(path)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, 413, f"Request body of {declared} bytes is larger than "
                                                          f"the limit of {limit} bytes")
            return
        chunks: list[bytes] = []
        size = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.request_timeout
        more = True
        while more:
            try:
                async with asyncio.timeout_at(deadline):  # a timer, not a task a message (wait_for)
                    message = await receive()
            except InvalidContentEncoding as error:
                await self._refuse(scope, receive, send, 400, str(error))
                return
            except asyncio.TimeoutError:
                await self._refuse(scope, receive, send, 408, f"The request body did not arrive within "
                                                              f"{self.limits.request_timeout:g} s")
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, receive, send, 413, f"Request body is larger than the limit of "
                                                              f"{limit} bytes")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # http.disconnect, when it comes

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
        response = error_response(scope["path"], status, message, close=True)
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP parser has already refused it
    return None
