"""nativeRank over an array<string> index field against the same words as one string: one query's
CPU time on a content node's DocumentDB (matching and first phase), median of rounds.

    python -m benchmarks.native_arrays [--docs 2000] [--rounds 15]

Each document holds 4 elements of 40 words drawn from 60 words (so most pairs of the query's terms
are 17..256 positions apart in some document: the distances the index's gap of 16 alone cannot place
in one element or two) and the same 160 words as one string; `joined` ranks the array with the
profile's element-gap 0."""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from content_node import matcher
from content_node.document_db import DocumentDB
from content_node.ranking.rank_program import RankProgram
from searchlib.query import tree as q
from searchlib.schema.application import application_from_text

SD = """schema doc {
    document doc {
        field parts type array<string> { indexing: index }
        field text type string { indexing: index }
    }
    rank-profile parts { first-phase { expression: nativeRank(parts) } }
    rank-profile text { first-phase { expression: nativeRank(text) } }
    rank-profile joined inherits parts { rank parts { element-gap: 0 } }
}"""
WORDS = [f"w{n}" for n in range(60)]
TERMS = ("w1", "w2", "w3")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    schema = application_from_text(SD, name="doc.sd").schemas["doc"]
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as directory:
        db = DocumentDB(schema, Path(directory))
        values = [[" ".join(rng.choice(WORDS, 40)) for _ in range(4)] for _ in range(args.docs)]
        started = time.process_time()
        for n, elements in enumerate(values):
            db.put(f"id:ns:doc::{n}", {"parts": elements, "text": " ".join(elements)})
        print(f"feed: CPU s {time.process_time() - started:.2f}")
        for profile, field in (("parts", "parts"), ("text", "text"), ("joined", "parts")):
            program = RankProgram(schema, schema.rank_profiles[profile], ())
            params = matcher.SearchParams(query=q.Or(tuple(q.Term(field, t) for t in TERMS)), hits=10)
            outcome = matcher.search(db, program, params)  # warm: postings read once
            times = []
            for _ in range(args.rounds):
                started = time.process_time()
                outcome = matcher.search(db, program, params)
                times.append(time.process_time() - started)
            print(f"{profile}: {outcome.total_hits} hits, CPU ms median {statistics.median(times) * 1000:.1f} "
                  f"min {min(times) * 1000:.1f}")
        db.close()


if __name__ == "__main__":
    main()
