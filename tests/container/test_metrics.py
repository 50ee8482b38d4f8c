"""Container metrics: series values, Vespa's v2 JSON and the Prometheus text format."""
from __future__ import annotations

from container.metrics import ContainerMetrics, SearchOutcome, onnx_samples, prometheus_text, v2_values


def test_query_series_and_percentiles_over_the_recent_window():
    metrics = ContainerMetrics()
    for millis in range(1, 101):
        metrics.record_query(SearchOutcome("bm25", 10, 50, degraded=millis % 10 == 0, failed=False), millis / 1000)
    metrics.record_query(None, 0.002)  # refused before a profile was known
    samples = {(name, dims): value for name, dims, value in metrics.samples()}
    dims = (("chain", "vespa"), ("rankProfile", "bm25"))
    assert samples[("queries.count", dims)] == 100
    assert samples[("query_latency.max", dims)] == 100.0
    assert samples[("query_latency.average", dims)] == 50.5
    assert 94 < samples[("query_latency.95percentile", dims)] < 96
    assert samples[("hits_per_query.sum", dims)] == 1000
    assert samples[("degraded_queries.count", dims)] == 10
    assert samples[("failed_queries.count", (("chain", "vespa"), ("rankProfile", "unknown")))] == 1


def test_feed_get_404_is_a_success_and_errors_are_failures():
    metrics = ContainerMetrics()
    metrics.record_feed("get", 404, 0.001)
    metrics.record_feed("put", 507, 0.001)
    samples = {(name, dims): value for name, dims, value in metrics.samples()}
    assert samples[("httpapi_succeeded.count", (("operation", "get"),))] == 1
    assert samples[("httpapi_failed.count", (("operation", "put"),))] == 1


def test_prometheus_text_and_v2_shape():
    samples = [("query_latency.sum", (("rankProfile", 'we"ird\\'),), 1.5), ("uptime.last", (), 3.0)]
    text = prometheus_text(samples)
    assert text.splitlines() == ['query_latency_sum{rankProfile="we\\"ird\\\\"} 1.5', "uptime_last 3.0"]
    body = v2_values(samples)
    metrics = body["nodes"][0]["services"][0]["metrics"]
    assert {"values": {"query_latency.sum": 1.5}, "dimensions": {"rankProfile": 'we"ird\\'}} in metrics


def test_onnx_counters_become_global_phase_samples():
    samples = onnx_samples({"onnx.rows.CPUExecutionProvider": 7, "onnx.inference_us.CPUExecutionProvider": 2_500_000})
    assert ("globalphase.onnx_rows.count", (("provider", "CPUExecutionProvider"),), 7.0) in samples
    assert ("globalphase.inference_seconds.sum", (("provider", "CPUExecutionProvider"),), 2.5) in samples
