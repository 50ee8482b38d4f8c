"""`python -m container --app DIR --port P --content-nodes 0/0=127.0.0.1:19100,1/0=...`"""
from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from container.app import create_app
from container.dispatch.content_client import NodeAddress
from container.http.protocols import with_http2
from container.http.server import protocol_for
from searchlib.errors import SchemaError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m container", description=__doc__)
    parser.add_argument("--app", required=True, help="application package directory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--content-nodes", required=True,
                        help="comma-separated key/group=host:port, e.g. 0/0=127.0.0.1:19100")
    parser.add_argument("--http", choices=("h1+h2c", "httptools", "zttp"), default="h1+h2c",
                        help="HTTP implementation: HTTP/1.1 (httptools) and cleartext HTTP/2 on one port "
                             "(default), HTTP/1.1 only, or zttp for both (benchmarks compare them)")
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
                http=_http_protocol(args.http, limits), timeout_keep_alive=limits.idle_timeout)
    return 0


def _http_protocol(name: str, limits):
    """The guarded httptools protocol for HTTP/1.1 (alone, or beside zttp's HTTP/2), or zttp for both."""
    if name == "zttp":
        from uvicorn.protocols.http.auto_zttp_impl import AutoZttpProtocol

        return AutoZttpProtocol
    http1 = protocol_for(limits)
    return http1 if name == "httptools" else with_http2(http1)


if __name__ == "__main__":
    sys.exit(main())
