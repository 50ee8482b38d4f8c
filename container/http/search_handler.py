"""GET/POST /search/: parameters → Query → ClusterSearcher → Vespa JSON.

`answer` works on the request's method, query string and body, so the lean front
(container/http/search_front.py) and the Starlette route share it."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from container.metrics import SearchOutcome
from container.http.admission import SearchAdmission, arrival_time
from container.http.rendering import error_result, http_status, render_json, render_result_json
from container.http.request_body import BodyError, parse_json_body
from container.search.cluster_searcher import ClusterSearcher
from container.search.query import build_query_in_time
from container.search import request_parameters as rp
from container.search.request_parameters import flatten_json_body
from searchlib.errors import ErrorCode, SearchlibError, shorten_quotes
from searchlib.wire.search_codec import NodeError

log = logging.getLogger("container.search")
MEDIA_TYPE = "application/json"


@dataclass(frozen=True, slots=True)
class SearchAnswer:
    status: int
    body: bytes  # the rendered JSON
    outcome: SearchOutcome | None = None  # for the metrics; None when no search ran


class SearchHandler:
    def __init__(self, searcher: ClusterSearcher) -> None:
        self._searcher = searcher
        self._source = searcher.application.content.id
        limits = searcher.application.limits
        self.admission = SearchAdmission(limits.max_concurrent_searches, limits.search_queue_timeout)

    async def handle(self, request: Request) -> Response:
        """The Starlette route (the lean front answers /search/ before it is reached in the server)."""
        body = await request.body() if request.method == "POST" else b""
        answer = await self.answer(request.method, request.scope.get("query_string", b""), body,
                                   arrival_time(request))
        if answer.outcome is not None:
            request.state.search_outcome = answer.outcome
        return Response(answer.body, answer.status, media_type=MEDIA_TYPE)

    async def answer(self, method: str, query_string: bytes, body: bytes, started: float) -> SearchAnswer:
        """`started`: when the request arrived; queueing and parsing count against its timeout."""
        try:
            # as Starlette's QueryParams: latin-1, blank values kept, the last of a repeated name
            raw = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
            if method == "POST":
                raw.update(await self._json_body(body))
        except SearchlibError as error:
            return self._error(error.code, error.message)
        timeout = _requested_timeout(raw)
        refused = await self.admission.enter(started + timeout)
        if refused is not None:
            return self._error(refused, self.admission.refusal(refused, timeout))
        try:
            return await self._search(raw, started)
        finally:
            self.admission.leave()

    async def _search(self, raw: dict[str, str], started: float) -> SearchAnswer:
        try:
            query = await build_query_in_time(raw, self._searcher.application, started)
            result = await self._searcher.search(query)
        except SearchlibError as error:
            return self._error(error.code, error.message)
        except Exception:  # noqa: BLE001 - a bug: logged here, and the client gets no server text
            log.exception("search failed")
            return self._error(ErrorCode.INTERNAL_SERVER_ERROR, "Internal server error: see the container log")
        outcome = SearchOutcome(query.profile, len(result.hits), result.total_count,
                                degraded=result.coverage is not None and not result.coverage.full,
                                failed=bool(result.errors) and not result.hits)
        body = render_result_json(result, self._source, timing=query.timing, select=query.yql.select_fields,
                                  tensor_form=query.tensor_form)
        return SearchAnswer(http_status(bool(result.hits), result.errors), body, outcome)

    def _error(self, code: ErrorCode, message: str) -> SearchAnswer:
        problem = NodeError(int(code), shorten_quotes(message), self._source)
        return SearchAnswer(code.http_status, render_json(error_result([problem])))

    async def _json_body(self, data: bytes) -> dict[str, str]:
        if not data.strip():
            return {}
        try:
            body = await parse_json_body(data, self._searcher.application.limits.json_depth,
                                         "the JSON request body")
        except BodyError as error:
            raise _BadRequest(error.message) from None
        if not isinstance(body, dict):
            raise _BadRequest("The JSON request body must be an object")
        return flatten_json_body(body)


class _BadRequest(SearchlibError):
    code = ErrorCode.BAD_REQUEST


def _requested_timeout(raw: dict[str, str]) -> float:
    """The request's `timeout` parameter, for how long it may wait for a search slot; a bad value
    is reported by the query's parsing once admitted."""
    try:
        return rp.read_timeout_seconds(rp.canonical_parameters(raw))
    except SearchlibError:
        return rp.read_timeout_seconds({})
