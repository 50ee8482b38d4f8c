"""Concurrent feeding over /document/v1/ (asyncio, deploy/feed_http.py's keep-alive connections),
with `vespa feed`-style statistics.

Failures are reported per document and counted; they never stop the feed. Overload answers
(429, 503) and connection failures before a request was sent are retried with backoff.

Operations on one document are sent one at a time, in feed order (as `vespa feed`: see
searchlib/sequencing.py): the container stamps each when it arrives, so one that overtook an
earlier one on another connection would be superseded by it (or a resend of the earlier one by a
later remove: the document comes back, both acknowledged).
"""
from __future__ import annotations

import asyncio
import ssl
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, TextIO
from urllib.parse import urlencode

import orjson
from tqdm import tqdm

from deploy.feed_format import FeedItem, FeedOperation, FeedParseError
from deploy.feed_http import ConnectError, Connection, ConnectionDropped, client_ssl_context
from searchlib.sequencing import KeySequencer

DEFAULT_CONCURRENCY = 16  # queries in flight (`eval`)
# `phasedsearch feed`: more writes in flight make a node's Feed batches larger and its per-batch costs
# (gRPC, lock, fsync) smaller a document (BENCHMARKS.md, feed9: 16 → 128 in flight cut the CPU a
# scifact document from ~2.7 to ~1.15 ms in all). Order per document is kept at any number (the
# sequencer below). Vespa's feed client allows 8 connections × 128 streams.
DEFAULT_FEED_CONCURRENCY = 128
RETRYABLE_STATUS = {429, 503}
MAX_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class FeedFailure:
    source_line: int
    document_id: str
    operation: str
    status: int | None  # HTTP status, None for parse or transport errors
    message: str

    def __str__(self) -> str:
        if self.operation == "parse":
            return f"line {self.source_line}: {self.message}"
        status = f"HTTP {self.status}" if self.status is not None else "error"
        return f"line {self.source_line}: {self.operation} {self.document_id}: {status}: {self.message}"


@dataclass
class FeedStats:
    """Counters in the shape `vespa feed` prints (feeder.*, http.*)."""

    operations: int = 0
    ok: int = 0
    failures: list[FeedFailure] = field(default_factory=list)
    response_codes: Counter = field(default_factory=Counter)
    requests: int = 0
    exceptions: int = 0
    request_bytes: int = 0
    response_bytes: int = 0
    latency_ms_min: float = float("inf")
    latency_ms_max: float = 0.0
    latency_ms_total: float = 0.0
    responses: int = 0
    seconds: float = 0.0

    @property
    def failed(self) -> int:
        return len(self.failures)

    def record_response(self, status: int, response_bytes: int, request_bytes: int, latency_ms: float) -> None:
        self.requests += 1
        self.responses += 1
        self.request_bytes += request_bytes
        self.response_bytes += response_bytes
        self.response_codes[status] += 1
        self.latency_ms_min = min(self.latency_ms_min, latency_ms)
        self.latency_ms_max = max(self.latency_ms_max, latency_ms)
        self.latency_ms_total += latency_ms

    def summary(self) -> dict[str, object]:
        seconds = max(self.seconds, 1e-9)
        return {
            "feeder.operation.count": self.operations,
            "feeder.seconds": round(self.seconds, 3),
            "feeder.ok.count": self.ok,
            "feeder.ok.rate": round(self.ok / seconds, 3),
            "feeder.error.count": self.failed,
            "feeder.inflight.count": 0,
            "http.request.count": self.requests,
            "http.request.bytes": self.request_bytes,
            "http.request.MBps": round(self.request_bytes / seconds / 1e6, 3),
            "http.exception.count": self.exceptions,
            "http.response.count": self.responses,
            "http.response.bytes": self.response_bytes,
            "http.response.MBps": round(self.response_bytes / seconds / 1e6, 3),
            "http.response.error.count": sum(n for code, n in self.response_codes.items() if code != 200),
            "http.response.latency.millis.min": round(self.latency_ms_min, 3) if self.responses else 0,
            "http.response.latency.millis.avg": round(self.latency_ms_total / self.responses, 3)
            if self.responses else 0,
            "http.response.latency.millis.max": round(self.latency_ms_max, 3),
            "http.response.code.counts": {str(code): n for code, n in sorted(self.response_codes.items())},
        }


def _failure_message(body: bytes, reason: str) -> str:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace").strip()[:300] or reason
    if isinstance(parsed, dict) and "message" in parsed:
        return str(parsed["message"])
    return orjson.dumps(parsed).decode()[:300]


def _encode(connection: Connection, operation: FeedOperation) -> bytes:
    body = operation.request_body()
    params = operation.request_params()
    target = f"{operation.path}?{urlencode(params)}" if params else operation.path
    return connection.encode(operation.http_method, target, orjson.dumps(body) if body is not None else None)


