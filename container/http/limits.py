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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await read_body(scope, receive, body_limit(self.limits, scope["path"]),
                                   self.limits.request_timeout)
        except BodyRefused as refused:
            await self._refuse(scope, receive, send, refused.status, refused.message)
            return
        if body is None:
            return  # the client went away
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


def body_limit(limits: ContainerLimits, path: str) -> int:
    if path.startswith(DOCUMENT_PREFIX):
        return min(limits.request_body_bytes, limits.document_bytes)
    return limits.request_body_bytes


class BodyRefused(Exception):
    """A request body the container will not read: answered `status` and the connection closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_body(scope: Scope, receive: Receive, limit: int, timeout: float) -> bytes | None:
    """The whole request body under the size limit and the request timeout (BodyRefused when it is
    too large, stalls or is not valid gzip); None when the client disconnected first."""
    declared = _content_length(scope)
    if declared is not None and declared > limit:
        raise BodyRefused(413, f"Request body of {declared} bytes is larger than the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    deadline = asyncio.get_running_loop().time() + timeout
    more = True
    while more:
        try:
            async with asyncio.timeout_at(deadline):  # a timer, not a task a message (wait_for)
                message = await receive()
        except InvalidContentEncoding as error:
            raise BodyRefused(400, str(error)) from None
        except asyncio.TimeoutError:
            raise BodyRefused(408, f"The request body did not arrive within {timeout:g} s") from None
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyRefused(413, f"Request body is larger than the limit of {limit} bytes")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP parser has already refused it
    return None
