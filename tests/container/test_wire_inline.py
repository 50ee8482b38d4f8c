"""The node's lean Search transport runs a request read alone on its connection's reader thread
when the connection's recent calls were cheap (no hand-off to the pool), and hands it to the pool
when other calls of the connection are unanswered, other requests came with it, or its calls got
expensive; the same replies either way (content_node/wire_server.py, INLINE_CPU_SECONDS)."""
from __future__ import annotations

import socket
import threading
import time
from concurrent import futures

import pytest

from content_node.wire_server import INLINE_CPU_SECONDS, WireServer
from searchlib.wire.frames import MAGIC, REPLY, REQUEST, FrameReader, encode_frame

POOL = futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="pool")


def handler(payload: bytes, call) -> bytes:
    """Answers with the thread it ran on; `heavy` first spends 4× the inline bound of CPU."""
    if payload == b"heavy":
        end = time.thread_time() + 4 * INLINE_CPU_SECONDS
        while time.thread_time() < end:
            pass
    return threading.current_thread().name.encode()


@pytest.fixture
def connection():
    server = WireServer(handler, POOL, "127.0.0.1", 0, workers=4)
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.settimeout(5)
    sock.sendall(MAGIC)
    yield sock, FrameReader()
    sock.close()
    server.close()


def calls(connection, payloads: list[bytes]) -> list[str]:
    """Sends the requests in one write and returns the name of the thread each ran on."""
    sock, reader = connection
    sock.sendall(b"".join(encode_frame(REQUEST, i, p, 5000) for i, p in enumerate(payloads, 1)))
    replies: dict[int, str] = {}
    while len(replies) < len(payloads):
        for frame in reader.feed(sock.recv(1 << 16)):
            assert frame.kind == REPLY
            replies[frame.call_id] = frame.payload.decode()
    return [replies[i] for i in range(1, len(payloads) + 1)]


def test_a_request_read_alone_runs_on_the_reader_thread(connection):
    assert [calls(connection, [b"q"])[0] for _ in range(5)] == ["wire-conn"] * 5


def test_requests_read_together_go_to_the_pool(connection):
    threads = calls(connection, [b"q"] * 6)
    assert sum(name.startswith("pool") for name in threads) >= 5  # the last may find the others answered


def test_a_connection_whose_calls_got_expensive_uses_the_pool_until_they_are_cheap_again(connection):
    heavy = [calls(connection, [b"heavy"])[0] for _ in range(6)]
    assert heavy[0] == "wire-conn" and heavy[-1].startswith("pool")  # the moving average crossed the bound
    cheap = [calls(connection, [b"q"])[0] for _ in range(40)]
    assert cheap[0].startswith("pool") and cheap[-1] == "wire-conn"
