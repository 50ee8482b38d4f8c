"""`python -m container --app DIR --port P --content-nodes 0/0=127.0.0.1:19100,1/0=...`

Security flags: `--tls-dir DIR` (cluster mutual TLS to the content nodes with DIR's tls.crt, tls.key
and ca.crt; the same certificate serves HTTPS when services.xml has certificate clients) and
`--token-file FILE` (the secrets of services.xml's token clients, lines `token-id:secret`).
"""
from __future__ import annotations

import argparse
import gc
import ipaddress
import logging
import ssl
import sys

import uvicorn

from container.app import create_app
from container.dispatch.content_client import NodeAddress
from container.http.auth import ClientAuth, load_client_auth
from container.http.protocols import with_http2
from container.http.search_protocol import search_protocol_for
from searchlib.errors import SchemaError
from searchlib.schema.application import load_application
from searchlib.tls import CERT_FILE, KEY_FILE, read_tls_dir

log = logging.getLogger("container")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m container", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app", required=True, help="application package directory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--content-nodes", required=True,
                        help="comma-separated key/group=host:port, e.g. 0/0=127.0.0.1:19100")
    parser.add_argument("--http", choices=("h1+h2c", "httptools", "zttp"), default="h1+h2c",
                        help="HTTP implementation: HTTP/1.1 (httptools) and cleartext HTTP/2 on one port "
                             "(default), HTTP/1.1 only, or zttp for both (benchmarks compare them)")
    parser.add_argument("--tls-dir", default="", help="cluster TLS directory: tls.crt, tls.key, ca.crt")
    parser.add_argument("--token-file", default="", help="token secrets of services.xml <clients>: token-id:secret lines")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        nodes = [NodeAddress.parse(spec) for spec in args.content_nodes.split(",") if spec.strip()]
        tls = read_tls_dir(args.tls_dir) if args.tls_dir else None
        package = load_application(args.app)
        auth = load_client_auth(package.clients, package.path, args.token_file) if package.clients else None
        if auth is not None and auth.wants_certificates and tls is None:
            raise ValueError("services.xml has certificate clients: HTTPS needs --tls-dir (its tls.crt serves it)")
        app = create_app(package, nodes, tls=tls, auth=auth)
    except (SchemaError, ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if auth is None and not _is_loopback(args.host):
        log.warning("serving %s:%d without <clients> in services.xml: anyone who reaches this port can "
                    "search, feed and delete; add <clients> (README, Security)", args.host, args.port)
    limits = app.state.application.limits  # services.xml <limits>: idle and half-sent connections close
    https = {}
    if auth is not None and auth.wants_certificates:
        https = _https_settings(args.tls_dir, auth)
    _settle_garbage_collector()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False,
                http=_http_protocol(args.http, limits, app), timeout_keep_alive=limits.idle_timeout, **https)
    return 0


def _settle_garbage_collector() -> None:
    """Fewer cyclic collections while serving. With Python's default gen-0 threshold (700 net new
    objects) a feed at 128 in flight ran ~550 collections per 10,000 writes, each walking the
    in-flight requests' objects (~13% of the container's CPU a write); at 10,000 it ran 3. Objects
    die by reference count as before; only cyclic garbage waits longer. The package, app and modules
    loaded so far live as long as the process: frozen, full collections no longer walk them."""
    gc.collect()  # loading's own garbage is freed, not frozen with the rest
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def _https_settings(tls_dir: str, auth: ClientAuth) -> dict:
    """HTTPS with the process certificate; a client certificate is verified against the <clients>
    certificates when presented (CERT_OPTIONAL: token clients and the open health probe present
    none, and an unauthenticated request gets the API's 401 rather than a failed handshake)."""
    def context(config, default) -> ssl.SSLContext:
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(f"{tls_dir}/{CERT_FILE}", f"{tls_dir}/{KEY_FILE}")
        server.verify_mode = ssl.CERT_OPTIONAL
        server.load_verify_locations(cadata=auth.certificate_bundle())
        return server

    return {"ssl_context_factory": context}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _http_protocol(name: str, limits, app):
    """The guarded httptools protocol, with the lean path of /search/ into `app`, for HTTP/1.1
    (alone, or beside zttp's HTTP/2), or zttp for both."""
    if name == "zttp":
        from uvicorn.protocols.http.auto_zttp_impl import AutoZttpProtocol

        return AutoZttpProtocol
    http1 = search_protocol_for(limits, app)
    return http1 if name == "httptools" else with_http2(http1)


if __name__ == "__main__":
    sys.exit(main())
