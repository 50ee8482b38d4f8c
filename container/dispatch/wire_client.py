"""The container's side of the lean Search transport (searchlib/wire/frames.py): one connection a
node, an asyncio Protocol that resolves each call's future by its id. A call that runs out of time
or is cancelled sends CANCEL so the node does not start it late; a lost connection fails every
call waiting on it. Failures are raised as `WireFailure` with the gRPC status code the same event
has on a channel, so one rule (content_client.py) maps both transports to NodeTimeout and
NodeUnavailable."""
from __future__ import annotations

import asyncio
import itertools
import math
import ssl
from typing import Any, Coroutine, NamedTuple

import grpc

from searchlib.wire.frames import (CANCEL, ERROR, MAGIC, PACKED, REPLY, REQUEST, FrameError, FrameReader, Packed,
                                  encode_frame)


class WireFailure(Exception):
    def __init__(self, code: grpc.StatusCode, detail: str = "") -> None:
        super().__init__(detail or code.name)
        self.code = code


def _expire(future: asyncio.Future) -> None:
    if not future.done():
        future.set_exception(WireFailure(grpc.StatusCode.DEADLINE_EXCEEDED))


def _error(payload: bytes) -> WireFailure:
    name, _, message = payload.decode("utf-8", "replace").partition("\n")
    return WireFailure(getattr(grpc.StatusCode, name, grpc.StatusCode.UNKNOWN), message)


class Sent(NamedTuple):
    call_id: int
    future: asyncio.Future
    timer: asyncio.TimerHandle | None  # None: not sent (the connection was lost)


class WireConnection(asyncio.Protocol):
    def __init__(self) -> None:
        self._reader = FrameReader()
        self._waiting: dict[int, asyncio.Future] = {}
        self._ids = itertools.count(1)
        self._transport: asyncio.Transport | None = None
        self.lost = False

    def connection_made(self, transport) -> None:
        self._transport = transport
        transport.write(MAGIC)

    def data_received(self, data: bytes) -> None:
        try:
            frames = self._reader.feed(data)
        except FrameError:
            self._transport.abort()  # connection_lost fails the waiting calls
            return
        waiting = self._waiting
        for frame in frames:
            if frame.kind not in (REPLY, PACKED, ERROR):  # a node sends only these
                self._transport.abort()
                return
            future = waiting.pop(frame.call_id, None)
            if future is None or future.done():
                continue
            if frame.kind == REPLY:
                future.set_result(frame.payload)
            elif frame.kind == PACKED:  # only for a request that asked for it (packed_reply.py)
                future.set_result(Packed(frame.payload))
            else:
                future.set_exception(_error(frame.payload))

    def connection_lost(self, error) -> None:
        self.lost = True
        failure = WireFailure(grpc.StatusCode.UNAVAILABLE, f"connection lost: {error or 'closed by the node'}")
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(failure)
        self._waiting.clear()

    async def call(self, payload: bytes, timeout: float) -> bytes | Packed:
        return await self.reply(self.send(payload, timeout))

    def send(self, payload: bytes, timeout: float) -> Sent:
        """Write the request now (a scatter writes to every node before it awaits any); `reply`
        must then be awaited for it (it raises a lost connection's failure)."""
        loop = asyncio.get_running_loop()
        if self.lost:
            future = loop.create_future()
            future.set_exception(WireFailure(grpc.StatusCode.UNAVAILABLE, "connection lost"))
            return Sent(0, future, None)
        call_id = next(self._ids) & 0xFFFFFFFF
        future = self._waiting[call_id] = loop.create_future()
        self._transport.write(encode_frame(REQUEST, call_id, payload, max(1, math.ceil(timeout * 1000))))
        return Sent(call_id, future, loop.call_later(timeout, _expire, future))

    async def reply(self, sent: Sent) -> bytes | Packed:
        cancel = False
        try:
            return await sent.future
        except (asyncio.CancelledError, WireFailure) as error:
            cancel = not isinstance(error, WireFailure) or error.code == grpc.StatusCode.DEADLINE_EXCEEDED
            raise
        finally:
            self.forget(sent, cancel)

    def forget(self, sent: Sent, cancel: bool = True) -> None:
        """`sent` is answered or given up: its timer and entry go, and (`cancel`) the node is told
        to drop it. Also for a call never awaited (`Started.abandon`)."""
        if cancel and not self.lost and sent.timer is not None:
            self._transport.write(encode_frame(CANCEL, sent.call_id))
        if sent.timer is not None:
            sent.timer.cancel()
        self._waiting.pop(sent.call_id, None)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class Started:
    """A call whose request is written, its reply awaited later (a scatter writes to every node
    before it awaits any): await it once, or `abandon` it. Closing the coroutine instead would leave
    the call's entry and timer until its deadline, and the node running it."""
    __slots__ = ("_reply", "_connection", "_sent")

    def __init__(self, reply: Coroutine[Any, Any, Any], connection: WireConnection, sent: Sent) -> None:
        self._reply, self._connection, self._sent = reply, connection, sent

    def __await__(self):
        return self._reply.__await__()

    @property
    def reply(self) -> Coroutine[Any, Any, Any]:
        """What to run as a task (awaiting `self` in one would add a wrapper a node a query)."""
        return self._reply

    def abandon(self) -> None:
        self._reply.close()
        future = self._sent.future
        if future.done() and not future.cancelled():
            future.exception()  # (retrieved: asyncio would log one never retrieved)
        self._connection.forget(self._sent, cancel=not future.done())


def abandon(search) -> None:
    """Give up an awaitable a scatter started and will not await (the request's own error, or a bug
    raised before it awaited): a written call is cancelled, an unstarted coroutine closed, and
    anything else cancelled as a task."""
    if isinstance(search, Started):
        search.abandon()
    elif asyncio.iscoroutine(search):
        search.close()
    else:
        asyncio.ensure_future(search).cancel()


async def connect(host: str, port: int, tls: ssl.SSLContext | None, server_name: str | None,
                  timeout: float) -> WireConnection:
    """A connected WireConnection, or WireFailure(UNAVAILABLE) (refused, unreachable, handshake)."""
    loop = asyncio.get_running_loop()
    try:
        _, protocol = await asyncio.wait_for(loop.create_connection(
            WireConnection, host, port, ssl=tls, server_hostname=server_name if tls else None), timeout)
    except asyncio.TimeoutError:
        raise WireFailure(grpc.StatusCode.UNAVAILABLE, f"connect to {host}:{port} timed out") from None
    except (OSError, ssl.SSLError) as error:
        raise WireFailure(grpc.StatusCode.UNAVAILABLE, f"connect to {host}:{port}: {error}") from None
    return protocol
