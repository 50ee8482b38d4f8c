"""The gRPC server of one content node: a thread pool runs matching and ranking (numpy releases
the GIL in the heavy parts), so no work happens on an event loop."""
from __future__ import annotations

import logging
import signal
import threading
from concurrent import futures

import grpc

from content_node.node import ContentNode
from content_node.service import ContentNodeService
from content_node.tls import server_credentials
from protos import content_node_pb2_grpc as pb_grpc
from searchlib.stop_progress import reporting
from searchlib.tls import TlsMaterial

log = logging.getLogger("content_node")

MAX_MESSAGE_BYTES = 256 * 1024 * 1024


def serve(node: ContentNode, host: str, port: int, threads: int = 8,
          tls: TlsMaterial | None = None) -> tuple[grpc.Server, int]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="search"),
                         options=[("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                                  ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                                  ("grpc.so_reuseport", 0)])
    pb_grpc.add_ContentNodeServicer_to_server(ContentNodeService(node), server)
    # with cluster TLS the port only speaks mutual TLS: no RPC (Put, Sync, ListDocuments, ...) is
    # reachable without a certificate from the cluster CA
    bound = (server.add_secure_port(f"{host}:{port}", server_credentials(tls)) if tls is not None
             else server.add_insecure_port(f"{host}:{port}"))
    if bound == 0:
        raise OSError(f"could not bind {host}:{port}")
    server.start()
    return server, bound


def run_until_signalled(node: ContentNode, host: str, port: int, tls: TlsMaterial | None = None) -> None:
    server, bound = serve(node, host, port, tls=tls)
    log.info("content node %d serving on %s:%d (%s)", node.distribution_key, host, bound,
             "mutual TLS" if tls is not None else "plaintext")
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
