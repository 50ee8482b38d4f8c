"""`phasedsearch`: the operator CLI (up, down, status, validate, feed, query, eval, demo, eval-expr,
models, deploy). The commands live in cli_cluster.py and cli_data.py; this module parses and dispatches."""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

from deploy.cli_cluster import cmd_demo, cmd_down, cmd_status, cmd_up, cmd_validate, demo_data_dir
from deploy.cli_common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from deploy.cli_data import cmd_eval, cmd_feed, cmd_query
from deploy.feeder import DEFAULT_CONCURRENCY, DEFAULT_FEED_CONCURRENCY
from deploy.local_cluster import ClusterError
from deploy.settings import DEFAULT_PORT, default_data_dir
from searchlib.evaluation_stats import DEFAULT_RESAMPLES, DEFAULT_SEED

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]


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


def _port_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(_port(part.strip()) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ports separated by commas, like 19100,19101: {text!r}") from None


DEPLOY_HELP = """`deploy kubernetes --app DIR`: render Kubernetes manifests from the application's topology

usage: phasedsearch deploy kubernetes [--help] --app DIR [...]

targets:
  kubernetes   manifests on stdout, or a kustomize tree with --out (see `phasedsearch deploy kubernetes --help`)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="phasedsearch", description=__doc__)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler, help_text: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(handler=handler)
        return command

    def data_dir_option(command: argparse.ArgumentParser) -> None:
        command.add_argument("--data-dir", help="cluster state, logs and data (default: $PHASEDSEARCH_HOME, "
                             f"else the cluster `up` started last, else {default_data_dir()})")

    def url_option(command: argparse.ArgumentParser) -> None:
        command.add_argument("--url", help="container URL (default: $PHASEDSEARCH_URL, the cluster `up` "
                                           f"started last, or http://127.0.0.1:{DEFAULT_PORT})")

    up = add("up", cmd_up, "start a local cluster (or restart what is not running) and wait until healthy")
    up.add_argument("--nodes", type=_positive_int, help="content nodes (default: services.xml, else 2)")
    up.add_argument("--groups", type=_positive_int, help="groups, each a full copy (default 1)")
    up.add_argument("--nodes-per-group", type=_positive_int,
                    help="content nodes in each group (instead of --nodes: total = groups x this)")
    up.add_argument("--app", help="application package directory (default: the bundled schemas/)")
    data_dir_option(up)
    up.add_argument("--port", type=_port, help=f"container HTTP port (default {DEFAULT_PORT})")
    fixed_ports = up.add_mutually_exclusive_group()
    fixed_ports.add_argument("--node-ports", type=_port_list, metavar="PORT,PORT,...",
                             help="content-node gRPC ports in distribution-key order (default: free ones)")
    fixed_ports.add_argument("--base-port", type=_port, help="content node k listens on BASE_PORT + k")
    up.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for health")
    up.add_argument("--tls", action="store_true",
                    help="mutual TLS between the container and the content nodes: a CA and a certificate per "
                         "process are created once under DATA_DIR/tls (kept on later `up`s)")
    up.add_argument("--token-file", metavar="FILE",
                    help="secrets of the token clients in services.xml <clients>: lines token-id:secret")

    validate = add("validate", cmd_validate, "check an application package without starting anything: every "
                   "error with file:line:column, models and files included (exit 1 if any)")
    validate.add_argument("--app", required=True, help="application package directory")

    down = add("down", cmd_down, "stop the local cluster (SIGTERM; SIGKILL for a process that stops progressing)")
    data_dir_option(down)
    down.add_argument("--grace", type=float, default=10.0,
                      help="seconds a process is given after SIGTERM, or after a content node last reported "
                           "progress on its shutdown work (the index image), before SIGKILL")
    down.add_argument("--max-wait", type=float, default=600.0,
                      help="seconds after which a node still writing its shutdown work is killed anyway")

    status = add("status", cmd_status, "show processes, node health and documents per node")
    data_dir_option(status)
    url_option(status)

    feed_command = add("feed", cmd_feed, "feed a Vespa JSONL (or JSON array) file of put/update/remove")
    feed_command.add_argument("file", help="feed file, or - for stdin")
    url_option(feed_command)
    feed_command.add_argument("--connections", type=_positive_int, default=DEFAULT_FEED_CONCURRENCY,
                              help=f"operations in flight, one connection each (default {DEFAULT_FEED_CONCURRENCY})")
    feed_command.add_argument("--quiet", action="store_true", help="no progress bar")

    query = add("query", cmd_query, "run a query: YQL if it starts with `select`, else userQuery() text")
    query.add_argument("text")
    query.add_argument("--ranking", help="rank profile")
    query.add_argument("--query-profile", help="query profile of the package (sets YQL, ranking, inputs), e.g. hybrid")
    query.add_argument("--hits", type=_positive_int, default=10)
    query.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                       help="any other query API parameter, repeatable")
    query.add_argument("--json", action="store_true", help="print the raw result JSON")
    query.add_argument("--timeout", type=float, default=30.0, help="HTTP timeout in seconds")
    url_option(query)

    evaluate = add("eval", cmd_eval, "feed a BEIR dataset and report nDCG@10, MRR@10, recall@100 (with "
                   "bootstrap intervals, paired tests between rankings, report.json and report.html)")
    evaluate.add_argument("dataset", help="BEIR dataset dir (corpus.jsonl, queries.jsonl, qrels/test.tsv)")
    evaluate.add_argument("--ranking", help="what to evaluate: the package's query profile of that name when it "
                                            "has one (e.g. bm25, semantic, hybrid), else that rank profile over "
                                            "userQuery(); several, comma-separated (a,b,c), are compared "
                                            "with the first")
    evaluate.add_argument("--query-profile", help="evaluate this query profile (default: --ranking's name)")
    evaluate.add_argument("--url", help="evaluate on this running cluster (default: a fresh cluster of its "
                                        "own, stopped afterwards)")
    evaluate.add_argument("--app", help="application package of the fresh cluster (default: the one of the "
                                        "cluster `up` started last, else the bundled schemas/)")
    evaluate.add_argument("--queries", type=_positive_int, help="evaluate only the first N test queries")
    evaluate.add_argument("--no-feed", action="store_true", help="the corpus is already fed (with --url)")
    evaluate.add_argument("--embed", action="store_true",
                          help="feed bge vectors into `embedding` too (default package; embedded once, then "
                               "cached; implied by a query profile that uses nearestNeighbor)")
    evaluate.add_argument("--connections", type=_positive_int, default=DEFAULT_CONCURRENCY)
    evaluate.add_argument("--timeout", default="20s", help="query timeout parameter (default 20s)")
    evaluate.add_argument("--json", action="store_true", help="print the metrics as JSON")
    evaluate.add_argument("--out", help="directory for report.json and report.html (default: a new "
                                        "<data dir>/reports/<dataset>-<time>, printed at the end)")
    evaluate.add_argument("--resamples", type=_positive_int, default=DEFAULT_RESAMPLES,
                          help="bootstrap resamples, and random sign assignments of the paired test "
                               f"(default {DEFAULT_RESAMPLES}; small inputs are enumerated exactly)")
    evaluate.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the resampling (default 0)")
    evaluate.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                          help="another query API parameter, repeatable, e.g. "
                               "'input.query(q_tokens)=embed(tokenizer, @query)' for bert-ranker")

    demo = add("demo", cmd_demo, "start a 2-node cluster serving the stdlib docstrings until Ctrl-C")
    demo.add_argument("--data-dir", help=f"where the demo cluster lives (default {demo_data_dir()}); one demo "
                                         "per directory")
    demo.add_argument("--port", type=_port, default=DEFAULT_PORT)
    demo.add_argument("--max-documents", type=_positive_int, default=4000)

    commands.add_parser("eval-expr", help="evaluate a ranking expression (see `phasedsearch eval-expr --help`)",
                        add_help=False)
    commands.add_parser("deploy", help=DEPLOY_HELP.splitlines()[0], add_help=False)
    commands.add_parser("models", help="fetch the default ONNX models; add and list models for url= and "
                                       "model-id= references (see `phasedsearch models --help`)",
                        add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Output cut short by its reader (`... | head`) ends quietly."""
    try:
        code = _dispatch(list(sys.argv[1:] if argv is None else argv))
        sys.stdout.flush()  # here, not at interpreter exit, where a closed pipe prints a traceback
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_FAILED


def _silence_stdout() -> None:
    """The reader is gone: point stdout at /dev/null so nothing, not even the final flush, fails."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (tests capture it)
        pass


def _dispatch(arguments: list[str]) -> int:
    if arguments and arguments[0] == "eval-expr":
        return run_eval_expr(arguments[1:])  # it owns its arguments, --help included
    if arguments and arguments[0] == "models":
        from deploy.models import main as models_main
        return models_main(arguments[1:])
    if arguments[:2] == ["deploy", "kubernetes"]:
        from deploy.k8s_render import main as deploy_kubernetes
        return deploy_kubernetes(arguments[2:])  # it owns its arguments, --help included
    if arguments[:1] == ["deploy"]:
        asked = arguments[1:] in (["--help"], ["-h"])
        print(DEPLOY_HELP if asked else f"error: unknown deploy target {' '.join(arguments[1:2]) or '(none)'}\n"
              + DEPLOY_HELP, file=sys.stdout if asked else sys.stderr)
        return EXIT_OK if asked else EXIT_USAGE
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
