"""The container's view of one query, resolved from request parameters once, then read-only."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Mapping

from container.search import request_parameters as rp
from container.search.query_profile import with_query_profile
from container.search.streaming import streaming_selection
from container.search.validation import check_depth
from searchlib.errors import (ErrorCode, InvalidParameterError, NullQueryError, QueryError, SchemaError,
                              SearchlibError, quote_input)
from searchlib.schema.match_phase import (QUERY_OVERRIDES, attribute_problem, match_phase_of, query_overrides,
                                          with_overrides)
from searchlib.match_modes import query_match_modes
from searchlib.query import tree as q
from searchlib.query.field_checks import yql_window_problem
from searchlib.query.sort_specs import parse_sorting
from searchlib.query.plain_text import SYNTAX_PARAMETER, without_query_syntax
from searchlib.query.parse_cache import ParseCache
from searchlib.query.yql import parse_yql
from searchlib.rank_properties import check_properties
from searchlib.rank_vectors import DOT_PRODUCT_KEY, dot_product_readers
from searchlib.schema.model import ApplicationPackage
from searchlib.tensor.result_forms import DEFAULT_FORM, TENSOR_FORMS


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
    match_phase: Mapping[str, str] = field(default_factory=dict)  # ranking.matchPhase.*, as profile settings
    started: float = field(default_factory=time.monotonic)
    now: float = field(default_factory=time.time)
    parameters: Mapping[str, str] = field(default_factory=dict)
    explain: bool = False  # ranking.explain: the phase trace (container/search/explain.py)
    # across the content nodes searched (searchlib.phase_counts): ranking.secondPhase.totalRerankCount,
    # ranking.totalKeepRankCount
    total_rerank_count: int | None = None
    total_keep_rank_count: int | None = None
    bolding: bool = True  # presentation.bolding: query words in <hi> in dynamic and bolded summary fields
    streaming_selection: str = ""  # streaming mode: the group searched, as a document selection
    tensor_form: str = DEFAULT_FORM  # presentation.format.tensors (searchlib/tensor/result_forms.py)

    @property
    def deadline(self) -> float:
        return self.started + self.timeout


class QueryTimeout(SearchlibError):
    code = ErrorCode.TIMEOUT


_QUERY_ONLY = "select * from sources * where userQuery()"
_PARSED = ParseCache()  # the YQL statements parsed lately, by statement and parameters
# parameters this short (all values together) are parsed on the event loop: ~0.3 ms at most, less
# than the hop to a worker thread and back costs (BENCHMARKS.md, per-query cost, fifth pass);
# parsing grows with the text (~1 ms per 1,000 characters), so longer requests still go to a thread
INLINE_PARSE_CHARACTERS = 400


async def build_query_in_time(raw: Mapping[str, str], application: ApplicationPackage,
                              started: float) -> Query:
    """build_query in a worker thread (a long YQL must not stall the event loop for other clients),
    bounded by the query's own timeout, counted from `started` (when the request arrived). A short
    request, or a statement parsed before, is built on the loop: that is cheaper than the thread hop."""
    params = with_query_profile(rp.canonical_parameters(raw), application)
    timeout = rp.read_timeout_seconds(params)
    short = sum(map(len, params.values())) <= INLINE_PARSE_CHARACTERS
    if short or _PARSED.get(_parse_key(params, application)) is not None:
        return query_from(params, application, started)
    work = asyncio.to_thread(query_from, params, application, started)
    try:
        return await asyncio.wait_for(work, max(started + timeout - time.monotonic(), 0.001))
    except asyncio.TimeoutError:
        raise QueryTimeout(f"Timed out after {timeout:g} s while parsing the query") from None


def build_query(raw: Mapping[str, str], application: ApplicationPackage, started: float | None = None) -> Query:
    return query_from(with_query_profile(rp.canonical_parameters(raw), application), application, started)


def _parse_key(params: Mapping[str, str], application: ApplicationPackage):
    try:
        parsing = _parsing_parameters(params)
    except InvalidParameterError:
        return None  # query_from reports it
    return ParseCache.key(params.get("yql", ""), parsing, (application.generation,))


def query_from(params: Mapping[str, str], application: ApplicationPackage, started: float | None = None) -> Query:
    """The Query of canonical parameters (query profile applied)."""
    limits = application.limits
    yql_text = params.get("yql", "")
    if not yql_text.strip() and params.get("model.queryString", "").strip():
        yql_text = _QUERY_ONLY  # Vespa: `query=` alone is the simple query language over all sources
    if not yql_text.strip():
        raise QueryError("No query: the 'yql' parameter is missing or empty")
    for name in ("yql", "select", "model.queryString"):  # texts that get parsed
        if len(params.get(name, "")) > limits.yql_length:
            raise QueryError(f"'{name}' is {len(params[name])} characters long: the limit (yql-length) "
                             f"is {limits.yql_length}")
    unknown = sorted(name for name in params if name.startswith("ranking.matchPhase.")
                     and name not in QUERY_OVERRIDES)
    if unknown:  # refused rather than ignored
        raise InvalidParameterError(f"Unknown parameter {quote_input(unknown[0], 60)}: the match-phase "
                                    f"parameters are {', '.join(QUERY_OVERRIDES)}")
    parsing = _parsing_parameters(params)
    key = ParseCache.key(yql_text, parsing, (application.generation,))
    parsed = _PARSED.get(key)
    if parsed is None:
        try:
            parsed = parse_yql(yql_text, parameters=parsing, match_modes=_match_modes(application))
        except RecursionError:  # a parser recurses per level of nesting: too deep is a bad query
            raise QueryError("Could not create query from YQL: it is nested too deeply") from None
        _PARSED.put(key, parsed)
    if parsed.emptied:  # VespaBackend.search: a NullItem root is an error, not an empty result
        raise NullQueryError("the query has nothing to match: its where held only empty items "
                             "(an empty userQuery(), or userInput with {allowEmpty: true} given no words)")
    check_depth(parsed.where, limits.query_tree_depth)
    window_problem = yql_window_problem(parsed.limit, parsed.offset, limits.max_hits, limits.max_offset)
    if window_problem is not None:
        raise InvalidParameterError(window_problem)
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
    schemas = resolve_schemas(parsed.sources, params, application)
    profile = params.get("ranking.profile", "default") or "default"
    feature_texts, rank_properties = _features_and_properties(params, application, schemas, profile)
    return Query(
        yql=parsed, schemas=schemas, profile=profile,
        match_phase=_match_phase(params, application, schemas, profile),
        hits=max(hits, 0), offset=offset, timeout=timeout,
        summary_class=params.get("presentation.summary", ""),
        trace_level=rp.read_int(params, "trace.level", 0),
        feature_texts=feature_texts,
        sorting=parsed.order_by or parse_sorting(params.get("ranking.sorting", "")),
        rerank_count=_first_int(params, "ranking.secondPhase.rerankCount", "ranking.rerankCount"),
        keep_rank_count=_first_int(params, "ranking.keepRankCount"),
        total_rerank_count=_first_int(params, "ranking.secondPhase.totalRerankCount"),
        total_keep_rank_count=_first_int(params, "ranking.totalKeepRankCount"),
        bolding=rp.read_bool(params, "presentation.bolding", True),
        tensor_form=rp.read_choice(params, "presentation.format.tensors", TENSOR_FORMS, DEFAULT_FORM),
        rank_score_drop_limit=rp.read_float(params, "ranking.rankScoreDropLimit", allow_infinite=True),
        global_phase_rerank_count=_first_int(params, "ranking.globalPhase.rerankCount"),
        search_path=params.get("model.searchPath", ""),
        timing=rp.read_bool(params, "presentation.timing"), rank_properties=rank_properties,
        started=started if started is not None else time.monotonic(),
        now=_freshness_now(params),
        parameters=params, explain=rp.read_bool(params, "ranking.explain"),
        streaming_selection=streaming_selection(params, application))


_MODES_BY_GENERATION: dict[str, dict] = {}  # per package: every query reads them


def _match_modes(application: ApplicationPackage) -> dict:
    modes = _MODES_BY_GENERATION.get(application.generation)
    if modes is None:
        if len(_MODES_BY_GENERATION) > 8:
            _MODES_BY_GENERATION.clear()
        modes = _MODES_BY_GENERATION[application.generation] = query_match_modes(application.schemas.values())
    return modes


def _parsing_parameters(params: Mapping[str, str]) -> Mapping[str, str]:
    """With `model.type.syntax=none`, userQuery() reads the text without query syntax; everything
    else, embed(@query) included, still sees the text as the user typed it."""
    syntax = params.get(SYNTAX_PARAMETER, "")
    if syntax in ("", "simple"):
        return params
    if syntax != "none":
        raise InvalidParameterError(f"Unknown {SYNTAX_PARAMETER} '{syntax[:40]}': use 'simple' or 'none'")
    return {**params, "model.queryString": without_query_syntax(params.get("model.queryString", ""))}


def _features_and_properties(params: Mapping[str, str], application: ApplicationPackage, schemas: tuple[str, ...],
                             profile: str) -> tuple[dict[str, str], dict[str, str]]:
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
    vectors = _vector_readers(application, schemas, profile) if any(map(DOT_PRODUCT_KEY.fullmatch, properties)) else {}
    check_properties(properties, vectors)  # a 400 here, with the message a node reading it would give
    return features, properties


def _vector_readers(application: ApplicationPackage, schemas: tuple[str, ...], profile: str) -> dict[str, set[bool]]:
    """Each vector (dotProduct.<name>) the profile's dotProduct features read in the searched schemas
    -> whether over a weighted set (True) or an array (False)."""
    found: dict[str, set[bool]] = {}
    for name in schemas:
        schema = application.schemas.get(name)
        ranking = schema.rank_profiles.get(profile) if schema else None
        if ranking is None:
            continue
        phases = (ranking.first_phase, ranking.second_phase, ranking.global_phase)
        texts = [phase.expression.text for phase in phases if phase is not None]
        texts += [function.expression.text for function in ranking.functions.values()]
        texts += [*ranking.match_features, *ranking.summary_features, *ranking.rank_features]
        for vector, fields in dot_product_readers(texts).items():
            found.setdefault(vector, set()).update(
                schema.fields[f].type.kind == "weightedset" for f in fields if f in schema.fields)
    return found


def _match_phase(params: Mapping[str, str], application: ApplicationPackage, schemas: tuple[str, ...],
                 profile: str) -> dict[str, str]:
    """The query's ranking.matchPhase.* as profile settings, checked over each searched schema's
    profile as a schema's would be; the attribute needs fast-search (as Vespa requires)."""
    try:
        overrides = query_overrides(params)
    except ValueError as error:
        raise InvalidParameterError(str(error)) from None
    for name in schemas if overrides else ():
        schema = application.schemas[name]
        ranking = schema.rank_profiles.get(profile)
        if ranking is None:
            continue  # the unknown profile is reported where profiles are resolved
        _check_attributes(overrides, schema)
        try:
            match_phase_of(with_overrides(ranking.settings, overrides), schema.fields, ranking.name,
                           ranking.location)
        except SchemaError as error:
            # the message alone: the profile's file:line is the server's, not the query's
            raise InvalidParameterError(f"ranking.matchPhase with rank profile '{ranking.name}' of schema "
                                        f"'{name}': {quote_input(error.message, 300)}") from None
    return overrides


