"""`python -m container --app DIR --port P --content-nodes 0/0=127.0.0.1:19100,1/0=...`"""
from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from container.app import create_app
from container.http.server import protocol_for
from container.dispatch.content_client import NodeAddress
from searchlib.errors import SchemaError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m container", description=__doc__)
    parser.add_argument("--app", required=True, help="application package directory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--content-nodes", required=True,
                        help="comma-separated key/group=host:port, e.g. 0/0=127.0.0.1:19100")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        nodes = [NodeAddress.parse(spec) for spec in args.content_nodes.split(",") if spec.strip()]
        app = create_app(args.app, nodes)
    except (SchemaError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    limits = app.state.application.limits  # services.xml <limits>: idle and half-sent connections close
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False,
                http=protocol_for(limits), timeout_keep_alive=limits.idle_timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
