"""Feed replies survive the wire both ways (the content node encodes, the container decodes)."""
from searchlib.wire.feed_codec import FeedResult, decode_feed_reply, encode_feed_reply


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
