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
