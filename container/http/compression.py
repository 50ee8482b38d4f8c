"""Request bodies sent with `Content-Encoding: gzip` (the vespa CLI and Vespa's feed clients compress
their documents), decoded as they stream in.

An ASGI middleware, so every handler sees plain bytes and the body-size limits downstream count the
decoded bytes (a small compressed body cannot expand past them: each received chunk is inflated in
bounded slices, handed on one at a time).
"""
from __future__ import annotations

import zlib
from typing import Any, Awaitable, Callable

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_SLICE = 1 << 20  # decoded bytes handed on per message


class GzipRequestMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(*inflating(scope, receive), send)


def inflating(scope: Scope, receive: Receive) -> tuple[Scope, Receive]:
    """The request as the handlers see it: a gzip body inflated as it is received (without the
    Content-Encoding and Content-Length it came with); anything else unchanged."""
    headers = scope.get("headers") or []
    encoding = next((value for name, value in headers if name == b"content-encoding"), None)
    if encoding is None or encoding.strip().lower() not in (b"gzip", b"x-gzip"):
        return scope, receive
    scope = dict(scope, headers=[(n, v) for n, v in headers if n not in (b"content-encoding", b"content-length")])
    return scope, _GzipReceive(receive)


class _GzipReceive:
    """`receive` with the gzip stream inflated; a corrupt stream ends as a 400 downstream."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""  # compressed input not yet inflated (bounded output per step)
        self._more = True

    async def __call__(self) -> Message:
        while True:
            if self._pending:
                return self._inflate_step()
            if not self._more:
                return {"type": "http.request", "body": self._flush(), "more_body": False}
            message = await self._receive()
            if message["type"] != "http.request":
                return message
            self._pending = message.get("body", b"")
            self._more = message.get("more_body", False)
            if not self._pending and not self._more:
                return {"type": "http.request", "body": self._flush(), "more_body": False}

    def _inflate_step(self) -> Message:
        try:
            data = self._inflater.decompress(self._pending, _SLICE)
        except zlib.error:
            raise InvalidContentEncoding("Request body is not valid gzip") from None
        self._pending = self._inflater.unconsumed_tail
        last = not self._pending and not self._more
        if last:
            data += self._flush()
        return {"type": "http.request", "body": data, "more_body": not last}

    def _flush(self) -> bytes:
        try:
            data = self._inflater.flush()
        except zlib.error:
            raise InvalidContentEncoding("Request body is not valid gzip") from None
        if not self._inflater.eof:
            raise InvalidContentEncoding("Request body is a truncated gzip stream")
        return data


class InvalidContentEncoding(ValueError):
    """A body whose Content-Encoding does not match its bytes: the client's error (400)."""
