"""A search call that waited in the node's thread pool past the caller's gRPC deadline is not run
(the container has stopped waiting for it): its answer is empty, with coverage degraded by timeout.
One with time left runs, with a soft budget of what is left rather than the whole timeout."""
from __future__ import annotations

import json
from pathlib import Path

from content_node.node import ContentNode
from content_node.service import ContentNodeService
from protos import content_node_pb2 as pb
from searchlib.coverage import DEGRADED_TIMEOUT
from searchlib.query.tree import TrueItem
from searchlib.wire.search_codec import SearchCall, decode_search_answer, encode_search_call

APP = Path(__file__).resolve().parents[2] / "schemas"


class Context:
    def __init__(self, left: float) -> None:
        self.left = left

    def time_remaining(self) -> float:
        return self.left


def test_a_call_past_its_deadline_is_answered_without_searching(tmp_path):
    node = ContentNode(APP, tmp_path, 0)
    node.sync.start([], wait=True)
    service = ContentNodeService(node)
    for n in range(3):
        assert service.Put(pb.PutRequest(document_id=f"id:test:doc::{n}",
                                          fields_json=json.dumps({"title": f"t{n}"})), None).ok
    request = encode_search_call(SearchCall(schema="doc", rank_profile="default", query=TrueItem(), hits=10,
                                            timeout_ms=500))
    late = decode_search_answer(service.Search(request, Context(-0.01)))
    assert late.hits == () and late.total_hits == 0 and not late.errors
    assert late.coverage.docs == 0 and late.coverage.active == 3
    assert late.coverage.degraded_reason & DEGRADED_TIMEOUT
    in_time = decode_search_answer(service.Search(request, Context(0.4)))
    assert len(in_time.hits) == 3 and in_time.coverage.docs == 3 and not in_time.coverage.degraded_reason
    without_deadline = decode_search_answer(service.Search(request, None))  # in-process callers
    assert len(without_deadline.hits) == 3
    node.close()
