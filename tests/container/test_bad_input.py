"""Bad input gets a 4xx with a Vespa-style error, in process: the default application package
behind the real HTTP app, with content nodes that put every call through the wire codec (a value
the container could not encode fails there as it would over gRPC). Also the request guard's
body limits and timeouts, and YQL parsing off the event loop within the query's timeout."""
from __future__ import annotations

import asyncio
import re
import threading
import types
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from container.app import create_app
from container.http.limits import RequestGuard
from container.http.request_body import BodyError, parse_json
from container.search import query as query_module
from searchlib.schema.model import ContainerLimits
from searchlib.wire.search_codec import NodeError
from tests.container.scripted_nodes import WireNode

APP = Path(__file__).resolve().parents[2] / "schemas"
YQL = "select * from doc where true"
SERVER_TEXT = re.compile(r"\b\w*(Error|Exception)\b|Traceback|File \"")  # exception names, tracebacks
NUMERIC = ["hits", "offset", "count", "start", "timeout", "ranking.rerankCount", "ranking.secondPhase.rerankCount",
           "ranking.keepRankCount", "ranking.rankScoreDropLimit", "ranking.globalPhase.rerankCount", "trace.level",
           "tracelevel", "ranking.freshness"]
VALUES = ["0", "-1", "2147483647", "2147483648", "1000000000000", "NaN", "nan", "inf", "-Infinity", "1e400", "1.5",
          "1_000", "٣", " 7 ", "0x10", ""]


@pytest.fixture(scope="module")
def nodes():
    return [WireNode(0), WireNode(1)]


@pytest.fixture(scope="module")
def client(nodes):
    with TestClient(create_app(str(APP), clients=nodes), raise_server_exceptions=False) as running:
        yield running


def search_error(response) -> str:
    assert 400 <= response.status_code < 500, response.text
    errors = response.json()["root"]["errors"]
    assert {"code", "summary", "message"} <= errors[0].keys()
    assert not SERVER_TEXT.search(errors[0]["message"]), errors[0]["message"]
    return errors[0]["message"]


def document_error(response) -> str:
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert body["pathId"].startswith("/document/v1/")
    assert not SERVER_TEXT.search(body["message"]), body["message"]
    return body["message"]


@pytest.mark.parametrize("name", NUMERIC)
def test_numeric_parameters_are_valid_or_400_never_an_encode_failure(client, nodes, name):
    for value in VALUES:
        before = len(nodes[0].searches)
        response = client.get("/search/", params={"yql": YQL, name: value})
        assert response.status_code in (200, 400), (name, value, response.text)
        if response.status_code == 400:
            assert "Could not set" in search_error(response) or "limit" in response.text or "allowed is" in response.text
        else:  # sent and decoded by the node: every count fits its wire type
            assert len(nodes[0].searches) == before + 1, (name, value)


def test_out_of_range_counts_are_refused_like_vespa(client):
    assert "Must be at most 2147483647" in search_error(
        client.get("/search/", params={"yql": YQL, "ranking.rerankCount": "1000000000000"}))
    assert "401 hits requested, configured limit: 400." in search_error(
        client.get("/search/", params={"yql": YQL, "hits": "401"}))
    # YQL's limit/offset: Vespa's MinimalQueryInserter wording
    assert "Requested offset 1001, but the max offset allowed is 1000." in search_error(
        client.get("/search/", params={"yql": YQL + " offset 1001"}))
    assert "(0, 600]" in search_error(client.get("/search/", params={"yql": YQL + " timeout 700000"}))
    assert "out of range for a 64-bit integer" in search_error(
        client.get("/search/", params={"yql": YQL + " limit 10000000000000000000000"}))
    assert "Requested 1000000000000 hits returned, but max hits allowed is 400." in search_error(
        client.get("/search/", params={"yql": YQL + " limit 1000000000000L"}))


def test_sorting_on_a_tensor_field_is_a_400(client):
    assert "a tensor field cannot be sorted on" in search_error(
        client.get("/search/", params={"yql": YQL, "ranking.sorting": "+embedding"}))
    assert "not an attribute" in search_error(client.get("/search/", params={"yql": YQL, "sorting": "-title"}))


