"""The seam between the container and content nodes: a Protocol with a gRPC implementation
(and scripted ones in tests), so scatter/gather logic is testable without processes."""
from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from typing import Awaitable, Protocol, Sequence

import grpc

from container.dispatch import wire_client
from container.dispatch.feed_batcher import FeedBatcher, NotSent
from container.dispatch.wire_client import Sent, Started, WireConnection, WireFailure
from protos import content_node_pb2 as pb
from protos import content_node_pb2_grpc as pb_grpc
from searchlib.errors import InvalidParameterError
from searchlib.tls import CLUSTER_SERVER_NAME, TlsMaterial, ssl_context
from searchlib.corpus_statistics import CorpusStatistics
from searchlib.wire import feed_codec, search_codec, statistics_codec, visit_codec
from searchlib.wire.feed_codec import FeedResult, MergeOutcome, NodeStatus, StoredVersion
from searchlib.wire.frames import Packed
from searchlib.wire.packed_reply import MAX_PACKED_HITS, decode_packed
from searchlib.wire.search_codec import DocsumCall, DocsumValue, NodeError, SearchAnswer, SearchCall
from searchlib.wire.visit_codec import VisitCall, VisitPage

MAX_MESSAGE_BYTES = 256 * 1024 * 1024
_BATCHED = {"Put": "put", "Update": "update", "Remove": "remove", "Probe": "probe"}  # method → FeedOperation field


@dataclass(frozen=True, slots=True)
class NodeAddress:
    distribution_key: int
    group: int
    address: str  # host:port
    cluster: str = ""  # the services.xml <content> id; "" = the first cluster

    @classmethod
    def parse(cls, text: str) -> "NodeAddress":
        """`[cluster:]key/group=host:port` (the container's --content-nodes syntax)."""
        ident, _, address = text.partition("=")
        cluster, _, ident = ident.rpartition(":")
        key, _, group = ident.partition("/")
        if not address or not key.strip().isdigit():
            raise ValueError(f"bad content node spec '{text}', expected [cluster:]key/group=host:port")
        return cls(int(key), int(group or 0), address.strip(), cluster.strip())


class NodeUnavailable(Exception):
    """The node could not be reached (connection refused, down): retryable elsewhere."""


class UnsyncedOwner(NodeUnavailable):
    """The node refused a write that reads the stored document: its copy may be stale (it is catching
    up, or not synced from a replica: searchlib.errors.UnsyncedReplicaError). Nothing was written
    there: the owner that took the write has its result copied to it (a replica copy) before the write
    is acknowledged (container/http/update_repair.copy_to_refusers); when no owner takes the write the
    answer is that refusal's 503, at once (waiting would not help)."""


class NodeOverloaded(NodeUnavailable):
    """A write or probe still queued in the container behind earlier writes to the node at its
    deadline (feed_batcher.NotSent): never sent, so certainly not applied (the retryable 503), and
    the node is alive and busy, not dead: it may hold a newer version than the owners that answered,
    so a condition is never judged without it (condition_probe.silence)."""


class NodeInterrupted(NodeUnavailable):
    """The node's server shut down in the middle of the call (gRPC CANCELLED: a node killed while
    stopping): down, and a write it was sent may have been applied before it went."""


class NodeTimeout(Exception):
    """The node did not answer within the deadline: never retried."""


def outcome_unknown(error: object) -> bool:
    """A write that failed this way may have been applied: it timed out, or was interrupted mid-call."""
    return isinstance(error, (NodeTimeout, NodeInterrupted))


class RequestNotEncodable(InvalidParameterError):
    """The request holds a value the wire format cannot carry (protobuf: "Value out of range"):
    the request's own 400, raised before anything is sent, never a node failure."""


def _encoded(encode, call):
    try:
        return encode(call)
    except (ValueError, OverflowError) as error:
        raise RequestNotEncodable(f"Invalid query: a value cannot be sent to the content nodes: {error}") from None


