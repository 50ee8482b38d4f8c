"""`phasedsearch demo`: a 2-node cluster serving the standard library's docstrings until Ctrl-C."""
from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Callable, TextIO

from deploy import run_lock
from deploy.demo_corpus import DEFAULT_DOCTYPE, build_demo_corpus
from deploy.feed_format import iter_feed_file
from deploy.feeder import feed
from deploy.local_cluster import ClusterCommands, LocalCluster
from deploy.feed_embedding import embedded_feed, embeds_documents
from deploy.settings import schema_files

EXAMPLE_QUERIES = ("json dumps indent", "parse command line arguments", "temporary directory")


def demo_doctype(app_dir: Path) -> str:
    """The document type to feed: `doc` when the package has it, else its first schema."""
    names = [path.stem for path in schema_files(app_dir)]
    if DEFAULT_DOCTYPE in names or not names:
        return DEFAULT_DOCTYPE
    return names[0]


def print_examples(url: str, out: TextIO, embedded: bool = False) -> None:
    print(f"\nphasedsearch demo is serving at {url}", file=out)
    print("try:", file=out)
    for text in EXAMPLE_QUERIES:
        print(f"  phasedsearch query '{text}' --url {url}", file=out)
    print(f"  curl -s '{url}/search/?yql=select+*+from+sources+*+where+userQuery()"
          f"&query=json+dumps+indent&hits=5'", file=out)
    # the package's query profiles (schemas/search/query-profiles) set the YQL, profile and inputs
    print(f"  phasedsearch query 'read a file line by line' --query-profile bert-ranker --url {url}"
          "   # cross-encoder global phase", file=out)
    if embedded:
        print(f"  phasedsearch query 'how do I copy a whole directory tree' --query-profile semantic --url {url}"
              "   # dense retrieval over HNSW", file=out)
        print(f"  phasedsearch query 'how do I copy a whole directory tree' --query-profile hybrid --url {url}"
              "   # BM25 + dense, fused", file=out)
        print(f"  curl -s '{url}/search/?queryProfile=hybrid&query=copy+a+directory+tree&hits=5'", file=out)
    print(f"  curl -s '{url}/search/?yql=select+*+from+sources+*+where+title+contains+%22pathlib%22'",
          file=out)
    print(f"  curl -s '{url}/document/v1/demo/{DEFAULT_DOCTYPE}/docid/json.dumps'", file=out)
    print(f"  curl -s {url}/state/v1/nodes", file=out)
    print("press Ctrl-C to stop the cluster", file=out)


def fetch_models_if_used(app_dir: Path, out: TextIO) -> None:
    """The default package's `tokens` field and bert-ranker need the default models (deploy/models.py)."""
    services = Path(app_dir) / "services.xml"
    if services.is_file() and "models/cross-encoder/" in services.read_text(encoding="utf-8"):
        from deploy.models import ensure_models

        ensure_models(app_dir, log=lambda message: print(message, file=out, flush=True))


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _serve_until_interrupted(cluster: LocalCluster, out: TextIO) -> None:
    reported_dead: set[str] = set()
    while True:
        time.sleep(1.0)
        for row in cluster.process_table():
            if not row["running"] and row["name"] not in reported_dead:
                reported_dead.add(row["name"])
                print(f"warning: {row['name']} stopped; see {row['log']}", file=out)


def run_demo(app_dir: Path, data_dir: Path, port: int, *, max_documents: int = 4000,
             out: TextIO | None = None, commands: ClusterCommands | None = None,
             serve: Callable[[LocalCluster, TextIO], None] = _serve_until_interrupted) -> int:
    """Start, build, feed, print examples, then `serve` until KeyboardInterrupt/SIGTERM; always stop.
    Holds data_dir's lock throughout: a second demo on the same directory is refused (ClusterError)
    before it touches anything, so its Ctrl-C cannot stop this one's cluster."""
    with run_lock.exclusive(data_dir):
        return _run_locked(app_dir, data_dir, port, max_documents, out or sys.stdout, commands, serve)


def _run_locked(app_dir: Path, data_dir: Path, port: int, max_documents: int, out: TextIO,
                commands: ClusterCommands | None, serve: Callable[[LocalCluster, TextIO], None]) -> int:
    previous_handlers = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, _raise_keyboard_interrupt),
        # shells start background jobs with SIGINT ignored; this command must still stop on it
        signal.SIGINT: signal.signal(signal.SIGINT, _raise_keyboard_interrupt),
    }
    cluster = LocalCluster(app_dir, data_dir, nodes=2, port=port, commands=commands)
    try:
        fetch_models_if_used(app_dir, out)  # inside: Ctrl-C during a download restores the handlers too
        print(f"starting 2 content nodes and a container (logs in {cluster.logs_dir}) ...", file=out)
        cluster.start()
        corpus_path = data_dir / "stdlib-corpus.jsonl"
        count = build_demo_corpus(corpus_path, max_documents, demo_doctype(app_dir))
        print(f"built {count} documents from the standard library's docstrings", file=out)
        embedded = embedded_feed(app_dir, corpus_path, out) if embeds_documents(app_dir) else None
        stats = feed(iter_feed_file(embedded or corpus_path), cluster.url, total=count, description="feeding")
        print(f"fed {stats.ok} documents in {stats.seconds:.1f}s ({stats.ok / max(stats.seconds, 1e-9):.0f}/s)"
              + (f", {stats.failed} failed" if stats.failed else ""), file=out)
        print_examples(cluster.url, out, embedded=embedded is not None)
        serve(cluster, out)
        return 0
    except KeyboardInterrupt:
        print("\nstopping the cluster ...", file=out)
        return 0
    finally:
        cluster.stop()
        for signum, handler in previous_handlers.items():
            signal.signal(signum, handler)
