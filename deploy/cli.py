"""`phasedsearch`: the operator CLI (up, down, status, feed, query, eval, demo, eval-expr)."""
from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from pathlib import Path
from typing import Sequence

import httpx
from tqdm import tqdm

from deploy import beir_eval
from deploy.feed_embedding import DEFAULT_EMBEDDING, embedded_feed
from deploy.feed_format import count_feed_items, iter_feed_file
from deploy.feeder import DEFAULT_CONCURRENCY, feed
from deploy.local_cluster import ClusterError, LocalCluster, cluster_from_state, read_state
from deploy.query_client import format_result, query_parameters, result_failed
from deploy.settings import (
    DEFAULT_NODES,
    DEFAULT_PORT,
    app_topology,
    default_app_dir,
    default_data_dir,
    default_url,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()


def _url(args: argparse.Namespace) -> str:
    return args.url.rstrip("/") if args.url else default_url()


# ---- cluster lifecycle ---------------------------------------------------------------------------

def cmd_up(args: argparse.Namespace) -> int:
    data_dir = _data_dir(args)
    state = read_state(data_dir)
    app_dir = Path(args.app).expanduser() if args.app else (Path(state["app"]) if state else default_app_dir())
    if not app_dir.is_dir():
        raise ClusterError(f"no application package at {app_dir}; pass one with --app")
    topology = app_topology(app_dir) or (DEFAULT_NODES, 1)
    if args.nodes_per_group and args.nodes:
        raise ClusterError("pass either --nodes (total) or --nodes-per-group, not both")
    groups = args.groups or (state["groups"] if state else
                             (topology[1] if not (args.nodes or args.nodes_per_group) else 1))
    nodes = (args.nodes_per_group * groups if args.nodes_per_group else
             args.nodes or (len(state["content_nodes"]) if state else topology[0]))
    port = args.port or (state["container"]["port"] if state else DEFAULT_PORT)
    cluster = LocalCluster(app_dir, data_dir, nodes=nodes, port=port, groups=groups, detach=True,
                           startup_timeout=args.timeout, keep_going=True)
    print(f"starting {nodes} content node(s) in {groups} group(s) with {app_dir} "
          f"(logs in {cluster.logs_dir}) ...", file=sys.stderr)
    cluster.start()
    if cluster.failed_nodes:  # the others serve on: one node's trouble is that node's
        for key, reason in sorted(cluster.failed_nodes.items()):
            print(f"error: content-node-{key} could not start: {reason} "
                  f"(log: {cluster.log_path(f'content-node-{key}')})", file=sys.stderr)
        print(f"cluster is up without content nodes {sorted(cluster.failed_nodes)}: {cluster.url} "
              "(fix them and run `phasedsearch up` again to start them)")
        return EXIT_FAILED
    print(f"cluster is up: {cluster.url}")
    return EXIT_OK


def cmd_down(args: argparse.Namespace) -> int:
    data_dir = _data_dir(args)
    cluster = cluster_from_state(data_dir, stop_grace=args.grace)
    if cluster is None:
        print(f"no cluster recorded in {data_dir}", file=sys.stderr)
        return EXIT_OK
    cluster.stop()
    print(f"stopped the cluster in {data_dir}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    data_dir = _data_dir(args)
    cluster = cluster_from_state(data_dir)
    healthy = True
    if cluster is not None:
        print(f"cluster in {data_dir} (app {cluster.app_dir})")
        for row in cluster.process_table():
            state = "running" if row["running"] else f"NOT RUNNING: {row['reason']}"
            healthy &= row["running"]
            print(f"  {row['name']:<16} port {row['port']:<6} pid {row['pid'] or '-':<8} {state}")
    url = args.url.rstrip("/") if args.url else (cluster.url if cluster else default_url())
    try:
        health = httpx.get(f"{url}/state/v1/health", timeout=5.0).json()
        nodes = httpx.get(f"{url}/state/v1/nodes", timeout=5.0).json().get("nodes", [])
    except (httpx.HTTPError, ValueError, AttributeError) as error:
        print(f"container {url}: not answering ({type(error).__name__})")
        return EXIT_FAILED
    code = health.get("status", {}).get("code", "?") if isinstance(health, dict) else "?"
    print(f"container {url}: {code}")
    for node in nodes:
        problem = f" ({node['error']})" if not node.get("up") and node.get("error") else ""
        print(f"  node {node.get('distribution_key')}/{node.get('group')} {node.get('address', ''):<22}"
              f" {_node_health(node):<26} {node.get('documents', '?')} documents{problem}")
    healthy &= code == "up" and all(node.get("up") for node in nodes)
    return EXIT_OK if healthy else EXIT_FAILED


def _node_health(node: dict) -> str:
    """in rotation / catching up (n left) / awaiting sync / DOWN (unreachable)."""
    if node.get("up"):
        return "up (in rotation)"
    if node.get("reachable") is False or "state" not in node:
        return "DOWN"
    if node.get("state") == "catching-up":
        return f"catching up ({node.get('catch_up_remaining', '?')} left)"
    return str(node.get("state", "not ready")).replace("-", " ")


# ---- data -----------------------------------------------------------------------------------------

def cmd_feed(args: argparse.Namespace) -> int:
    if args.file != "-" and not Path(args.file).is_file():
        print(f"error: no such file: {args.file}", file=sys.stderr)
        return EXIT_USAGE
    stats = feed(iter_feed_file(args.file), _url(args), total=count_feed_items(args.file),
                 concurrency=args.connections, show_progress=not args.quiet)
    print(json.dumps(stats.summary(), indent=2))
    print(f"{stats.ok} ok, {stats.failed} failed in {stats.seconds:.1f}s "
          f"({stats.ok / max(stats.seconds, 1e-9):.0f} docs/s)", file=sys.stderr)
    return EXIT_OK if stats.failed == 0 else EXIT_FAILED


def cmd_query(args: argparse.Namespace) -> int:
    try:
        params = query_parameters(args.text, ranking=args.ranking, hits=args.hits, extra=args.param)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    url = _url(args)
    try:
        response = httpx.get(f"{url}/search/", params=params, timeout=args.timeout)
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
    url = _url(args)
    dataset = beir_eval.load_dataset(args.dataset, max_queries=args.queries)
    if not args.no_feed:
        size = beir_eval.corpus_size(dataset)
        field = DEFAULT_EMBEDDING["field"] if args.embed else None
        if beir_eval.corpus_already_fed(url, dataset, size, with_field=field):
            print(f"the corpus ({size} documents) is already fed; not feeding", file=sys.stderr)
        else:
            operations = beir_eval.iter_corpus_operations(dataset)
            if args.embed:
                embedded = _embedded_corpus(dataset)
                if embedded is None:
                    return EXIT_FAILED
                operations = iter_feed_file(embedded)
            stats = feed(operations, url, total=size,
                         concurrency=args.connections, description="feeding corpus")
            print(f"fed {stats.ok} documents in {stats.seconds:.1f}s"
                  + (f" ({stats.failed} failed)" if stats.failed else ""), file=sys.stderr)
    with tqdm(total=len(dataset.queries), unit="query", desc="querying", file=sys.stderr,
              disable=None) as progress:
        outcome = asyncio.run(beir_eval.run_queries_async(
            url, dataset.queries, args.ranking, concurrency=args.connections, timeout=args.timeout,
            extra_parameters=dict(p.split("=", 1) for p in args.param if "=" in p),
            on_done=lambda: progress.update(1)))
    for query_id, failure in list(outcome.failures.items())[:5]:
        print(f"query {query_id} failed: {failure}", file=sys.stderr)
    metrics = beir_eval.evaluate_run(dataset, outcome)
    if args.json:
        print(json.dumps({"dataset": str(dataset.root), "ranking": args.ranking, **metrics}, indent=2))
    else:
        print(beir_eval.format_report(dataset, args.ranking, metrics, args.connections))
    return EXIT_OK if not outcome.failures else EXIT_FAILED


def _embedded_corpus(dataset: beir_eval.BeirDataset) -> Path | None:
    """The corpus as a feed file with bge vectors (default package), cached under the data dir."""
    feed_path = default_data_dir() / "eval" / f"{dataset.root.resolve().name}-corpus.jsonl"
    skipped = beir_eval.write_corpus_feed(dataset, feed_path)
    if skipped:
        print(f"{skipped} bad corpus lines left out", file=sys.stderr)
    return embedded_feed(default_app_dir(), feed_path, sys.stderr)


def cmd_demo(args: argparse.Namespace) -> int:
    from deploy.demo import run_demo

    data_dir = Path(args.data_dir).expanduser() if args.data_dir else default_data_dir() / "demo"
    return run_demo(default_app_dir(), data_dir, args.port, max_documents=args.max_documents)


def run_eval_expr(argv: Sequence[str]) -> int:
    try:
        eval_expr = importlib.import_module("deploy.eval_expr")  # owned elsewhere; loaded on demand
    except ModuleNotFoundError as error:
        if error.name != "deploy.eval_expr":
            raise
        print("error: eval-expr is not available in this installation", file=sys.stderr)
        return EXIT_USAGE
    return eval_expr.main(list(argv))


# ---- argument parsing -------------------------------------------------------------------------------

def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"not a port: {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="phasedsearch", description=__doc__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(handler=handler)
        return command

    def data_dir_option(command: argparse.ArgumentParser) -> None:
        command.add_argument("--data-dir", help=f"cluster state, logs and data (default {default_data_dir()})")

    def url_option(command: argparse.ArgumentParser) -> None:
        command.add_argument("--url", help="container URL (default: $PHASEDSEARCH_URL, the cluster `up` "
                                           f"started, or http://127.0.0.1:{DEFAULT_PORT})")

    up = add("up", cmd_up, "start a local cluster (or restart what is not running) and wait until healthy")
    up.add_argument("--nodes", type=_positive_int, help="content nodes (default: services.xml, else 2)")
    up.add_argument("--groups", type=_positive_int, help="groups, each a full copy (default 1)")
    up.add_argument("--nodes-per-group", type=_positive_int,
                    help="content nodes in each group (instead of --nodes: total = groups x this)")
    up.add_argument("--app", help="application package directory (default: the bundled schemas/)")
    data_dir_option(up)
    up.add_argument("--port", type=_port, help=f"container HTTP port (default {DEFAULT_PORT})")
    up.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for health")

    down = add("down", cmd_down, "stop the local cluster (SIGTERM, then SIGKILL after a grace period)")
    data_dir_option(down)
    down.add_argument("--grace", type=float, default=10.0, help="seconds between SIGTERM and SIGKILL")

    status = add("status", cmd_status, "show processes, node health and documents per node")
    data_dir_option(status)
    url_option(status)

    feed_command = add("feed", cmd_feed, "feed a Vespa JSONL (or JSON array) file of put/update/remove")
    feed_command.add_argument("file", help="feed file, or - for stdin")
    url_option(feed_command)
    feed_command.add_argument("--connections", type=_positive_int, default=DEFAULT_CONCURRENCY,
                              help="operations in flight")
    feed_command.add_argument("--quiet", action="store_true", help="no progress bar")

    query = add("query", cmd_query, "run a query: YQL if it starts with `select`, else userQuery() text")
    query.add_argument("text")
    query.add_argument("--ranking", help="rank profile")
    query.add_argument("--hits", type=_positive_int, default=10)
    query.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                       help="any other query API parameter, repeatable")
    query.add_argument("--json", action="store_true", help="print the raw result JSON")
    query.add_argument("--timeout", type=float, default=30.0, help="HTTP timeout in seconds")
    url_option(query)

    evaluate = add("eval", cmd_eval, "feed a BEIR dataset and report nDCG@10, MRR@10, recall@100")
    evaluate.add_argument("dataset", help="BEIR dataset dir (corpus.jsonl, queries.jsonl, qrels/test.tsv)")
    evaluate.add_argument("--ranking", required=True, help="rank profile to evaluate")
    url_option(evaluate)
    evaluate.add_argument("--queries", type=_positive_int, help="evaluate only the first N test queries")
    evaluate.add_argument("--no-feed", action="store_true", help="the corpus is already fed")
    evaluate.add_argument("--embed", action="store_true",
                          help="feed bge vectors into `embedding` too (default package; for semantic/hybrid; "
                               "embedded once, then cached)")
    evaluate.add_argument("--connections", type=_positive_int, default=DEFAULT_CONCURRENCY)
    evaluate.add_argument("--timeout", default="20s", help="query timeout parameter (default 20s)")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                          help="another query API parameter, repeatable, e.g. "
                               "'input.query(q_tokens)=embed(tokenizer, @query)' for bert-ranker")

    demo = add("demo", cmd_demo, "start a 2-node cluster serving the stdlib docstrings until Ctrl-C")
    demo.add_argument("--data-dir", help=f"where the demo cluster lives (default {default_data_dir() / 'demo'})")
    demo.add_argument("--port", type=_port, default=DEFAULT_PORT)
    demo.add_argument("--max-documents", type=_positive_int, default=4000)

    commands.add_parser("eval-expr", help="evaluate a ranking expression (see `phasedsearch eval-expr --help`)",
                        add_help=False)
    commands.add_parser("deploy", help="`deploy kubernetes --app DIR`: render Kubernetes manifests from the "
                        "application's topology", add_help=False)
    commands.add_parser("models", help="fetch the default ONNX models (see `phasedsearch models --help`)",
                        add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] == "eval-expr":
        return run_eval_expr(arguments[1:])  # it owns its arguments, --help included
    if arguments and arguments[0] == "models":
        from deploy.models import main as models_main
        return models_main(arguments[1:])
    if arguments[:2] == ["deploy", "kubernetes"]:
        from deploy.k8s_render import main as deploy_kubernetes
        return deploy_kubernetes(arguments[2:])  # it owns its arguments, --help included
    parser = build_parser()
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exit_request:
        return int(exit_request.code or 0)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.handler(args)
    except (ClusterError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