_last_search: tuple[SearchCall | None, object] = (None, None)


def _encoded_search(call: SearchCall):
    """A scatter sends the same call to every node of a group: encoded once (the last call and its
    message, swapped in one assignment; gRPC serializes a message on send and never changes it)."""
    global _last_search
    last_call, message = _last_search
    if last_call is not call:
        message = _encoded(search_codec.encode_search_call, call)
        _last_search = (call, message)
    return message


class ContentNodeClient(Protocol):
    node: NodeAddress

    async def search(self, call: SearchCall, timeout: float) -> SearchAnswer: ...

    async def docsums(self, call: DocsumCall, timeout: float) -> tuple[list[DocsumValue], list[NodeError]]: ...

    async def term_statistics(self, call: statistics_codec.TermStatisticsCall,
                              timeout: float) -> tuple[CorpusStatistics | None, list[NodeError]]: ...

    # `timestamp`: the operation's, one for every replica (searchlib/timestamps.py); `probe`,
    # `tested_base`: the steps of replicated test-and-set (container/http/condition_probe.py);
    # `origin`: a copy of a replica's version (update_repair.copy_to_refusers), its origin with it;
    # `replica_copy`: such a copy of an acknowledged version (the node takes it whatever its language);
    # `tested_base` without a condition: a compare-and-set on the version read (update_repair.py)
    async def put(self, document_id: str, fields: dict, timeout: float, condition: str = "",
                  create: bool = False, timestamp: int = 0, *, probe: bool = False,
                  tested_base: int | None = None, origin: int = 0, replica_copy: bool = False) -> FeedResult: ...

    async def update(self, document_id: str, operations: dict, create: bool, timeout: float,
                     condition: str = "", timestamp: int = 0, *, probe: bool = False,
                     tested_base: int | None = None) -> FeedResult: ...

    async def remove(self, document_id: str, timeout: float, condition: str = "",
                     timestamp: int = 0, *, probe: bool = False, tested_base: int | None = None) -> FeedResult: ...

    async def get(self, document_id: str, timeout: float) -> dict | None: ...

    async def get_version(self, document_id: str, timeout: float) -> StoredVersion: ...

    async def ping(self, timeout: float) -> NodeStatus: ...

    async def visit(self, call: VisitCall, timeout: float) -> VisitPage: ...

    async def sync(self, peers: list[str], timeout: float, resync: bool = False,
                   unreachable: Sequence[str] = (), sole_copy: bool = False) -> bool: ...

    async def merge(self, peers: list[str], timeout: float) -> MergeOutcome: ...

    async def close(self) -> None: ...


