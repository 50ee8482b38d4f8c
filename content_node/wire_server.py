"""The node's side of the lean Search transport (searchlib/wire/frames.py): a listening socket
beside the gRPC port, one reader thread per connection, each request run by the gRPC server's own
thread pool (never all of its workers: gRPC keeps GRPC_RESERVE) through the same servicer method,
its reply written back without blocking that worker (_Output). One connection holds at most
MAX_IN_FLIGHT calls and MAX_BACKLOG_BYTES of unread replies: a peer that does not read stalls only
itself, and is cut off after SEND_SECONDS. gRPC's Python server spends ~0.4 ms of CPU a unary call in its polling thread and hand-offs; this
path is one recv and one send a call (BENCHMARKS.md, "A lean transport for Search").

A request sees its remaining time through `time_remaining()`, as the servicer reads a gRPC
deadline, and a CANCEL frame makes that zero (a call not yet started returns at once, as a gRPC
call whose caller gave up). A connection that breaks the framing, or whose request does not
decode, is closed; the server itself never stops for a peer's bytes, and if it cannot accept any
more it stops listening, so containers fall back to gRPC."""
from __future__ import annotations

import errno
import logging
import select
import socket
import ssl
import threading
import time
from collections import deque
from functools import partial
from concurrent.futures import Executor
from typing import Callable

from searchlib.wire.frames import (CANCEL, ERROR, MAGIC, MAX_FRAME_BYTES, PACKED, REPLY, REQUEST, FrameError,
                                  FrameReader, Packed, encode_frame)

log = logging.getLogger("content_node.wire")

GREETING_SECONDS = 10.0  # to finish the TLS handshake and send MAGIC
GRPC_RESERVE = 2  # of the shared pool's workers, never taken by the transport's calls
# a connection's calls not yet answered, and its replies' bytes its peer has not yet read, beyond
# which its requests wait unread (so a peer that does not read holds only its own connection)
MAX_IN_FLIGHT, MAX_BACKLOG_BYTES = 64, 8 << 20
SEND_SECONDS = 30.0  # a peer that reads nothing of its replies this long is cut off
MAX_CONNECTIONS = 256  # a container holds one a node; each holds a thread
_SCARCE = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


class WireCall:
    """What the servicer reads of a call (the subset of grpc.ServicerContext it uses)."""
    __slots__ = ("deadline", "cancelled")

    def __init__(self, millis: int) -> None:
        self.deadline = time.monotonic() + millis / 1000.0 if millis else None
        self.cancelled = False

    def time_remaining(self) -> float | None:
        if self.cancelled:
            return 0.0
        return None if self.deadline is None else self.deadline - time.monotonic()


Handler = Callable[[bytes, WireCall], "bytes | Packed"]


