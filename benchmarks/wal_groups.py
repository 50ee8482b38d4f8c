"""WAL group commits on fresh 4 KB blocks (format 3) against format 2: the space each fsync group
takes and the append + fsync throughput, in one process, at the group sizes a node sees (a `Feed`
batch of up to 128 operations is one group; a lone write is a group of 1).

    python -m benchmarks.wal_groups [--baseline FILE ...] [--groups 100] [--rounds 3] [--dir DIR]

`--baseline FILE` (repeatable): a wal.py of an older checkout (`git show
e1c1905:content_node/store/wal.py > /tmp/wal2.py`: format 2; 41e86d7: format 3), loaded on its own;
its runs alternate with this checkout's. Space is what the log's segments hold on disk after the
groups, preallocated zeros included (format 4 creates a segment full of zeros: 1 MB, then twice
the size of the one that filled). Payloads: scifact's
put records as a node logs them (~1.6 KB) and 384-float vectors (~4.1 KB). Prints a markdown table:
bytes a group (file size and allocated blocks) and records a second (median of the rounds)."""
from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import numpy as np

from content_node.store import wal as current

GROUP_SIZES = (1, 16, 128)
TIMESTAMP = 1733550000000000


def load_baseline(path: Path, name: str = "baseline_wal") -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def scifact_payloads() -> list[bytes]:
    from benchmarks.bm25_scifact import SCIFACT
    from deploy.beir_eval import iter_corpus_operations, load_dataset
    from deploy.feed_format import FeedOperation

    operations = [op for op in iter_corpus_operations(load_dataset(SCIFACT)) if isinstance(op, FeedOperation)]
    return [current.put_payload(op.document_id, json.dumps(op.fields).encode(), TIMESTAMP) for op in operations]


def vector_payloads(count: int = 1000) -> list[bytes]:
    vectors = np.random.default_rng(1234).standard_normal((count, 384))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [current.put_payload(f"id:vec:vec::{i}", json.dumps({"embedding": [round(float(x), 6) for x in row]}).encode(),
                                TIMESTAMP) for i, row in enumerate(vectors)]


def run(module: ModuleType, directory: Path, payloads: list[bytes], group: int, groups: int) -> dict:
    """`groups` group commits of `group` records each: seconds, file and allocated bytes."""
    directory.mkdir()
    log = module.WriteAheadLog(directory, 1)
    sequence, record_bytes = 0, 0
    started = time.perf_counter()
    for _ in range(groups):
        for _ in range(group):
            payload = payloads[sequence % len(payloads)]
            sequence += 1
            log.append(sequence, payload)
            record_bytes += 20 + len(payload)
        log.sync(sequence)
    seconds = time.perf_counter() - started
    assert log.fsync_count == groups
    log.close()
    stats = [path.stat() for path in directory.glob("wal-*.log")]
    return {"seconds": seconds, "records": sequence, "record_bytes": record_bytes, "segments": len(stats),
            "file_bytes": sum(s.st_size for s in stats), "disk_bytes": sum(s.st_blocks for s in stats) * 512}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, action="append", default=[], help="an older wal.py to compare with")
    parser.add_argument("--groups", type=int, default=100, help="fsync groups a run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where the segments are written (default: a temp dir)")
    args = parser.parse_args()
    modules = {f"baseline {index + 1}": load_baseline(path, f"baseline_wal_{index}") for index, path in enumerate(args.baseline)}
    modules["this"] = current
    corpora = {"scifact puts": scifact_payloads(), "384-float vectors": vector_payloads()}
    results: dict[tuple[str, str, int], list[dict]] = {}
    with tempfile.TemporaryDirectory(dir=args.dir) as name:
        for round_ in range(args.rounds):
            for corpus, payloads in corpora.items():
                for group in GROUP_SIZES:
                    for label, module in modules.items():  # alternate: the machine's load drifts
                        target = Path(name) / f"{label}-{corpus[:7]}-{group}-{round_}"
                        results.setdefault((corpus, label, group), []).append(
                            run(module, target, payloads, group, args.groups))
    print("| payloads | records a group | record bytes a group | checkout | segments | file bytes a group | "
          "allocated bytes a group | records/s (median) | ms a group (median) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for (corpus, label, group), runs in results.items():
        first = runs[0]
        rate = statistics.median(r["records"] / r["seconds"] for r in runs)
        per_group = statistics.median(r["seconds"] / args.groups * 1000 for r in runs)
        version = modules[label].FORMAT_VERSION
        print(f"| {corpus} | {group} | {first['record_bytes'] / args.groups:,.0f} | {label} (format {version}) | "
              f"{first['segments']} | "
              f"{first['file_bytes'] / args.groups:,.0f} | {first['disk_bytes'] / args.groups:,.0f} | "
              f"{rate:,.0f} | {per_group:.2f} |")


if __name__ == "__main__":
    main()
