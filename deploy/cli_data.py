"""`phasedsearch feed / query / eval`: data in and out of a cluster."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

import httpx
from tqdm import tqdm

from deploy import beir_eval
from deploy.cli_common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, check_package
from deploy.eval_report import EvaluatedRanking, StatsSettings, build_report, format_comparison, write_reports
from deploy.feed_embedding import FULL_EMBEDDING, embedded_feed
from deploy.feed_format import count_feed_items, iter_feed_file
from deploy.feeder import feed
from deploy.local_cluster import ClusterError, LocalCluster, read_state
from deploy.query_client import format_result, query_parameters, result_failed
from deploy.settings import (
    DEFAULT_NODES,
    app_topology,
    cluster_data_dir,
    default_app_dir,
    default_data_dir,
    default_url,
)
from searchlib.errors import SearchlibError
from searchlib.schema.application import load_application

TOKEN_ENV = "PHASEDSEARCH_TOKEN"  # the secret of a token client (services.xml <clients>)


def _url(args: argparse.Namespace) -> str:
    return args.url.rstrip("/") if args.url else default_url()


def auth_headers() -> dict[str, str]:
    """`Authorization: Bearer $PHASEDSEARCH_TOKEN` when set: the token of a services.xml token client."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    return {"Authorization": f"Bearer {token}"} if token else {}


def cmd_feed(args: argparse.Namespace) -> int:
    if args.file != "-" and not Path(args.file).is_file():
        print(f"error: no such file: {args.file}", file=sys.stderr)
        return EXIT_USAGE
    stats = feed(iter_feed_file(args.file), _url(args), total=count_feed_items(args.file),
                 concurrency=args.connections, show_progress=not args.quiet, headers=auth_headers())
    print(json.dumps(stats.summary(), indent=2))
    print(f"{stats.ok} ok, {stats.failed} failed in {stats.seconds:.1f}s "
          f"({stats.ok / max(stats.seconds, 1e-9):.0f} docs/s)", file=sys.stderr)
    return EXIT_OK if stats.failed == 0 else EXIT_FAILED


def cmd_query(args: argparse.Namespace) -> int:
    try:
        params = query_parameters(args.text, ranking=args.ranking, hits=args.hits, extra=args.param,
                                  query_profile=args.query_profile)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    url = _url(args)
    try:
        response = httpx.get(f"{url}/search/", params=params, timeout=args.timeout, headers=auth_headers())
    except httpx.HTTPError as error:
        print(f"error: cannot reach {url}: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAILED
    try:
        result = response.json()
    except ValueError:
        print(f"HTTP {response.status_code}: {response.text[:500]}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(result, indent=2) if args.json else format_result(result))
    return EXIT_FAILED if result_failed(response.status_code, result) else EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    """On `--url`'s cluster when given; else on a fresh cluster of its own, started for this run
    and stopped after it, so no other data is ever mixed into the corpus. `--ranking a,b,c`
    evaluates each in turn on the same corpus; every run writes report.json and report.html."""
    if not args.ranking and not args.query_profile:
        print("error: give --ranking or --query-profile", file=sys.stderr)
        return EXIT_USAGE
    names = [name.strip() for name in (args.ranking or "").split(",") if name.strip()]
    if len(names) > 1 and args.query_profile:
        print("error: --query-profile goes with one --ranking; with several, each names a query profile of "
              "the package or a rank profile", file=sys.stderr)
        return EXIT_USAGE
    if len(names) != len(set(names)):
        print(f"error: --ranking names a ranking twice: {args.ranking}", file=sys.stderr)
        return EXIT_USAGE
    dataset = beir_eval.load_dataset(args.dataset, max_queries=args.queries)
    app_dir = eval_app_dir(args)
    try:
        targets = eval_targets(names, args.query_profile, app_dir)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    args.embed = args.embed or any(target.embeds for target in targets)
    args.out_dir = Path(args.out).expanduser() if args.out else default_report_dir(dataset)
    try:  # before feeding and querying, which can take long
        args.out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"error: cannot write the report to {args.out_dir}: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.url:
        return _evaluate(args, dataset, args.url.rstrip("/"), app_dir, targets, fresh=False)
    if args.no_feed:
        print("error: --no-feed needs --url (the cluster that holds the corpus); without it eval starts "
              "a fresh, empty cluster", file=sys.stderr)
        return EXIT_USAGE
    check_package(app_dir)
    nodes, groups = app_topology(app_dir) or (DEFAULT_NODES, 1)
    parent = default_data_dir() / "eval"
    parent.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="cluster-", dir=parent))
    cluster = LocalCluster(app_dir, data_dir, nodes=nodes, groups=groups, port=0)
    print(f"starting a fresh cluster of {nodes} content node(s) with {app_dir} for this evaluation "
          f"(in {data_dir}; pass --url to use a running one) ...", file=sys.stderr)
    finished = False
    try:
        cluster.start()
        code = _evaluate(args, dataset, cluster.url, app_dir, targets, fresh=True)
        finished = True
        return code
    finally:
        cluster.stop()
        if finished:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            print(f"the evaluation cluster's logs are kept in {cluster.logs_dir}", file=sys.stderr)


