"""The concurrent feeder: per-document failures are counted and reported, never fatal."""
import asyncio
import json

import httpx

from deploy.feed_format import parse_feed_text
from deploy.feeder import feed, feed_async

FEED = "\n".join([
    '{"put": "id:ns:doc::1", "fields": {"title": "one"}}',
    '{"put": "id:ns:doc::bad", "fields": {"nope": 1}}',
    'this is not json',
    '{"update": "id:ns:doc::1", "create": true, "fields": {"title": {"assign": "uno"}}}',
    '{"remove": "id:ns:doc::2"}',
    '{"put": "id:ns:doc::busy", "fields": {}}',
])


def scripted_transport(seen: list[httpx.Request]):
    busy_attempts = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        if path.endswith("/bad"):
            return httpx.Response(400, json={"pathId": path, "message": "No field 'nope' in the structure of type 'doc'"})
        if path.endswith("/busy") and len(busy_attempts) < 2:
            busy_attempts.append(1)
            return httpx.Response(429, json={"message": "Rejecting execution due to overload"})
        return httpx.Response(200, json={"pathId": path, "id": "whatever"})

    return httpx.MockTransport(handle)


def test_failures_are_reported_per_document_and_the_rest_is_fed():
    seen: list[httpx.Request] = []
    reported = []
    stats = asyncio.run(feed_async(parse_feed_text(FEED), "http://container", concurrency=3,
                                   on_done=reported.append, transport=scripted_transport(seen)))
    assert stats.operations == 6 and stats.ok == 4 and stats.failed == 2
    failures = sorted(stats.failures, key=lambda failure: failure.source_line)
    assert failures[0].status == 400 and "No field 'nope'" in failures[0].message
    assert failures[1].source_line == 3 and failures[1].operation == "parse"
    assert len(reported) == 6
    methods = sorted((request.method, request.url.path) for request in seen)
    assert ("DELETE", "/document/v1/ns/doc/docid/2") in methods
    update = next(request for request in seen if request.method == "PUT")
    assert update.url.params["create"] == "true"
    assert json.loads(update.content) == {"fields": {"title": {"assign": "uno"}}}
    # the overloaded put was retried until it went through
    assert sum(1 for request in seen if request.url.path.endswith("/busy")) == 3
    summary = stats.summary()
    assert summary["feeder.ok.count"] == 4 and summary["feeder.error.count"] == 2
    assert summary["http.response.code.counts"] == {"200": 4, "400": 1, "429": 2}


def test_connection_refused_is_a_failure_not_a_crash(monkeypatch):
    monkeypatch.setattr("deploy.feeder.MAX_ATTEMPTS", 2)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    stats = feed(parse_feed_text('{"remove": "id:ns:doc::1"}'), "http://nowhere", show_progress=False,
                 transport=httpx.MockTransport(refuse))
    assert stats.failed == 1 and stats.ok == 0
    assert "ConnectError" in stats.failures[0].message
    assert stats.summary()["http.exception.count"] == 2


def test_a_dropped_connection_resends_puts_and_removes_but_not_updates():
    attempts: dict[str, int] = {}

    def drop_first(request: httpx.Request) -> httpx.Response:
        attempts[request.method] = attempts.get(request.method, 0) + 1
        if attempts[request.method] == 1:  # the server closed the connection before answering
            raise httpx.RemoteProtocolError("Server disconnected without sending a response", request=request)
        return httpx.Response(200, json={})

    text = "\n".join(['{"put": "id:ns:doc::1", "fields": {"title": "one"}}',
                      '{"remove": "id:ns:doc::2"}',
                      '{"update": "id:ns:doc::3", "fields": {"n": {"increment": 1}}}'])
    stats = feed(parse_feed_text(text), "http://container", show_progress=False, concurrency=1,
                 transport=httpx.MockTransport(drop_first))
    assert attempts == {"POST": 2, "DELETE": 2, "PUT": 1}  # an increment might have been applied
    assert stats.ok == 2 and [f.operation for f in stats.failures] == ["update"]
    assert "RemoteProtocolError" in stats.failures[0].message


def test_a_token_from_the_environment_goes_with_every_feed_request(monkeypatch):
    """PHASEDSEARCH_TOKEN: `phasedsearch feed` and `query` as a services.xml token client."""
    from deploy.cli_data import auth_headers

    monkeypatch.delenv("PHASEDSEARCH_TOKEN", raising=False)
    assert auth_headers() == {}
    monkeypatch.setenv("PHASEDSEARCH_TOKEN", "s3cret")
    seen: list[httpx.Request] = []
    asyncio.run(feed_async(parse_feed_text(FEED), "http://container", concurrency=2,
                           transport=scripted_transport(seen), headers=auth_headers()))
    assert seen and all(request.headers["authorization"] == "Bearer s3cret" for request in seen)
