"""A scripted HTTP container for CLI tests: records requests, answers with a test-supplied function."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, str]
    body: object


Responder = Callable[[RecordedRequest], tuple[int, object]]


@dataclass
class StubContainer:
    url: str
    requests: list[RecordedRequest] = field(default_factory=list)
    respond: Responder = lambda request: (404, {"message": "no route"})

    def requests_to(self, prefix: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.path.startswith(prefix)]


@pytest.fixture(autouse=True)
def own_state_home(monkeypatch, tmp_path):
    """Each test's own record of the last cluster started (deploy/last_cluster.py)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


MINIMAL_SCHEMA = """schema doc {
    document doc {
        field title type string { indexing: index | summary }
        field text type string { indexing: index | summary }
    }
    fieldset default { fields: title, text }
    rank-profile bm25 { first-phase { expression: bm25(title) + bm25(text) } }
}
"""


@pytest.fixture
def minimal_app(tmp_path):
    """A valid application package with one schema and no models (the stand-in processes ignore it)."""
    app = tmp_path / "app"
    (app / "schemas").mkdir(parents=True)
    (app / "schemas" / "doc.sd").write_text(MINIMAL_SCHEMA)
    return app


@pytest.fixture
def stub_container():
    lock = threading.Lock()
    stub = StubContainer(url="")

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            request = RecordedRequest(self.command, parts.path,
                                      {k: v[-1] for k, v in parse_qs(parts.query).items()},
                                      json.loads(raw) if raw else None)
            with lock:
                stub.requests.append(request)
            status, body = stub.respond(request)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _handle

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield stub
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake_commands():
    """ClusterCommands that start the stand-in processes of fake_cluster_processes.py."""
    import sys
    from pathlib import Path

    from deploy.local_cluster import ClusterCommands

    fake = str(Path(__file__).with_name("fake_cluster_processes.py"))
    return ClusterCommands(content_node=(sys.executable, fake, "content_node"),
                           container=(sys.executable, fake, "container"))
