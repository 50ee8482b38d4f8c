"""The lean Search transport with real sockets, the node's WireServer against the container's
WireConnection and GrpcContentNodeClient (scripted handlers, no ContentNode): many calls share a
connection, the deadline reaches the handler and a caller giving up cancels the call, a peer's bad
bytes close only its own connection, failures map to NodeTimeout/NodeUnavailable as over gRPC,
gRPC answers while the transport is unknown or unreachable, and mutual TLS is the cluster's."""
from __future__ import annotations

import asyncio
import socket
import ssl
import threading
import time
from concurrent import futures

import grpc
import pytest

from container.dispatch.content_client import (GrpcContentNodeClient, NodeAddress, NodeTimeout, NodeUnavailable,
                                              start_search)
from container.dispatch.wire_client import WireFailure, connect
from content_node import wire_server
from content_node.wire_server import WireServer
from deploy.certificates import create_ca, issue
from protos import content_node_pb2 as pb
from protos import content_node_pb2_grpc as pb_grpc
from searchlib.query import tree as q
from searchlib.tls import CLUSTER_SERVER_NAME, read_tls_dir, ssl_context
from searchlib.wire.frames import HEADER, MAGIC, REQUEST, encode_frame
from searchlib.wire.search_codec import SearchCall

POOL = futures.ThreadPoolExecutor(max_workers=4)


