"""Gzip request bodies are inflated as they stream in, in bounded slices."""
from __future__ import annotations

import asyncio
import gzip

import pytest

from container.http.compression import GzipRequestMiddleware, InvalidContentEncoding


def _run(body: bytes, chunk: int, headers: list[tuple[bytes, bytes]]) -> tuple[list[bytes], dict]:
    pieces = [body[i:i + chunk] for i in range(0, len(body), chunk)] or [b""]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1}
                for i, p in enumerate(pieces)]
    received: list[bytes] = []
    seen: dict = {}

    async def receive():
        return messages.pop(0)

    async def app(scope, receive, send):
        seen.update(scope)
        while True:
            message = await receive()
            received.append(message["body"])
            if not message["more_body"]:
                return

    scope = {"type": "http", "headers": headers}
    asyncio.run(GzipRequestMiddleware(app)(scope, receive, None))
    return received, seen


@pytest.mark.parametrize("chunk", [7, 4096, 1 << 22])
def test_gzip_body_is_inflated_whatever_the_chunking(chunk):
    original = b"phased ranking " * 300_000  # 4.5 MB, compresses to a few KB
    compressed = gzip.compress(original)
    received, scope = _run(compressed, chunk, [(b"content-encoding", b"gzip"),
                                               (b"content-length", str(len(compressed)).encode())])
    assert b"".join(received) == original
    assert max(len(piece) for piece in received) <= 1 << 20  # never one huge inflated message
    assert dict(scope["headers"]) == {}  # the encoding and the compressed length are gone


def test_plain_body_passes_through_untouched():
    received, scope = _run(b'{"fields": {}}', 5, [(b"content-type", b"application/json")])
    assert b"".join(received) == b'{"fields": {}}'
    assert scope["headers"] == [(b"content-type", b"application/json")]


@pytest.mark.parametrize("body", [b"not gzip at all", gzip.compress(b"x" * 1000)[:-12]])
def test_corrupt_or_truncated_gzip_is_the_clients_error(body):
    with pytest.raises(InvalidContentEncoding):
        _run(body, 4, [(b"content-encoding", b"gzip")])
