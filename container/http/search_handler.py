"""GET/POST /search/: parameters → Query → ClusterSearcher → Vespa JSON."""
from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from container.metrics import SearchOutcome
from container.http.rendering import error_result, http_status, render_result
from container.search.cluster_searcher import ClusterSearcher
from container.search.query import build_query
from container.search.request_parameters import flatten_json_body
from searchlib.errors import ErrorCode, SearchlibError
from searchlib.wire.search_codec import NodeError

log = logging.getLogger("container.search")


class SearchHandler:
    def __init__(self, searcher: ClusterSearcher) -> None:
        self._searcher = searcher
        self._source = searcher.application.content.id

    async def handle(self, request: Request) -> JSONResponse:
        try:
            raw = dict(request.query_params)
            if request.method == "POST":
                raw.update(await _json_body(request))
            query = build_query(raw, self._searcher.application)
            result = await self._searcher.search(query)
        except SearchlibError as error:
            problem = NodeError(int(error.code), error.message, self._source)
            return JSONResponse(error_result([problem]), status_code=error.code.http_status)
        except Exception as error:  # noqa: BLE001 - a bug must still answer in Vespa's shape
            log.exception("search failed")
            problem = NodeError(int(ErrorCode.INTERNAL_SERVER_ERROR), f"{type(error).__name__}: {error}",
                                self._source)
            return JSONResponse(error_result([problem]), status_code=500)
        request.state.search_outcome = SearchOutcome(
            query.profile, len(result.hits), result.total_count,
            degraded=result.coverage is not None and not result.coverage.full,
            failed=bool(result.errors) and not result.hits)
        body = render_result(result, self._source, timing=query.timing)
        return JSONResponse(body, status_code=http_status(bool(result.hits), result.errors))


async def _json_body(request: Request) -> dict[str, str]:
    data = await request.body()
    if not data.strip():
        return {}
    try:
        body = json.loads(data)
    except json.JSONDecodeError as error:
        raise _BadRequest(f"Could not parse the JSON request body: {error}") from None
    if not isinstance(body, dict):
        raise _BadRequest("The JSON request body must be an object")
    return flatten_json_body(body)


class _BadRequest(SearchlibError):
    code = ErrorCode.BAD_REQUEST
