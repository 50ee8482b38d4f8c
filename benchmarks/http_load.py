"""A lean HTTP/1.1 load generator for the query benchmarks: `clients` keep-alive connections, one
request in flight on each, requests encoded up front and answers read by Content-Length.

Why not httpx: on this 2-core machine httpx's client costs ~3.4 ms of CPU per query, more than the
container (~2.2 ms) or a content node (~1.4 ms), so the benchmark was measuring its own client.
This one costs a fraction of that, which leaves the cores to the engine, as a C load generator
(Vespa's fbench, wrk) would.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Sequence
from urllib.parse import urlencode, urlsplit

import numpy as np

from deploy.feed_http import read_answer


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    seconds: float


@dataclass(frozen=True, slots=True)
class LoadRun:
    answers: list[Answer]  # one per request, in request order
    seconds: float  # wall time of the whole run
    resent: tuple[int, ...] = ()  # requests resent because their connection dropped

    @property
    def qps(self) -> float:
        return len(self.answers) / self.seconds

    @property
    def latencies(self) -> list[float]:
        return [a.seconds for a in self.answers]

    def latency_ms(self, percentile: float) -> float:
        """The answers' latency at `percentile`, in milliseconds, to 0.01 (as every benchmark reports it)."""
        return round(float(np.percentile(np.array(self.latencies) * 1000, percentile)), 2)


def get_request(url: str, path: str, params: dict[str, str]) -> bytes:
    """A keep-alive GET of `path?params` on the host of `url`, as bytes on the wire."""
    host = urlsplit(url).netloc
    return (f"GET {path}?{urlencode(params)} HTTP/1.1\r\nHost: {host}\r\n"
            f"Accept: application/json\r\n\r\n").encode("ascii")


async def run(url: str, requests: Sequence[bytes], clients: int, timeout: float = 120.0) -> LoadRun:
    """Send every request once with `clients` connections; a dropped connection is reopened and
    its request resent (up to 5 times)."""
    parts = urlsplit(url)
    answers: list[Answer | None] = [None] * len(requests)
    pending = iter(range(len(requests)))
    resent: list[int] = []

    async def client() -> None:
        reader = writer = None
        for n in pending:
            for attempt in range(5):
                if writer is None:
                    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
                started = time.perf_counter()
                try:
                    writer.write(requests[n])
                    status, _, body, _ = await asyncio.wait_for(read_answer(reader), timeout)
                    break
                except (ConnectionError, asyncio.IncompleteReadError):
                    writer.close()
                    resent.append(n)
                    reader = writer = None
                    if attempt == 4:
                        raise
            answers[n] = Answer(status, body, time.perf_counter() - started)
        if writer is not None:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return LoadRun([a for a in answers if a is not None], time.perf_counter() - started, tuple(resent))


def post_request(url: str, path: str, body: bytes) -> bytes:
    """A keep-alive POST of a JSON `body` to `path` on the host of `url`, as bytes on the wire."""
    host = urlsplit(url).netloc
    return (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("ascii") + body
