"""Stand-ins for `python -m content_node` / `python -m container` used to test the launcher.

Same command lines as the real processes. The fake content node only listens on its port and
records each start in its data dir; the fake container answers /state/v1/health and
/state/v1/nodes, reporting a node up when its port accepts a connection, keeps documents put to
/document/v1 in memory and answers any /search/ with all of them.

    python fake_cluster_processes.py content_node --app A --data-dir D --distribution-key K --port P
    python fake_cluster_processes.py container --app A --port P --content-nodes 0/0=127.0.0.1:1234
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def run_content_node(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--distribution-key", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--group-nodes", default="")
    parser.add_argument("--groups", type=int, default=1)
    args = parser.parse_args(argv)
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "starts.txt", "a") as starts:
        starts.write(f"{os.getpid()}\n")
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((args.host, args.port))
    server.listen(16)
    print(f"fake content node {args.distribution_key} listening on {args.port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: stop_slowly(data_dir))
    while True:
        connection, _ = server.accept()
        connection.close()


def stop_slowly(data_dir: Path) -> None:
    """Shutdown work as `stop-work.json` in the data dir scripts it ({"seconds": S, "progress": bool}),
    reported as a real node reports its index image (searchlib/stop_progress.py); then `stopped.txt`."""
    from searchlib.stop_progress import advance, reporting
    try:
        work = json.loads((data_dir / "stop-work.json").read_text())
    except FileNotFoundError:
        work = {"seconds": 0, "progress": True}
    with reporting(data_dir, interval=0.1):
        deadline = time.monotonic() + work["seconds"]
        while time.monotonic() < deadline:
            time.sleep(0.05)
            advance(1 if work["progress"] else 0)
    (data_dir / "stopped.txt").write_text("clean\n")
    sys.exit(0)


def node_is_up(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except OSError:
        return False


def run_container(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--app", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--content-nodes", required=True)
    args = parser.parse_args(argv)
    nodes = []
    for entry in args.content_nodes.split(","):
        key_group, address = entry.split("=")
        key, group = key_group.split("/")
        nodes.append((int(key), int(group), address))

    documents: dict[str, object] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # document put: kept in memory, counted on node 0
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            documents[self.path] = body.get("fields")
            self._reply({"pathId": self.path, "id": self.path})

        def _reply(self, body: object) -> None:
            payload = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            if self.path == "/state/v1/health":
                body = {"status": {"code": "up"}}
            elif self.path.startswith("/search/"):  # every document fed, as hits in feed order
                hits = [{"id": "id:{}:{}::{}".format(*path.split("/")[3:5], path.split("/")[-1]), "relevance": 1.0}
                        for path in documents]
                body = {"root": {"fields": {"totalCount": len(hits)}, "children": hits}}
            elif self.path == "/state/v1/nodes":
                body = {"nodes": [{"distribution_key": key, "group": group, "address": address,
                                   "up": node_is_up(address), "documents": len(documents) if key == 0 else 0}
                                  for key, group, address in nodes]}
            else:
                self.send_error(404)
                return
            self._reply(body)

        def log_message(self, *args: object) -> None:
            pass

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    time.sleep(0.2)  # like the real one, not answering at once
    class Server(ThreadingHTTPServer):
        request_queue_size = 1024  # the feeder opens up to 128 connections at once (uvicorn's backlog is 2048)

    Server(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    role, rest = sys.argv[1], sys.argv[2:]
    {"content_node": run_content_node, "container": run_container}[role](rest)
