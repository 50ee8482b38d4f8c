"""The guarded httptools protocol's head timer (container/http/server.py): a request whose line and
headers arrive whole sets no timer; one whose head stops half-way is closed `request-timeout` after
its first byte, however it trickles in; a new connection that sends nothing is closed after
`idle-timeout`."""
from __future__ import annotations

import asyncio
import time

from uvicorn.config import Config
from uvicorn.server import ServerState

from container.http.server import protocol_for
from searchlib.schema.model import ContainerLimits

LIMITS = ContainerLimits(request_timeout=0.3, idle_timeout=0.4)
BODY = b'{"answer":1}'


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name, default=None):
        return {"peername": ("127.0.0.1", 1), "sockname": ("127.0.0.1", 2)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def app(scope, receive, send):
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(BODY))]})
        await send({"type": "http.response.body", "body": BODY})


def connect(loop) -> tuple:
    config = Config(app=app, lifespan="off", log_level="warning", access_log=False, proxy_headers=False,
                    server_header=False, date_header=False)
    protocol = protocol_for(LIMITS)(config=config, server_state=ServerState(), app_state={}, _loop=loop)
    transport = RecordingTransport()
    protocol.connection_made(transport)
    return protocol, transport


def test_a_whole_head_sets_no_timer_and_is_answered():
    async def main():
        protocol, transport = connect(asyncio.get_running_loop())
        assert protocol._stall_timer is not None  # the idle timer of a new connection
        protocol.data_received(b"GET /search/ HTTP/1.1\r\nHost: x\r\n\r\n")
        assert protocol._stall_timer is None
        await asyncio.sleep(0.5)
        assert not transport.closed and b"".join(transport.writes).endswith(BODY)
        protocol.connection_lost(None)

    asyncio.run(main())


def test_a_head_that_stops_half_way_is_closed_after_request_timeout():
    async def main():
        for pieces in ([b"GET /search/ HTTP/1.1\r\nHost: x\r\n"], [b"GET /sea", b"rch/ HTTP/1.1\r\n", b"Host: x\r\n"]):
            protocol, transport = connect(asyncio.get_running_loop())
            started = time.monotonic()
            for piece in pieces:  # trickled: the deadline still counts from the first byte
                protocol.data_received(piece)
                await asyncio.sleep(0.1)
            while not transport.closed and time.monotonic() - started < 2:
                await asyncio.sleep(0.01)
            assert transport.closed and 0.28 < time.monotonic() - started < 0.6, pieces
            assert not transport.writes
            protocol.connection_lost(None)

    asyncio.run(main())


def test_a_head_completed_in_a_second_piece_is_answered_and_the_timer_is_gone():
    async def main():
        protocol, transport = connect(asyncio.get_running_loop())
        protocol.data_received(b"GET /search/ HTTP/1.1\r\n")
        assert protocol._stall_timer is not None
        protocol.data_received(b"Host: x\r\n\r\n")
        assert protocol._stall_timer is None
        await asyncio.sleep(0.5)
        assert not transport.closed and b"".join(transport.writes).endswith(BODY)
        protocol.connection_lost(None)

    asyncio.run(main())


def test_a_silent_connection_is_closed_after_idle_timeout():
    async def main():
        protocol, transport = connect(asyncio.get_running_loop())
        started = time.monotonic()
        while not transport.closed and time.monotonic() - started < 2:
            await asyncio.sleep(0.01)
        assert transport.closed and 0.38 < time.monotonic() - started < 0.7
        protocol.connection_lost(None)

    asyncio.run(main())
