"""The gRPC server of one content node: a thread pool runs matching and ranking (numpy releases
the GIL in the heavy parts), so no work happens on an event loop."""
from __future__ import annotations

import logging
import signal
import threading
from concurrent import futures
from typing import NamedTuple

import grpc

from content_node.node import ContentNode
from content_node.service import ContentNodeService
from content_node.tls import server_credentials
from content_node.wire_server import WireServer
from protos import content_node_pb2_grpc as pb_grpc
from searchlib.stop_progress import reporting
from searchlib.tls import TlsMaterial, ssl_context

log = logging.getLogger("content_node")

MAX_MESSAGE_BYTES = 256 * 1024 * 1024


class NodeServer(NamedTuple):
    grpc: grpc.Server
    port: int
    wire: WireServer | None  # the lean Search transport (wire_server.py), None when switched off

    def stop(self, grace: float | None) -> threading.Event:
        stopped = self.grpc.stop(grace)  # both drain their running calls at the same time
        if self.wire is not None:
            self.wire.close(grace or 0.0)
        return stopped


def serve(node: ContentNode, host: str, port: int, threads: int = 8,
          tls: TlsMaterial | None = None, search_port: int | None = 0) -> NodeServer:
    """The gRPC server on `port`, and Search's lean transport on `search_port` (0: any free port,
    announced by Ping; None: gRPC only), both served by one thread pool."""
    pool = futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="search")
    server = grpc.server(pool, options=[("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                                        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                                        ("grpc.so_reuseport", 0)])
    service = ContentNodeService(node)
    pb_grpc.add_ContentNodeServicer_to_server(service, server)
    # with cluster TLS the port only speaks mutual TLS: no RPC (Put, Sync, ListDocuments, ...) is
    # reachable without a certificate from the cluster CA
    bound = (server.add_secure_port(f"{host}:{port}", server_credentials(tls)) if tls is not None
             else server.add_insecure_port(f"{host}:{port}"))
    if bound == 0:
        raise OSError(f"could not bind {host}:{port}")
    wire = None
    if search_port is not None:  # the same mutual TLS as the gRPC port when the cluster has it
        wire = WireServer(service.search_frame, pool, host, search_port,
                          ssl_context(tls, server_side=True) if tls is not None else None, workers=threads)
        service.search_port = wire.port
    server.start()
    return NodeServer(server, bound, wire)


def run_until_signalled(node: ContentNode, host: str, port: int, tls: TlsMaterial | None = None,
                        search_port: int | None = 0) -> None:
    server = serve(node, host, port, tls=tls, search_port=search_port)
    bound = server.port
    log.info("content node %d serving on %s:%d, Search also on port %s (%s)", node.distribution_key, host, bound,
             server.wire.port if server.wire else "none", "mutual TLS" if tls is not None else "plaintext")
    print(f"content node {node.distribution_key} listening on {host}:{bound}", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    log.info("content node %d stopping", node.distribution_key)
    with reporting(node.data_dir):  # the launcher waits while the close's image progresses
        server.stop(grace=2).wait()
        node.close()
    log.info("content node %d stopped", node.distribution_key)
