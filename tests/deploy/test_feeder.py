"""The concurrent feeder: per-document failures are counted and reported, never fatal. The server is
a scripted local HTTP/1.1 server (keep-alive), so the feeder's own wire client is what is tested."""
import asyncio
import json
import ssl
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from deploy.feed_format import parse_feed_text, parse_operation
from deploy.feeder import feed, feed_async
from deploy import feeder

FEED = "\n".join([
    '{"put": "id:ns:doc::1", "fields": {"title": "one"}}',
    '{"put": "id:ns:doc::bad", "fields": {"nope": 1}}',
    'this is not json',
    '{"update": "id:ns:doc::1", "create": true, "fields": {"title": {"assign": "uno"}}}',
    '{"remove": "id:ns:doc::2"}',
    '{"put": "id:ns:doc::busy", "fields": {}}',
])

DROP = object()  # a script's answer: close the connection without answering
CLOSE_AFTER = "close after"  # a script's answer (status, body, CLOSE_AFTER): answer, then close


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes


@contextmanager
def scripted_server(script, tls: ssl.SSLContext | None = None):
    """Yields (url, seen): `script(Seen)` answers (status, json body) or DROP."""
    seen: list[Seen] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the container
        disable_nagle_algorithm = True  # headers and body are two writes

        def answer(self) -> None:
            parts = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            request = Seen(self.command, parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()},
                           {k.lower(): v for k, v in self.headers.items()}, body)
            seen.append(request)
            result = script(request)
            if result is DROP:
                self.close_connection = True
                return
            status, payload, *after = result
            self.close_connection = after == [CLOSE_AFTER]  # without a Connection: close header
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_PUT = do_DELETE = answer

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://localhost:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def container_script():
    busy_attempts = []

    def handle(request: Seen):
        if request.path.endswith("/bad"):
            return 400, {"pathId": request.path, "message": "No field 'nope' in the structure of type 'doc'"}
        if request.path.endswith("/busy") and len(busy_attempts) < 2:
            busy_attempts.append(1)
            return (429 if not busy_attempts[1:] else 503), {"message": "Rejecting execution due to overload"}
        return 200, {"pathId": request.path, "id": "whatever"}

    return handle


def test_failures_are_reported_per_document_and_the_rest_is_fed():
    reported = []
    with scripted_server(container_script()) as (url, seen):
        stats = asyncio.run(feed_async(parse_feed_text(FEED), url, concurrency=3, on_done=reported.append))
    assert stats.operations == 6 and stats.ok == 4 and stats.failed == 2
    failures = sorted(stats.failures, key=lambda failure: failure.source_line)
    assert failures[0].status == 400 and "No field 'nope'" in failures[0].message
    assert failures[0].document_id == "id:ns:doc::bad" and failures[0].source_line == 2
    assert failures[1].source_line == 3 and failures[1].operation == "parse"
    assert len(reported) == 6
    methods = sorted((request.method, request.path) for request in seen)
    assert ("DELETE", "/document/v1/ns/doc/docid/2") in methods
    update = next(request for request in seen if request.method == "PUT")
    assert update.params["create"] == "true"
    assert json.loads(update.body) == {"fields": {"title": {"assign": "uno"}}}
    put = next(request for request in seen if request.path.endswith("/docid/1") and request.method == "POST")
    assert put.headers["content-type"] == "application/json" and json.loads(put.body) == {"fields": {"title": "one"}}
    # the overloaded put was retried (after a 429 and a 503) until it went through
    assert sum(1 for request in seen if request.path.endswith("/busy")) == 3
    summary = stats.summary()
    assert summary["feeder.ok.count"] == 4 and summary["feeder.error.count"] == 2
    assert summary["http.response.code.counts"] == {"200": 4, "400": 1, "429": 1, "503": 1}
    assert summary["http.request.count"] == 7 and summary["http.request.bytes"] > 0


def test_many_documents_over_few_kept_alive_connections_with_one_bad_among_them(capsys):
    text = "\n".join(f'{{"put": "id:ns:doc::{n}", "fields": {{"title": "t{n}"}}}}' for n in range(300))
    text = text.replace('"id:ns:doc::150"', '"id:ns:doc::bad"')
    with scripted_server(container_script()) as (url, seen):
        stats = feed(parse_feed_text(text), url, show_progress=False, concurrency=4)
    assert stats.ok == 299 and [(f.source_line, f.status) for f in stats.failures] == [(151, 400)]
    assert "failed: line 151: put id:ns:doc::bad: HTTP 400: No field 'nope'" in capsys.readouterr().err
    assert len(seen) == 300


