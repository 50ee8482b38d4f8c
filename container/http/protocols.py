"""HTTP/1.1 and cleartext HTTP/2 on one port.

Vespa's feed clients (`vespa feed`, pyvespa's async feed) speak HTTP/2 with prior knowledge: the
connection opens with the HTTP/2 preface instead of a request line. The first bytes of each
connection are sniffed: the preface goes to uvicorn's HTTP/2 protocol (zttp), anything else to
httptools (with the container's connection guards, container/http/server.py), which stays the HTTP/1.1 parser because it is the cheaper one per query
(BENCHMARKS.md, "HTTP/2 and HTTP/1.1 on one port").
"""
from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.http.zttp_h2_impl import ZttpH2Protocol
from uvicorn.server import ServerState

HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class Http1Or2Protocol(asyncio.Protocol):
    """Holds a new connection until its first bytes say which protocol it speaks, then hands the
    transport over. A connection that sends nothing is closed after the keep-alive timeout."""

    http1_class: type[asyncio.Protocol] = HttpToolsProtocol

    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        if not config.loaded:
            config.load()
        self._config = config
        self._server_state = server_state
        self._app_state = app_state
        self._loop = _loop or asyncio.get_event_loop()
        self._transport: asyncio.Transport | None = None
        self._idle: asyncio.TimerHandle | None = None
        self._buffer = b""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._transport = transport
        self._server_state.connections.add(self)  # so a shutdown closes it
        self._idle = self._loop.call_later(self._config.timeout_keep_alive, transport.close)

    def connection_lost(self, exc: Exception | None) -> None:
        self._release()

    def shutdown(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) < len(HTTP2_PREFACE) and HTTP2_PREFACE.startswith(self._buffer):
            return  # could still be the preface
        self._release()
        protocol_class = ZttpH2Protocol if self._buffer.startswith(HTTP2_PREFACE) else self.http1_class
        protocol = protocol_class(config=self._config, server_state=self._server_state,
                                  app_state=self._app_state, _loop=self._loop)
        transport, self._transport = self._transport, None
        assert transport is not None
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        protocol.data_received(self._buffer)

    def _release(self) -> None:
        self._server_state.connections.discard(self)
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None


def with_http2(http1_class: type[asyncio.Protocol]) -> type[Http1Or2Protocol]:
    """The sniffing protocol with `http1_class` (the guarded httptools protocol) for HTTP/1.1."""
    return type("Http1Or2Protocol", (Http1Or2Protocol,), {"http1_class": http1_class})
