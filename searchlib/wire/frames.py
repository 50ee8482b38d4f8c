"""Length-prefixed frames for the lean Search transport between the container and a content node:
one TCP (or TLS) connection carries many calls, each frame tagged with its call's id. A frame is a
fixed header, then `length` payload bytes (a SearchRequest or SearchReply as protobuf writes it, or
a PACKED reply: packed_reply.py).

    header: length u32 | call id u32 | kind u8 | milliseconds u32   (network order, 13 bytes)

A request carries the milliseconds its caller still waits (0: no deadline), as a gRPC deadline
does; CANCEL tells the node its caller gave up; ERROR fails that one call, its payload a gRPC status
code's name, a newline and a message (a reply over the size limit: RESOURCE_EXHAUSTED, as gRPC). The reader is incremental (frames split or joined
by the socket in any way) and refuses, by raising FrameError, a frame over the size limit or of an
unknown kind: a connection sending one is closed, never trusted to resynchronize."""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import NamedTuple

HEADER = struct.Struct("!IIBI")
MAX_FRAME_BYTES = 256 * 1024 * 1024  # as the gRPC channels' message limit
REQUEST, REPLY, CANCEL, ERROR = 1, 2, 3, 4
# a reply packed by searchlib/wire/packed_reply.py, sent only for a request that asked for one
# (SearchRequest.packed_reply), so a container that never asks never sees the kind
PACKED = 5
KINDS = frozenset((REQUEST, REPLY, CANCEL, ERROR, PACKED))
# the first bytes a client sends on a new connection: a peer that is not this transport (or a later
# version of it) is told apart before any frame is read
MAGIC = b"PSW1"


class FrameError(ValueError):
    """The peer broke the framing: the connection must be closed."""


class Packed(NamedTuple):
    """A handler's reply (or a call's result) that travels as a PACKED frame."""
    payload: bytes


@dataclass(frozen=True, slots=True)
class Frame:
    kind: int
    call_id: int
    millis: int
    payload: bytes


def encode_frame(kind: int, call_id: int, payload: bytes = b"", millis: int = 0) -> bytes:
    return HEADER.pack(len(payload), call_id & 0xFFFFFFFF, kind, min(max(millis, 0), 0xFFFFFFFF)) + payload


class FrameReader:
    """Bytes in as they arrive, whole frames out."""

    def __init__(self, max_bytes: int = MAX_FRAME_BYTES) -> None:
        self._buffer = bytearray()
        self._max = max_bytes

    def feed(self, data: bytes) -> list[Frame]:
        buffer = self._buffer
        buffer += data
        frames, start, size = [], 0, len(buffer)
        while size - start >= HEADER.size:
            length, call_id, kind, millis = HEADER.unpack_from(buffer, start)
            if kind not in KINDS:
                raise FrameError(f"unknown frame kind {kind}")
            if length > self._max:
                raise FrameError(f"frame of {length} bytes is over the limit of {self._max}")
            end = start + HEADER.size + length
            if end > size:
                break
            frames.append(Frame(kind, call_id, millis, bytes(buffer[start + HEADER.size:end])))
            start = end
        if start:
            del buffer[:start]
        return frames
