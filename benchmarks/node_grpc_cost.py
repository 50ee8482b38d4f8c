"""Server CPU of one content node's Search over real gRPC: node 0's share of scifact served by the
node's own gRPC server (content_node/server.py) in a child process, the 300 scifact test queries
as the container sends them for BM25 top-10 with the summaries (benchmarks/node_query_cost.py),
sent by a grpc.aio client in this process at `--clients` calls in flight; the server's CPU a call
from /proc around the timed pass. With `--baseline DIR` (any checkout, `git archive REV | tar -x
-C DIR`) the baseline's server and this checkout's run alternately, `--pairs` times, and every
reply of both must be the same bytes (the pass fails otherwise).

    python -m benchmarks.node_grpc_cost [--baseline DIR] [--pairs 3] [--clients 1,8] [--passes 2]

Prints one JSON object: per pair and client count, server CPU ms a call and calls a second."""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import grpc

HERE = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")
SERVE = """
import sys, tempfile
from pathlib import Path
from benchmarks.node_query_cost import node_with_scifact
from content_node.server import serve
with tempfile.TemporaryDirectory() as data_dir:
    node = node_with_scifact(Path(data_dir))
    server, port = serve(node, "127.0.0.1", 0)[:2]
    print(port, flush=True)
    sys.stdin.read()
    server.stop(0).wait()
    node.close()
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Server:
    def __init__(self, checkout: Path) -> None:
        from benchmarks.node_query_cost import SCIFACT  # a baseline checkout elsewhere reads the same data
        env = {**os.environ, "PYTHONPATH": str(checkout), "SCIFACT_DIR": str(SCIFACT)}
        self.process = subprocess.Popen([sys.executable, "-c", SERVE], cwd=checkout, env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.port = int(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


async def run(port: int, bodies: list[bytes], clients: int) -> tuple[list[bytes], float]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        search = channel.unary_unary("/phasedsearch.ContentNode/Search")
        replies: list[bytes] = [b""] * len(bodies)
        next_index = iter(range(len(bodies)))

        async def client() -> None:
            for i in next_index:
                replies[i] = await search(bodies[i], timeout=10)
        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return replies, time.perf_counter() - started


def measure(checkout: Path, bodies: list[bytes], clients: list[int], passes: int) -> tuple[dict, str]:
    server = Server(checkout)
    try:
        asyncio.run(run(server.port, bodies[:50], 4))  # warm-up
        out, digest = {}, ""
        for count in clients:
            before = cpu_seconds(server.process.pid)
            replies, wall = asyncio.run(run(server.port, bodies * passes, count))
            calls = len(bodies) * passes
            out[count] = {"server_cpu_ms": round((cpu_seconds(server.process.pid) - before) * 1000 / calls, 3),
                          "calls_per_s": round(calls / wall, 1)}
            digest = hashlib.sha256(b"".join(_stable(r) for r in replies[:len(bodies)])).hexdigest()
        return out, digest
    finally:
        server.close()


def _stable(reply: bytes) -> bytes:
    """The reply without its per-call timing (the trace is off, so only the phases' timings vary)."""
    from protos import content_node_pb2 as pb
    message = pb.SearchReply.FromString(reply)
    message.ClearField("phases")
    return message.SerializeToString(deterministic=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", default="")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--passes", type=int, default=2, help="times the 300 queries are sent a measurement")
    args = parser.parse_args()
    from benchmarks.node_query_cost import requests
    bodies = requests()
    clients = [int(c) for c in args.clients.split(",")]
    sides = [("before", Path(args.baseline).resolve())] if args.baseline else []
    sides.append(("after", HERE))
    pairs = []
    for index in range(args.pairs):
        pair, digests = {}, set()
        for name, checkout in sides if index % 2 == 0 else sides[::-1]:
            pair[name], digest = measure(checkout, bodies, clients, args.passes)
            digests.add(digest)
        pair["identical"] = len(digests) == 1
        pairs.append(pair)
        print(json.dumps(pair), file=sys.stderr, flush=True)
    summary = {name: {c: statistics.median(p[name][c]["server_cpu_ms"] for p in pairs) for c in clients}
               for name, _ in sides}
    print(json.dumps({"pairs": pairs, "median_server_cpu_ms": summary,
                      "all_identical": all(p["identical"] for p in pairs)}, indent=1))


if __name__ == "__main__":
    main()
