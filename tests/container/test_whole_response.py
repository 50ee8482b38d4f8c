"""A front's whole response in one transport write (container/http/server.py `respond` /
`send_whole`), through uvicorn's own httptools protocol and send: the same bytes as the two ASGI
messages produce, in one write; HEAD, `connection: close`, HTTP/1.0, pipelined requests and a server
without the extension (plain ASGI sends) keep working."""
from __future__ import annotations

import asyncio

from uvicorn.config import Config
from uvicorn.server import ServerState

from container.http.server import WHOLE_RESPONSE, protocol_for, respond
from searchlib.schema.model import ContainerLimits

BODY = b'{"answer":"\xc3\xa9"}'


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.closed_by_server = False  # closed before the client went away

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


def make_app(use_respond: bool, headers=((b"content-type", b"application/json"),)):
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        all_headers = [(b"content-length", b"%d" % len(BODY)), *headers]
        if use_respond:
            await respond(scope, send, 200, all_headers, BODY)
        else:
            await send({"type": "http.response.start", "status": 200, "headers": all_headers})
            await send({"type": "http.response.body", "body": BODY})
    return app


def serve(app, requests: bytes) -> RecordingTransport:
    async def main() -> RecordingTransport:
        config = Config(app=app, lifespan="off", log_level="warning", access_log=False, proxy_headers=False,
                        server_header=False, date_header=False)
        protocol = protocol_for(ContainerLimits())(config=config, server_state=ServerState(), app_state={},
                                                  _loop=asyncio.get_running_loop())
        transport = RecordingTransport()
        protocol.connection_made(transport)
        protocol.data_received(requests)
        for _ in range(50):
            await asyncio.sleep(0)
        transport.closed_by_server = transport.closed
        protocol.connection_lost(None)
        return transport

    return asyncio.run(main())


GET = b"GET /search/ HTTP/1.1\r\nHost: x\r\n\r\n"


def test_one_write_with_the_same_bytes_as_two_messages():
    whole, plain = serve(make_app(True), GET), serve(make_app(False), GET)
    assert len(whole.writes) == 1 and len(plain.writes) == 2
    assert whole.writes[0] == b"".join(plain.writes)
    assert whole.writes[0] == (b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\ncontent-type: application/json\r\n\r\n"
                               % len(BODY) + BODY)
    assert not whole.closed_by_server


def test_head_close_http10_and_pipelined_requests_are_answered_as_before():
    cases = [b"HEAD /search/ HTTP/1.1\r\nHost: x\r\n\r\n",
             b"GET /search/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
             b"GET /search/ HTTP/1.0\r\n\r\n",
             GET + GET + GET]
    for requests in cases:
        whole, plain = serve(make_app(True), requests), serve(make_app(False), requests)
        assert b"".join(whole.writes) == b"".join(plain.writes), requests
        assert whole.closed_by_server == plain.closed_by_server, requests
    assert b"".join(serve(make_app(True), GET + GET + GET).writes).count(BODY) == 3
    assert serve(make_app(True), cases[1]).closed_by_server


def test_a_response_that_asks_to_close_the_connection_is_written_before_it_closes():
    closing = make_app(True, headers=((b"content-type", b"application/json"), (b"connection", b"close")))
    transport = serve(closing, GET + GET)
    assert transport.closed_by_server and len(transport.writes) == 1 and transport.writes[0].endswith(BODY)


def test_without_the_extension_respond_sends_the_two_asgi_messages():
    sent = []

    async def send(message):
        sent.append(message)

    async def main():
        await respond({"type": "http"}, send, 201, [(b"content-length", b"2")], b"{}")
        await respond({"type": "http", "extensions": {"tls": {}}}, send, 200, [], b"")

    asyncio.run(main())
    assert sent == [{"type": "http.response.start", "status": 201, "headers": [(b"content-length", b"2")]},
                    {"type": "http.response.body", "body": b"{}"},
                    {"type": "http.response.start", "status": 200, "headers": []},
                    {"type": "http.response.body", "body": b""}]


def test_the_protocol_offers_the_extension_on_every_request():
    seen = []

    async def app(scope, receive, send):
        seen.append(WHOLE_RESPONSE in scope.get("extensions", {}))
        await respond(scope, send, 200, [(b"content-length", b"0")], b"")

    serve(app, GET + GET)
    assert seen == [True, True]