@dataclass(frozen=True, slots=True)
class EvalTarget:
    name: str  # as given in --ranking (or the query profile's name)
    query_profile: str | None  # the package's query profile its queries name
    rank_profile: str  # what its queries rank with
    embeds: bool  # its queries search the dense field, so the corpus needs vectors

    def describe(self) -> str:
        return f"query profile {self.query_profile}" if self.query_profile else self.rank_profile


def eval_targets(names: list[str], query_profile: str | None, app_dir: Path) -> list[EvalTarget]:
    """What each --ranking entry evaluates: the package's query profile of that name when it has
    one, else that rank profile over userQuery(); --query-profile (with one or no --ranking) names
    the query profile outright."""
    try:
        profiles = load_application(app_dir).query_profiles
    except SearchlibError:
        profiles = {}
    if query_profile and query_profile not in profiles:
        raise ValueError(f"the package {app_dir} has no query profile '{query_profile}' "
                         f"(it has {', '.join(sorted(profiles)) or 'none'})")
    targets = []
    for name in names or [query_profile]:
        chosen = query_profile or (name if name in profiles else None)
        if chosen is None:
            targets.append(EvalTarget(name, None, name, False))
            continue
        values = profiles[chosen].values
        targets.append(EvalTarget(name, chosen, values.get("ranking.profile") or values.get("ranking") or name,
                                  "nearestneighbor" in values.get("yql", "").lower()))
    return targets


def eval_app_dir(args: argparse.Namespace) -> Path:
    """--app, else the package of the cluster the CLI started last, else the bundled one."""
    if args.app:
        return Path(args.app).expanduser().resolve()
    try:
        state = read_state(cluster_data_dir())
    except ClusterError:
        state = None
    return Path(state["app"]) if state else default_app_dir()


