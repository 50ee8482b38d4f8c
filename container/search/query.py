"""The container's view of one query, resolved from request parameters once, then read-only."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Mapping

from container.search import request_parameters as rp
from container.search.query_profile import with_query_profile
from container.search.validation import check_depth
from searchlib.errors import ErrorCode, InvalidParameterError, QueryError, SearchlibError
from searchlib.query import tree as q
from searchlib.query.plain_text import SYNTAX_PARAMETER, without_query_syntax
from searchlib.query.yql import parse_yql
from searchlib.schema.model import ApplicationPackage


@dataclass(frozen=True, slots=True)
class Query:
    yql: q.ParsedYql
    schemas: tuple[str, ...]
    profile: str
    hits: int
    offset: int
    timeout: float  # seconds
    summary_class: str
    trace_level: int
    feature_texts: Mapping[str, str]  # query(x) -> text, from ranking.features and rank properties
    sorting: tuple[q.SortKey, ...]
    rerank_count: int | None
    keep_rank_count: int | None
    rank_score_drop_limit: float | None
    global_phase_rerank_count: int | None
    search_path: str
    timing: bool
    rank_properties: Mapping[str, str] = field(default_factory=dict)  # ranking.properties.*, for the nodes
    started: float = field(default_factory=time.monotonic)
    now: float = field(default_factory=time.time)
    parameters: Mapping[str, str] = field(default_factory=dict)

    @property
    def deadline(self) -> float:
        return self.started + self.timeout


class QueryTimeout(SearchlibError):
    code = ErrorCode.TIMEOUT


async def build_query_in_time(raw: Mapping[str, str], application: ApplicationPackage,
                              started: float) -> Query:
    """build_query in a worker thread (a long YQL must not stall the event loop for other clients),
    bounded by the query's own timeout, counted from `started` (when the request arrived)."""
    timeout = rp.read_timeout_seconds(with_query_profile(rp.canonical_parameters(raw), application))
    work = asyncio.to_thread(build_query, raw, application, started)
    try:
        return await asyncio.wait_for(work, max(started + timeout - time.monotonic(), 0.001))
    except asyncio.TimeoutError:
        raise QueryTimeout(f"Timed out after {timeout:g} s while parsing the query") from None


def build_query(raw: Mapping[str, str], application: ApplicationPackage, started: float | None = None) -> Query:
    params = with_query_profile(rp.canonical_parameters(raw), application)
    limits = application.limits
    yql_text = params.get("yql", "")
    if not yql_text.strip():
        raise QueryError("No query: the 'yql' parameter is missing or empty")
    for name in ("yql", "select", "model.queryString"):  # texts that get parsed
        if len(params.get(name, "")) > limits.yql_length:
            raise QueryError(f"'{name}' is {len(params[name])} characters long: the limit (yql-length) "
                             f"is {limits.yql_length}")
    exact = {name for schema in application.schemas.values() for name, f in schema.fields.items()
             if f.is_attribute and not f.is_index}
    cased = {name for schema in application.schemas.values() for name, f in schema.fields.items()
             if name in exact and f.settings.get("match.cased", "false") != "false"}
    try:
        parsed = parse_yql(yql_text, parameters=_parsing_parameters(params), exact_match_fields=exact,
                            cased_fields=cased)
    except RecursionError:  # a parser recurses per level of nesting: too deep is a bad query
        raise QueryError("Could not create query from YQL: it is nested too deeply") from None
    check_depth(parsed.where, limits.query_tree_depth)
    hits = parsed.limit - (parsed.offset or 0) if parsed.limit is not None else \
        rp.read_int(params, "hits", 10)
    offset = parsed.offset if parsed.offset is not None else rp.read_int(params, "offset", 0)
    if hits > limits.max_hits:
        raise InvalidParameterError(f"{hits} hits requested, configured limit: {limits.max_hits}.")
    if offset > limits.max_offset:
        raise InvalidParameterError(f"{offset} offset requested, configured limit: {limits.max_offset}.")
    if parsed.timeout_ms is not None:
        rp.check_timeout(parsed.timeout_ms / 1000.0, f"{parsed.timeout_ms:g} ms")
    timeout = parsed.timeout_ms / 1000.0 if parsed.timeout_ms is not None else rp.read_timeout_seconds(params)
    feature_texts, rank_properties = _features_and_properties(params)
    return Query(
        yql=parsed, schemas=resolve_schemas(parsed.sources, params, application),
        profile=params.get("ranking.profile", "default") or "default",
        hits=max(hits, 0), offset=offset, timeout=timeout,
        summary_class=params.get("presentation.summary", ""),
        trace_level=rp.read_int(params, "trace.level", 0),
        feature_texts=feature_texts,
        sorting=parsed.order_by or _sorting_parameter(params.get("ranking.sorting", "")),
        rerank_count=_first_int(params, "ranking.secondPhase.rerankCount", "ranking.rerankCount"),
        keep_rank_count=_first_int(params, "ranking.keepRankCount"),
        rank_score_drop_limit=rp.read_float(params, "ranking.rankScoreDropLimit", allow_infinite=True),
        global_phase_rerank_count=_first_int(params, "ranking.globalPhase.rerankCount"),
        search_path=params.get("model.searchPath", ""),
        timing=rp.read_bool(params, "presentation.timing"), rank_properties=rank_properties,
        started=started if started is not None else time.monotonic(),
        now=_freshness_now(params),
        parameters=params)


