"""Content nodes for in-process container tests: every call goes through the real wire codec
(encoded, serialized, parsed back, decoded), so a request the container could not send over
gRPC fails here as it would there. Documents are kept in a dict."""
from __future__ import annotations

from container.dispatch.content_client import NodeAddress
from protos import content_node_pb2 as pb
from searchlib.coverage import Coverage
from searchlib.wire import feed_codec
from searchlib.wire.feed_codec import FeedResult, MergeOutcome, NodeStatus
from searchlib.wire.search_codec import (DocsumCall, SearchAnswer, SearchCall, decode_search_call,
                                         encode_search_call)


class QuietReplica:
    """The replica-upkeep calls a scripted node takes part in without doing anything: catch-up
    (sync) succeeds at once, a merge repairs nothing, closing frees nothing."""

    async def sync(self, peers, timeout: float, resync: bool = False, unreachable=(), sole_copy: bool = False) -> bool:
        return True

    async def merge(self, peers, timeout: float) -> MergeOutcome:
        return MergeOutcome()

    async def close(self) -> None:
        pass


class WireNode(QuietReplica):
    def __init__(self, key: int, group: int = 0) -> None:
        self.node = NodeAddress(key, group, f"scripted:{key}")
        self.documents: dict[str, dict] = {}
        self.searches: list[SearchCall] = []
        self.errors: tuple = ()  # NodeErrors every search answer carries

    async def search(self, call: SearchCall, timeout: float) -> SearchAnswer:
        wire = pb.SearchRequest.FromString(encode_search_call(call).SerializeToString())
        self.searches.append(decode_search_call(wire))
        documents = len(self.documents)
        return SearchAnswer(self.node.distribution_key, (), 0, Coverage(documents, documents, documents, 0, 1),
                            self.errors)

    async def docsums(self, call: DocsumCall, timeout: float):
        return [], []

    async def put(self, document_id: str, fields: dict, timeout: float, condition: str = "",
                  create: bool = False, timestamp: int = 0) -> FeedResult:
        feed_codec.put_request(document_id, fields, condition, create).SerializeToString()
        self.documents[document_id] = fields
        return FeedResult(True)

    async def update(self, document_id: str, operations: dict, create: bool, timeout: float,
                     condition: str = "", timestamp: int = 0) -> FeedResult:
        feed_codec.update_request(document_id, operations, create, condition).SerializeToString()
        return FeedResult(True, document_id in self.documents)

    async def remove(self, document_id: str, timeout: float, condition: str = "",
                     timestamp: int = 0) -> FeedResult:
        return FeedResult(True, self.documents.pop(document_id, None) is not None)

    async def get(self, document_id: str, timeout: float) -> dict | None:
        return self.documents.get(document_id)

    async def ping(self, timeout: float) -> NodeStatus:
        return NodeStatus(self.node.distribution_key, len(self.documents), "", True, 0, "ready")
