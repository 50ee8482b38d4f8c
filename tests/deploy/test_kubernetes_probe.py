"""The content node's Kubernetes/Docker probe (`python -m content_node.probe`) against a real gRPC
server answering Ping: ready passes, loading passes only the liveness check, silence fails."""
from __future__ import annotations

from concurrent import futures

import grpc
import pytest

from content_node import probe
from protos import content_node_pb2 as pb
from protos import content_node_pb2_grpc as pb_grpc


class PingOnly(pb_grpc.ContentNodeServicer):
    def __init__(self) -> None:
        self.ready = True

    def Ping(self, request, context):
        return pb.PingReply(distribution_key=3, active_docs=42, app_generation="abc123", ready=self.ready)


@pytest.fixture
def node():
    servicer = PingOnly()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    pb_grpc.add_ContentNodeServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer, port
    server.stop(grace=None)


def test_a_ready_node_passes_every_probe(node, capsys) -> None:
    _, port = node
    assert probe.main(["--port", str(port)]) == probe.EXIT_HEALTHY
    assert probe.main(["--port", str(port), "--liveness"]) == probe.EXIT_HEALTHY
    assert "content node 3" in capsys.readouterr().out


def test_a_loading_node_is_alive_but_not_ready(node) -> None:
    servicer, port = node
    servicer.ready = False
    assert probe.main(["--port", str(port)]) == probe.EXIT_UNHEALTHY
    assert probe.main(["--port", str(port), "--liveness"]) == probe.EXIT_HEALTHY


def test_no_answer_fails(capsys) -> None:
    free = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    unused = free.add_insecure_port("127.0.0.1:0")  # bound but never started: nobody answers
    assert probe.main(["--port", str(unused), "--timeout", "1", "--liveness"]) == probe.EXIT_UNHEALTHY
    assert "did not answer Ping" in capsys.readouterr().err
    free.stop(grace=None)
