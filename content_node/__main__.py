"""`python -m content_node --app DIR --data-dir DIR --distribution-key K --port P`"""
from __future__ import annotations

import argparse
import functools
import logging
import sys

from content_node.catch_up import GrpcPeer
from content_node.node import ContentNode
from content_node.placement_record import PlacementChanged, check_and_record
from content_node.server import run_until_signalled
from content_node.store.recovery import StoreCorruption
from content_node.store.timestamps import DEFAULT_TOMBSTONE_MAX_AGE
from searchlib.distribution import group_keys_of
from searchlib.errors import SchemaError
from searchlib.tls import read_tls_dir

EXIT_STORE_CORRUPT = 3  # `phasedsearch up` tells these apart from a crash or a bad package
EXIT_STORE_UNREADABLE = 4
EXIT_PLACEMENT_CHANGED = 5


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m content_node", description=__doc__)
    parser.add_argument("--app", required=True, help="application package directory")
    parser.add_argument("--data-dir", required=True, help="where this node keeps its documents")
    parser.add_argument("--distribution-key", type=int, default=0)
    parser.add_argument("--cluster", default="", help="the services.xml <content> cluster id (default: the first)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=19100)
    parser.add_argument("--search-port", type=int, default=0,
                        help="port of the lean Search transport beside gRPC (0: any free port, told to the "
                             "container by Ping; -1: Search over gRPC only)")
    parser.add_argument("--group-nodes", default="",
                        help="distribution keys of this node's group, e.g. 0,1 (default: services.xml); "
                             "writes for buckets another node of the group owns are refused")
    parser.add_argument("--alone-on-volume", action="store_true",
                        help="the parent of --data-dir is this node's own volume (a Kubernetes PVC): another "
                             "content-node-* directory there holding documents means the node was renumbered, "
                             "and it refuses to start instead of serving none of them")
    parser.add_argument("--groups", type=int, default=None,
                        help="groups in the cluster (default: services.xml); >1 means a replica exists")
    parser.add_argument("--tls-dir", default="",
                        help="cluster TLS: tls.crt, tls.key, ca.crt (cert-manager's layout); the node then "
                             "serves mutual TLS only and presents its certificate to its peers")
    parser.add_argument("--tombstone-max-age", type=float, default=DEFAULT_TOMBSTONE_MAX_AGE,
                        help="seconds a remove is remembered so a replica that missed it cannot bring the "
                             "document back (default: two weeks, as Vespa)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    group_keys = _group_keys(args.group_nodes) if args.group_nodes.strip() else None
    if args.group_nodes.strip() and (group_keys is None or args.distribution_key not in group_keys):
        print(f"error: --group-nodes {args.group_nodes} must be comma-separated distribution keys that "
              f"include this node's ({args.distribution_key})", file=sys.stderr)
        return 2
    try:
        tls = read_tls_dir(args.tls_dir) if args.tls_dir else None
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        node = ContentNode(args.app, args.data_dir, args.distribution_key, group_keys, groups=args.groups,
                           cluster=args.cluster, tombstone_max_age=args.tombstone_max_age)
    except (SchemaError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except StoreCorruption as error:  # one recognizable line, no traceback
        print(f"FATAL: {error}; no replica group to rebuild from: restore the file, or move it "
              "aside to start without the data it holds", file=sys.stderr, flush=True)
        return EXIT_STORE_CORRUPT
    except OSError as error:  # the data directory cannot be read at all (permissions, I/O error)
        print(f"FATAL: cannot read the stored data: {error}", file=sys.stderr, flush=True)
        return EXIT_STORE_UNREADABLE
    if group_keys is None:  # not given: the topology of services.xml, if it lists this node
        node.group_keys = group_keys_of(node.application.content, args.distribution_key)
    try:
        check_and_record(node, alone_on_volume=args.alone_on_volume)
    except PlacementChanged as error:
        node.close()
        print(f"FATAL: {error}", file=sys.stderr, flush=True)
        return EXIT_PLACEMENT_CHANGED
    logging.getLogger("content_node").info(
        "content node %d takes writes for its buckets among nodes %s", args.distribution_key,
        list(node.group_keys) if node.group_keys is not None else "[itself alone]")
    if tls is not None:
        node.sync.set_dialer(functools.partial(GrpcPeer, tls=tls))
    run_until_signalled(node, args.host, args.port, tls, None if args.search_port < 0 else args.search_port)
    return 0


def _group_keys(text: str) -> list[int] | None:
    keys = [key.strip() for key in text.split(",") if key.strip()]
    return [int(key) for key in keys] if keys and all(key.isdigit() for key in keys) else None


if __name__ == "__main__":
    sys.exit(main())
