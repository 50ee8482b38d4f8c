"""uvicorn's httptools protocol with the connection guards it lacks: uvicorn closes a connection
that idles *between* requests (timeout_keep_alive), but one that connects and sends nothing, or
sends half a request line or half the headers and stalls, is kept forever, and the request line
and headers may grow without bound. Here:

- a new connection must start a request within `idle-timeout`;
- a request's line and headers must be complete within `request-timeout` of its first byte
  (the body is timed by container.http.limits.RequestGuard); the timer is set only when the data
  received so far ends inside a head, so a head that arrives whole costs none;
- the request line and headers together may be at most `header-bytes` (431 and close).
"""
from __future__ import annotations

import asyncio
import time

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from searchlib.schema.model import ContainerLimits


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    limits: ContainerLimits = ContainerLimits()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        # HTTPS: the verified client certificate (DER) this connection presented, if any
        self._client_certificate = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        self._header_bytes = 0
        self._headers_too_large = False
        self._in_head = False  # a request line or headers begun and not complete
        self._head_began = 0.0
        self._stall_timer: asyncio.TimerHandle | None = None
        self._arm(self.limits.idle_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # a head still incomplete once this data is parsed must be completed in time; one that came
        # whole (the common case) never needs the timer
        if self._in_head and self._stall_timer is None and not self.transport.is_closing():
            self._arm(self._head_began + self.limits.request_timeout - time.monotonic())

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_began = self.scope["state"]["arrived"] = time.monotonic()  # the query's deadline counts from here
        if self._client_certificate:  # for container/http/auth.py: which data-plane client this is
            self.scope["extensions"] = {"tls": {"client_cert_der": self._client_certificate}}
        self._header_bytes = 0
        self._in_head = True
        self._disarm()  # a new connection's idle timer

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_complete()
        super().on_headers_complete()

    def _head_complete(self) -> None:
        self._in_head = False
        self._disarm()

    def send_400_response(self, msg: str) -> None:
        if not self._headers_too_large:
            super().send_400_response(msg)
            return
        text = f"Request line and headers are larger than the limit of {self.limits.header_bytes} bytes"
        self.transport.write(b"".join([
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n",
            b"content-length: %d\r\nconnection: close\r\n\r\n" % len(text), text.encode("ascii")]))
        self.transport.close()

    def _count(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.limits.header_bytes:
            self._headers_too_large = True
            raise ValueError("request headers too large")  # the parser stops; send_400_response answers

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._stall_timer = self.loop.call_later(max(seconds, 0.0), self._stalled)

    def _disarm(self) -> None:
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None

    def _stalled(self) -> None:
        self._stall_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def protocol_for(limits: ContainerLimits) -> type[GuardedHttpToolsProtocol]:
    return type("GuardedHttpToolsProtocol", (GuardedHttpToolsProtocol,), {"limits": limits})
