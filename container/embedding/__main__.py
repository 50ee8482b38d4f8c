"""`python -m container.embedding --app DIR --embedder bge --field embedding --from title,text IN OUT`:
embed a JSON Lines feed file in batch (see feed_embedding.py). Exit 2 with a message on bad input."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from container.embedding.feed_embedding import FeedEmbedding, embed_feed
from searchlib.errors import SearchlibError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m container.embedding", description=__doc__)
    parser.add_argument("--app", required=True, help="application package directory")
    parser.add_argument("--embedder", required=True, help="embedder component id in services.xml")
    parser.add_argument("--field", required=True, help="document tensor field to fill")
    parser.add_argument("--from", dest="sources", required=True, help="comma-separated text fields")
    parser.add_argument("--max-tokens", type=int, default=None, help="cut texts here (default: the embedder's)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("input", type=Path)
    parser.add_argument("output", type=Path)
    args = parser.parse_args(argv)
    spec = FeedEmbedding(args.app, args.embedder, args.field, tuple(s.strip() for s in args.sources.split(",")),
                         args.max_tokens, args.batch_size)
    started = time.perf_counter()
    # this process's own partial file: two runs writing one output never write into each other's
    partial = args.output.with_name(f"{args.output.name}.{os.getpid()}.partial")
    try:
        with args.input.open(encoding="utf-8") as lines, partial.open("w", encoding="utf-8") as out:
            count = embed_feed(spec, lines, out, progress=lambda done: print(
                f"embedded {done} documents ({done / (time.perf_counter() - started):.0f}/s)", file=sys.stderr))
    except (OSError, SearchlibError) as error:
        partial.unlink(missing_ok=True)
        print(f"error: {error}", file=sys.stderr)
        return 2
    os.replace(partial, args.output)  # only a complete file ever has the output's name
    print(f"embedded {count} documents into {args.output} in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