def _parsing_parameters(params: Mapping[str, str]) -> Mapping[str, str]:
    """With `model.type.syntax=none`, userQuery() reads the text without query syntax; everything
    else, embed(@query) included, still sees the text as the user typed it."""
    syntax = params.get(SYNTAX_PARAMETER, "")
    if syntax in ("", "simple"):
        return params
    if syntax != "none":
        raise InvalidParameterError(f"Unknown {SYNTAX_PARAMETER} '{syntax[:40]}': use 'simple' or 'none'")
    return {**params, "model.queryString": without_query_syntax(params.get("model.queryString", ""))}


def _features_and_properties(params: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Rank properties (`ranking.properties.<p>` / `rankproperty.<p>`) as Vespa reads them: one named
    `query(x)` or `$x` is the query feature query(x) (ranking.features.query(x) wins); the others go
    to the content nodes over the profile's rank-properties (e.g. `bm25(title).k1`)."""
    features: dict[str, str] = {}
    properties: dict[str, str] = {}
    for name, value in rp.rank_property_texts(params).items():
        if name.startswith("query(") and name.endswith(")"):
            features[name] = value
        elif name.startswith("$") and len(name) > 1:
            features[f"query({name[1:]})"] = value
        else:
            properties[name] = value
    features.update(rp.query_feature_texts(params))
    return features, properties


def _freshness_now(params: Mapping[str, str]) -> float:
    """`ranking.freshness`: the time (seconds since epoch) that `now` and freshness(f) use."""
    given = rp.read_float(params, "ranking.freshness")
    return given if given is not None else time.time()


def _first_int(params: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        if params.get(name, "") != "":
            return rp.read_int(params, name, 0)
    return None


def _sorting_parameter(text: str) -> tuple[q.SortKey, ...]:
    """`sorting=-price +year` (Vespa's sorting spec; '+' may arrive as a space from a URL)."""
    keys = []
    for token in text.split():
        ascending = not token.startswith("-")
        keys.append(q.SortKey(token.lstrip("+-"), ascending))
    return tuple(keys)


def resolve_schemas(sources: tuple[str, ...], params: Mapping[str, str],
                    application: ApplicationPackage) -> tuple[str, ...]:
    """`from sources *` → every schema; a cluster name → its schemas; a schema name → itself;
    `model.restrict` narrows further."""
    names: list[str] = []
    for source in sources or ("*",):
        if source == "*" or source == application.content.id:
            names.extend(application.schemas)
        elif source in application.schemas:
            names.append(source)
        else:
            by_document = [n for n, s in application.schemas.items() if s.document_name == source]
            if not by_document:
                raise InvalidParameterError(
                    f"Could not resolve source ref '{source}': no schema or content cluster by that name")
            names.extend(by_document)
    restrict = [r.strip() for r in params.get("model.restrict", "").split(",") if r.strip()]
    if restrict:
        unknown = [r for r in restrict if r not in application.schemas]
        if unknown:
            raise InvalidParameterError(f"Unknown schema '{unknown[0]}' in model.restrict")
        names = [n for n in names if n in restrict]
    return tuple(dict.fromkeys(names))
