"""A node's Search over the lean transport with a SearchReply and with a packed reply
(searchlib/wire/packed_reply.py), in one process: node 0's half of scifact and the 300 test queries
as `benchmarks.node_query_cost` builds them, each sent to the servicer's `search_frame` without and
with the container's `packed_reply` request, alternating query by query (which goes first alternates
by round), least thread CPU of `--repeat` runs a query.

    python -m benchmarks.node_reply_cost [--rounds 3] [--repeat 5]

Prints one JSON object: per round, ms a call (mean over the queries) of each form."""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from benchmarks.node_query_cost import node_with_scifact, requests
from container.dispatch.content_client import _ASK_PACKED
from content_node.service import ContentNodeService
from content_node.wire_server import WireCall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    encoded = requests()
    with tempfile.TemporaryDirectory() as data_dir:
        node = node_with_scifact(Path(data_dir))
        service = ContentNodeService(node)
        try:
            for body in encoded[:50]:  # warm-up
                service.search_frame(body, WireCall(10000))
            forms = {"SearchReply": b"", "packed": _ASK_PACKED}
            rounds = []
            for round_ in range(args.rounds):
                spent = dict.fromkeys(forms, 0.0)
                order = list(forms) if round_ % 2 == 0 else list(forms)[::-1]
                for body in encoded:
                    for name in order:
                        runs = []
                        for _ in range(args.repeat):
                            started = time.thread_time()
                            service.search_frame(body + forms[name], WireCall(10000))
                            runs.append(time.thread_time() - started)
                        spent[name] += min(runs)
                rounds.append({name: round(total * 1000 / len(encoded), 4) for name, total in spent.items()})
        finally:
            node.close()
    print(json.dumps({"ms_per_call": rounds}, indent=1))


if __name__ == "__main__":
    main()