class Script:
    """A handler: echoes, or waits for `release` and records what the call saw of its deadline."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.seen: list[tuple[float | None, float | None]] = []
        self.hold = False

    def __call__(self, payload: bytes, call) -> bytes:
        if payload == b"boom":
            raise ValueError("does not decode")
        if self.hold:
            before = call.time_remaining()
            self.release.wait(10)
            self.seen.append((before, call.time_remaining()))
        return b"echo:" + payload


@pytest.fixture
def script():
    return Script()


@pytest.fixture
def server(script):
    running = WireServer(script, POOL, "127.0.0.1", 0)
    yield running
    script.release.set()
    running.close()


def test_many_calls_on_one_connection_each_get_their_own_reply(server):
    async def calls():
        connection = await connect("127.0.0.1", server.port, None, None, 5)
        replies = await asyncio.gather(*(connection.call(f"q{i}".encode() * i, 5) for i in range(200)))
        connection.close()
        return replies
    assert asyncio.run(calls()) == [b"echo:" + f"q{i}".encode() * i for i in range(200)]


def test_the_deadline_reaches_the_handler_and_giving_up_cancels_the_call(server, script):
    script.hold = True

    async def late():
        connection = await connect("127.0.0.1", server.port, None, None, 5)
        with pytest.raises(WireFailure) as failure:
            await connection.call(b"slow", 0.3)
        assert failure.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
        await asyncio.sleep(0.1)  # the CANCEL frame reaches the node
        script.release.set()
        await asyncio.sleep(0.2)
        connection.close()
    asyncio.run(late())
    (before, after), = script.seen
    assert 0.1 < before <= 0.3  # what the node's servicer reads as the gRPC deadline
    assert after == 0.0  # cancelled: a call not yet started by then returns at once


def test_a_cancelled_caller_cancels_its_call(server, script):
    script.hold = True

    async def cancelled():
        connection = await connect("127.0.0.1", server.port, None, None, 5)
        task = asyncio.create_task(connection.call(b"slow", 30))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.sleep(0.1)
        script.release.set()
        await asyncio.sleep(0.2)
        connection.close()
    asyncio.run(cancelled())
    assert script.seen[0][0] > 20 and script.seen[0][1] == 0.0


def test_a_stopping_node_lets_running_calls_answer_within_the_grace(server, script):
    script.hold = True

    async def stopping():
        connection = await connect("127.0.0.1", server.port, None, None, 5)
        running = asyncio.create_task(connection.call(b"slow", 10))
        await asyncio.sleep(0.2)
        threading.Timer(0.3, script.release.set).start()
        await asyncio.to_thread(server.close, 5.0)  # as gRPC's server.stop(grace)
        with pytest.raises(WireFailure):  # no longer listening
            await connect("127.0.0.1", server.port, None, None, 5)
        return await running
    assert asyncio.run(stopping()) == b"echo:slow"


def _closed_by_server(port: int, data: bytes) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        try:
            return sock.recv(100) == b""
        except ConnectionResetError:
            return True


@pytest.mark.parametrize("data", [b"GET / HTTP/1.1\r\n\r\n", MAGIC + b"\x00" * 40,
                                  MAGIC + HEADER.pack(2**31, 1, REQUEST, 0),  # over the limit: no 2 GB read
                                  MAGIC + encode_frame(2, 1, b"a reply from a client")])
def test_bad_bytes_close_that_connection_and_the_server_serves_on(server, data):
    assert _closed_by_server(server.port, data)

    async def still_serving():
        connection = await connect("127.0.0.1", server.port, None, None, 5)
        reply = await connection.call(b"fine", 5)
        connection.close()
        return reply
    assert asyncio.run(still_serving()) == b"echo:fine"


def test_a_request_that_does_not_decode_closes_the_connection(server):
    async def broken():
        connection = await connect("127.0.0.1", server.port, None, None, 5)
        with pytest.raises(WireFailure) as failure:
            await connection.call(b"boom", 5)
        return failure.value.code
    assert asyncio.run(broken()) == grpc.StatusCode.UNAVAILABLE


# ---- through the container's client: the failure rule and the gRPC fallback ----------------


class Node(pb_grpc.ContentNodeServicer):
    """gRPC side of a scripted node: Ping tells `search_port`; Search over gRPC answers 1 hit."""

    def __init__(self) -> None:
        self.search_port = 0

    def Ping(self, request, context):
        return pb.PingReply(distribution_key=0, ready=True, search_port=self.search_port)

    def Search(self, request, context):
        return pb.SearchReply(distribution_key=0, total_hit_count=1)


@pytest.fixture
def node():
    servicer = Node()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    pb_grpc.add_ContentNodeServicer_to_server(servicer, server)
    servicer.grpc_port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield servicer
    server.stop(grace=None)


CALL = SearchCall(schema="doc", rank_profile="default", query=q.Term("default", "x"), hits=10, timeout_ms=5000)


HOLD = threading.Event()


def wire_search(payload: bytes, call) -> bytes:
    assert pb.SearchRequest.FromString(payload).query  # the same SearchRequest bytes as gRPC's
    left = call.time_remaining()
    if left < 1.0:  # past the caller's deadline
        time.sleep(left + 0.3)
    elif left < 3.0:  # held until the test lets go (the node dies under it)
        HOLD.wait(10)
    return pb.SearchReply(distribution_key=0, total_hit_count=2).SerializeToString()


def test_search_goes_over_the_transport_once_ping_tells_its_port_else_over_grpc(node):
    wire = WireServer(wire_search, POOL, "127.0.0.1", 0)

    async def searches():
        client = GrpcContentNodeClient(NodeAddress(0, 0, f"127.0.0.1:{node.grpc_port}"))
        totals = [(await client.search(CALL, 5)).total_hits]  # no ping yet: gRPC
        node.search_port = wire.port
        await client.ping(1)
        totals.append((await client.search(CALL, 5)).total_hits)  # the transport
        with pytest.raises(NodeTimeout):  # as a gRPC DEADLINE_EXCEEDED
            await client.search(CALL, 0.5)
        call = asyncio.create_task(client.search(CALL, 2))
        await asyncio.sleep(0.2)
        wire.close()  # the node's transport dies under the call
        with pytest.raises(NodeUnavailable):  # as a gRPC UNAVAILABLE
            await call
        # its port refuses now: gRPC answers (a really dead node then fails there as before)
        totals.append((await client.search(CALL, 5)).total_hits)
        await client.close()
        return totals
    try:
        assert asyncio.run(searches()) == [1, 2, 1]
    finally:
        HOLD.set()
        wire.close()


def test_a_scatter_writes_every_request_before_awaiting_any(node):
    """start_search writes a node's request before it returns (the scatter then awaits them all),
    answers as search does, and a timeout is NodeTimeout; before the transport is up (gRPC), or
    once it is lost (connect again), it is search's coroutine, not yet started."""
    wire = WireServer(wire_search, POOL, "127.0.0.1", 0)

    async def scatter():
        clients = [GrpcContentNodeClient(NodeAddress(k, 0, f"127.0.0.1:{node.grpc_port}")) for k in (0, 1)]
        unstarted = start_search(clients[0], CALL, 5)  # no ping yet: gRPC, run when awaited
        assert asyncio.iscoroutine(unstarted) and (await unstarted).total_hits == 1
        node.search_port = wire.port
        for client in clients:
            await client.ping(1)
            await client.search(CALL, 5)  # the transport connects
        started = [start_search(client, CALL, 5) for client in clients]
        in_flight = [len(client._wire._waiting) for client in clients]  # written; nothing awaited yet
        totals = [(await search).total_hits for search in started]
        with pytest.raises(NodeTimeout):
            await start_search(clients[0], CALL, 0.5)
        clients[1]._wire.close()
        await asyncio.sleep(0.1)  # the connection is lost: search's coroutine, which connects again
        again = start_search(clients[1], CALL, 5)
        assert asyncio.iscoroutine(again) and clients[1]._wire.lost
        totals.append((await again).total_hits)
        for client in clients:
            await client.close()
        return in_flight, totals
    try:
        assert asyncio.run(scatter()) == ([1, 1], [2, 2, 2])
    finally:
        wire.close()


