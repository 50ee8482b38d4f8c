"""The codec alone, SearchReply against packed reply (searchlib/wire/packed_reply.py), in one
process: a node's encode of one reply, and the container's decode of 2 nodes' replies, the merge
of the hits it keeps (`merge_reply_hits`, k = the window,
and k = 10: the least kept) and the reading of the kept summaries.
Plain BM25-like answers: 12-byte global ids, with ~1.3 kB summaries at 10 hits (the one round trip
window) and without summaries for the larger windows, where the crossover of the two forms is.

    python -m benchmarks.packed_reply_codec [--repeat 7]

Prints one JSON object: per window, best of `--repeat` µs a reply (encode) or a query (decode)."""
from __future__ import annotations

import argparse
import json
import random
import time

from protos import content_node_pb2 as pb
from searchlib.coverage import Coverage
from searchlib.hits import LeanHit
from searchlib.wire.hits_codec import merge_reply_hits
from searchlib.wire.packed_reply import decode_packed, encode_packed
from searchlib.wire.search_codec import DocsumValue, SearchAnswer, decode_search_answer, encode_search_answer

WINDOWS = (10, 20, 30, 40, 50, 75, 100, 200, 400)


def answer(key: int, n: int, summaries: bool) -> SearchAnswer:
    rng = random.Random(key * 1000 + n)
    hits = tuple(sorted((LeanHit(rng.randbytes(12), rng.random() * 20, key) for _ in range(n)),
                        key=lambda h: -h.relevance))
    docsums = tuple(DocsumValue(h.global_id, f"id:scifact:doc::{rng.randrange(10 ** 6)}",
                                {"title": "t" * 80, "text": "x" * 1200}, {}) for h in hits) if summaries else ()
    return SearchAnswer(key, hits, 5000, Coverage(2600, 2600, 2600, 0, 1), generation=7, docsums=docsums)


def best(run, repeat: int, inner: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.process_time()
        for _ in range(inner):
            run()
        times.append((time.process_time() - started) / inner)
    return round(min(times) * 1e6, 1)


def container(decode, replies, k: int) -> None:
    answers = [decode(r) for r in replies]
    kept = merge_reply_hits([a.hits for a in answers], (), k)
    docsums = {d.global_id: d for a in answers for d in a.docsums}
    for hit in kept:
        if (docsum := docsums.get(hit.global_id)) is not None:
            docsum.plain_fields_json() or docsum.value()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    rows = {}
    for n in WINDOWS:
        answers = [answer(key, n, n == 10) for key in (0, 1)]
        inner = max(20, 4000 // n)
        protobuf = [encode_search_answer(a).SerializeToString() for a in answers]
        packed = [encode_packed(a) for a in answers]
        row = {}
        for _ in range(2):  # alternating pairs
            row["encode_searchreply"] = best(lambda: encode_search_answer(answers[0]).SerializeToString(),
                                             args.repeat, inner)
            row["encode_packed"] = best(lambda: encode_packed(answers[0]), args.repeat, inner)
            row["container_searchreply"] = best(
                lambda: container(lambda b: decode_search_answer(pb.SearchReply.FromString(b)), protobuf, n),
                args.repeat, inner)
            row["container_packed"] = best(lambda: container(decode_packed, packed, n), args.repeat, inner)
            # merge 10 of them: the least a merge keeps (many nodes, each sending the whole window)
            row["container_searchreply_k10"] = best(
                lambda: container(lambda b: decode_search_answer(pb.SearchReply.FromString(b)), protobuf, 10),
                args.repeat, inner)
            row["container_packed_k10"] = best(lambda: container(decode_packed, packed, 10), args.repeat, inner)
        rows[f"{n} hits{' + summaries' if n == 10 else ''}"] = row
    print(json.dumps({"us": rows}, indent=1))


if __name__ == "__main__":
    main()
