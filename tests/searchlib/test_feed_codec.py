"""Feed replies survive the wire both ways (the content node encodes, the container decodes)."""
from protos import content_node_pb2 as pb
from searchlib.wire import feed_codec
from searchlib.wire.feed_codec import FeedResult, StoredVersion, decode_feed_reply, encode_feed_reply


def test_acknowledged_write_round_trips():
    result = FeedResult(ok=True, found=False, sequence=42)
    assert decode_feed_reply(encode_feed_reply(result)) == result


def test_failed_write_keeps_code_message_and_source():
    reply = encode_feed_reply(FeedResult(ok=False, error_code=4, message="Field 'x' unknown"), "node 1")
    assert reply.error.source == "node 1"
    assert decode_feed_reply(reply) == FeedResult(ok=False, found=False, error_code=4,
                                                  message="Field 'x' unknown")


def test_fields_json_reads_back_as_json_dumps_writes_it():
    import json
    import math

    from searchlib.exact_json import dumps as json_text  # what the feed codec writes with
    from searchlib.wire.feed_codec import put_request
    values = [{"title": "é\u2028 \"quoted\"", "n": 2**63 - 1, "v": [0.1, 1e-05, 1e16, -0.0, 5e-324], "b": True},
              {"nan": float("nan"), "inf": [float("inf"), 1.0]}, {"big": 2**70}, {"none": None, "t": "null"},
              {1: "non-string key"}, {"lone": "\ud800"}, {"nested": {"a": [{"b": []}]}}]
    for value in values:
        text = json_text(value)
        assert repr(json.loads(text)) == repr(json.loads(json.dumps(value, ensure_ascii=False))), value
    assert math.isnan(json.loads(json_text({"x": float("nan")}))["x"])  # not null
    assert json.loads(put_request("id:ns:doc::1", {"v": [0.5, 2.0]}).fields_json) == {"v": [0.5, 2.0]}


def test_a_get_reply_carries_the_version_and_orders_as_the_replica_merge() -> None:
    reply = pb.GetReply.FromString(pb.GetReply(found=True, fields_json='{"a": 1}', timestamp=7, origin=3)
                                   .SerializeToString())
    assert feed_codec.decode_get_reply(reply) == StoredVersion({"a": 1}, 7, False, 3)
    tombstone = feed_codec.decode_get_reply(pb.GetReply(found=False, timestamp=8, removed=True))
    assert tombstone == StoredVersion(None, 8, True)
    versions = [StoredVersion({"v": "put"}, 7), tombstone, StoredVersion({"v": "update on newer"}, 8, origin=5)]
    assert max(versions, key=lambda v: v.order).fields == {"v": "update on newer"}  # equal timestamp: origin
    assert max(versions[:2], key=lambda v: v.order).fields is None  # a newer remove wins
    assert max([StoredVersion(None), StoredVersion({"old": True})], key=lambda v: v.order).fields == {"old": True}
