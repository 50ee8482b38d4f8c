"""`python -m content_node.probe --port P [--liveness]`: exit 0 when the content node answers Ping.

The Kubernetes (exec) and Docker health check of a content node. Without `--liveness` the node must
also report itself ready; with it any answer will do, so a node still loading its data is left
alone rather than restarted.
"""
from __future__ import annotations

import argparse
import sys

import grpc

from content_node.tls import secure_or_insecure_channel
from protos import content_node_pb2 as pb
from protos import content_node_pb2_grpc as pb_grpc
from searchlib.tls import read_tls_dir

EXIT_HEALTHY, EXIT_UNHEALTHY = 0, 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m content_node.probe", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=19100)
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for the answer")
    parser.add_argument("--liveness", action="store_true", help="an answer is enough; readiness not required")
    parser.add_argument("--tls-dir", default="", help="cluster TLS directory (tls.crt, tls.key, ca.crt)")
    args = parser.parse_args(argv)
    target = f"{args.host}:{args.port}"
    try:
        tls = read_tls_dir(args.tls_dir) if args.tls_dir else None
        with secure_or_insecure_channel(target, tls, []) as channel:
            reply = pb_grpc.ContentNodeStub(channel).Ping(pb.PingRequest(), timeout=args.timeout)
    except grpc.RpcError as error:
        print(f"content node at {target} did not answer Ping: {error.code().name}", file=sys.stderr)
        return EXIT_UNHEALTHY
    except ValueError as error:  # an unreadable TLS directory
        print(f"error: {error}", file=sys.stderr)
        return EXIT_UNHEALTHY
    state = "ready" if reply.ready else "not ready"
    print(f"content node {reply.distribution_key} at {target} is {state}: {reply.active_docs} active documents, "
          f"application generation {reply.app_generation[:12] or '-'}")
    return EXIT_HEALTHY if reply.ready or args.liveness else EXIT_UNHEALTHY


if __name__ == "__main__":
    sys.exit(main())
