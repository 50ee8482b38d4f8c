"""The lean HTTP/1.1 path of a bodiless GET /search/: the connection protocol hands the request
straight to the search front (container/http/search_front.py) and writes its answer, head and body,
in one send.

uvicorn's httptools protocol serves a request through a RequestResponseCycle (an asyncio.Event, the
ASGI send that validates and writes the head, then writes the body: two sends, the client often
woken by the head alone) and the ASGI stack in front of the search front (uvicorn's proxy-headers
middleware, Starlette's __call__). The front itself is called unchanged, so authentication, the
query metrics, admission, deadlines and error answers are its own, from their one definition; the
connection guards (container/http/server.py), keep-alive, its timeout, `Connection: close`,
pipelining and shutdown are uvicorn's, whose per-request flags the lean cycle carries.

Everything else takes uvicorn's path: other paths and methods, a request with a body (or that says
it has one), HTTP/1.0, `Expect`, an upgrade, a percent-escaped path, a request pipelined behind one
still being answered, and every request before the app's stack is built.
"""
from __future__ import annotations

import logging
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE

from container.http.search_front import SearchFront, has_body
from container.http.server import GuardedHttpToolsProtocol
from searchlib.schema.model import ContainerLimits

log = logging.getLogger("uvicorn.error")  # where uvicorn reports an exception an app let escape

_RAW_PATHS = frozenset({b"/search/", b"/search"})
_DISCONNECT = {"type": "http.disconnect"}
# uvicorn's answer to an exception that escaped the app before it started its response
_SERVER_ERROR = (b"content-type: text/plain; charset=utf-8\r\ncontent-length: 21\r\nconnection: close\r\n\r\n"
                 b"Internal Server Error")


class _LeanCycle:
    """The flags of a request in progress that uvicorn's protocol reads and sets (those of its
    RequestResponseCycle): a disconnect, `shutdown` turning keep-alive off, pipelining waiting for
    `response_complete`."""

    __slots__ = ("keep_alive", "response_complete", "disconnected", "more_body", "body")

    def __init__(self, keep_alive: bool) -> None:
        self.keep_alive = keep_alive
        self.response_complete = False
        self.disconnected = False
        self.more_body = True
        self.body = b""

    @property
    def message_event(self) -> _LeanCycle:
        return self  # nothing waits for the request's body: setting the event is a no-op

    def set(self) -> None:
        pass


class SearchHttpProtocol(GuardedHttpToolsProtocol):
    container_app: Any = None  # the container's Starlette app; its middleware_stack is the search front

    def on_headers_complete(self) -> None:
        front = self._lean_front()
        if front is None:
            super().on_headers_complete()
            return
        self._head_complete()
        scope = self.scope
        scope["method"] = "GET"
        scope["raw_path"] = self._path
        scope["path"] = self._path.decode("ascii")
        scope["query_string"] = self._query
        cycle = self.cycle = _LeanCycle(self.parser.should_keep_alive())
        task = self.loop.create_task(self._answer(front, scope, cycle))
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)

    def _lean_front(self) -> SearchFront | None:
        """The search front when this request may take the lean path (see the module's doc)."""
        front = getattr(self.container_app, "middleware_stack", None)
        parser = self.parser
        if (not isinstance(front, SearchFront) or (self.cycle is not None and not self.cycle.response_complete)
                or parser.get_method() != b"GET" or parser.get_http_version() != "1.1" or parser.should_upgrade()
                or self.expect_100_continue or self.root_path or self.limit_concurrency is not None
                or self.config.reset_contextvars or self.access_log):
            return None
        url = httptools.parse_url(self.url)  # as uvicorn reads it (absolute form, fragments)
        if url.path not in _RAW_PATHS or has_body(self.scope) or any(name == b"expect" for name, _ in self.headers):
            return None
        self._path, self._query = url.path, url.query or b""
        return front

    async def _answer(self, front: SearchFront, scope: dict, cycle: _LeanCycle) -> None:
        head: list[bytes] = []

        async def receive() -> dict:
            return _DISCONNECT  # a bodiless GET: the front never reads a body

        async def send(message: dict) -> None:
            if not head:  # http.response.start: held for the body
                head.append(self._head(message, cycle))
                return
            if cycle.response_complete or message.get("more_body", False):
                raise RuntimeError("the search front sends one body")
            if self.flow.write_paused and not cycle.disconnected:
                await self.flow.drain()
            if cycle.disconnected:
                return
            self.transport.write(head[0] + message.get("body", b""))
            self._complete(cycle)

        try:
            await front(scope, receive, send)
        except BaseException as error:  # as uvicorn's run_asgi: logged, a 500 if nothing was sent
            log.error("Exception in ASGI application\n", exc_info=error)
            self._fail(cycle, bool(head))
        else:
            if not cycle.response_complete and not cycle.disconnected:
                log.error("ASGI callable returned without completing response.")
                self._fail(cycle, bool(head))

    def _fail(self, cycle: _LeanCycle, started: bool) -> None:
        if started or cycle.disconnected:
            self.transport.close()
            return
        cycle.keep_alive = False
        self.transport.write(STATUS_LINE[500] + self._default_headers() + _SERVER_ERROR)
        self._complete(cycle)

    def _head(self, message: dict, cycle: _LeanCycle) -> bytes:
        """The status line and headers as uvicorn writes them: its default headers (date, server)
        first, `connection: close` when the connection closes after this answer."""
        lines = [STATUS_LINE[message["status"]], self._default_headers()]
        length = close = False
        for name, value in message.get("headers", ()):
            name = name.lower()
            length = length or name == b"content-length"
            if name == b"connection" and b"close" in [t.strip().lower() for t in value.split(b",")]:
                cycle.keep_alive, close = False, True
            lines += (name, b": ", value, b"\r\n")
        if not length:
            raise RuntimeError("the search front's answers carry a Content-Length")
        if not cycle.keep_alive and not close:
            lines.append(b"connection: close\r\n")
        lines.append(b"\r\n")
        return b"".join(lines)

    def _default_headers(self) -> bytes:
        return b"".join(b"%s: %s\r\n" % pair for pair in self.server_state.default_headers)

    def _complete(self, cycle: _LeanCycle) -> None:
        cycle.response_complete = True
        if not cycle.keep_alive:
            self.transport.close()
        self.on_response_complete()  # keep-alive timer, the next pipelined request


def search_protocol_for(limits: ContainerLimits, app: Any) -> type[SearchHttpProtocol]:
    return type("SearchHttpProtocol", (SearchHttpProtocol,), {"limits": limits, "container_app": app})