async def _send_with_retries(connection: Connection, operation: FeedOperation, stats: FeedStats,
                             timeout: float) -> FeedFailure | None:
    try:
        request = _encode(connection, operation)
    except TypeError as error:  # orjson.JSONEncodeError: e.g. an integer beyond 64 bits from code
        return FeedFailure(operation.source_line, operation.document_id, operation.kind, None,
                           f"cannot encode the operation as JSON: {error}")
    delay = 0.05
    for attempt in range(1, MAX_ATTEMPTS + 1):
        started = time.perf_counter()
        try:
            status, body, reason = await asyncio.wait_for(connection.request(request), timeout)
        except (ConnectError, ConnectionDropped, asyncio.TimeoutError) as error:
            if isinstance(error, asyncio.TimeoutError):
                connection.close()  # an answer may still come: the connection is out of step
                error = ConnectionDropped(f"no answer in {timeout:g} s")
            stats.exceptions += 1
            if attempt == MAX_ATTEMPTS or not _safe_to_resend(operation, error):
                return FeedFailure(operation.source_line, operation.document_id, operation.kind, None,
                                   f"{type(error).__name__}: {error}")
        else:
            stats.record_response(status, len(body), len(request), (time.perf_counter() - started) * 1000)
            if status == 200:
                return None
            if status not in RETRYABLE_STATUS or attempt == MAX_ATTEMPTS:
                return FeedFailure(operation.source_line, operation.document_id, operation.kind,
                                   status, _failure_message(body, reason))
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")


def _safe_to_resend(operation: FeedOperation, error: OSError) -> bool:
    """A request that never reached the server can always be sent again. One that may have (the
    connection dropped before the answer, e.g. a keep-alive connection the server was closing)
    only when applying it twice changes nothing: puts and removes, not updates (increments)."""
    return isinstance(error, ConnectError) or operation.kind in ("put", "remove")


def _parse_failure(error: FeedParseError) -> FeedFailure:
    return FeedFailure(error.source_line, "", "parse", None,
                       error.message + (f": {error.excerpt}" if error.excerpt else ""))


async def feed_async(items: Iterable[FeedItem], url: str, *, concurrency: int = DEFAULT_FEED_CONCURRENCY,
                     timeout: float = 180.0, on_done: Callable[[FeedFailure | None], None] | None = None,
                     headers: dict[str, str] | None = None, ssl_context: ssl.SSLContext | None = None) -> FeedStats:
    """Feed every operation with `concurrency` requests in flight; `on_done` is called per item.
    `headers` go with every request (`Authorization: Bearer ...` for a token client); `ssl_context`
    verifies an https container (default: the system's and certifi's trust stores)."""
    stats = FeedStats()
    if url.startswith("https:") and ssl_context is None:
        ssl_context = client_ssl_context()  # once: loading the trust stores costs milliseconds
    iterator = iter(items)
    started = time.perf_counter()
    sequencer = KeySequencer()

    async def send_in_order(connection: Connection, operation: FeedOperation) -> FeedFailure | None:
        async with sequencer.turn(operation.document_id):  # entered as taken from the feed: in feed order
            return await _send_with_retries(connection, operation, stats, timeout)

    async def worker() -> None:
        connection = Connection(url, headers, ssl_context)  # one keep-alive connection per worker
        try:
            # one shared iterator: the loop is single-threaded, so next() is never concurrent
            for item in iterator:
                stats.operations += 1
                if isinstance(item, FeedParseError):
                    failure: FeedFailure | None = _parse_failure(item)
                else:
                    failure = await send_in_order(connection, item)
                if failure is None:
                    stats.ok += 1
                else:
                    stats.failures.append(failure)
                if on_done is not None:
                    on_done(failure)
        finally:
            connection.close()

    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    stats.seconds = time.perf_counter() - started
    return stats


def feed(items: Iterable[FeedItem], url: str, *, total: int | None = None,
         concurrency: int = DEFAULT_FEED_CONCURRENCY, show_progress: bool = True,
         report_to: TextIO | None = None, description: str = "feeding",
         headers: dict[str, str] | None = None, ssl_context: ssl.SSLContext | None = None) -> FeedStats:
    """Feed with a progress bar; each failure is printed (to stderr by default) as it happens."""
    report_to = report_to or sys.stderr
    # disable=None: a bar only on a terminal, so logs and pipes get the failures and the summary only
    with tqdm(total=total, unit="doc", desc=description, disable=None if show_progress else True,
              file=report_to, dynamic_ncols=True) as progress:

        def on_done(failure: FeedFailure | None) -> None:
            progress.update(1)
            if failure is not None:
                progress.write(f"failed: {failure}", file=report_to)

        return asyncio.run(feed_async(items, url, concurrency=concurrency, on_done=on_done,
                                      headers=headers, ssl_context=ssl_context))
