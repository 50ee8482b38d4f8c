"""Concurrent feeding over /document/v1/ (asyncio + httpx), with `vespa feed`-style statistics.

Failures are reported per document and counted; they never stop the feed. Overload answers
(429, 503) and connection failures before a request was sent are retried with backoff.
"""
from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, TextIO

import httpx
from tqdm import tqdm

from deploy.feed_format import FeedItem, FeedOperation, FeedParseError

DEFAULT_CONCURRENCY = 16
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

    def record_response(self, response: httpx.Response, request_bytes: int, latency_ms: float) -> None:
        self.requests += 1
        self.responses += 1
        self.request_bytes += request_bytes
        self.response_bytes += len(response.content)
        self.response_codes[response.status_code] += 1
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


def _failure_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason_phrase
    if isinstance(body, dict) and "message" in body:
        return str(body["message"])
    return json.dumps(body)[:300]


async def _send_with_retries(client: httpx.AsyncClient, operation: FeedOperation,
                             stats: FeedStats) -> FeedFailure | None:
    body = operation.request_body()
    content = json.dumps(body).encode() if body is not None else b""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    delay = 0.05
    for attempt in range(1, MAX_ATTEMPTS + 1):
        started = time.perf_counter()
        try:
            response = await client.request(operation.http_method, operation.path, content=content,
                                            headers=headers, params=operation.request_params())
        except httpx.TransportError as error:
            stats.exceptions += 1
            if attempt == MAX_ATTEMPTS or not _safe_to_resend(operation, error):
                return FeedFailure(operation.source_line, operation.document_id, operation.kind, None,
                                   f"{type(error).__name__}: {error}")
        except httpx.HTTPError as error:
            stats.exceptions += 1
            return FeedFailure(operation.source_line, operation.document_id, operation.kind, None,
                               f"{type(error).__name__}: {error}")
        else:
            stats.record_response(response, len(content), (time.perf_counter() - started) * 1000)
            if response.status_code == 200:
                return None
            if response.status_code not in RETRYABLE_STATUS or attempt == MAX_ATTEMPTS:
                return FeedFailure(operation.source_line, operation.document_id, operation.kind,
                                   response.status_code, _failure_message(response))
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")


def _safe_to_resend(operation: FeedOperation, error: httpx.TransportError) -> bool:
    """A request that never reached the server can always be sent again. One that may have (the
    connection dropped before the answer, e.g. a keep-alive connection the server was closing)
    only when applying it twice changes nothing: puts and removes, not updates (increments)."""
    never_sent = isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
    return never_sent or operation.kind in ("put", "remove")


def _parse_failure(error: FeedParseError) -> FeedFailure:
    return FeedFailure(error.source_line, "", "parse", None,
                       error.message + (f": {error.excerpt}" if error.excerpt else ""))


async def feed_async(items: Iterable[FeedItem], url: str, *, concurrency: int = DEFAULT_CONCURRENCY,
                     timeout: float = 180.0, on_done: Callable[[FeedFailure | None], None] | None = None,
                     transport: httpx.AsyncBaseTransport | None = None,
                     headers: dict[str, str] | None = None) -> FeedStats:
    """Feed every operation with `concurrency` requests in flight; `on_done` is called per item.
    `headers` go with every request (`Authorization: Bearer ...` for a token client)."""
    stats = FeedStats()
    iterator = iter(items)
    started = time.perf_counter()
    # one single-connection client per worker: httpcore's shared pool costs O(connections) per
    # request, which dominated the client's CPU at 16 in flight
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits, transport=transport,
                                     headers=headers) as client:
            # one shared iterator: the loop is single-threaded, so next() is never concurrent
            for item in iterator:
                stats.operations += 1
                if isinstance(item, FeedParseError):
                    failure: FeedFailure | None = _parse_failure(item)
                else:
                    failure = await _send_with_retries(client, item, stats)
                if failure is None:
                    stats.ok += 1
                else:
                    stats.failures.append(failure)
                if on_done is not None:
                    on_done(failure)

    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    stats.seconds = time.perf_counter() - started
    return stats


def feed(items: Iterable[FeedItem], url: str, *, total: int | None = None,
         concurrency: int = DEFAULT_CONCURRENCY, show_progress: bool = True,
         report_to: TextIO | None = None, description: str = "feeding",
         transport: httpx.AsyncBaseTransport | None = None, headers: dict[str, str] | None = None) -> FeedStats:
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
                                      transport=transport, headers=headers))