def _check_attributes(overrides: Mapping[str, str], schema) -> None:
    """The query's match-phase attribute is a single-value numeric attribute with fast-search, its
    diversity attribute a single-value numeric or string attribute (Vespa's ValidateMatchPhaseSearcher)."""
    for parameter, setting, numeric in (("ranking.matchPhase.attribute", "match-phase.attribute", True),
                                        ("ranking.matchPhase.diversity.attribute", "diversity.attribute", False)):
        attribute = overrides.get(setting)
        if attribute is None:
            continue
        problem = attribute_problem(attribute, schema.fields, numeric)
        if problem is None and numeric and "fast-search" not in schema.fields[attribute].attribute_properties:
            problem = f"'{attribute}' is not an attribute with fast-search"
        if problem is not None:
            raise InvalidParameterError(f"{parameter}: {quote_input(problem, 120)} in schema '{schema.name}'")


def _freshness_now(params: Mapping[str, str]) -> float:
    """`ranking.freshness`: the time (seconds since epoch) that `now` and freshness(f) use."""
    given = rp.read_float(params, "ranking.freshness")
    return given if given is not None else time.time()


def _first_int(params: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        if params.get(name, "") != "":
            return rp.read_int(params, name, 0)
    return None


def resolve_schemas(sources: tuple[str, ...], params: Mapping[str, str],
                    application: ApplicationPackage) -> tuple[str, ...]:
    """`from sources *` → every schema (or those `model.sources` lists); a content cluster's id →
    the schemas of its document types; a schema name → itself, also when a cluster has that id and
    holds the schema (Vespa's ClusterSearcher.resolveSourceSubset keeps the sources that are schemas
    of the cluster: `from product` in a cluster 'product' holding product, order and user searches
    product); `model.restrict` narrows further."""
    names: list[str] = []
    if tuple(sources) in ((), ("*",)):
        sources = tuple(s.strip() for s in params.get("model.sources", "").split(",") if s.strip()) or ("*",)
    clusters = {c.id: c for c in application.clusters}
    unserved = application.unserved_schemas  # in the package, in no cluster: searched nowhere (as Vespa)
    for source in sources:
        if source == "*":
            names.extend(n for n in application.schemas if n not in unserved)
        elif source in unserved:
            raise InvalidParameterError(f"Could not resolve source ref '{source}': schema '{source}' is in no "
                                        "content cluster's <documents> in services.xml")
        elif source in application.schemas and (source not in clusters or _holds(clusters[source], source, application)):
            names.append(source)
        elif source in clusters:
            held = clusters[source].document_types
            names.extend(n for n, s in application.schemas.items() if s.document_name in held)
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


def _holds(cluster, schema: str, application: ApplicationPackage) -> bool:
    return application.schemas[schema].document_name in cluster.document_types