@pytest.mark.parametrize("body, expected", [
    (b"[" * 10_000 + b"]" * 10_000, "nested deeper than 100 levels"),
    (b'{"a":' * 150 + b"1" + b"}" * 150, "nested deeper than 100 levels"),
    (b'{"yql": "select * from doc where true \xff"}', "not valid UTF-8 (byte 0xff at offset 38)"),
    (b'{"yql": "select * from doc where title contains \\"\\ud800\\""}', "illegal code point 0xD800"),
    (b'{"yql": "' + YQL.encode() + b'", "hits": NaN}', "NaN is not a JSON value"),
    (b'{"yql": "' + YQL.encode() + b'", "hits": 1' + b"0" * 30 + b"}", "does not fit in 64 bits"),
    (b'{"yql": ', "Expecting value at line 1 column 9"),
    (b'["yql"]', "must be an object"),
])
def test_malformed_search_bodies_are_400(client, body, expected):
    assert expected in search_error(client.post("/search/", content=body))


def test_limits_on_yql_tree_depth_and_query_tensors_quote_only_a_prefix(client):
    assert "yql-length" in search_error(client.post("/search/", json={"yql": YQL + " " * 70_000}))
    nested = "select * from doc where " + 'title contains "a" and (' * 45 + "true" + ")" * 45
    assert "query-tree-depth" in search_error(client.get("/search/", params={"yql": nested}))
    nn = "select * from doc where {targetHits:10}nearestNeighbor(embedding, q)"
    huge = "[" + ",".join(["0.5"] * 200_000) + "]"
    message = search_error(client.post("/search/", json={"yql": nn, "ranking": "semantic", "input.query(q)": huge}))
    assert "query-tensor-cells" in message and len(message) < 300
    wrong = "[" + ",".join(["0.5"] * 5000) + "]"  # within the limit, but not an x[384]
    message = search_error(client.post("/search/", json={"yql": nn, "ranking": "semantic", "input.query(q)": wrong}))
    assert "(20001 characters)" in message and len(message) < 700


@pytest.mark.parametrize("params, expected", [
    ({"yql": YQL, "select": "all(group(embedding) each(output(count())))"}, "cannot be grouped on"),
    ({"yql": YQL, "select": "all(group(path) each(output(avg(path))))"}, "need a numeric attribute"),
    ({"yql": YQL + " | all(group(path) order(-sum(embedding)) each(output(count())))"}, "need a numeric attribute"),
    ({"yql": 'select * from doc where embedding contains "x"'}, "is a tensor field"),
    ({"yql": "select * from doc where userQuery()", "query": "x", "model.defaultIndex": "tokens"}, "is a tensor field"),
])
def test_what_a_node_cannot_do_is_refused_before_dispatch(client, nodes, params, expected):
    before = len(nodes[0].searches)
    assert expected in search_error(client.get("/search/", params=params))
    assert len(nodes[0].searches) == before  # never sent: a node would have failed with server text


def test_yql_string_escapes_pair_surrogates_and_refuse_lone_ones(client, nodes):
    lone = 'select * from doc where title contains "zr\\udb16g"'  # YQL's own \u escape, not JSON's
    assert "Illegal code point 0xDB16" in search_error(client.get("/search/", params={"yql": lone}))
    pair = 'select * from doc where title contains "a\\ud83d\\ude00"'
    assert client.get("/search/", params={"yql": pair}).status_code == 200  # one character, sent fine


LONG = "z" * 50_000


@pytest.mark.parametrize("params", [
    {"yql": f"select * from {LONG} where true"}, {"yql": f"select * from doc where {LONG} contains 'x'"},
    {"yql": YQL, "model.restrict": LONG}, {"yql": YQL, "model.searchPath": LONG}, {"yql": YQL, "ranking": LONG},
    {"yql": YQL, "presentation.summary": LONG}, {"yql": YQL, "select": f"all(group({LONG}))"},
    {"yql": "select * from doc where userQuery()", "query": "a", "type": LONG},
    {"yql": f"select * from doc where title contains @{LONG}"}, {"yql": YQL, "sorting": "+" + LONG},
    {"yql": YQL, "ranking": "bm25-title-boost", "input.query(title_weight)": LONG},
    {"yql": YQL, "ranking": "semantic", "input.query(q)": f"embed({LONG[:2000]}, 'x')"},
])
def test_errors_quote_only_a_prefix_of_long_input(client, params):
    message = search_error(client.post("/search/", json=params))
    assert "z" * 101 not in message and len(message) < 500, message[:300]


