"""A content node in the same process, beside the gRPC client (quickwit's `SearchServiceClient::Local`):
every call is encoded with the wire codecs, serialized to bytes and parsed again, then handed to the
node's gRPC servicer on a worker thread, so whatever gRPC could not carry fails here too. Tests run
HTTP → searcher → content nodes → back in one process with it.

The container never imports content_node: the servicer (content_node.service.ContentNodeService
over a real ContentNode) is passed in. `available = False` makes the node unreachable (a crash, to
the container), `delay` makes it slow."""
from __future__ import annotations

import asyncio
import time

from container.dispatch.content_client import CodecClient, NodeAddress, NodeTimeout, NodeUnavailable
from protos import content_node_pb2_grpc as pb_grpc


class LocalCallFailed(Exception):
    """The servicer aborted the call (what a non-UNAVAILABLE gRPC status is to the gRPC client)."""

    def __init__(self, code: object, details: str) -> None:
        super().__init__(f"{code}: {details}")
        self.code, self.details = code, details


class _Context:
    """The part of grpc.ServicerContext the servicer uses."""

    def __init__(self, deadline: float) -> None:
        self._deadline = deadline  # loop time, as gRPC's deadline from the call's timeout

    def abort(self, code: object, details: str):
        raise LocalCallFailed(code, details)

    def time_remaining(self) -> float:
        return self._deadline - time.monotonic()


class LocalContentNodeClient(CodecClient):
    def __init__(self, node: NodeAddress, servicer: pb_grpc.ContentNodeServicer) -> None:
        self.node = node
        self.servicer = servicer
        self.available = True
        self.delay = 0.0  # seconds each call waits before the node runs it
        self.calls: list[str] = []  # method names, in order: tests see what was asked

    async def _call(self, method_name: str, request, timeout: float):
        self.calls.append(method_name)
        if not self.available:
            raise NodeUnavailable(f"content node {self.node.distribution_key} ({self.node.address}) is unavailable")
        sent = type(request).FromString(request.SerializeToString())  # what crosses a real wire

        context = _Context(time.monotonic() + max(timeout, 0.001))

        async def run():
            if self.delay:
                await asyncio.sleep(self.delay)
            reply = await asyncio.to_thread(getattr(self.servicer, method_name), sent, context)
            return type(reply).FromString(reply.SerializeToString())

        try:
            return await asyncio.wait_for(run(), max(timeout, 0.001))
        except asyncio.TimeoutError:
            raise NodeTimeout(f"content node {self.node.distribution_key} timed out") from None

    async def close(self) -> None:
        return None

