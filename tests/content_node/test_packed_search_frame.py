"""The node's Search over the lean transport, asked for a packed reply (the bytes the container
sends: the request, then `packed_reply` merged in), answers packed when the answer is plain and
with the SearchReply's bytes otherwise; a packed answer reads as the SearchReply the same call
gets without asking (hits, relevance to the bit, summaries, total, coverage); the container's client
asks for it when the window is at most MAX_PACKED_HITS and reads it as it reads the gRPC reply, and
a larger window gets a SearchReply; gRPC's Search ignores packed_reply."""
from __future__ import annotations

import asyncio
from concurrent import futures

import grpc
import pytest

from container.dispatch.content_client import _ASK_PACKED, GrpcContentNodeClient, NodeAddress
from content_node.wire_server import WireCall, WireServer
from protos import content_node_pb2 as pb
from protos import content_node_pb2_grpc as pb_grpc
from searchlib.query import tree as q
from searchlib.wire.frames import Packed
from searchlib.wire.packed_reply import MAX_PACKED_HITS, PackedDocsum, decode_packed
from searchlib.wire.search_codec import EncodedDocsum, SearchCall, decode_search_answer, encode_search_call
from tests.content_node.test_bm25_fast_reply import service  # noqa: F401 - the fixture: a node with 300 documents
from tests.searchlib.test_packed_reply import read

QUERIES = [("both", q.Or((q.Term("default", "the"), q.Term("default", "cell"), q.Term("default", "rare")))),
           ("text", q.Term("text", "gene")), ("both", q.Term("title", "absent"))]


def frame(service, call: SearchCall, ask: bool):
    payload = encode_search_call(call).SerializeToString()
    return service.search_frame(payload + _ASK_PACKED if ask else payload, WireCall(10000))


@pytest.mark.parametrize("profile, query", QUERIES)
@pytest.mark.parametrize("hits", [3, 400])
def test_a_plain_answer_comes_packed_and_reads_as_the_search_reply(service, profile, query, hits):  # noqa: F811
    call = SearchCall(schema="doc", rank_profile=profile, query=query, hits=hits, timeout_ms=10000,
                      with_summaries=True, summary_class="default")
    packed, plain = frame(service, call, True), frame(service, call, False)
    assert isinstance(packed, Packed) and isinstance(plain, bytes)
    assert read(decode_packed(packed.payload)) == read(decode_search_answer(pb.SearchReply.FromString(plain)))


def test_an_answer_that_is_not_plain_comes_as_the_search_reply(service):  # noqa: F811
    calls = [SearchCall(schema="doc", rank_profile="both", query=q.Term("default", "cell"), hits=5, timeout_ms=10000,
                        grouping="all(group(title) each(output(count())))"),
             SearchCall(schema="doc", rank_profile="both", query=q.Term("default", "cell"), hits=5, timeout_ms=10000,
                        trace_level=5),
             SearchCall(schema="doc", rank_profile="nosuch", query=q.Term("default", "cell"), hits=5, timeout_ms=10000)]
    for call in calls:
        asked, not_asked = frame(service, call, True), frame(service, call, False)
        assert isinstance(asked, bytes)
        answers = [decode_search_answer(pb.SearchReply.FromString(reply)) for reply in (asked, not_asked)]
        assert answers[0].grouping or answers[0].trace or answers[0].errors
        if not call.trace_level:  # a trace holds the call's milliseconds
            assert asked == not_asked


@pytest.mark.parametrize("hits", [10, MAX_PACKED_HITS, MAX_PACKED_HITS + 1])
def test_the_containers_client_asks_for_packed_replies_and_reads_them_as_over_grpc(service, hits):  # noqa: F811
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    pb_grpc.add_ContentNodeServicer_to_server(service, server)
    port = server.add_insecure_port("127.0.0.1:0")
    wire = WireServer(service.search_frame, futures.ThreadPoolExecutor(max_workers=4), "127.0.0.1", 0, workers=4)
    service.search_port = wire.port
    server.start()
    call = SearchCall(schema="doc", rank_profile="both", query=QUERIES[0][1], hits=hits, timeout_ms=10000,
                      with_summaries=True, summary_class="default")

    async def over_the_transport():
        client = GrpcContentNodeClient(NodeAddress(0, 0, f"127.0.0.1:{port}"))
        await client.ping(5)
        try:
            return await client.search(call, 5)
        finally:
            await client.close()
    try:
        answer = asyncio.run(over_the_transport())
    finally:
        service.search_port = 0
        wire.close()
        server.stop(None)
    # a larger window comes as a SearchReply: its merge decodes only the hits it keeps (packed_reply.py)
    form = PackedDocsum if hits <= MAX_PACKED_HITS else EncodedDocsum
    assert len(answer.docsums) == hits and all(isinstance(d, form) for d in answer.docsums)
    assert read(answer) == read(decode_search_answer(service.Search(encode_search_call(call), None)))


def test_grpc_search_ignores_packed_reply(service):  # noqa: F811
    call = SearchCall(schema="doc", rank_profile="both", query=QUERIES[0][1], hits=5, timeout_ms=10000,
                      with_summaries=True, summary_class="default")
    asked = pb.SearchRequest.FromString(encode_search_call(call).SerializeToString() + _ASK_PACKED)
    assert asked.packed_reply
    reply = service.Search(asked, None)
    assert isinstance(reply, pb.SearchReply) and len(reply.hits) == 5 and len(reply.docsums) == 5