def test_connection_refused_is_a_failure_not_a_crash(monkeypatch):
    monkeypatch.setattr("deploy.feeder.MAX_ATTEMPTS", 2)
    with scripted_server(container_script()) as (url, _):
        pass  # the port is closed again: nothing listens
    stats = feed(parse_feed_text('{"remove": "id:ns:doc::1"}'), url, show_progress=False)
    assert stats.failed == 1 and stats.ok == 0
    assert "ConnectError" in stats.failures[0].message
    assert stats.summary()["http.exception.count"] == 2


def test_a_dropped_connection_resends_puts_and_removes_but_not_updates():
    attempts: dict[str, int] = {}

    def drop_first(request: Seen):
        attempts[request.method] = attempts.get(request.method, 0) + 1
        if attempts[request.method] == 1:  # the server closed the connection before answering
            return DROP
        return 200, {}

    text = "\n".join(['{"put": "id:ns:doc::1", "fields": {"title": "one"}}',
                      '{"remove": "id:ns:doc::2"}',
                      '{"update": "id:ns:doc::3", "fields": {"n": {"increment": 1}}}'])
    with scripted_server(drop_first) as (url, _):
        stats = feed(parse_feed_text(text), url, show_progress=False, concurrency=1)
    assert attempts == {"POST": 2, "DELETE": 2, "PUT": 1}  # an increment might have been applied
    assert stats.ok == 2 and [f.operation for f in stats.failures] == ["update"]
    assert "ConnectionDropped" in stats.failures[0].message


def test_a_token_from_the_environment_goes_with_every_feed_request(monkeypatch):
    """PHASEDSEARCH_TOKEN: `phasedsearch feed` and `query` as a services.xml token client."""
    from deploy.cli_data import auth_headers

    monkeypatch.delenv("PHASEDSEARCH_TOKEN", raising=False)
    assert auth_headers() == {}
    monkeypatch.setenv("PHASEDSEARCH_TOKEN", "s3cret")
    with scripted_server(container_script()) as (url, seen):
        asyncio.run(feed_async(parse_feed_text(FEED), url, concurrency=2, headers=auth_headers()))
    assert seen and all(request.headers["authorization"] == "Bearer s3cret" for request in seen)


def test_https_is_verified_against_the_trust_store(tmp_path, monkeypatch):
    """An https container: its certificate is checked (SSL_CERT_FILE, as httpx honoured), and a
    certificate the client does not trust fails each document instead of feeding in clear."""
    from deploy.certificates import ensure_cluster_certificates

    monkeypatch.setattr("deploy.feeder.MAX_ATTEMPTS", 2)
    directory = ensure_cluster_certificates(tmp_path, ["container"])["container"]
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(directory / "tls.crt", directory / "tls.key")
    text = '{"put": "id:ns:doc::1", "fields": {"title": "one"}}'
    with scripted_server(container_script(), tls=server) as (url, seen):
        assert url.startswith("https://")
        untrusted = feed(parse_feed_text(text), url, show_progress=False)
        assert untrusted.ok == 0 and "CERTIFICATE_VERIFY_FAILED" in untrusted.failures[0].message
        monkeypatch.setenv("SSL_CERT_FILE", str(directory / "ca.crt"))
        trusted = feed(parse_feed_text(text), url, show_progress=False)
        assert trusted.ok == 1 and len(seen) == 1


def test_what_json_cannot_carry_fails_its_own_document_only():
    """NaN in a feed line is a parse error of that line (it is not JSON); an integer beyond 64 bits
    in an operation built by code fails that operation, not the feed."""
    from deploy.feed_format import FeedOperation

    text = "\n".join(['{"put": "id:ns:doc::1", "fields": {"n": NaN}}',
                      '{"put": "id:ns:doc::3", "fields": {"n": 1.5}}'])
    items = parse_feed_text(text) + [FeedOperation("put", "id:ns:doc::4", {"n": 2**70}, source_line=9)]
    with scripted_server(container_script()) as (url, seen):
        stats = feed(items, url, show_progress=False)
    assert stats.ok == 1 and [json.loads(request.body) for request in seen] == [{"fields": {"n": 1.5}}]
    failures = sorted(stats.failures, key=lambda failure: failure.source_line)
    assert [(f.source_line, f.operation) for f in failures] == [(1, "parse"), (9, "put")]
    assert "invalid JSON" in failures[0].message and "cannot encode" in failures[1].message