@pytest.mark.parametrize("body, expected", [
    (b'{"fields": {"title": ' + b"[" * 5000 + b"]" * 5000 + b"}}", "nested deeper than 100 levels"),
    (b'{"fields": {"title": "\xff\xfe"}}', "not valid UTF-8"),
    (b'{"fields": {"title": "a\\udc00b"}}', "'a\\udc00b' at fields.title"),  # the field named
    (b'{"fields": {"title": "a\\udc00b"}}', "illegal code point 0xDC00"),
    (b'{"fields": {"title": ["x", "a\\ud800b x"]}}', "at fields.title[1] contains illegal code point 0xD800"),
    (b'{"fields": {"\\ud800": "x"}}', "illegal code point 0xD800"),
    (b'{"fields": {"title": [[1]]}}', "expected a string, got an array"),
    (b'{"fields": {"title": 1e999}}', "out of range for a double"),
    (b'{"fields": {"title": ' + b"1" * 250 + b'e99}}', "out of range for a double"),  # a 2-digit exponent
    (b'{"fields": "title"}', "'fields' object"),
])
def test_malformed_documents_are_400_and_nothing_is_stored(client, nodes, body, expected):
    assert expected in document_error(client.post("/document/v1/test/doc/docid/bad", content=body))
    update = document_error(client.put("/document/v1/test/doc/docid/bad", content=body))
    assert expected in update or "must be an object like {\"assign\": value}" in update
    assign = body.replace(b'{"title": ', b'{"title": {"assign": ').replace(b"}}", b"}}}")
    if assign != body and b"ud800" not in body:
        assert expected in document_error(client.put("/document/v1/test/doc/docid/bad", content=assign))
    assert all("id:test:doc::bad" not in node.documents for node in nodes)


def test_a_document_above_document_bytes_is_413(client, nodes):
    big = b'{"fields": {"title": "' + b"x" * (2 * 1024 * 1024) + b'"}}'
    response = client.post("/document/v1/test/doc/docid/big", content=big)
    assert response.status_code == 413 and "2097152 bytes" in response.json()["message"]
    assert response.headers["connection"] == "close"
    assert all("id:test:doc::big" not in node.documents for node in nodes)
    ok = client.post("/document/v1/test/doc/docid/fine", json={"fields": {"title": "fine", "text": "\U0001F600"}})
    assert ok.status_code == 200, ok.text


