"""The lean Search transport's framing (searchlib/wire/frames.py): frames come out whole however
the socket splits or joins the bytes, and a frame over the limit or of an unknown kind is refused
before its payload is waited for."""
from __future__ import annotations

import pytest

from searchlib.wire.frames import CANCEL, HEADER, REPLY, REQUEST, Frame, FrameError, FrameReader, encode_frame

FRAMES = [Frame(REQUEST, 1, 500, b"search me" * 50), Frame(CANCEL, 1, 0, b""),
          Frame(REPLY, 0xFFFFFFFF, 0, bytes(range(256)) * 3), Frame(REQUEST, 7, 0, b"")]
STREAM = b"".join(encode_frame(f.kind, f.call_id, f.payload, f.millis) for f in FRAMES)


def test_frames_come_out_whole_at_every_split_of_the_stream():
    for cut in range(len(STREAM) + 1):
        reader = FrameReader()
        assert reader.feed(STREAM[:cut]) + reader.feed(STREAM[cut:]) == FRAMES


def test_a_stream_fed_byte_by_byte_gives_each_frame_once_it_is_complete():
    reader, seen = FrameReader(), []
    for index in range(len(STREAM)):
        got = reader.feed(STREAM[index:index + 1])
        if got:
            assert len(seen) + len(got) <= len(FRAMES)
        seen += got
    assert seen == FRAMES


def test_a_frame_over_the_limit_is_refused_from_its_header_alone():
    reader = FrameReader(max_bytes=1000)
    with pytest.raises(FrameError, match="over the limit"):
        reader.feed(HEADER.pack(1001, 1, REQUEST, 0))  # no payload sent: refused without waiting for it
    assert FrameReader(max_bytes=1000).feed(encode_frame(REQUEST, 1, b"x" * 1000))[0].payload == b"x" * 1000


@pytest.mark.parametrize("garbage", [b"\x00" * 13, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", bytes(range(40))])
def test_garbage_is_a_frame_error_never_another_exception(garbage):
    with pytest.raises(FrameError):
        FrameReader().feed(garbage)


def test_millis_are_clamped_to_the_header_field():
    frame = FrameReader().feed(encode_frame(REQUEST, 2**32 + 5, b"", millis=2**40))[0]
    assert (frame.call_id, frame.millis) == (5, 0xFFFFFFFF)
    assert FrameReader().feed(encode_frame(REQUEST, 1, b"", millis=-3))[0].millis == 0