def _evaluate(args: argparse.Namespace, dataset: beir_eval.BeirDataset, url: str, app_dir: Path,
              targets: list[EvalTarget], *, fresh: bool) -> int:
    if not args.no_feed:
        size = beir_eval.corpus_size(dataset)
        field = FULL_EMBEDDING["field"] if args.embed else None
        if not fresh and beir_eval.corpus_already_fed(url, dataset, size, with_field=field):
            print(f"the corpus ({size} documents) is already fed; not feeding", file=sys.stderr)
        else:
            operations = beir_eval.iter_corpus_operations(dataset)
            if args.embed:
                embedded = embedded_corpus(dataset, app_dir)
                if embedded is None:
                    return EXIT_FAILED
                operations = iter_feed_file(embedded)
            stats = feed(operations, url, total=size,
                         concurrency=args.connections, description="feeding corpus")
            print(f"fed {stats.ok} documents in {stats.seconds:.1f}s"
                  + (f" ({stats.failed} failed)" if stats.failed else ""), file=sys.stderr)
    evaluated = [EvaluatedRanking(target.name, target.query_profile, target.rank_profile,
                                  _run_queries(args, dataset, url, target)) for target in targets]
    report = build_report(dataset, evaluated, endpoint=url, concurrency=args.connections,
                          settings=StatsSettings(resamples=args.resamples, permutations=args.resamples,
                                                 seed=args.seed))
    if len(targets) == 1:
        _print_single(args, dataset, targets[0], evaluated[0].outcome)
    elif args.json:
        print(json.dumps({"dataset": str(dataset.root), "profiles": report["profiles"],
                          "comparisons": report["comparisons"]}, indent=2))
    else:
        print(format_comparison(report))
    try:
        json_path, html_path = write_reports(report, args.out_dir)
    except OSError as error:
        print(f"error: cannot write the report to {args.out_dir}: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"report: {html_path} (data: {json_path})", file=sys.stderr)
    return EXIT_OK if not any(ranking.outcome.failures for ranking in evaluated) else EXIT_FAILED


def default_report_dir(dataset: beir_eval.BeirDataset) -> Path:
    """<data dir>/reports/<dataset>-<UTC time>: a new directory per run, none overwritten."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return default_data_dir() / "reports" / f"{dataset.root.resolve().name}-{stamp}"


def _run_queries(args: argparse.Namespace, dataset: beir_eval.BeirDataset, url: str,
                 target: EvalTarget) -> beir_eval.QueryRun:
    extra = dict(p.split("=", 1) for p in args.param if "=" in p)
    # one untimed query first, so the first ranking's latency does not carry the cluster's first-query costs
    asyncio.run(beir_eval.run_queries_async(url, dict(list(dataset.queries.items())[:1]), target.rank_profile,
                                            concurrency=1, timeout=args.timeout, extra_parameters=extra,
                                            query_profile=target.query_profile))
    with tqdm(total=len(dataset.queries), unit="query", desc=f"querying {target.name}", file=sys.stderr,
              disable=None) as progress:
        outcome = asyncio.run(beir_eval.run_queries_async(
            url, dataset.queries, target.rank_profile, concurrency=args.connections, timeout=args.timeout,
            extra_parameters=extra, on_done=lambda: progress.update(1), query_profile=target.query_profile))
    for query_id, failure in list(outcome.failures.items())[:5]:
        print(f"{target.name}: query {query_id} failed: {failure}", file=sys.stderr)
    return outcome


def _print_single(args: argparse.Namespace, dataset: beir_eval.BeirDataset, target: EvalTarget,
                  outcome: beir_eval.QueryRun) -> None:
    """One ranking: the metrics as they always were (text or --json)."""
    metrics = beir_eval.evaluate_run(dataset, outcome)
    if args.json:
        print(json.dumps({"dataset": str(dataset.root), "ranking": target.describe(), **metrics}, indent=2))
        for warning in beir_eval.suspicious_results(metrics):
            print(warning, file=sys.stderr)
    else:
        print(beir_eval.format_report(dataset, target.describe(), metrics, args.connections))


def embedded_corpus(dataset: beir_eval.BeirDataset, app_dir: Path, out: TextIO | None = None) -> Path | None:
    """The corpus as a feed file with bge vectors, cached under the data dir (benchmarks/relevance.py
    reads the same vectors for its exact dense baseline). The plain feed goes to a file of this
    process's own, so a run embedding it never reads one another run is rewriting."""
    out = out or sys.stderr
    cache = default_data_dir() / "eval"
    cache.mkdir(parents=True, exist_ok=True)
    name = f"{dataset.root.resolve().name}-corpus"
    descriptor, private = tempfile.mkstemp(prefix=f"{name}.", suffix=".jsonl.tmp", dir=cache)
    os.close(descriptor)
    try:
        skipped = beir_eval.write_corpus_feed(dataset, Path(private))
        if skipped:
            print(f"{skipped} bad corpus lines left out", file=out)
        return embedded_feed(app_dir, Path(private), out, FULL_EMBEDDING, cache_name=name)
    finally:
        Path(private).unlink(missing_ok=True)
