"""How the container's gRPC client reads a content node's failures: a call the node's server
cancelled (it shut down in the middle of the call) is an unavailable node, like a refused
connection, so a write counts it as missed (it catches up), never as a 500."""
from __future__ import annotations

import asyncio
from concurrent import futures

import grpc
import pytest

from container.dispatch.content_client import GrpcContentNodeClient, NodeAddress, NodeUnavailable
from protos import content_node_pb2_grpc as pb_grpc


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
