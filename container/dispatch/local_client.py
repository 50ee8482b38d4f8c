"""A content node in the same process, beside the gRPC client (quickwit's `SearchServiceClient::Local`):
every call is encoded with the wire codecs, serialized to bytes and parsed again, then handed to the
node's gRPC servicer on a worker thread, so whatever gRPC could not carry fails here too. Tests run
HTTP → searcher → content nodes → back in one process with it.

The container never imports content_node: the servicer (content_node.service.ContentNodeService
over a real ContentNode) is passed in. `available = False` makes the node unreachable (a crash, to
the container), `delay` makes it slow."""
from __future__ import annotations

import asyncio

from container.dispatch.content_client import NodeAddress, NodeTimeout, NodeUnavailable, _encoded
from protos import content_node_pb2 as pb
from protos import content_node_pb2_grpc as pb_grpc
from searchlib.wire import feed_codec, search_codec, visit_codec
from searchlib.wire.feed_codec import FeedResult, NodeStatus
from searchlib.wire.search_codec import DocsumCall, SearchAnswer, SearchCall
from searchlib.wire.visit_codec import VisitCall, VisitPage


class LocalCallFailed(Exception):
    """The servicer aborted the call (what a non-UNAVAILABLE gRPC status is to the gRPC client)."""

    def __init__(self, code: object, details: str) -> None:
        super().__init__(f"{code}: {details}")
        self.code, self.details = code, details


class _Context:
    """The part of grpc.ServicerContext the servicer uses."""

    def abort(self, code: object, details: str):
        raise LocalCallFailed(code, details)


class LocalContentNodeClient:
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

        async def run():
            if self.delay:
                await asyncio.sleep(self.delay)
            reply = await asyncio.to_thread(getattr(self.servicer, method_name), sent, _Context())
            return type(reply).FromString(reply.SerializeToString())

        try:
            return await asyncio.wait_for(run(), max(timeout, 0.001))
        except asyncio.TimeoutError:
            raise NodeTimeout(f"content node {self.node.distribution_key} timed out") from None

    async def search(self, call: SearchCall, timeout: float) -> SearchAnswer:
        reply = await self._call("Search", _encoded(search_codec.encode_search_call, call), timeout)
        return search_codec.decode_search_answer(reply)

    async def docsums(self, call: DocsumCall, timeout: float):
        reply = await self._call("GetDocsums", _encoded(search_codec.encode_docsum_call, call), timeout)
        return search_codec.decode_docsums(reply)

    async def put(self, document_id: str, fields: dict, timeout: float, condition: str = "",
                  create: bool = False) -> FeedResult:
        reply = await self._call("Put", feed_codec.put_request(document_id, fields, condition, create), timeout)
        return feed_codec.decode_feed_reply(reply)

    async def update(self, document_id: str, operations: dict, create: bool, timeout: float,
                     condition: str = "") -> FeedResult:
        request = feed_codec.update_request(document_id, operations, create, condition)
        return feed_codec.decode_feed_reply(await self._call("Update", request, timeout))

    async def remove(self, document_id: str, timeout: float, condition: str = "") -> FeedResult:
        reply = await self._call("Remove", feed_codec.remove_request(document_id, condition), timeout)
        return feed_codec.decode_feed_reply(reply)

    async def get(self, document_id: str, timeout: float) -> dict | None:
        reply = await self._call("Get", feed_codec.get_request(document_id), timeout)
        return feed_codec.decode_get_reply(reply)

    async def ping(self, timeout: float) -> NodeStatus:
        return feed_codec.decode_ping_reply(await self._call("Ping", feed_codec.ping_request(), timeout))

    async def visit(self, call: VisitCall, timeout: float) -> VisitPage:
        return visit_codec.decode_visit_page(await self._call("Visit", visit_codec.encode_visit_call(call), timeout))

    async def sync(self, peers: list[str], timeout: float, resync: bool = False) -> bool:
        reply = await self._call("Sync", pb.SyncRequest(peers=peers, resync=resync), timeout)
        return reply.accepted

    async def close(self) -> None:
        return None

