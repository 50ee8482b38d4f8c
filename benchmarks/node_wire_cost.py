"""Unary gRPC vs the lean framed transport (searchlib/wire/frames.py) for the node's Search: a child
process serves the same handler on a grpc.server built as content_node/server.py builds it and on
a WireServer (content_node/wire_server.py) sharing its thread pool; a client in this process sends
the same request bytes over a grpc.aio channel or one WireConnection
(container/dispatch/wire_client.py), `--in-flight` calls outstanding, modes alternating. CPU a call
of the server (/proc) and of the client (process_time). `--echo`: the handler returns a 15 kB reply
with no work (the transports alone); otherwise node 0's share of scifact and the 300 scifact
queries (benchmarks/node_query_cost.py), every reply of every mode the same bytes. Mode
`grpc-tuned`: gRPC with the cheap options on both sides (TUNED: no BDP probe pings, no channelz
accounting, throughput as the optimization target; compression is already off by default).

    python -m benchmarks.node_wire_cost [--echo] [--rounds 4] [--in-flight 8] [--passes 2] [--modes grpc,wire]"""
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

from benchmarks.grpc_stream_echo import cpu_seconds
from benchmarks.node_grpc_cost import HERE, _stable

SERVE = r"""
import json, os, sys, tempfile
from concurrent import futures
from pathlib import Path
import grpc
from content_node.wire_server import WireServer

ECHO = sys.argv[1] == "echo"
TUNED = [tuple(option) for option in json.loads(sys.argv[2])]
REPLY = b"r" * 15000
pool = futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="search")
servers = [grpc.server(pool, options=[("grpc.so_reuseport", 0)]),
           grpc.server(pool, options=[("grpc.so_reuseport", 0), *TUNED])]
if ECHO:
    def handle(request, call):
        return request[:8] + REPLY
    for server in servers:
        server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("phasedsearch.ContentNode", {
            "Search": grpc.unary_unary_rpc_method_handler(lambda request, context: handle(request, context))})])
else:
    from benchmarks.node_query_cost import node_with_scifact
    from content_node.service import ContentNodeService
    from protos import content_node_pb2 as pb
    from protos import content_node_pb2_grpc as pb_grpc
    data_dir = tempfile.mkdtemp()
    service = ContentNodeService(node_with_scifact(Path(data_dir)))
    for server in servers:
        pb_grpc.add_ContentNodeServicer_to_server(service, server)

    def handle(request, call):
        return service.Search(pb.SearchRequest.FromString(request), call).SerializeToString()
ports = [server.add_insecure_port("127.0.0.1:0") for server in servers]
for server in servers:
    server.start()
wire = WireServer(handle, pool, "127.0.0.1", 0)
print(*ports, wire.port, flush=True)
sys.stdin.read()
os._exit(0)
"""


TUNED = [("grpc.http2.bdp_probe", 0), ("grpc.enable_channelz", 0), ("grpc.optimization_target", "throughput")]


async def run(ports: tuple[int, ...], mode: str, bodies: list[bytes], in_flight: int) -> tuple[list[bytes], float]:
    from container.dispatch.wire_client import connect
    if mode.startswith("grpc"):
        tuned = mode == "grpc-tuned"
        channel = grpc.aio.insecure_channel(f"127.0.0.1:{ports[1 if tuned else 0]}",
                                            options=TUNED if tuned else None)
        unary = channel.unary_unary("/phasedsearch.ContentNode/Search")

        async def send(body: bytes) -> bytes:
            return await unary(body, timeout=10)
    else:
        connection = await connect("127.0.0.1", ports[2], None, None, 5)

        async def send(body: bytes) -> bytes:
            return await connection.call(body, 10)
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
    if mode.startswith("grpc"):
        await channel.close()
    else:
        connection.close()
    return replies, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--echo", action="store_true")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--in-flight", type=int, default=8)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--calls", type=int, default=4000, help="with --echo")
    parser.add_argument("--modes", default="grpc,wire", help="of grpc, grpc-tuned, wire")
    args = parser.parse_args()
    if args.echo:
        bodies = [i.to_bytes(8, "little") + b"q" * 1500 for i in range(args.calls)]
    else:
        from benchmarks.node_query_cost import requests
        bodies = requests() * args.passes
    from benchmarks.node_query_cost import SCIFACT
    env = {**os.environ, "PYTHONPATH": str(HERE), "SCIFACT_DIR": str(SCIFACT)}
    modes = args.modes.split(",")
    server = subprocess.Popen([sys.executable, "-c", SERVE, "echo" if args.echo else "node", json.dumps(TUNED)],
                              cwd=HERE, env=env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    ports = tuple(int(p) for p in server.stdout.readline().split())
    stable = (lambda r: r) if args.echo else _stable
    rounds, digests = [], set()
    try:
        for mode in modes:  # every cache of the node warm before the first round
            asyncio.run(run(ports, mode, bodies, args.in_flight))
        for index in range(args.rounds):
            out = {}
            for mode in modes if index % 2 == 0 else modes[::-1]:
                before, wall = cpu_seconds(server.pid), time.perf_counter()
                replies, cpu = asyncio.run(run(ports, mode, bodies, args.in_flight))
                wall = time.perf_counter() - wall
                out[mode] = {"client_cpu_ms": round(cpu * 1000 / len(bodies), 3),
                             "server_cpu_ms": round((cpu_seconds(server.pid) - before) * 1000 / len(bodies), 3),
                             "calls_per_s": round(len(bodies) / wall)}
                digests.add(hashlib.sha256(b"".join(stable(r) for r in replies)).hexdigest())
            rounds.append(out)
            print(json.dumps(out), file=sys.stderr, flush=True)
    finally:
        server.stdin.close()
        server.wait(timeout=60)
    median = {mode: {key: statistics.median(r[mode][key] for r in rounds) for key in rounds[0][mode]}
              for mode in modes}
    print(json.dumps({"settings": vars(args), "rounds": rounds, "median": median, "identical": len(digests) == 1,
                      "load_average": os.getloadavg()}, indent=1))


if __name__ == "__main__":
    main()
