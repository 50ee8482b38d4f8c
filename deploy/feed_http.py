"""The feed client's HTTP/1.1: one keep-alive connection over asyncio streams, one request in flight,
request bytes built directly and answers read by Content-Length (or chunked).

Why not httpx: its per-request machinery cost ~1.4 ms of CPU a document in `phasedsearch feed`,
more than the container and both content nodes together (BENCHMARKS.md, "Where a fed document's
CPU goes"). The feed sends one kind of request to one host, which needs none of that generality.
"""
from __future__ import annotations

import asyncio
import select
import ssl
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


class ConnectError(OSError):
    """The connection could not be opened: the request was never sent."""


class ConnectionDropped(OSError):
    """The connection broke after the request may have been sent (e.g. a keep-alive connection the
    server was closing): the server may or may not have applied it."""


def client_ssl_context() -> ssl.SSLContext:
    """The system's trust store (SSL_CERT_FILE / SSL_CERT_DIR honoured) plus certifi's, as httpx trusted."""
    context = ssl.create_default_context()
    try:
        import certifi
    except ImportError:  # certifi is optional: the system store alone
        return context
    context.load_verify_locations(cafile=certifi.where())
    return context


class Connection:
    """A keep-alive HTTP/1.1 connection to the host of `url`, reopened on demand after a drop.
    `headers` go with every request (`Authorization: Bearer ...`)."""

    def __init__(self, url: str, headers: dict[str, str] | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.host = parts.hostname
        self.port = parts.port or DEFAULT_PORTS[parts.scheme]
        self.ssl = (ssl_context or client_ssl_context()) if parts.scheme == "https" else None
        self.prefix = parts.path.rstrip("/")
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        self.head_tail = f"Host: {parts.netloc}\r\n{extra}".encode("latin-1")
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def encode(self, method: str, target: str, body: bytes | None) -> bytes:
        """The request on the wire: `target` is an already escaped path with its query string."""
        start = f"{method} {self.prefix}{target} HTTP/1.1\r\n".encode("latin-1")
        if body is None:
            return start + self.head_tail + b"Content-Length: 0\r\n\r\n"
        return (start + self.head_tail + b"Content-Type: application/json\r\nContent-Length: "
                + str(len(body)).encode() + b"\r\n\r\n" + body)

    async def request(self, data: bytes) -> tuple[int, bytes, str]:
        """Send encoded request bytes; (status, body, reason). Raises ConnectError or
        ConnectionDropped; the caller's timeout (asyncio.wait_for) must be followed by close()."""
        if self.writer is not None and self._closed_by_server():
            self.close()
        if self.writer is None:
            try:
                self.reader, self.writer = await asyncio.open_connection(
                    self.host, self.port, ssl=self.ssl, server_hostname=self.host if self.ssl else None)
            except (OSError, ssl.SSLError) as error:
                raise ConnectError(f"{type(error).__name__}: {error}") from error
        try:
            self.writer.write(data)
            status, reason, body, keep_alive = await read_answer(self.reader)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError) as error:
            self.close()
            raise ConnectionDropped(f"{type(error).__name__}: {error or 'connection closed'}") from error
        if not keep_alive:
            self.close()
        return status, body, reason

    def _closed_by_server(self) -> bool:
        """An idle keep-alive connection the server closed (its timeout) shows as readable or at EOF:
        reopen it rather than send a request that would be lost, as httpcore checks."""
        if self.reader.at_eof():
            return True
        sock = self.writer.get_extra_info("socket")
        return sock is not None and bool(select.select([sock.fileno()], [], [], 0)[0])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, str, bytes, bool]:
    """One HTTP/1.1 answer: (status, reason, body, whether the connection stays open)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].split(b"\r\n")
    _, status, *reason = lines[0].split(b" ", 2)
    length, chunked, keep_alive = None, False, True
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            keep_alive = b"close" not in value.lower()
    if chunked:
        body = await _read_chunked(reader)
    elif length is not None:
        body = await reader.readexactly(length)
    else:  # no length: the body runs to the end of the connection
        body, keep_alive = await reader.read(), False
    return int(status), (reason[0].decode("latin-1") if reason else ""), body, keep_alive


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
