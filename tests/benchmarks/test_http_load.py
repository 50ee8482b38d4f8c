"""The benchmarks' HTTP load generator against a real loopback server: answers come back in request
order whether sized by Content-Length or chunked, and a connection the server drops mid-run is
reopened and its request resent."""
from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import pytest

from benchmarks import http_load


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, state: dict) -> None:
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            break
        target = head.split(b" ", 2)[1].decode()
        n = int(parse_qs(urlsplit(target).query)["n"][0])
        state["seen"].append(n)
        if n == 3 and not state["dropped"]:  # drop the connection once, before answering
            state["dropped"] = True
            writer.close()
            return
        body = f'{{"n": {n}}}'.encode()
        if n % 2:
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                         + b"%x\r\n%s\r\n" % (len(body[:4]), body[:4])
                         + b"%x\r\n%s\r\n" % (len(body[4:]), body[4:]) + b"0\r\n\r\n")
        else:
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
    writer.close()


@pytest.mark.parametrize("clients", [1, 3])
def test_answers_in_request_order_with_both_framings_and_a_resend(clients: int) -> None:
    async def scenario():
        state = {"seen": [], "dropped": False}
        server = await asyncio.start_server(lambda r, w: _serve(r, w, state), "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        try:
            requests = [http_load.get_request(url, "/q", {"n": str(n)}) for n in range(10)]
            return await http_load.run(url, requests, clients), state
        finally:
            server.close()
            await server.wait_closed()

    done, state = asyncio.run(scenario())
    assert [a.body for a in done.answers] == [f'{{"n": {n}}}'.encode() for n in range(10)]
    assert [a.status for a in done.answers] == [200 if n % 2 else 404 for n in range(10)]
    assert state["dropped"] and state["seen"].count(3) == 2 and done.resent == (3,)
    assert done.qps > 0 and all(s >= 0 for s in done.latencies)


def test_get_request_encodes_the_query_string() -> None:
    wire = http_load.get_request("http://127.0.0.1:8080", "/search/", {"yql": "select * from doc where true"})
    assert wire.startswith(b"GET /search/?yql=select+%2A+from+doc+where+true HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n")
    assert wire.endswith(b"\r\n\r\n")
