"""`phasedsearch eval` over several rankings: the report (report.json, report.html).

Per ranking: nDCG@10, MRR@10 and recall@100 with bootstrap intervals over the judged queries,
latency (p50/p99 of its queries, measured by the client from request to parsed answer, so with
--connections queries in flight); per ranking after the first: per-query deltas against the first
with a paired randomization test. Every query links to the container's explorer
(`/explorer/?query=..&ranking=..&compare=..&queryProfile=..`) at the endpoint evaluated.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence
from urllib.parse import urlencode

from deploy.beir_eval import BeirDataset, QueryRun, evaluate_run, sanitize_query_text
from searchlib.evaluation import DEFAULT_CUTOFFS, per_query_metrics
from searchlib.evaluation_stats import (
    DEFAULT_CONFIDENCE,
    DEFAULT_PERMUTATIONS,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    bootstrap_interval,
    paired_randomization_test,
    percentile,
)

METRICS = tuple(f"{name}@{k}" for name, k in DEFAULT_CUTOFFS.items())  # ndcg@10, mrr@10, recall@100
PRIMARY = METRICS[0]  # the metric of the per-query difference plot


@dataclass(frozen=True, slots=True)
class EvaluatedRanking:
    name: str  # as given in --ranking
    query_profile: str | None  # the package's query profile its queries named, if any
    rank_profile: str  # the rank profile its queries ran
    outcome: QueryRun

    def sent_text(self, text: str) -> str:
        """The query text as eval sent it: as typed to a query profile, else without syntax."""
        return text if self.query_profile else sanitize_query_text(text)


@dataclass(frozen=True, slots=True)
class StatsSettings:
    resamples: int = DEFAULT_RESAMPLES
    permutations: int = DEFAULT_PERMUTATIONS
    seed: int = DEFAULT_SEED
    confidence: float = DEFAULT_CONFIDENCE


def explorer_url(endpoint: str, text: str, ranking: str, compare: str | None = None,
                 query_profile: str | None = None) -> str:
    params = {"query": text, "ranking": ranking}
    if compare:
        params["compare"] = compare
    if query_profile:
        params["queryProfile"] = query_profile
    return f"{endpoint.rstrip('/')}/explorer/?{urlencode(params)}"


def _latency_ms(outcome: QueryRun) -> dict[str, float]:
    seconds = list(outcome.latencies.values())
    return {"p50": percentile(seconds, 0.5) * 1000, "p99": percentile(seconds, 0.99) * 1000,
            "mean": sum(seconds) / len(seconds) * 1000 if seconds else 0.0}


def build_report(dataset: BeirDataset, rankings: Sequence[EvaluatedRanking], *, endpoint: str,
                 concurrency: int, settings: StatsSettings = StatsSettings(),
                 created: datetime | None = None) -> dict[str, Any]:
    """The whole report as plain JSON values; the first ranking is the baseline of every comparison."""
    if not rankings:
        raise ValueError("nothing was evaluated")
    per_query = {ranking.name: per_query_metrics(ranking.outcome.run, dataset.qrels) for ranking in rankings}
    query_ids = list(per_query[rankings[0].name])  # the judged queries with a relevant document
    values = {name: {metric: [scores[query][metric] for query in query_ids] for metric in METRICS}
              for name, scores in per_query.items()}

    def interval(numbers: Sequence[float]) -> dict[str, float]:
        return bootstrap_interval(numbers, confidence=settings.confidence, resamples=settings.resamples,
                                  seed=settings.seed).as_dict()

    profiles = []
    for ranking in rankings:
        counts = evaluate_run(dataset, ranking.outcome)
        profiles.append({
            "name": ranking.name, "rankProfile": ranking.rank_profile, "queryProfile": ranking.query_profile,
            "metrics": {metric: interval(values[ranking.name][metric]) for metric in METRICS},
            "latency_ms": _latency_ms(ranking.outcome),
            **{key: counts[key] for key in ("queries", "failed", "degraded", "no_hits", "hits",
                                            "zero_relevance_hits", "qps")},
        })
    baseline = rankings[0]
    comparisons = []
    for other in rankings[1:]:
        metrics = {}
        for metric in METRICS:
            before, after = values[baseline.name][metric], values[other.name][metric]
            test = paired_randomization_test(before, after, permutations=settings.permutations, seed=settings.seed)
            delta = interval([b - a for a, b in zip(before, after)])
            metrics[metric] = {"mean_delta": test.mean_delta, "low": delta["low"], "high": delta["high"],
                               "p_value": test.p_value, "exact": test.exact, "assignments": test.assignments,
                               "wins": test.wins, "losses": test.losses, "ties": test.ties}
        comparisons.append({"baseline": baseline.name, "profile": other.name, "metrics": metrics})
    queries = []
    for index, query_id in enumerate(query_ids):
        text = dataset.queries.get(query_id, "")
        shown = baseline.sent_text(text)
        links = {other.name: explorer_url(endpoint, shown, baseline.rank_profile, other.rank_profile,
                                          baseline.query_profile) for other in rankings[1:]}
        if len(rankings) == 1:
            links[baseline.name] = explorer_url(endpoint, shown, baseline.rank_profile,
                                                query_profile=baseline.query_profile)
        queries.append({
            "id": query_id, "text": text,
            "metrics": {ranking.name: {metric: values[ranking.name][metric][index] for metric in METRICS}
                        for ranking in rankings},
            "latency_ms": {ranking.name: ranking.outcome.latencies[query_id] * 1000 for ranking in rankings
                           if query_id in ranking.outcome.latencies},
            "failed": {ranking.name: ranking.outcome.failures[query_id] for ranking in rankings
                       if query_id in ranking.outcome.failures},
            "explorer": links,
        })
    return {
        "dataset": str(dataset.root), "dataset_name": dataset.root.name, "endpoint": endpoint,
        "created": (created or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        "method": {
            "metrics": list(METRICS), "primary": PRIMARY, "confidence": settings.confidence,
            "interval": "percentile bootstrap of the mean over queries; exact enumeration up to 8 queries, "
                        f"else {settings.resamples} resamples (numpy PCG64, seed {settings.seed})",
            "test": "paired randomization (sign-flip) test of the mean per-query difference, two-sided; "
                    f"exact when 2^queries <= {settings.permutations}, else {settings.permutations} random "
                    f"assignments (seed {settings.seed}), p = (1 + hits) / (1 + assignments)",
            "resamples": settings.resamples, "permutations": settings.permutations, "seed": settings.seed,
            "latency": f"client wall time per query with {concurrency} queries in flight; inverse-CDF p50/p99",
            "concurrency": concurrency,
        },
        "profiles": profiles,
        "comparisons": comparisons,
        "queries": queries,
    }


def write_reports(report: Mapping[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """report.json and report.html in out_dir (created); returns both paths."""
    from deploy.eval_report_html import render_html  # the HTML is only needed here

    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out_dir / "report.json", out_dir / "report.html"
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    html_path.write_text(render_html(report), encoding="utf-8")
    return json_path, html_path


def format_comparison(report: Mapping[str, Any]) -> str:
    """A table per ranking (mean [interval]) and the deltas against the first, for the terminal."""
    level = round(report["method"]["confidence"] * 100)
    width = max([22] + [len(profile["name"]) + 2 for profile in report["profiles"]])
    lines = [f"dataset     {report['dataset_name']} ({len(report['queries'])} judged queries)",
             f"{'ranking':<{width}}" + "".join(f"{metric + f' [{level}% CI]':<27}" for metric in METRICS)
             + f"{'p50 ms':>8}{'p99 ms':>9}"]
    for profile in report["profiles"]:
        cells = "".join(f"{m['mean']:.4f} [{m['low']:.4f}, {m['high']:.4f}]    "
                        for m in (profile["metrics"][metric] for metric in METRICS))
        lines.append(f"{profile['name']:<{width}}{cells}{profile['latency_ms']['p50']:>8.1f}"
                     f"{profile['latency_ms']['p99']:>9.1f}"
                     + (f"  ({profile['failed']} failed)" if profile["failed"] else ""))
    if report["comparisons"]:
        lines.append(f"against {report['comparisons'][0]['baseline']}: mean Δ [{level}% CI], p of the paired "
                     "randomization test")
    for comparison in report["comparisons"]:
        cells = "".join(f"{c['mean_delta']:+.4f} [{c['low']:+.4f}, {c['high']:+.4f}] p={c['p_value']:.4f}    "
                        for c in (comparison["metrics"][metric] for metric in METRICS))
        lines.append(f"{comparison['profile']:<{width}}{cells}".rstrip())
    return "\n".join(lines)