def test_an_integer_past_64_bits_in_a_feed_line_is_never_rounded_to_a_float():
    """orjson would read it as a float and feed a different number: it is read exactly and fails
    on its own (the client cannot carry it), while the integers JSON can carry go through exactly."""
    text = "\n".join(['{"put": "id:ns:doc::1", "fields": {"n": 1180591620717411303424}}',
                      '{"put": "id:ns:doc::2", "fields": {"n": -9223372036854775808}}'])
    items = parse_feed_text(text)
    assert items[0].fields == {"n": 2**70} and items[1].fields == {"n": -2**63}
    with scripted_server(container_script()) as (url, seen):
        stats = feed(items, url, show_progress=False)
    assert [json.loads(request.body) for request in seen] == [{"fields": {"n": -2**63}}]
    assert stats.ok == 1 and [f.source_line for f in stats.failures] == [1]


def test_an_idle_connection_the_server_closed_is_reopened_before_an_update_is_sent():
    """The container closes idle keep-alive connections; an update (not safe to resend) must not be
    written into one of those and then reported as failed."""
    def generate():
        for n in range(3):
            time.sleep(0.05)  # idle: the server's close reaches the client
            yield parse_operation({"update": f"id:ns:doc::{n}", "fields": {"n": {"increment": 1}}}, n + 1)

    with scripted_server(lambda request: (200, {}, CLOSE_AFTER)) as (url, seen):
        stats = feed(generate(), url, show_progress=False, concurrency=1)
    assert stats.ok == 3 and not stats.failures and len(seen) == 3


def test_operations_on_one_document_are_sent_one_at_a_time_in_feed_order():
    """A put whose answer was lost is sent again; a remove of the same document fed after it must
    not overtake it (on another connection), or the resent put, stamped later by the container,
    brings the removed document back after both were acknowledged (as `vespa feed`, which keeps at
    most one operation a document in flight)."""
    order: list[tuple[str, str]] = []
    in_flight: dict[str, int] = {}
    overlaps: list[str] = []
    lock = threading.Lock()

    def slow_then_drop_first_put(request: Seen):
        with lock:
            order.append((request.method, request.path.rsplit("/", 1)[1]))
            in_flight[request.path] = in_flight.get(request.path, 0) + 1
            if in_flight[request.path] > 1:
                overlaps.append(request.path)
        try:
            if order.count(("POST", "x")) == 1 and request.method == "POST" and request.path.endswith("/x"):
                time.sleep(0.3)
                return DROP  # applied, but the answer never came: the feeder resends the put
            return 200, {}
        finally:
            with lock:
                in_flight[request.path] -= 1

    text = "\n".join(['{"put": "id:ns:doc::x", "fields": {"title": "one"}}',
                      '{"put": "id:ns:doc::y", "fields": {"title": "other"}}',
                      '{"remove": "id:ns:doc::x"}',
                      '{"put": "id:ns:doc::z", "fields": {"title": "other"}}'])
    with scripted_server(slow_then_drop_first_put) as (url, _):
        stats = feed(parse_feed_text(text), url, show_progress=False, concurrency=4)
    assert stats.ok == 4 and not overlaps
    assert [method for method, name in order if name == "x"] == ["POST", "POST", "DELETE"]
    assert order.index(("POST", "z")) < order.index(("DELETE", "x")), "other documents are not held up"


def test_the_default_many_in_flight_keep_each_documents_operations_in_feed_order():
    """`phasedsearch feed` sends DEFAULT_FEED_CONCURRENCY operations at a time (more than a node's
    batch needs); writes to one document still arrive one at a time, in feed order."""
    order: dict[str, list[str]] = {}
    in_flight: dict[str, int] = {}
    overlaps: list[str] = []
    lock = threading.Lock()

    def record(request: Seen):
        name = request.path.rsplit("/", 1)[1]
        with lock:
            in_flight[name] = in_flight.get(name, 0) + 1
            overlaps.extend([name] if in_flight[name] > 1 else [])
            order.setdefault(name, []).append(json.loads(request.body)["fields"]["n"])
        time.sleep(0.001)
        with lock:
            in_flight[name] -= 1
        return 200, {}

    lines = [f'{{"put": "id:ns:doc::d{n % 7}", "fields": {{"n": {n}}}}}' for n in range(600)]
    with scripted_server(record) as (url, _):
        stats = feed(parse_feed_text("\n".join(lines)), url, show_progress=False)
    assert feeder.DEFAULT_FEED_CONCURRENCY >= 64 and stats.ok == 600 and not overlaps
    assert order == {f"d{d}": list(range(d, 600, 7)) for d in range(7)}
