"""The Python cost of the HTTP layer of one GET /search/, without sockets or a loaded machine's
scheduling: the container's app (scripted content nodes that answer at once, tests/container's
WireNode) behind its connection protocol on an in-memory transport, in one process; the same
requests alternately as plain GETs (the lean path, container/http/search_protocol.py) and with
`Content-Length: 0` (uvicorn's RequestResponseCycle, proxy-headers and Starlette layers; the front
then reads the empty body), and main's protocol (GuardedHttpToolsProtocol) with the plain GET.
Process CPU a request, best of `--rounds`; lean against main is what the lean path saves a query
(the syscall it saves, one send of two, is not in it).

    python -m benchmarks.search_protocol_cost [--requests 3000] [--rounds 5]"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time

from uvicorn.config import Config
from uvicorn.server import ServerState

from container.app import create_app
from container.http.search_protocol import search_protocol_for
from container.http.server import protocol_for
from tests.container.scripted_nodes import WireNode
from tests.container.test_connection_guard import RecordingTransport

APP = "benchmarks/apps/bm25"
REQUEST = (b"GET /search/?yql=select+%2A+from+doc+where+userQuery%28%29&query=tumor+suppressor+genes+in+cells"
           b"&type=any&ranking=bm25&hits=10&timeout=10s HTTP/1.1\r\nHost: bench\r\nAccept: application/json\r\n")


async def serve(protocol, transport: RecordingTransport, request: bytes, count: int) -> float:
    started = time.process_time()
    for _ in range(count):
        transport.writes.clear()
        protocol.data_received(request)
        while not transport.writes or not transport.writes[-1].endswith(b"}"):
            await asyncio.sleep(0)  # the request's task runs to its answer
    return (time.process_time() - started) / count


async def main_async(requests: int, rounds: int) -> dict:
    nodes = [WireNode(0), WireNode(1)]
    app = create_app(APP, clients=nodes)
    limits = app.state.application.limits
    config = Config(app=app, lifespan="off", log_level="warning", access_log=False)
    async with app.router.lifespan_context(app):
        app.middleware_stack = app.build_middleware_stack()
        protocol = search_protocol_for(limits, app)(config=config, server_state=ServerState(), app_state={})
        guarded = protocol_for(limits)(config=config, server_state=ServerState(), app_state={})  # main's
        transport, guarded_transport = RecordingTransport(), RecordingTransport()
        protocol.connection_made(transport)
        guarded.connection_made(guarded_transport)
        lean, generic = REQUEST + b"\r\n", REQUEST + b"Content-Length: 0\r\n\r\n"
        sides = {"lean": (protocol, transport, lean), "uvicorn": (protocol, transport, generic),
                 "main (uvicorn, bodiless GET)": (guarded, guarded_transport, lean)}
        for side in sides.values():
            await serve(*side, 200)
        costs = {name: [] for name in sides}
        gc.collect()
        gc.freeze()
        gc.set_threshold(10_000, 10, 10)  # as the container process (container/__main__.py)
        for round_ in range(rounds):
            for name, side in (sides.items() if round_ % 2 == 0 else reversed(sides.items())):
                for node in nodes:
                    node.searches.clear()  # the scripted nodes keep every call
                costs[name].append(await serve(*side, requests))
        protocol.connection_lost(None)
        guarded.connection_lost(None)
    best = {side: min(values) * 1e6 for side, values in costs.items()}
    return {"us_per_request_best": {k: round(v, 1) for k, v in best.items()},
            "saved_us": round(best["main (uvicorn, bodiless GET)"] - best["lean"], 1),
            "rounds_us": {k: [round(v * 1e6, 1) for v in values] for k, values in costs.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main_async(args.requests, args.rounds)), indent=1))


if __name__ == "__main__":
    main()
