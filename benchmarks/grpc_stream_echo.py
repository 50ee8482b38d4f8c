"""Unary calls vs one multiplexed bidirectional stream, over real gRPC with no search work: an echo
service on grpcio's sync server (a thread pool, as content_node/server.py) in a child process, and
a grpc.aio client in this process (as container/dispatch/content_client.py) with `--in-flight`
calls outstanding. Each request carries an 8-byte id; the stream's server reads requests in one
thread, runs each in a worker pool (as a Search would) and writes replies as they complete; the
client writes through one writer task (grpc.aio allows one write at a time, and cancelling a
write's awaiter cancels the whole call) and matches replies to waiting futures by id.

    python -m benchmarks.grpc_stream_echo [--calls 4000] [--rounds 3] [--in-flight 8] [--work-ms 0]

Prints one JSON object: per round and mode, client and server CPU ms a call and calls a second."""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import grpc

TICK = os.sysconf("SC_CLK_TCK")
SERVE = r"""
import os, queue, sys, threading, time
from concurrent import futures
import grpc

WORK_S = float(sys.argv[1]) / 1000
REPLY = b"r" * int(sys.argv[2])
work_pool = futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="work")


def work(request):
    if WORK_S:
        end = time.thread_time() + WORK_S
        while time.thread_time() < end:
            pass
    return request[:8] + REPLY


def unary(request, context):
    return work(request)


def stream(requests, context):
    replies = queue.SimpleQueue()
    done = object()

    def answer(request):
        replies.put(work(request))

    def read():
        pending = []
        try:
            for request in requests:
                pending.append(work_pool.submit(answer, request))
        except grpc.RpcError:  # the client cancelled the stream
            pass
        futures.wait(pending)
        replies.put(done)
    threading.Thread(target=read, daemon=True).start()
    while (reply := replies.get()) is not done:
        yield reply


handlers = grpc.method_handlers_generic_handler("echo.Echo", {
    "Unary": grpc.unary_unary_rpc_method_handler(unary),
    "Stream": grpc.stream_stream_rpc_method_handler(stream)})
server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), handlers=[handlers])
port = server.add_insecure_port("127.0.0.1:0")
server.start()
print(port, flush=True)
sys.stdin.read()
server.stop(0).wait()
os._exit(0)  # the stream readers and the work pool are not joined
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Multiplexer:
    """One stream carrying tagged requests; replies resolve the futures waiting for their id."""

    def __init__(self, channel: grpc.aio.Channel, method: str = "/echo.Echo/Stream") -> None:
        self.call = channel.stream_stream(method)()
        self.waiting: dict[bytes, asyncio.Future] = {}
        self.outbox: asyncio.Queue = asyncio.Queue()
        self.ids = itertools.count()
        self.tasks = [asyncio.create_task(self._write()), asyncio.create_task(self._read())]

    async def _write(self) -> None:
        while True:
            await self.call.write(await self.outbox.get())

    async def _read(self) -> None:
        while (reply := await self.call.read()) is not grpc.aio.EOF:
            future = self.waiting.pop(reply[:8], None)
            if future is not None and not future.done():
                future.set_result(reply)

    async def request(self, body: bytes) -> bytes:
        tag = next(self.ids).to_bytes(8, "little")
        future = asyncio.get_running_loop().create_future()
        self.waiting[tag] = future
        self.outbox.put_nowait(tag + body)
        return await future

    async def close(self) -> None:
        self.call.cancel()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def run(port: int, mode: str, calls: int, in_flight: int, body: bytes) -> tuple[float, float]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        if mode == "unary":
            unary = channel.unary_unary("/echo.Echo/Unary")
            ids = itertools.count()

            async def send(body: bytes) -> bytes:
                return await unary(next(ids).to_bytes(8, "little") + body, timeout=10)
            close = None
        else:
            multiplexer = Multiplexer(channel)
            send, close = multiplexer.request, multiplexer.close
        for _ in range(50):  # connected and warm before the clocks start
            await send(body)
        left = iter(range(calls))

        async def client() -> None:
            for _ in left:
                reply = await send(body)
                assert len(reply) > 8
        started_cpu, started = time.process_time(), time.perf_counter()
        await asyncio.gather(*(client() for _ in range(in_flight)))
        cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
        if close is not None:
            await close()
        return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--in-flight", type=int, default=8)
    parser.add_argument("--work-ms", type=float, default=0.0, help="CPU work per call in the server")
    parser.add_argument("--request-bytes", type=int, default=1500)
    parser.add_argument("--reply-bytes", type=int, default=15000)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(args.work_ms), str(args.reply_bytes)],
                              text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    port = int(server.stdout.readline())
    body = b"q" * args.request_bytes
    rounds = []
    try:
        for index in range(args.rounds):
            out = {}
            for mode in ("unary", "stream") if index % 2 == 0 else ("stream", "unary"):
                before = cpu_seconds(server.pid)
                cpu, wall = asyncio.run(run(port, mode, args.calls, args.in_flight, body))
                out[mode] = {"client_cpu_ms": round(cpu * 1000 / args.calls, 3),
                             "server_cpu_ms": round((cpu_seconds(server.pid) - before) * 1000 / args.calls, 3),
                             "calls_per_s": round(args.calls / wall)}
            rounds.append(out)
            print(json.dumps(out), file=sys.stderr, flush=True)
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    median = {mode: {key: statistics.median(r[mode][key] for r in rounds) for key in rounds[0][mode]}
              for mode in ("unary", "stream")}
    print(json.dumps({"settings": vars(args), "rounds": rounds, "median": median,
                      "load_average": os.getloadavg()}, indent=1))


if __name__ == "__main__":
    main()
