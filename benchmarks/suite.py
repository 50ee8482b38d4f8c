"""Every benchmark in one command (issue 20, goal 6):

    python -m benchmarks all --quick   # a few minutes, small sizes: writes BENCHMARKS-quick.md (git-ignored)
    python -m benchmarks all           # the sizes BENCHMARKS.md reports (not yet timed end to end; the goal is ≤ 45 minutes on 2 cores)
    python -m benchmarks all --only bm25_scale weak_and [--out PATH]

The registry lists one entry per benchmark, each with `run(quick) -> Section`. Modules written for
it (bm25_scale, weak_and) return their section and the points to plot; the older scripts run as
`python -m benchmarks.<name> <args>` (they write their own section, to the file that
$PHASEDSEARCH_BENCHMARKS_MD names) and their section is read back. Section titles name the sizes run. Each section of BENCHMARKS.md is rewritten; text after an `<!-- analysis -->` line in a
section is hand-written and kept (benchmarks/report.py), as are sections no benchmark writes.
Then the plots: QPS and p50 against corpus size and against client count (benchmarks/plots/).
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from benchmarks import report
from benchmarks.report import Point, Section, read_section, write_section

REPO = Path(__file__).resolve().parents[1]
PLOTS = Path(__file__).resolve().parent / "plots"
QUICK_OUT = REPO / "BENCHMARKS-quick.md"  # git-ignored: quick-size numbers never replace the committed ones
SKIPPED_TITLE = "Not run by --quick"
PLOTS_TITLE = "Plots: QPS and latency against corpus size and client count"


@dataclass(frozen=True)
class Module:
    """A benchmark module with its own `run(quick) -> Section`."""
    name: str

    def run(self, quick: bool) -> Section:
        module = __import__(f"benchmarks.{self.name}", fromlist=["run"])
        return module.run(quick)


@dataclass(frozen=True)
class Script:
    """An older benchmark script: run as a process with the arguments for each mode; it writes its
    section (`title`, or `quick_title` when its title names sizes that --quick shrinks) itself, and
    the section is read back."""
    name: str
    title: str
    quick_args: tuple[str, ...] | None  # None: skipped by --quick (too slow to be quick)
    full_args: tuple[str, ...] = ()
    quick_title: str | None = None

    def args(self, quick: bool) -> tuple[str, ...]:
        return (self.quick_args or ()) if quick else self.full_args

    def run(self, quick: bool) -> Section:
        env = {**os.environ, report.OUT_VARIABLE: str(report.BENCHMARKS)}  # the scripts write where we do
        subprocess.run([sys.executable, "-m", f"benchmarks.{self.name}", *self.args(quick)], cwd=REPO,
                       check=True, env=env)
        title = (self.quick_title or self.title) if quick else self.title
        return Section(title, read_section(title) or "")


@dataclass(frozen=True)
class Printed(Script):
    """A script that only prints its results: run as a process, its output becomes the section, under
    the command line that produced it (any hand-written text belongs after an `<!-- analysis -->` line)."""

    def run(self, quick: bool) -> Section:
        args = self.args(quick)
        done = subprocess.run([sys.executable, "-m", f"benchmarks.{self.name}", *args], cwd=REPO, check=True,
                              capture_output=True, text=True)
        output = done.stdout.lstrip("\n").rstrip()  # keep the first line's indentation: tables line up
        command = " ".join(["python -m", f"benchmarks.{self.name}", *args])
        return Section((self.quick_title or self.title) if quick else self.title, f"`{command}` on {platform.machine()}, {time.strftime('%Y-%m-%d')}:\n\n"
                                   f"```\n{output}\n```\n")


OVERLOAD_QUICK = str(Path(tempfile.gettempdir()) / "phasedsearch-overload-quick.json")
REGISTRY: dict[str, Module | Script | Printed] = {
    "bm25_scale": Module("bm25_scale"),
    "weak_and": Module("weak_and"),
    "bm25_scifact": Script("bm25_scifact", "BM25 on scifact (issue 2)", ("--clients", "2", "--rounds", "1"),
                           ("--clients", "8", "--rounds", "3")),
    "first_phase": Script("first_phase", "First-phase evaluation over 1,000,000 candidates (issue 3)",
                          ("--docs", "20000", "--rounds", "1"), ("--docs", "1000000", "--rounds", "5"),
                          quick_title="First-phase evaluation over 20,000 candidates (issue 3)"),
    "http_protocols": Script("http_protocols", "HTTP/2 and HTTP/1.1 on one port",
                             ("--clients", "2", "--rounds", "1", "--documents", "1000")),
    "mtls_latency": Script("mtls_latency", "Cluster mutual TLS: query latency (issue 16)",
                           ("--documents", "200", "--queries", "50", "--rounds", "1")),
    "term_statistics": Script("term_statistics", "Cluster-wide term statistics",
                              ("--datasets", "cranfield", "--nodes", "2")),
    "bm25_vs_tantivy": Script("bm25_vs_tantivy", "BM25: the engine and tantivy, difference by difference",
                              ("--datasets", "cranfield")),
    "overload": Script("overload", "Overload: 8, 32 and 128 clients (issue 20)",
                       ("--label", "quick", "--clients", "4,16", "--requests", "64", "--results", OVERLOAD_QUICK,
                        "--write"), ("--write",), quick_title="Overload: 4 and 16 clients (issue 20)"),
    "failover": Script("failover", "Failover (issue 7)",
                       ("--preload", "200", "--before", "2", "--down", "3", "--after", "2", "--feeders", "1",
                        "--queriers", "1")),
    "feed_rate": Script("feed_rate", "Feed throughput (issue 20)", ("--write", "--documents", "500", "--vectors", "500"),
                        ("--write",)),
    "ann": Script("ann", "nearestNeighbor at 100,000 vectors (issue 5)",
                  ("--sizes", "2000", "--queries", "50", "--clients", "2", "--explore", "0,10",
                   "--ef-construction", "50", "--http-feed", "500", "--exact-queries", "20"),
                  ("--sizes", "100000", "--queries", "1000", "--clients", "8", "--explore", "0,10,40,190",
                   "--ef-construction", "200", "--http-feed", "20000"),
                  quick_title="nearestNeighbor at 2,000 vectors (issue 5)"),
    "linguistics": Script("linguistics", "Linguistics: PyStemmer and language detection (issue 25)", ()),
    # relevance, dense_exactness, cross_encoder_forms, dense_vectors, dense_constructions, fusion_forms and
    # hybrid_ce_forms embed or rerank whole corpora
    # (tens of minutes): full only
    "relevance": Script("relevance", "Relevance out of the box (issue 22)", None, ("--datasets", "scifact", "cranfield")),
    "dense_exactness": Script("dense_exactness", "Dense retrieval: the engine against exact cosine (issue 22)", None,
                              ("--datasets", "cranfield")),
    "cross_encoder_forms": Script("cross_encoder_forms", "Cross-encoder forms: int8 vs float activations (issue 4)",
                                  None, ("--queries", "100", "--top", "25")),
    "dense_vectors": Printed("dense_vectors", "Dense vectors: batching and float activations (issue 22)", None, ()),
    "dense_constructions": Printed("dense_constructions", "Dense baseline constructions (issue 22)", None, ()),
    "fusion_forms": Printed("fusion_forms", "Hybrid: fusion forms in one process (issue 22)", None, ()),
    "hybrid_ce_forms": Printed("hybrid_ce_forms", "hybrid-ce: fusion forms (issue 22)", None,
                               ("--datasets", "cranfield", "scifact", "--queries", "1000")),
    "snapshot_scaling": Printed("snapshot_scaling", "Storage: incremental snapshots (issue 20, goal 4)",
                                ("--sizes", "1000,2000", "--dim", "32"), ()),
    "restart": Printed("restart", "Restart of a node at 500,000 documents (issue 20, goal 4)",
                       ("--docs", "5000", "--repeat", "1", "--data-dir", str(Path(tempfile.gettempdir()) / "phasedsearch-restart-quick")),
                       ("--docs", "500000"), quick_title="Restart of a node at 5,000 documents (issue 20, goal 4)"),
    "query_cost": Printed("query_cost", "Per-query cost (issue 20)", ("--clients", "1", "--rounds", "1"),
                          ("--clients", "1,8", "--rounds", "1")),
    "ann_cost": Printed("ann_cost", "nearestNeighbor per-query cost at 100,000 vectors (issue 20)",
                        ("--size", "2000", "--queries", "50", "--clients", "1", "--rounds", "1"),
                        ("--size", "100000", "--queries", "300", "--clients", "8,1", "--rounds", "3"),
                        quick_title="nearestNeighbor per-query cost at 2,000 vectors (issue 20)"),
    "query_cost_in_process": Printed("query_cost_in_process", "Per-query CPU in one process (issue 20)",
                                     ("--repeat", "1"), ("--repeat", "5")),
    "feed_read_wait": Printed("feed_read_wait", "Reads during a vector feed (issue 20)", ("--documents", "1000"), ()),
    "replica_merge": Printed("replica_merge", "Replica merge: bookkeeping cost", ("--documents", "1000", "--differing", "0", "10"),
                             ()),
    "wal_groups": Printed("wal_groups", "Write-ahead log group commits: space and throughput",
                          ("--groups", "20", "--rounds", "1"), ("--groups", "100", "--rounds", "5")),
    "wal_full_disk": Printed("wal_full_disk", "Write-ahead log on a full disk (needs root)", ("--runs", "2"), ("--runs", "8")),
}


def plot(points: Sequence[Point], axis: str, path: Path) -> Path | None:
    """QPS and p50 against `axis` ("documents" or "clients"), one line per series."""
    chosen = [p for p in points if p.axis == axis]
    if not chosen:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (qps, p50) = plt.subplots(1, 2, figsize=(11, 4.2))
    for series in dict.fromkeys(p.series for p in chosen):
        line = sorted((p for p in chosen if p.series == series), key=lambda p: p.x)
        xs = [p.x for p in line]
        qps.plot(xs, [p.qps for p in line], marker="o", label=series)
        p50.plot(xs, [p.p50_ms for p in line], marker="o", label=series)
    for ax, label in ((qps, "QPS"), (p50, "p50 latency (ms)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(axis)
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
    qps.legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def run_all(names: Sequence[str], quick: bool, plots_dir: Path = PLOTS,
            registry: dict[str, Module | Script | Printed] = REGISTRY, log: Callable[[str], None] = print) -> list[Section]:
    """Runs each entry, writing its section to report.BENCHMARKS (set by main: BENCHMARKS.md, or
    BENCHMARKS-quick.md for --quick), then the plots and their section."""
    sections, skipped, started = [], [], time.perf_counter()
    for name in names:
        entry = registry[name]
        if quick and isinstance(entry, Script) and entry.quick_args is None:
            log(f"{name}: skipped by --quick")
            skipped.append(name)
            continue
        t0 = time.perf_counter()
        section = entry.run(quick)
        section.write()
        sections.append(section)
        log(f"{name}: {time.perf_counter() - t0:.0f} s")
    if skipped:  # the quick report says what it left out, so a missing section is not mistaken for a pass
        write_section(SKIPPED_TITLE, "Too slow for `--quick` (they embed or rerank whole corpora); only "
                                     "`python -m benchmarks all` runs them: " + ", ".join(skipped) + ".\n")
    points = [p for s in sections for p in s.points]
    images = [image for axis in ("documents", "clients")
              if (image := plot(points, axis, plots_dir / f"{axis}.png")) is not None]
    if images:
        links = "\n\n".join(f"![{image.stem}]({os.path.relpath(image, report.BENCHMARKS.parent)})" for image in images)
        write_section(PLOTS_TITLE, f"`python -m benchmarks all{' --quick' if quick else ''}`, "
                                   f"{time.strftime('%Y-%m-%d')}, {time.perf_counter() - started:.0f} s in all.\n\n"
                                   + links)
    return sections


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["all"])
    parser.add_argument("--quick", action="store_true", help=f"small sizes, a few minutes; writes {QUICK_OUT.name}")
    parser.add_argument("--only", nargs="+", choices=list(REGISTRY), default=list(REGISTRY))
    parser.add_argument("--out", type=Path, help="the report to write (default: BENCHMARKS.md, or "
                                                  f"{QUICK_OUT.name} with --quick)")
    args = parser.parse_args(argv)
    report.BENCHMARKS = (args.out or (QUICK_OUT if args.quick else report.BENCHMARKS)).resolve()
    run_all(args.only, args.quick, plots_dir(report.BENCHMARKS), REGISTRY)


def plots_dir(out: Path) -> Path:
    """benchmarks/plots/ for BENCHMARKS.md; beside any other report, so a quick run leaves them alone."""
    return PLOTS if out == REPO / "BENCHMARKS.md" else out.parent / f"{out.stem}-plots"