def test_a_transport_port_that_cannot_be_reached_leaves_search_on_grpc(node):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        node.search_port = unused.getsockname()[1]  # bound, never listening: refused

        async def searches():
            client = GrpcContentNodeClient(NodeAddress(0, 0, f"127.0.0.1:{node.grpc_port}"))
            await client.ping(1)
            totals = [(await client.search(CALL, 5)).total_hits for _ in range(3)]
            await client.close()
            return totals
        assert asyncio.run(searches()) == [1, 1, 1]


# ---- mutual TLS ------------------------------------------------------------------------------


def test_the_transport_is_mutual_tls_with_the_cluster_certificates(tmp_path, script):
    ca, ca_key = create_ca(tmp_path / "ca")
    issue(ca, ca_key, tmp_path / "node", "content-node-0")
    issue(ca, ca_key, tmp_path / "container", "container")
    stranger, stranger_key = create_ca(tmp_path / "stranger-ca", "another CA")
    issue(stranger, stranger_key, tmp_path / "stranger", "a stranger")
    server = WireServer(script, POOL, "127.0.0.1", 0, ssl_context(read_tls_dir(tmp_path / "node"), server_side=True))

    async def call(context):
        connection = await connect("127.0.0.1", server.port, context, CLUSTER_SERVER_NAME, 5)
        try:
            return await connection.call(b"over tls" * 500000, 5)  # 4 MB: beyond the socket buffers
        finally:
            connection.close()
    try:
        assert asyncio.run(call(ssl_context(read_tls_dir(tmp_path / "container"), server_side=False))) == \
            b"echo:" + b"over tls" * 500000
        no_certificate = ssl.create_default_context(cafile=str(tmp_path / "ca" / "ca.crt"))
        no_certificate.check_hostname = False
        for context in (no_certificate, ssl_context(read_tls_dir(tmp_path / "stranger"), server_side=False)):
            with pytest.raises(WireFailure):  # the handshake or the first call fails; nothing is served
                asyncio.run(call(context))
        with pytest.raises(WireFailure):  # plaintext to a TLS port
            asyncio.run(call(None))
    finally:
        server.close()


def _wire_threads() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name.startswith("wire-")}


def _settles(check, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_a_peer_closing_during_the_tls_handshake_ends_its_thread(tmp_path, script):
    ca, ca_key = create_ca(tmp_path / "ca")
    issue(ca, ca_key, tmp_path / "node", "content-node-0")
    server = WireServer(script, POOL, "127.0.0.1", 0, ssl_context(read_tls_dir(tmp_path / "node"), server_side=True))
    before = _wire_threads()
    try:
        for _ in range(2):  # a TCP probe: connect, close
            socket.create_connection(("127.0.0.1", server.port)).close()
        cpu = time.process_time()
        time.sleep(0.5)  # accepted by now
        # the threads serving the probes end (they spun on recv() == b"" forever)
        assert _settles(lambda: _wire_threads() <= before), _wire_threads()
        assert time.process_time() - cpu < 0.5
    finally:
        server.close()


@pytest.mark.parametrize("host", ["[::]", "::", "[::1]"])
def test_the_transport_binds_an_ipv6_host_as_grpc_does(script, host):
    if not socket.has_ipv6:
        pytest.fail("this host has no IPv6")
    server = WireServer(script, POOL, host, 0)

    async def call(address):
        connection = await connect(address, server.port, None, None, 5)
        try:
            return await connection.call(b"v6", 5)
        finally:
            connection.close()
    try:
        assert asyncio.run(call("::1")) == b"echo:v6"
        if host != "[::1]" and socket.has_dualstack_ipv6():  # the wildcard takes IPv4 too, as gRPC's
            assert asyncio.run(call("127.0.0.1")) == b"echo:v6"
    finally:
        server.close()


def _echo(port: int) -> bytes:
    async def call():
        connection = await connect("127.0.0.1", port, None, None, 5)
        try:
            return await connection.call(b"again", 5)
        finally:
            connection.close()
    return asyncio.run(call())


def test_a_connection_whose_thread_cannot_start_costs_only_itself(server, monkeypatch):
    start = threading.Thread.start

    def failing_once(thread):
        if thread.name == "wire-conn":
            monkeypatch.setattr(threading.Thread, "start", start)
            raise RuntimeError("can't start new thread")
        return start(thread)
    monkeypatch.setattr(threading.Thread, "start", failing_once)
    assert _closed_by_server(server.port, MAGIC + encode_frame(REQUEST, 7, b"hi"))
    assert _echo(server.port) == b"echo:again"


def test_when_accepting_cannot_go_on_the_port_is_closed_so_search_falls_back(server, monkeypatch):
    def broken(self, sock):
        raise ValueError("a bug")
    monkeypatch.setattr(WireServer, "_admit", broken)
    socket.create_connection(("127.0.0.1", server.port)).close()

    def refused():
        try:
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        return False
    assert _settles(refused)  # the container's connect fails: its Search goes over gRPC


def test_a_silent_peer_is_dropped_and_connections_are_bounded(server, monkeypatch):
    monkeypatch.setattr(wire_server, "GREETING_SECONDS", 0.3)
    silent = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    started = time.monotonic()
    assert silent.recv(10) == b"" and time.monotonic() - started < 2  # closed without a greeting
    monkeypatch.setattr(wire_server, "GREETING_SECONDS", 10.0)
    monkeypatch.setattr(wire_server, "MAX_CONNECTIONS", 2)
    held = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(2)]
    time.sleep(0.2)
    assert _closed_by_server(server.port, MAGIC)  # a third is refused
    for sock in held:
        sock.close()
    time.sleep(0.3)  # their threads see the close
    assert _echo(server.port) == b"echo:again"