class CodecClient:
    """The content-node calls in terms of one `_call(method, request, timeout)`: each request is built
    and each reply read by the wire codecs. The gRPC client sends them over a channel; the in-process
    one (local_client.py) hands them to a servicer."""

    node: NodeAddress

    async def _call(self, method_name: str, request, timeout: float):
        raise NotImplementedError

    async def search(self, call: SearchCall, timeout: float) -> SearchAnswer:
        reply = await self._call("Search", _encoded_search(call), timeout)
        return search_codec.decode_search_answer(reply)

    async def docsums(self, call: DocsumCall, timeout: float):
        reply = await self._call("GetDocsums", _encoded(search_codec.encode_docsum_call, call), timeout)
        return search_codec.decode_docsums(reply)

    async def term_statistics(self, call: statistics_codec.TermStatisticsCall,
                              timeout: float) -> tuple[CorpusStatistics | None, list[NodeError]]:
        reply = await self._call("TermStatistics", _encoded(statistics_codec.encode_statistics_call, call), timeout)
        errors = [NodeError(e.code, e.message, e.source) for e in reply.errors]
        return (None if errors else statistics_codec.decode_statistics(reply.statistics)), errors

    async def put(self, document_id: str, fields: dict, timeout: float, condition: str = "",
                  create: bool = False, timestamp: int = 0, *, probe: bool = False,
                  tested_base: int | None = None, origin: int = 0, replica_copy: bool = False) -> FeedResult:
        if probe:
            return await self._probe(document_id, condition, create, timeout)
        request = feed_codec.put_request(document_id, fields, condition, create, timestamp, tested_base, origin,
                                         replica_copy)
        return _taken(feed_codec.decode_feed_reply(await self._call("Put", request, timeout)))

    async def update(self, document_id: str, operations: dict, create: bool, timeout: float,
                     condition: str = "", timestamp: int = 0, *, probe: bool = False,
                     tested_base: int | None = None) -> FeedResult:
        if probe:
            return await self._probe(document_id, condition, create, timeout)
        request = feed_codec.update_request(document_id, operations, create, condition, timestamp, tested_base)
        return _taken(feed_codec.decode_feed_reply(await self._call("Update", request, timeout)))

    async def remove(self, document_id: str, timeout: float, condition: str = "",
                     timestamp: int = 0, *, probe: bool = False, tested_base: int | None = None) -> FeedResult:
        if probe:
            return await self._probe(document_id, condition, False, timeout)
        request = feed_codec.remove_request(document_id, condition, timestamp, tested_base)
        return _taken(feed_codec.decode_feed_reply(await self._call("Remove", request, timeout)))

    async def _probe(self, document_id: str, condition: str, create: bool, timeout: float) -> FeedResult:
        request = feed_codec.probe_request(document_id, condition, create)
        return _taken(feed_codec.decode_feed_reply(await self._call("Probe", request, timeout)))

    async def get(self, document_id: str, timeout: float) -> dict | None:
        return (await self.get_version(document_id, timeout)).fields

    async def get_version(self, document_id: str, timeout: float) -> StoredVersion:
        """The document as stored, with the timestamp of its newest operation (newest-wins reads)."""
        reply = await self._call("Get", feed_codec.get_request(document_id), timeout)
        return feed_codec.decode_get_reply(reply)

    async def ping(self, timeout: float) -> NodeStatus:
        reply = await self._call("Ping", feed_codec.ping_request(), timeout)
        return feed_codec.decode_ping_reply(reply)

    async def visit(self, call: VisitCall, timeout: float) -> VisitPage:
        return visit_codec.decode_visit_page(await self._call("Visit", visit_codec.encode_visit_call(call), timeout))

    async def sync(self, peers: list[str], timeout: float, resync: bool = False,
                   unreachable: Sequence[str] = (), sole_copy: bool = False) -> bool:
        """Tell a node which replicas to catch up from (and which of its replicas do not answer: it
        stays unsynced from them; `sole_copy`: it has none); True if it started."""
        reply = await self._call("Sync", pb.SyncRequest(peers=peers, resync=resync, unreachable=unreachable,
                                                        sole_copy=sole_copy), timeout)
        return reply.accepted

    async def merge(self, peers: list[str], timeout: float) -> MergeOutcome:
        """Have the node merge with its replicas `peers` (newest version wins on both sides)."""
        return feed_codec.decode_merge_reply(await self._call("Merge", pb.MergeRequest(peers=peers), timeout))


def _taken(result: FeedResult) -> FeedResult:
    """A write's reply; a refusal of a copy that may be stale is raised (UnsyncedOwner)."""
    if result.unsynced:
        raise UnsyncedOwner(result.message)
    return result


def start_search(client: ContentNodeClient, call: SearchCall, timeout: float) -> Awaitable[SearchAnswer]:
    """`client.search(call, timeout)`, with the request written before this returns where the
    client can (GrpcContentNodeClient.search_started)."""
    if isinstance(client, GrpcContentNodeClient):
        return client.search_started(call, timeout)
    return client.search(call, timeout)


_last_payload: tuple[object, bytes] = (None, b"")
# appended to the request's bytes (protobuf merges concatenated messages): the node may answer packed
_ASK_PACKED = pb.SearchRequest(packed_reply=True).SerializeToString()


