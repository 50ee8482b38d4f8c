"""How the container's gRPC client reads a content node's failures: a call the node's server
cancelled (it shut down in the middle of the call) is an unavailable node, like a refused
connection, so a write counts it as missed (it catches up), never as a 500; and one whose outcome
is unknown (the write may have been applied), so no later attempt answers "nothing written"."""
from __future__ import annotations

import asyncio
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from starlette.testclient import TestClient

from container.app import create_app
from container.dispatch.content_client import GrpcContentNodeClient, NodeAddress, NodeUnavailable
from container.dispatch.feed_batcher import FeedBatcher
from protos import content_node_pb2 as pb
from protos import content_node_pb2_grpc as pb_grpc

APP = Path(__file__).resolve().parents[2] / "schemas"


class Cancelling(pb_grpc.ContentNodeServicer):
    def Feed(self, request, context):
        context.abort(grpc.StatusCode.CANCELLED, "CANCELLED")


@pytest.fixture
def port():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    pb_grpc.add_ContentNodeServicer_to_server(Cancelling(), server)
    bound = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield bound
    server.stop(grace=None)


def test_a_call_the_node_cancelled_is_an_unavailable_node(port):
    async def remove():
        client = GrpcContentNodeClient(NodeAddress(0, 0, f"127.0.0.1:{port}"))
        try:
            await client.remove("id:test:doc::x", 5.0, timestamp=1)
        finally:
            await client.close()
    with pytest.raises(NodeUnavailable):
        asyncio.run(remove())


class InterruptedThenBusy(GrpcContentNodeClient):
    """The only owner: its server shuts down in the middle of the first Feed call (CANCELLED: the
    write may have been applied), and it is back but busy for the retry, which stays queued behind
    an earlier batch until the deadline (never sent)."""

    def __init__(self) -> None:
        super().__init__(NodeAddress(0, 0, "127.0.0.1:1"))
        self._batcher = FeedBatcher(lambda batch, left: self._rpc("Feed", batch, left), max_in_flight=1)
        self.feeds = self.puts = 0

    async def _rpc(self, method, request, timeout):
        if method == "Ping":
            return pb.PingReply(distribution_key=0, ready=True, state="ready", active_docs=1)
        if method == "Sync":
            return pb.SyncReply(accepted=True)
        assert method == "Feed", method
        self.feeds += 1
        if self.feeds == 1:
            raise self._failure(grpc.StatusCode.CANCELLED)  # as a call the node's server cancelled is read
        await asyncio.sleep(timeout)
        raise self._failure(grpc.StatusCode.DEADLINE_EXCEEDED)

    async def put(self, *args, **kwargs):
        self.puts += 1
        if not self.feeds:
            return await super().put(*args, **kwargs)
        earlier = asyncio.ensure_future(self.remove("id:test:doc::other", 1.0, timestamp=1))
        await asyncio.sleep(0.01)  # in flight: the retry queues behind it
        try:
            return await super().put(*args, **kwargs)
        finally:
            await asyncio.gather(earlier, return_exceptions=True)


def test_a_retry_never_sent_after_an_interrupted_attempt_is_an_unknown_outcome():
    """The retry certainly wrote nothing, but the first attempt may have: 504, never the 503
    "nothing written" a client may take as safe to give up on."""
    node = InterruptedThenBusy()
    with TestClient(create_app(str(APP), clients=[node])) as client:
        response = client.post("/document/v1/test/doc/docid/x", params={"timeout": "0.6s"},
                               json={"fields": {"title": "t", "text": "body"}})
    assert (node.puts, node.feeds) == (2, 2), "the retry never went out: only the batch it queued behind"
    assert response.status_code == 504, response.text
    assert "went down in the middle of the call" in response.text
