"""The real Search servicer behind unary calls vs one multiplexed stream: node 0's share of scifact
(benchmarks/node_query_cost.py) in a child process, served by a grpc.server built as
content_node/server.py builds it plus a benchmark-only bidirectional method whose requests carry an
8-byte id before the SearchRequest bytes (read in one thread, each Search run in the node's pool,
replies yielded as they complete). The 300 scifact queries from a grpc.aio client in this process
(the stream client of benchmarks/grpc_stream_echo.py) after one warm-up pass of each, modes
alternating; every reply of both modes
must be the same bytes (per-call phase timings cleared).

    python -m benchmarks.node_grpc_stream [--rounds 3] [--in-flight 8] [--passes 2]"""
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

import grpc

from benchmarks.grpc_stream_echo import Multiplexer, cpu_seconds
from benchmarks.node_grpc_cost import HERE, _stable

SERVE = r"""
import os, queue, sys, tempfile, threading
from concurrent import futures
from pathlib import Path
import grpc
from benchmarks.node_query_cost import node_with_scifact
from content_node.service import ContentNodeService
from protos import content_node_pb2 as pb
from protos import content_node_pb2_grpc as pb_grpc


class NoDeadline:
    def time_remaining(self):
        return None


with tempfile.TemporaryDirectory() as data_dir:
    node = node_with_scifact(Path(data_dir))
    service = ContentNodeService(node)
    pool = futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="search")

    def stream(requests, context):
        replies, done = queue.SimpleQueue(), object()

        def answer(request):
            reply = service.Search(pb.SearchRequest.FromString(request[8:]), NoDeadline())
            replies.put(request[:8] + reply.SerializeToString())

        def read():
            pending = []
            try:
                for request in requests:
                    pending.append(pool.submit(answer, request))
            except grpc.RpcError:
                pass
            futures.wait(pending)
            replies.put(done)
        threading.Thread(target=read, daemon=True).start()
        while (reply := replies.get()) is not done:
            yield reply

    server = grpc.server(pool)
    pb_grpc.add_ContentNodeServicer_to_server(service, server)
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
        "bench.Mux", {"Search": grpc.stream_stream_rpc_method_handler(stream)})])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    sys.stdin.read()
    server.stop(0).wait()
    os._exit(0)
"""


async def run(port: int, mode: str, bodies: list[bytes], in_flight: int) -> tuple[list[bytes], float, float]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        if mode == "unary":
            unary = channel.unary_unary("/phasedsearch.ContentNode/Search")

            async def send(body: bytes) -> bytes:
                return await unary(body, timeout=10)
            close = None
        else:
            multiplexer = Multiplexer(channel, "/bench.Mux/Search")

            async def send(body: bytes) -> bytes:
                return (await multiplexer.request(body))[8:]
            close = multiplexer.close
        for body in bodies[:20]:
            await send(body)
        replies: list[bytes] = [b""] * len(bodies)
        left = iter(range(len(bodies)))

        async def client() -> None:
            for i in left:
                replies[i] = await send(bodies[i])
        started = time.process_time()
        await asyncio.gather(*(client() for _ in range(in_flight)))
        cpu = time.process_time() - started
        if close is not None:
            await close()
        return replies, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--in-flight", type=int, default=8)
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args()
    from benchmarks.node_query_cost import SCIFACT, requests
    bodies = requests() * args.passes
    env = {**os.environ, "PYTHONPATH": str(HERE), "SCIFACT_DIR": str(SCIFACT)}
    server = subprocess.Popen([sys.executable, "-c", SERVE], cwd=HERE, env=env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    port = int(server.stdout.readline())
    rounds, digests = [], set()
    try:
        for mode in ("unary", "stream"):  # every cache of the node warm before the first round
            digests.add(hashlib.sha256(b"".join(
                _stable(r) for r in asyncio.run(run(port, mode, bodies, args.in_flight))[0])).hexdigest())
        for index in range(args.rounds):
            out = {}
            for mode in ("unary", "stream") if index % 2 == 0 else ("stream", "unary"):
                before = cpu_seconds(server.pid)
                replies, cpu = asyncio.run(run(port, mode, bodies, args.in_flight))
                out[mode] = {"client_cpu_ms": round(cpu * 1000 / len(bodies), 3),
                             "server_cpu_ms": round((cpu_seconds(server.pid) - before) * 1000 / len(bodies), 3)}
                digests.add(hashlib.sha256(b"".join(_stable(r) for r in replies)).hexdigest())
            rounds.append(out)
            print(json.dumps(out), file=sys.stderr, flush=True)
    finally:
        server.stdin.close()
        server.wait(timeout=60)
    median = {mode: {key: statistics.median(r[mode][key] for r in rounds) for key in rounds[0][mode]}
              for mode in ("unary", "stream")}
    print(json.dumps({"rounds": rounds, "median": median, "identical": len(digests) == 1,
                      "load_average": os.getloadavg()}, indent=1))


if __name__ == "__main__":
    main()