def _search_payload(call: SearchCall) -> bytes:
    """The search's bytes for the lean transport, serialized once for all nodes of a scatter, asking
    for a packed reply when the window is small (packed_reply.MAX_PACKED_HITS; the message itself is
    shared with gRPC's path and stays as it is)."""
    global _last_payload
    message = _encoded_search(call)
    last_message, payload = _last_payload
    if last_message is not message:
        payload = message.SerializeToString() + (_ASK_PACKED if call.hits <= MAX_PACKED_HITS else b"")
        _last_payload = (message, payload)
    return payload


# after a failed connect Search goes over gRPC this long before trying again, doubled after each
# failure up to the most (a port a firewall drops costs one query's connect timeout that often)
WIRE_RETRY_SECONDS, WIRE_RETRY_MOST_SECONDS = 5.0, 300.0


class GrpcContentNodeClient(CodecClient):
    """Every call over a gRPC channel, except Search: over the node's lean transport
    (wire_client.py) once a Ping has told its port, over gRPC while it has not or cannot be
    reached. Both transports fail through one rule (`_failure`)."""

    def __init__(self, node: NodeAddress, tls: TlsMaterial | None = None) -> None:
        self.node = node
        self.tls = tls  # cluster TLS: the channel presents the container's certificate
        self._channel: grpc.aio.Channel | None = None
        self._stub: pb_grpc.ContentNodeStub | None = None
        self._batcher: FeedBatcher | None = None
        self._search_port = 0  # the node's lean Search port, from its last Ping; 0: none
        self._wire: WireConnection | None = None
        self._wire_lock: asyncio.Lock | None = None
        self._wire_retry_at = 0.0
        self._wire_backoff = WIRE_RETRY_SECONDS
        self._wire_tls: ssl.SSLContext | None = None

    def _failure(self, code: grpc.StatusCode) -> Exception | None:
        """What a failed call's status means for dispatch (None: a plain error, raised as is)."""
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return NodeTimeout(f"content node {self.node.distribution_key} timed out")
        # CANCELLED from the node's side: its server shut down in the middle of the call (a
        # node killed while stopping); our own cancellations raise CancelledError instead
        if code == grpc.StatusCode.CANCELLED:
            return NodeInterrupted(f"content node {self.node.distribution_key} ({self.node.address}) went down "
                                   "in the middle of the call")
        if code == grpc.StatusCode.UNAVAILABLE:
            return NodeUnavailable(f"content node {self.node.distribution_key} ({self.node.address}) is unavailable")
        return None

    async def ping(self, timeout: float) -> NodeStatus:
        status = await super().ping(timeout)
        if status.search_port != self._search_port:  # a restarted node may listen elsewhere
            self._search_port, self._wire_retry_at, self._wire_backoff = status.search_port, 0.0, WIRE_RETRY_SECONDS
            self._drop_wire()
        return status

    async def search(self, call: SearchCall, timeout: float) -> SearchAnswer:
        if not self._search_port:
            return await super().search(call, timeout)
        payload = _search_payload(call)  # a value the wire cannot carry is the request's 400 first
        started = time.monotonic()
        connection = await self._wire_connection(timeout)
        if connection is None:
            return await super().search(call, timeout - (time.monotonic() - started))
        return await self._search_reply(connection, connection.send(
            payload, max(timeout - (time.monotonic() - started), 0.001)))

    def search_started(self, call: SearchCall, timeout: float) -> Awaitable[SearchAnswer]:
        """`search(call, timeout)`, its request already written when the lean connection is open:
        a scatter writes to every node before it awaits any (scatter_gather.py)."""
        wire = self._wire
        if not self._search_port or wire is None or wire.lost:
            return self.search(call, timeout)
        sent = wire.send(_search_payload(call), max(timeout, 0.001))
        return Started(self._search_reply(wire, sent), wire, sent)

    async def _search_reply(self, connection: WireConnection, sent: Sent) -> SearchAnswer:
        try:
            reply = await connection.reply(sent)
        except WireFailure as error:  # a plain error (RESOURCE_EXHAUSTED) is raised as is, as over gRPC
            raise (self._failure(error.code) or error) from None
        if isinstance(reply, Packed):
            return decode_packed(reply.payload)
        return search_codec.decode_search_answer(pb.SearchReply.FromString(reply))

    async def _wire_connection(self, timeout: float) -> WireConnection | None:
        if self._wire is not None and not self._wire.lost:
            return self._wire
        if self._wire_lock is None:
            self._wire_lock = asyncio.Lock()
        async with self._wire_lock:  # one connect at a time; the others wait and share it
            if self._wire is not None and not self._wire.lost:
                return self._wire
            if time.monotonic() < self._wire_retry_at:
                return None
            if self.tls is not None and self._wire_tls is None:
                self._wire_tls = ssl_context(self.tls, server_side=False)
            host = self.node.address.rpartition(":")[0].strip("[]")
            try:
                self._wire = await wire_client.connect(host, self._search_port, self._wire_tls,
                                                       CLUSTER_SERVER_NAME, min(max(timeout, 0.001), 1.0))
                self._wire_backoff = WIRE_RETRY_SECONDS
            except WireFailure:  # not reachable (a port not published, a firewall): gRPC for a while
                self._wire, self._wire_retry_at = None, time.monotonic() + self._wire_backoff
                self._wire_backoff = min(self._wire_backoff * 2, WIRE_RETRY_MOST_SECONDS)
            return self._wire

    def _drop_wire(self) -> None:
        if self._wire is not None:
            self._wire.close()
            self._wire = None

    def _connected_stub(self) -> pb_grpc.ContentNodeStub:
        # created on first use: a grpc.aio channel belongs to the event loop that is running then
        if self._stub is None:
            options = [
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.enable_retries", 0),
                # a restarted node must be reachable again within a ping or two, not after a
                # grown exponential backoff
                ("grpc.initial_reconnect_backoff_ms", 200),
                ("grpc.min_reconnect_backoff_ms", 200),
                ("grpc.max_reconnect_backoff_ms", 1000)]
            if self.tls is None:
                self._channel = grpc.aio.insecure_channel(self.node.address, options=options)
            else:  # every cluster certificate names CLUSTER_SERVER_NAME; nodes are dialled by address
                credentials = grpc.ssl_channel_credentials(root_certificates=self.tls.ca,
                                                           private_key=self.tls.private_key,
                                                           certificate_chain=self.tls.certificate)
                self._channel = grpc.aio.secure_channel(self.node.address, credentials, options=[
                    *options, ("grpc.ssl_target_name_override", CLUSTER_SERVER_NAME)])
            self._stub = pb_grpc.ContentNodeStub(self._channel)
        return self._stub

    async def _call(self, method_name: str, request, timeout: float):
        kind = _BATCHED.get(method_name)
        if kind is None:
            return await self._rpc(method_name, request, timeout)
        if self._batcher is None:  # writes go out in Feed batches (container/dispatch/feed_batcher.py)
            self._batcher = FeedBatcher(lambda batch, left: self._rpc("Feed", batch, left))
        try:
            return await self._batcher.submit(pb.FeedOperation(**{kind: request}), max(timeout, 0.001))
        except NotSent as error:  # certainly not applied: the retryable 503, not the 504 "outcome unknown"
            raise NodeOverloaded(f"content node {self.node.distribution_key} is overloaded: {error}") from None
        except asyncio.TimeoutError:
            raise NodeTimeout(f"content node {self.node.distribution_key} timed out") from None

    async def _rpc(self, method_name: str, request, timeout: float):
        method = getattr(self._connected_stub(), method_name)
        try:
            return await method(request, timeout=max(timeout, 0.001))
        except grpc.aio.AioRpcError as error:
            failure = self._failure(error.code())
            if failure is None:
                raise
            raise failure from None

    async def close(self) -> None:
        self._drop_wire()
        if self._channel is not None:
            await self._channel.close()
