"""The container's CPU a write through /document/v1/ in one process, without the HTTP server, gRPC
or the nodes: DocumentFront (ASGI, a fake receive/send) → DocumentHandler → scripted content nodes
that answer each put on the next loop turn, `--in-flight` writes at a time on uvloop. Thread CPU µs
a write, the least and the median of `--rounds` rounds. Run it in two checkouts to compare them:

    PYTHONPATH=/other/checkout python -m benchmarks.document_front_cost   (from that checkout)

Prints one JSON object."""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

import uvloop

from container.app import create_app
from container.dispatch.content_client import NodeAddress
from searchlib.wire.feed_codec import FeedResult, MergeOutcome, NodeStatus

MUSIC = Path(__file__).resolve().parents[1] / "tests" / "apps" / "music"
BODY = json.dumps({"fields": {"artist": "a b c", "album": "d e", "year": 2000}}).encode()


class AnsweringNode:
    """Takes every put; the answer comes on the next loop turn, as a batcher's future would."""

    def __init__(self, key: int) -> None:
        self.node = NodeAddress(key, 0, f"scripted:{key}")

    async def put(self, document_id, fields, timeout, condition="", create=False, timestamp=0, **step):
        future = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(future.set_result, FeedResult(ok=True))
        return await future

    async def ping(self, timeout: float) -> NodeStatus:
        return NodeStatus(self.node.distribution_key, 0, "", True, 0, "ready")

    async def sync(self, peers, timeout: float, resync: bool = False, unreachable=(), sole_copy: bool = False) -> bool:
        return True

    async def merge(self, peers, timeout: float) -> MergeOutcome:
        return MergeOutcome()

    async def close(self) -> None:
        pass


async def measure(writes: int, in_flight: int, rounds: int) -> list[float]:
    app = create_app(str(MUSIC), clients=[AnsweringNode(0), AnsweringNode(1)])
    front = app.build_middleware_stack()
    headers = [(b"host", b"x"), (b"content-length", b"%d" % len(BODY)), (b"content-type", b"application/json")]

    async def receive() -> dict:
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def one(n: int) -> None:
        scope = {"type": "http", "http_version": "1.1", "method": "POST", "scheme": "http", "root_path": "",
                 "path": f"/document/v1/test/music/docid/d{n}", "raw_path": b"", "query_string": b"",
                 "headers": headers, "state": {}, "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 1)}
        sent = []

        async def send(message: dict) -> None:
            sent.append(message)

        await front(scope, receive, send)
        if sent[0]["status"] != 200:
            raise RuntimeError(f"a write failed: {sent}")

    per_write = []
    for _ in range(rounds):
        numbers = iter(range(writes))

        async def writer() -> None:
            for n in numbers:
                await one(n)

        started = time.thread_time()
        await asyncio.gather(*(writer() for _ in range(in_flight)))
        per_write.append((time.thread_time() - started) / writes * 1e6)
    return per_write


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writes", type=int, default=6000)
    parser.add_argument("--in-flight", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    per_write = uvloop.run(measure(args.writes, args.in_flight, args.rounds))
    print(json.dumps({"least_us": round(min(per_write), 1), "median_us": round(statistics.median(per_write), 1),
                      "rounds": [round(x, 1) for x in per_write]}))


if __name__ == "__main__":
    main()