class WireServer:
    def __init__(self, handle: Handler, pool: Executor, host: str, port: int,
                 tls: ssl.SSLContext | None = None, workers: int = 8) -> None:
        """`workers`: the threads of `pool`; the transport's calls run on at most all but
        GRPC_RESERVE of them at once, so gRPC (Ping, feed, Search) always finds a free one."""
        self._handle, self._pool, self._tls = handle, pool, tls
        self._limit = max(1, workers - GRPC_RESERVE)
        self._queue: deque[Callable[[], None]] = deque()  # calls waiting for one of those workers
        self._active = 0  # workers running the transport's calls
        self._listener = _listen(host, port)
        self.port = self._listener.getsockname()[1]
        self._connections: set[socket.socket] = set()
        self._lock = threading.Condition()
        self._closed = False
        self._running = 0  # calls handed to the pool and not yet answered
        threading.Thread(target=self._accept, name="wire-accept", daemon=True).start()

    def _accept(self) -> None:
        """Accepts until closed. A failure of one connection (reset before accept, a thread that
        cannot start) costs only that connection; when accepting itself cannot go on, the listener
        is closed, so containers' connects are refused and their Search falls back to gRPC
        instead of waiting on a port nobody serves."""
        try:
            while True:
                try:
                    sock, _ = self._listener.accept()
                except (ConnectionAbortedError, InterruptedError):
                    continue
                except OSError as error:
                    if self._closed:
                        return
                    if error.errno not in _SCARCE:
                        raise
                    log.warning("wire transport cannot accept now: %s", error)
                    time.sleep(0.1)  # descriptors or memory run out: others may close theirs
                    continue
                self._admit(sock)
        except Exception:  # noqa: BLE001 - logged; the listener is closed below
            log.exception("wire transport stops accepting; Search goes over gRPC")
        finally:
            self._listener.close()

    def _admit(self, sock: socket.socket) -> None:
        try:
            with self._lock:
                crowded = len(self._connections) >= MAX_CONNECTIONS
                if not crowded:
                    self._connections.add(sock)
            if crowded:  # each connection holds a thread: their number is bounded
                raise ConnectionError(f"over {MAX_CONNECTIONS} connections")
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)  # a peer gone silently ends too
            threading.Thread(target=self._serve, args=(sock,), name="wire-conn", daemon=True).start()
        except (OSError, RuntimeError) as error:  # RuntimeError: "can't start new thread"
            log.warning("wire connection refused: %s", error)
            with self._lock:
                self._connections.discard(sock)
            sock.close()

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self._closed:
                raise OSError("server closed")
            # the handshake and greeting in this thread, within a bound: a slow or silent peer
            # holds only itself, and not for long
            sock.settimeout(GREETING_SECONDS)
            stream = sock if self._tls is None else _TlsStream(sock, self._tls)
            _Connection(sock, stream, self._handle, self._submit, self._count).run()
        except (OSError, ssl.SSLError) as error:
            log.debug("wire connection closed: %s", error)
        finally:
            with self._lock:
                self._connections.discard(sock)
            sock.close()

    def _submit(self, job: Callable[[], None]) -> None:
        """Run `job` on the pool, or after the running ones if the transport has its share of it
        (RuntimeError: the pool is shut, the node is stopping)."""
        with self._lock:
            if self._active >= self._limit:
                self._queue.append(job)
                return
            self._active += 1
        try:
            self._pool.submit(self._drain, job)
        except RuntimeError:
            with self._lock:
                self._active -= 1
            raise

    def _drain(self, job: Callable[[], None] | None) -> None:
        while job is not None:  # a worker runs the waiting calls in turn: no hand-off between them
            job()
            with self._lock:
                if self._queue:
                    job = self._queue.popleft()
                else:
                    self._active -= 1
                    job = None

    def _count(self, change: int) -> None:
        with self._lock:
            self._running += change
            if not self._running:
                self._lock.notify_all()

    def close(self, grace: float = 0.0) -> None:
        """Stop listening; calls already running get `grace` seconds to answer (as gRPC's stop
        grace), then every connection is shut."""
        self._closed = True
        try:  # wakes the accept thread and stops listening (close alone leaves a blocked accept's socket open)
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            self._lock.wait_for(lambda: not self._running, timeout=grace)
            connections = list(self._connections)
        for sock in connections:  # their callers see the connection lost: the node is unavailable
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket for `host` as gRPC reads it (`[::]`, `::`, `0.0.0.0`, a name): the first
    address it resolves to, an IPv6 wildcard taking IPv4 too where the system can."""
    host = host.strip("[]")
    family, *_ = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    dualstack = family == socket.AF_INET6 and host in ("", "::") and socket.has_dualstack_ipv6()
    return socket.create_server((host, port), family=family, dualstack_ipv6=dualstack)


class _TlsStream:
    """TLS over the socket through memory BIOs, so the reader thread and the threads writing replies
    never run inside one OpenSSL object at the same time (an SSLSocket would let them: its read and
    write release the GIL and share no lock). Reading the socket itself takes no lock."""

    def __init__(self, sock: socket.socket, context: ssl.SSLContext) -> None:
        self._sock, self._incoming, self._outgoing = sock, ssl.MemoryBIO(), ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_side=True)
        self._lock = threading.Lock()
        self.send = sock.sendall  # the connection's _Output once it serves calls
        while True:
            try:
                self._tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                if not self._receive():  # the peer closed mid-handshake (a TCP probe, a port scan)
                    raise ConnectionError("closed during the TLS handshake")
        self._flush()

    def _flush(self) -> None:
        if data := self._outgoing.read():
            self.send(data)

    def _receive(self) -> bool:
        data = self._sock.recv(1 << 16)
        if data:
            with self._lock:
                self._incoming.write(data)
        return bool(data)

    def recv(self, size: int) -> bytes:
        while True:
            with self._lock:
                try:
                    return self._tls.read(size)
                except ssl.SSLWantReadError:
                    pass
                except ssl.SSLZeroReturnError:
                    return b""
                finally:
                    self._flush()  # what reading made TLS send (a key update's answer)
            if not self._receive():
                return b""

    def sendall(self, data: bytes) -> None:
        with self._lock:
            self._tls.write(data)
            self._flush()


class _Output:
    """A connection's bytes onto its socket without ever blocking the thread writing them: what the
    socket does not take at once waits in a backlog that a writer thread sends as the peer reads;
    a peer that reads nothing for SEND_SECONDS has its connection shut."""

    def __init__(self, sock: socket.socket, changed: Callable[[], None]) -> None:
        self._sock, self._changed = sock, changed
        self._lock = threading.Lock()
        self._backlog: deque[memoryview] = deque()
        self.backlog_bytes = 0
        self._writing = False  # a writer thread is draining the backlog
        self.shut = False

    def shut_down(self) -> None:
        """Both directions: the peer sees the end, and so does the connection's reader."""
        self.shut = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._changed()

    def write(self, data: bytes) -> None:
        with self._lock:
            if not self._backlog:
                try:
                    sent = self._sock.send(data, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    sent = 0
                if sent == len(data):
                    return
                data = memoryview(data)[sent:]
            self._backlog.append(memoryview(data))
            self.backlog_bytes += len(data)
            if not self._writing:
                threading.Thread(target=self._drain, name="wire-writer", daemon=True).start()
                self._writing = True

    def _drain(self) -> None:
        poller = select.poll()
        poller.register(self._sock, select.POLLOUT)
        try:
            while True:
                if not poller.poll(SEND_SECONDS * 1000):
                    raise TimeoutError(f"the peer read no reply for {SEND_SECONDS:.0f} s")
                with self._lock:
                    head = self._backlog[0]
                    try:
                        sent = self._sock.send(head, socket.MSG_DONTWAIT)
                    except BlockingIOError:
                        sent = 0
                    self.backlog_bytes -= sent
                    if sent == len(head):
                        self._backlog.popleft()
                    else:
                        self._backlog[0] = head[sent:]
                    self._writing = bool(self._backlog)
                self._changed()  # the reader may wait for the backlog to shrink
                if not self._writing:
                    return
        except OSError as error:
            log.warning("wire connection closed: %s", error)
            with self._lock:
                self._backlog.clear()
                self.backlog_bytes, self._writing = 0, False
            self.shut_down()


class _Connection:
    def __init__(self, sock: socket.socket, stream, handle: Handler, submit: Callable[[Callable[[], None]], None],
                 count: Callable[[int], None]) -> None:
        self._sock, self._stream, self._handle, self._submit, self._count = sock, stream, handle, submit, count
        self._calls: dict[int, WireCall] = {}
        self._gate = threading.Condition()  # the reader waits here while the connection is full
        self._pending = 0  # calls read and not yet answered
        self._waiting = False
        self._output = _Output(sock, self._changed)
        if stream is not sock:  # TLS: what it writes goes out the same way
            stream.send = self._output.write
        self._write = stream.sendall if stream is not sock else self._output.write

    def run(self) -> None:
        sock, reader = self._stream, FrameReader()
        greeting = b""
        while len(greeting) < len(MAGIC):
            chunk = sock.recv(len(MAGIC) - len(greeting))
            if not chunk:
                return
            greeting += chunk
        if greeting != MAGIC:
            log.warning("wire connection closed: not a phasedsearch wire client")
            return
        self._sock.settimeout(None)  # greeted: a client's connection may be idle as long as it likes
        try:
            while data := sock.recv(1 << 16):
                for frame in reader.feed(data):
                    if frame.kind == REQUEST:
                        if not self._room():
                            return
                        call = self._calls[frame.call_id] = WireCall(frame.millis)
                        self._count(1)
                        try:
                            self._submit(partial(self._answer, frame.call_id, frame.payload, call))
                        except RuntimeError:  # the pool is shut: the node is stopping
                            self._count(-1)
                            return
                    elif frame.kind == CANCEL:
                        call = self._calls.get(frame.call_id)
                        if call is not None:
                            call.cancelled = True
                    else:
                        raise FrameError(f"a client sent frame kind {frame.kind}")
        except FrameError as error:
            log.warning("wire connection closed: %s", error)

    def _room(self) -> bool:
        """Waits while the connection is full (its requests then wait unread, in the socket);
        False once it is shut."""
        output = self._output
        with self._gate:
            self._pending += 1
            if self._pending <= MAX_IN_FLIGHT and output.backlog_bytes <= MAX_BACKLOG_BYTES:
                return True
            self._waiting = True
            try:
                while self._pending > MAX_IN_FLIGHT or output.backlog_bytes > MAX_BACKLOG_BYTES:
                    if output.shut:
                        return False
                    self._gate.wait(1.0)
            finally:
                self._waiting = False
            return True

    def _changed(self) -> None:
        if self._waiting:
            with self._gate:
                self._gate.notify()

    def _answer(self, call_id: int, payload: bytes, call: WireCall) -> None:
        try:
            self._reply(call_id, payload, call)
        finally:
            self._count(-1)
            with self._gate:
                self._pending -= 1
                if self._waiting:
                    self._gate.notify()

    def _reply(self, call_id: int, payload: bytes, call: WireCall) -> None:
        try:
            reply = self._handle(payload, call)
        except Exception as error:  # noqa: BLE001 - a request that does not decode: a broken peer
            log.warning("wire connection closed: request %d failed: %s", call_id, error)
            self._output.shut_down()
            return
        finally:
            self._calls.pop(call_id, None)
        kind, reply = (PACKED, reply.payload) if isinstance(reply, Packed) else (REPLY, reply)
        if len(reply) > MAX_FRAME_BYTES:  # fails this call alone, as gRPC's send limit does
            log.warning("wire call %d: a reply of %d bytes is over the limit", call_id, len(reply))
            frame = encode_frame(ERROR, call_id, f"RESOURCE_EXHAUSTED\nreply of {len(reply)} bytes is over the limit "
                                                 f"of {MAX_FRAME_BYTES}".encode())
        else:
            frame = encode_frame(kind, call_id, reply)
        try:
            self._write(frame)
        except (OSError, RuntimeError):  # the caller is gone (its reader thread sees the end), no writer
            self._output.shut_down()
