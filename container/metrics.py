"""The container's metrics as Vespa serves them: `/metrics/v2/values` (JSON) and
`/prometheus/v1/values` (Prometheus text), with each content node's document count.

Queries (per rank profile): `queries`, `query_latency` (sum, count, max, average and percentiles
over the last `WINDOW` queries), `hits_per_query`, `totalhits_per_query`, `degraded_queries`,
`failed_queries`. Feed (per operation): `httpapi_num_operations`, `httpapi_latency`,
`httpapi_succeeded`, `httpapi_failed`. Global phase: ONNX inference time and batches per execution
provider. Counts are cumulative since the container started: a monitoring system takes rates.

Recorded by an ASGI middleware, so handlers only leave what the middleware cannot see (the rank
profile, hit counts, coverage) in `request.state.search_outcome`.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

WINDOW = 2048  # latest latencies kept per series, for percentiles
Dimensions = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    """What the search handler tells the metrics about one query."""

    rank_profile: str
    hits: int
    total_hits: int
    degraded: bool  # coverage below 100%
    failed: bool  # answered with errors and no hits


class _Series:
    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.maximum = 0.0
        self.recent: deque[float] = deque(maxlen=WINDOW)

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.maximum = max(self.maximum, value)
        self.recent.append(value)

    def values(self, with_percentiles: bool) -> dict[str, float]:
        out = {"sum": self.total, "count": float(self.count), "max": self.maximum,
               "average": self.total / self.count if self.count else 0.0}
        if with_percentiles and self.recent:
            p95, p99 = np.percentile(np.fromiter(self.recent, dtype=np.float64), [95, 99])
            out.update({"95percentile": float(p95), "99percentile": float(p99)})
        return out


class ContainerMetrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, Dimensions], float] = {}
        self._series: dict[tuple[str, Dimensions], _Series] = {}
        self.started = time.time()

    def count(self, name: str, dimensions: Dimensions = (), amount: float = 1.0) -> None:
        with self._lock:
            key = (name, dimensions)
            self._counters[key] = self._counters.get(key, 0.0) + amount

    def observe(self, name: str, value: float, dimensions: Dimensions = ()) -> None:
        with self._lock:
            self._series.setdefault((name, dimensions), _Series()).add(value)

    def record_query(self, outcome: SearchOutcome | None, seconds: float) -> None:
        dims = (("chain", "vespa"), ("rankProfile", outcome.rank_profile if outcome else "unknown"))
        self.count("queries", dims)
        self.observe("query_latency", seconds * 1000.0, dims)  # Vespa reports milliseconds
        if outcome is None or outcome.failed:
            self.count("failed_queries", dims)
            return
        self.observe("hits_per_query", float(outcome.hits), dims)
        self.observe("totalhits_per_query", float(outcome.total_hits), dims)
        if outcome.degraded:
            self.count("degraded_queries", dims)

    def record_search(self, outcome: SearchOutcome | None, status: int, seconds: float) -> None:
        """One /search/ request that answered `status` (an error status is a failed query)."""
        if outcome is not None and status >= 400:
            outcome = SearchOutcome(outcome.rank_profile, 0, 0, False, True)
        self.record_query(outcome, seconds)

    def record_feed(self, operation: str, status: int, seconds: float) -> None:
        dims = (("operation", operation),)
        self.count("httpapi_num_operations", dims)
        self.observe("httpapi_latency", seconds * 1000.0, dims)
        self.count("httpapi_succeeded" if status < 300 or (operation == "get" and status == 404)
                   else "httpapi_failed", dims)

    def samples(self, extra: Iterable[tuple[str, Dimensions, float]] = ()) -> list[tuple[str, Dimensions, float]]:
        """Every value as (name.suffix, dimensions, value)."""
        with self._lock:
            out = [(f"{name}.count", dims, value) for (name, dims), value in self._counters.items()]
            for (name, dims), series in self._series.items():
                percentiles = name.endswith("latency")
                out.extend((f"{name}.{suffix}", dims, value)
                           for suffix, value in series.values(percentiles).items())
        return sorted(out + list(extra), key=lambda s: (s[0], s[1]))


def onnx_samples(counters: dict[str, int]) -> list[tuple[str, Dimensions, float]]:
    """The global phase's ONNX counters (`onnx.<what>.<provider>`) as metric samples."""
    names = {"sessions": ("globalphase.onnx_sessions.count", 1.0), "batches": ("globalphase.onnx_batches.count", 1.0),
             "rows": ("globalphase.onnx_rows.count", 1.0),
             "inference_us": ("globalphase.inference_seconds.sum", 1e-6)}
    out = []
    for key, value in counters.items():
        _, what, provider = key.split(".", 2)
        if what in names:
            name, scale = names[what]
            out.append((name, (("provider", provider),), value * scale))
    return out


def v2_values(samples: list[tuple[str, Dimensions, float]], service: str = "vespa.container") -> dict[str, Any]:
    """Vespa's /metrics/v2/values shape: one node, one service, metrics grouped by dimensions."""
    grouped: dict[Dimensions, dict[str, float]] = {}
    for name, dims, value in samples:
        grouped.setdefault(dims, {})[name] = value
    metrics = [{"values": values, "dimensions": dict(dims)} for dims, values in grouped.items()]
    return {"nodes": [{"hostname": "localhost", "role": "container", "services": [
        {"name": service, "timestamp": int(time.time()), "status": {"code": "up"}, "metrics": metrics}]}]}


def prometheus_text(samples: list[tuple[str, Dimensions, float]]) -> str:
    lines = []
    for name, dims, value in samples:
        labels = ",".join(f'{key}="{_escape(val)}"' for key, val in dims)
        metric = name.replace(".", "_").replace("-", "_")
        lines.append(f"{metric}{{{labels}}} {value!r}" if labels else f"{metric} {value!r}")
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class MetricsMiddleware:
    """Times /search and /document/v1 requests and records them when the response has started."""

    def __init__(self, app: Callable, metrics: ContainerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        kind = "search" if path.startswith("/search") else "document" if path.startswith("/document/v1/") else None
        if kind is None:
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def recording_send(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)
        try:
            await self.app(scope, receive, recording_send)
        finally:
            seconds = time.perf_counter() - started
            if kind == "search":
                self.metrics.record_search(scope.get("state", {}).get("search_outcome"), status, seconds)
            else:
                self.metrics.record_feed(feed_operation(scope.get("method", ""), path), status, seconds)


_OPERATIONS = {"GET": "get", "POST": "put", "PUT": "update", "DELETE": "remove"}


def feed_operation(method: str, path: str) -> str:
    """The `operation` dimension of a /document/v1/ request's feed metrics."""
    operation = _OPERATIONS.get(method, "other")
    is_visit = "/docid/" not in path or path.endswith("/docid/")
    return "visit" if is_visit and operation == "get" else operation