def test_a_peer_that_never_reads_its_replies_holds_only_its_own_connection(monkeypatch):
    monkeypatch.setattr(wire_server, "SEND_SECONDS", 1.0)
    big = b"x" * (2 << 20)
    server = WireServer(lambda payload, call: big if payload == b"big" else b"ok", POOL, "127.0.0.1", 0, workers=4)
    hog = socket.create_connection(("127.0.0.1", server.port))
    try:
        hog.sendall(MAGIC + b"".join(encode_frame(REQUEST, i, b"big") for i in range(1, 65)))  # never read
        time.sleep(1.0)

        async def good_caller():
            connection = await connect("127.0.0.1", server.port, None, None, 5)
            try:
                return await connection.call(b"small", 2.0)
            finally:
                connection.close()
        assert asyncio.run(good_caller()) == b"ok"
        assert POOL.submit(lambda: "ran").result(timeout=2) == "ran"  # what gRPC needs of the shared pool
        time.sleep(2.0)
        hog.settimeout(5)  # reading nothing for SEND_SECONDS, the hog was cut off: its stream ends
        with pytest.raises((ConnectionResetError, EOFError)):
            while hog.recv(1 << 20):
                pass
            raise EOFError
    finally:
        hog.close()
        server.close()


def test_the_transport_leaves_grpc_workers_of_the_shared_pool(script):
    pool = futures.ThreadPoolExecutor(max_workers=4)
    server = WireServer(script, pool, "127.0.0.1", 0, workers=4)
    script.hold = True

    async def many():
        connection = await connect("127.0.0.1", server.port, None, None, 5)
        calls = [asyncio.create_task(connection.call(b"slow", 10)) for _ in range(10)]
        await asyncio.sleep(0.5)
        ran = await asyncio.to_thread(lambda: pool.submit(lambda: "ran").result(timeout=2))  # a gRPC Ping
        script.release.set()
        replies = await asyncio.gather(*calls)
        connection.close()
        return ran, replies
    try:
        assert asyncio.run(many()) == ("ran", [b"echo:slow"] * 10)
    finally:
        script.release.set()
        server.close()
        pool.shutdown()


def test_a_reply_over_the_frame_limit_fails_only_its_own_call(monkeypatch, node):
    monkeypatch.setattr(wire_server, "MAX_FRAME_BYTES", 1000)
    server = WireServer(lambda payload, call: payload * 100, POOL, "127.0.0.1", 0)

    async def calls():
        connection = await connect("127.0.0.1", server.port, None, None, 5)
        huge, fine = await asyncio.gather(connection.call(b"0123456789" * 2, 5), connection.call(b"ok", 5),
                                          return_exceptions=True)
        assert fine == b"ok" * 100 and not connection.lost  # the connection serves on
        connection.close()
        return huge
    huge = asyncio.run(calls())
    assert isinstance(huge, WireFailure) and huge.code == grpc.StatusCode.RESOURCE_EXHAUSTED  # as gRPC's

    async def through_the_client():  # the query's error for that node, not the node unavailable
        client = GrpcContentNodeClient(NodeAddress(0, 0, f"127.0.0.1:{node.grpc_port}"))
        node.search_port = server.port
        await client.ping(1)
        try:
            with pytest.raises(WireFailure, match="over the limit"):
                await client.search(CALL, 5)
        finally:
            await client.close()
    try:
        asyncio.run(through_the_client())
    finally:
        server.close()