def test_unexpected_exceptions_answer_a_neutral_500_and_are_logged(client, monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("secret server detail")

    monkeypatch.setattr("container.http.search_handler.build_query_in_time", explode)
    response = client.get("/search/", params={"yql": YQL})
    assert response.status_code == 500 and "secret" not in response.text and "RuntimeError" not in response.text
    assert response.json()["root"]["errors"][0]["code"] == 18
    monkeypatch.setattr("container.docproc.processor.DocumentProcessor.put", explode)
    response = client.post("/document/v1/test/doc/docid/x", json={"fields": {"title": "x"}})
    assert response.status_code == 500 and "secret" not in response.text
    assert response.json()["pathId"] == "/document/v1/test/doc/docid/x"
    assert "secret server detail" in caplog.text  # the traceback is in the log


def test_a_nodes_unexpected_exception_text_reaches_no_client(client, nodes):
    nodes[0].errors = (NodeError(18, "KeyError: 'secret internals'", "content node 0"),)
    try:
        response = client.get("/search/", params={"yql": YQL})
    finally:
        nodes[0].errors = ()
    assert "secret" not in response.text and "KeyError" not in response.text
    assert "Internal server error in content node 0: see its log" in response.text


def run_guard(limits: ContainerLimits, headers, chunks, path="/search/"):
    """The guard alone: returns (status, how many receive() calls it made, whether the app ran)."""
    calls, sent, ran = [0], [], [False]

    async def receive():
        calls[0] += 1
        if calls[0] > len(chunks):
            await asyncio.sleep(3600)  # a client that stops sending
        body, more = chunks[calls[0] - 1]
        return {"type": "http.request", "body": body, "more_body": more}

    async def send(message):
        sent.append(message)

    async def app(scope, receive_, send_):
        ran[0] = True
        assert (await receive_())["body"] == b"".join(c for c, _ in chunks)

    scope = {"type": "http", "path": path, "headers": headers, "method": "POST", "query_string": b""}
    asyncio.run(RequestGuard(app, limits)(scope, receive, send))
    status = next((m["status"] for m in sent if m["type"] == "http.response.start"), None)
    return status, calls[0], ran[0]


def test_a_declared_body_above_the_limit_is_refused_without_reading_it():
    status, calls, ran = run_guard(ContainerLimits(), [(b"content-length", b"52428800")], [])
    assert (status, calls, ran) == (413, 0, False)


def test_a_streamed_body_is_refused_as_soon_as_it_passes_the_limit():
    megabyte = b"x" * (1024 * 1024)
    chunks = [(megabyte, True)] * 50  # 50 MB offered, chunked
    status, calls, ran = run_guard(ContainerLimits(request_body_bytes=4 * 1024 * 1024), [], chunks)
    assert (status, calls, ran) == (413, 5, False)  # the fifth megabyte passes the limit: nothing more read
    status, calls, ran = run_guard(ContainerLimits(document_bytes=2 * 1024 * 1024), [], chunks,
                                   path="/document/v1/a/doc/docid/1")
    assert (status, calls, ran) == (413, 3, False)
    assert run_guard(ContainerLimits(), [], [(b"ab", True), (b"cd", False)]) == (None, 2, True)


def test_a_stalled_body_is_answered_408_at_the_request_timeout():
    started = time.monotonic()
    status, _, ran = run_guard(ContainerLimits(request_timeout=0.2), [], [(b"{", True)])
    assert (status, ran) == (408, False) and time.monotonic() - started < 2


def test_query_building_runs_in_a_thread_within_the_querys_timeout(monkeypatch):
    threads, ticks = [], []

    def slow_build(params, application, started):
        threads.append(threading.current_thread())
        time.sleep(1.0)

    async def main():
        async def ticker():
            while True:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        started = time.monotonic()
        with pytest.raises(query_module.QueryTimeout, match="while parsing the query"):
            no_profiles = types.SimpleNamespace(query_profiles={}, schemas={}, generation="")  # query_from is replaced
            long_text = "word " * (query_module.INLINE_PARSE_CHARACTERS // 5)  # past the inline limit
            await query_module.build_query_in_time({"yql": YQL, "timeout": "200ms", "query": long_text},
                                                   no_profiles, started)
        task.cancel()
        return time.monotonic() - started

    monkeypatch.setattr(query_module, "query_from", slow_build)
    elapsed = asyncio.run(main())
    assert 0.15 < elapsed < 0.9  # the deadline (0.2 s), not the parse (1 s), decides
    assert threads and threads[0] is not threading.main_thread()
    assert len(ticks) >= 5  # the event loop kept running while the query was parsed


def test_a_short_query_is_built_on_the_event_loop(monkeypatch):
    """Below INLINE_PARSE_CHARACTERS the parse costs less than the hop to a thread and back."""
    threads = []
    monkeypatch.setattr(query_module, "query_from",
                        lambda params, application, started: threads.append(threading.current_thread()))
    no_profiles = types.SimpleNamespace(query_profiles={}, schemas={}, generation="")
    asyncio.run(query_module.build_query_in_time({"yql": YQL, "query": "short words"}, no_profiles, time.monotonic()))
    assert threads == [threading.main_thread()]


@pytest.mark.parametrize("body", [b"1" * 5000, b'"' + b"\\ud800" * 3 + b'"', b"[" * 999 + b"]" * 999, b"\x00\x01"])
def test_parse_json_raises_only_body_errors(body):
    with pytest.raises(BodyError) as raised:
        parse_json(body, 100, "JSON")
    assert raised.value.status == 400 and len(raised.value.message) < 250


def test_nearest_neighbor_without_target_hits_and_in_on_a_tensor_field_are_400s(client):
    """Vespa parses both; its searchers refuse them before anything is searched."""
    answer = client.get("/search/", params={"yql": "select * from doc where nearestNeighbor(embedding, q)",
                                            "input.query(q)": "[" + ",".join(["0.1"] * 384) + "]"})
    assert answer.status_code == 400
    assert "NEAREST_NEIGHBOR {field=embedding,queryTensorName=q} has invalid targetHits 0: Must be >= 1" \
        in search_error(answer)
    assert "The in operator is only supported for integer and string fields. The field embedding" in search_error(
        client.get("/search/", params={"yql": "select * from doc where embedding in (25)"}))


@pytest.mark.parametrize("number", ["%C2%B2", "%EF%BC%91%EF%BC%92", "1_0"])  # '²', full-width 12
def test_a_document_location_number_is_ascii_digits(client, number):
    """'²' passed str.isdigit() and reached int() (a 500)."""
    assert "a number must be digits" in document_error(client.get(f"/document/v1/test/doc/number/{number}/x"))


def test_a_container_without_content_nodes_answers_searches_with_no_backends():
    """`python -m container` with no content nodes: Vespa's 503 "No backends in service", not a 500."""
    with TestClient(create_app(str(APP), clients=[]), raise_server_exceptions=False) as empty:
        response = empty.get("/search/", params={"yql": YQL})
    assert response.status_code == 503, response.text
    error = response.json()["root"]["errors"][0]
    assert error["code"] == 0 and error["summary"] == "No backends in service. Try later"
    assert not SERVER_TEXT.search(error["message"]), error["message"]
