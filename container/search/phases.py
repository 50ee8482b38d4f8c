"""The container's search as named phases (quickwit's root.rs, Vespa's searcher chain): each a
function whose signature says what it reads and what it produces, over one per-query value, the
`SearchPlan` that parse-and-validate makes. ClusterSearcher runs them in this order:

    plan → search (scatter/gather with failover) → global_phase → merge_and_window → fill
         → group → SearchResult (rendered by container/http/rendering.py)

Phases never reach into each other's state: the global phase takes hits and returns hits, and
grouping lists the hits it needs filled and takes them back filled.
"""
from __future__ import annotations

import asyncio
import functools
import time
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

from container.dispatch.content_client import ContentNodeClient
from container.dispatch.fill import fill_summaries
from container.dispatch.retry import dispatch_with_failover
from container.dispatch.scatter_gather import scatter_gather
from container.dispatch.search_cluster import SearchCluster
from container.dispatch.term_statistics import with_statistics
from container.ranking.global_phase import GlobalPhaseRanker, hits_to_fetch
from container.ranking.global_phase import check_sorting as check_global_phase_sorting
from container.search import explain, grouping
from container.search.query import Query, QueryTimeout
from container.search.query_embedding import nearest_neighbors, query_features
from container.search.significance import with_significance
from container.search.request_parameters import read_bool
from container.search.streaming import selection_for
from container.search.summary_tensors import summary_tensor_types, typed_tensors
from container.search.validation import resolve_sorting, validate_fields, validate_sorting
from searchlib.corpus_statistics import CorpusStatistics
from searchlib.coverage import CoverageReport
from searchlib.errors import InvalidParameterError, quote_input
from searchlib.grouping import GroupingOperation
from searchlib.hits import LeanHit, merge_hits
from searchlib.phase_counts import node_count, per_node_count
from searchlib.query.search_path import SearchPath, parse_search_path
from searchlib.query_inputs import inputs_read, missing_input
from searchlib.schema.match_phase import match_phase_of, with_overrides
from searchlib.schema.model import ApplicationPackage
from searchlib.wire.packed_reply import PackedDocsum
from searchlib.wire.search_codec import DocsumCall, DocsumValue, EncodedDocsum, NodeError, SearchCall

# A small window is answered in one round trip: the nodes return their hits' summaries with the
# hits (at most this many summaries in all, hits x nodes); larger ones fill the final window only.
# `dispatch.summariesWithHits=false` asks for the two-phase fill whatever the window.
SUMMARIES_WITH_HITS = "dispatch.summariesWithHits"
MAX_SUMMARIES_WITH_HITS = 64


@dataclass(frozen=True, slots=True)
class ResultHit:
    hit: LeanHit
    schema: str
    document_id: str = ""
    fields: dict = field(default_factory=dict)
    summary_features: dict = field(default_factory=dict)
    shows_documentid: bool = True  # a custom summary class renders documentid only when it lists it
    source: str = ""  # the content cluster, when the query searched several
    # the summary fields as the node's JSON text, unread (`fields` then empty): an object of strings
    # (exact_json.is_plain) that the response splices as it is (rendering.render_result_json)
    fields_json: str | None = None


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[ResultHit]
    total_count: int
    coverage: CoverageReport | None
    errors: list[NodeError]
    trace: list[str] = field(default_factory=list)
    timing: dict[str, float] = field(default_factory=dict)
    # container.search.grouping.GroupingResult: one per content cluster searched when the query groups
    # (Vespa groups in each cluster's chain and federation keeps each cluster's root group, unmerged)
    groupings: tuple = ()
    phase_trace: dict | None = None  # ranking.explain: the query's (container/search/explain.py)
    hit_traces: tuple = ()  # ranking.explain: one per hit, in the order of `hits`


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """The validated query and what the phases derive from it once."""
    query: Query
    grouping: GroupingOperation | None
    wanted: int  # offset + hits: each node is asked for this many (or the rerank count) at offset 0
    path: SearchPath | None  # model.searchPath; None: normal dispatch with failover
    summaries_with_hits: bool = False  # small windows may come in one round trip (search_schema)


@dataclass(frozen=True, slots=True)
class SchemaHits:
    """What the nodes answered for one schema, merged in the one hit order."""
    schema: str
    hits: list[LeanHit]
    total_hits: int
    coverage: CoverageReport
    errors: list[NodeError]
    trace: list[str]
    groupings: tuple  # the nodes' partial group trees
    query_features: dict  # as sent to the nodes; the fill sends them again for summary-features
    failed_keys: tuple[int, ...] = ()  # unreachable nodes (dispatch may retry on another group)
    generations: Mapping[int, int] = field(default_factory=dict)  # node key -> the view the fill reads
    node_phases: tuple = ()  # searchlib.explain.NodePhases of each node, when the query explains
    corpus_statistics: CorpusStatistics | None = None  # what the search ranked with; the fill sends it too
    global_trace: object | None = None  # container.search.explain.GlobalTrace, when the query explains
    # came with the hits
    docsums: Mapping[bytes, DocsumValue | EncodedDocsum | PackedDocsum] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Searched:
    group: int
    clients: list[ContentNodeClient]  # the nodes searched: the fill asks the same ones
    by_schema: list[SchemaHits]
    trace: list[str]  # dispatch decisions (failover)


@dataclass(frozen=True, slots=True)
class Filled:
    hits: list[ResultHit]
    errors: list[NodeError]


# -- parse and validate -----------------------------------------------------------------------

def plan(application: ApplicationPackage, ranker: GlobalPhaseRanker, query: Query) -> SearchPlan:
    """Everything a query can be refused for before anything is dispatched."""
    schemas = [application.schemas[name] for name in query.schemas]
    streaming = {t for cluster in application.clusters for t in cluster.streaming_types}
    validate_fields(query.yql.where, schemas, streaming=all(s.document_name in streaming for s in schemas))
    validate_sorting(query.sorting, schemas)
    sorting = resolve_sorting(query.sorting, schemas, query.parameters.get("model.locale") or None)
    if sorting != query.sorting:  # a copy of the query's ~30 fields only when a string key resolved
        query = replace(query, sorting=sorting)
    for schema in schemas:  # before anything looks the profile up
        if query.summary_class and query.summary_class not in schema.summaries:
            raise InvalidParameterError(
                f"invalid presentation.summary={quote_input(query.summary_class, 60)}: "
                f"unknown summary class for schema '{schema.name}'")
        if query.profile not in schema.rank_profiles:
            raise InvalidParameterError(f"schema '{schema.name}' does not contain requested rank profile "
                                        f"'{quote_input(query.profile, 60)}'")
    _check_inputs(application, schemas, query)
    query = with_significance(application, query, schemas)  # the model's document frequencies, if used
    operation = grouping.parse_request(grouping.request_text(query), schemas)
    check_global_phase_sorting(ranker, query)
    return SearchPlan(query, operation, query.offset + query.hits, parse_search_path(query.search_path),
                      operation is None and read_bool(query.parameters, SUMMARIES_WITH_HITS, True))


def _check_inputs(application: ApplicationPackage, schemas, query: Query) -> None:
    """A tensor input the profile's phases read must be given (searchlib.query_inputs): a 400
    before anything is embedded or dispatched."""
    nearest = None  # the tree is walked only for a profile with reads to check
    for schema in schemas:
        profile = schema.rank_profiles[query.profile]
        if not inputs_read(application, schema, profile):
            continue
        if nearest is None:
            nearest = {item.field for item in nearest_neighbors(query.yql.where)}
        problem = missing_input(application, schema, profile, query.feature_texts, nearest, query.rank_properties)
        if problem is not None:
            raise InvalidParameterError(problem)


# -- search: scatter/gather with failover -----------------------------------------------------

async def search(plan: SearchPlan, application: ApplicationPackage, cluster: SearchCluster,
                 ranker: GlobalPhaseRanker) -> Searched:
    """One complete group (failover to another, dispatch/retry.py), or the nodes of a search path."""
    query = plan.query
    if plan.path is None:
        async def on_group(group: int) -> list[SchemaHits]:
            serving, absent = cluster.searchable_nodes(group)
            if len(query.schemas) == 1:  # no task to run it beside nothing
                return [await search_schema(plan, query.schemas[0], application, cluster, ranker, serving, absent)]
            return await asyncio.gather(*(search_schema(plan, name, application, cluster, ranker, serving, absent)
                                          for name in query.schemas))

        dispatched = await dispatch_with_failover(cluster, on_group, lambda hits: hits, query.deadline)
        return Searched(dispatched.group, cluster.group_nodes(dispatched.group), list(dispatched.results),
                        dispatched.trace)
    group, clients = cluster.route(plan.path)
    if not clients:
        raise InvalidParameterError(f"Invalid searchPath '{query.search_path}': it selects no node")
    by_schema = await asyncio.gather(*(search_schema(plan, name, application, cluster, ranker, clients)
                                       for name in query.schemas))
    return Searched(group, clients, list(by_schema), [])


async def search_schema(plan: SearchPlan, schema_name: str, application: ApplicationPackage,
                        cluster: SearchCluster, ranker: GlobalPhaseRanker,
                        clients: Sequence[ContentNodeClient], absent=()) -> SchemaHits:
    query = plan.query
    profile = application.schemas[schema_name].rank_profiles[query.profile]
    features = await query_features(application, profile, query)
    if time.monotonic() >= query.deadline:  # the container's own work took the whole timeout
        raise QueryTimeout(f"Timed out after {query.timeout:g} s while embedding the query in the container, "
                           "before any content node was asked")
    fetch = hits_to_fetch(ranker, query, schema_name, plan.wanted)
    # one round trip when nothing after the nodes changes which hits are shown (no global phase)
    # (not with on-summary mutations: the node would fill, and so count, hits the window never shows)
    with_summaries = (plan.summaries_with_hits and fetch == plan.wanted and not profile.mutate.get("on-summary")
                      and plan.wanted * len(clients) <= MAX_SUMMARIES_WITH_HITS)
    call = SearchCall(schema=schema_name, rank_profile=query.profile, query=query.yql.where, hits=fetch,
                      timeout_ms=max(int((query.deadline - time.monotonic()) * 1000), 1),
                      query_features=features, sorting=query.sorting,
                      rerank_count=_node_count(query, profile, "rerank_count", "second_phase", len(clients)),
                      keep_rank_count=_node_count(query, profile, "keep_rank_count", "first_phase", len(clients)),
                      match_phase_max_hits=_match_phase_share(application.schemas[schema_name], profile,
                                                              query.match_phase, len(clients)),
                      match_phase=query.match_phase,
                      rank_score_drop_limit=query.rank_score_drop_limit,
                      app_generation=application.generation, trace_level=query.trace_level,
                      now=query.now, grouping=grouping.request_text(query),
                      rank_properties=query.rank_properties, explain=query.explain,
                      with_summaries=with_summaries, summary_class=query.summary_class, bolding=query.bolding,
                      streaming_selection=selection_for(application, schema_name, query.streaming_selection))
    call, statistics_trace = await with_statistics(call, clients, profile.rank_properties, query.deadline)
    gathered = await scatter_gather(clients, call, query.deadline, application.content.redundancy,
                                    absent, cluster.known_active_docs())
    trace = gathered.trace
    if with_summaries and query.trace_level >= 1:
        trace = [*trace, f"schema {schema_name}: summaries came with the hits (one round trip)"]
    return SchemaHits(schema_name, gathered.hits, gathered.total_hits, gathered.coverage, gathered.errors,
                      [*statistics_trace, *trace], gathered.groupings, features, gathered.failed_keys,
                      gathered.generations, gathered.phases, corpus_statistics=call.corpus_statistics,
                      docsums=gathered.docsums)


def _node_count(query: Query, profile, count: str, phase: str, nodes: int) -> int | None:
    """rerank_count / keep_rank_count for each of `nodes` nodes: the query's per-node or total
    count, else the profile's total spread over them (a profile's per-node count the node knows)."""
    ranking = getattr(profile, phase)
    total = getattr(ranking, f"total_{count}", None) if ranking is not None else None
    return node_count(getattr(query, count), getattr(query, f"total_{count}"), None, total, nodes)


def _match_phase_share(schema, profile, overrides: Mapping[str, str], nodes: int) -> int | None:
    """Each node's share of the profile's match-phase total-max-hits (None without one, or when
    the query's maxHits replaces it)."""
    phase = match_phase_of(with_overrides(profile.settings, overrides), schema.fields, profile.name,
                           profile.location)
    total = phase.total_max_hits if phase is not None and phase.max_hits is None else None
    return per_node_count(None, total, nodes)


# -- global phase -------------------------------------------------------------------------------

async def global_phase(ranker: GlobalPhaseRanker, plan: SearchPlan,
                       by_schema: Sequence[SchemaHits]) -> list[SchemaHits]:
    """Per schema with a global phase, reranked in a thread executor (CPU work off the event
    loop); hits below the drop limit leave the total count."""
    query, loop = plan.query, asyncio.get_running_loop()
    result = []
    for schema_hits in by_schema:
        if ranker.setup(schema_hits.schema, query.profile) is None or not schema_hits.hits:
            result.append(explain.without_global_phase(schema_hits, query) if query.explain else schema_hits)
            continue
        count = ranker.rerank_count(schema_hits.schema, query.profile, query.global_phase_rerank_count)
        started = time.perf_counter()
        reranked = await loop.run_in_executor(
            None, functools.partial(ranker.rerank, schema_hits.schema, query.profile, schema_hits.hits,
                                    schema_hits.query_features, count, query.trace_level, query.sorting))
        result.append(replace(schema_hits, hits=reranked.hits,
                              total_hits=max(schema_hits.total_hits - reranked.dropped, 0),
                              trace=[*schema_hits.trace, *(reranked.trace if query.trace_level else [])],
                              global_trace=explain.global_trace(schema_hits.hits, query, count, started)
                              if query.explain else None))
    return result


# -- merge and window ---------------------------------------------------------------------------

def merge_and_window(plan: SearchPlan, by_schema: Sequence[SchemaHits]) -> list[tuple[LeanHit, str]]:
    """The schemas' hits in the one hit order, cut to [offset, offset + hits)."""
    query = plan.query
    if len(by_schema) == 1:
        merged = [(h, by_schema[0].schema) for h in by_schema[0].hits[:plan.wanted]]
    else:
        schema_of = {h.global_id: s.schema for s in by_schema for h in s.hits}
        merged = [(h, schema_of[h.global_id])
                  for h in merge_hits([s.hits for s in by_schema], query.sorting, plan.wanted)]
    return merged[query.offset: query.offset + query.hits]


# -- fill -----------------------------------------------------------------------------------------

async def fill(plan: SearchPlan, application: ApplicationPackage, cluster: SearchCluster,
               clients: Sequence[ContentNodeClient], window: Sequence[tuple[LeanHit, str]],
               by_schema: Sequence[SchemaHits]) -> Filled:
    """Summaries for `window` (hit, schema) from the nodes that found them, as of the view each
    searched (their replicas when they became unreachable); a hit whose summary did not come
    stays, without fields."""
    query = plan.query
    by_key = {c.node.distribution_key: c for c in clients}
    searched = {s.schema: s for s in by_schema}
    by_schema: dict[str, list[LeanHit]] = {}
    summaries, errors = {}, []
    for hit, schema in window:
        came = searched[schema].docsums.get(hit.global_id)
        if came is not None:
            summaries[hit.global_id] = came  # read below
        else:
            by_schema.setdefault(schema, []).append(hit)
    for schema, hits in by_schema.items():
        # query features only serve summary-features: a 384-float query embedding is not
        # encoded, sent to every node and decoded again for a fill that does not read it
        profile = application.schemas[schema].rank_profiles[query.profile]
        call = DocsumCall(schema=schema, summary_class=query.summary_class, rank_profile=query.profile,
                          global_ids=(), query=query.yql.where,
                          query_features=searched[schema].query_features if profile.summary_features else {},
                          app_generation=application.generation, now=query.now,
                          rank_properties=query.rank_properties if profile.summary_features else {},
                          corpus_statistics=searched[schema].corpus_statistics if profile.summary_features else None,
                          bolding=query.bolding)
        deadline = max(query.deadline, time.monotonic() + 1.0)  # a late fill still beats no fields
        found, fill_errors = await fill_summaries(by_key, hits, call, deadline, cluster.replica_clients,
                                                  searched[schema].generations)
        summaries.update(found)
        errors.extend(fill_errors)
    filled, classes = [], {}
    for hit, schema in window:
        docsum = summaries.get(hit.global_id)
        if docsum is None:
            filled.append(ResultHit(hit, schema))
            continue
        if schema not in classes:  # (shows documentid, tensor types) of the summary class, once per schema
            summary = application.schemas[schema].summaries.get(query.summary_class or "default")
            classes[schema] = (summary is None or any(f.name == "documentid" for f in summary.fields),
                               summary_tensor_types(application.schemas[schema], summary))
        shows_id, tensor_types = classes[schema]
        # strings only, no tensor to type: the response splices the node's JSON unread
        plain = (docsum.plain_fields_json() if isinstance(docsum, (EncodedDocsum, PackedDocsum)) and not tensor_types
                 else None)
        docsum = docsum.value() if plain is None else docsum.value(read_fields=False)
        filled.append(ResultHit(hit, schema, docsum.document_id, typed_tensors(docsum.fields, tensor_types),
                                docsum.summary_features, shows_id, fields_json=plain))
    return Filled(filled, errors)


# -- grouping -------------------------------------------------------------------------------------

def group(plan: SearchPlan, application: ApplicationPackage,
          by_schema: Sequence[SchemaHits]) -> grouping.GroupingResult | None:
    """The nodes' partial trees merged, ordered and trimmed; its hits still to be filled
    (`grouping.hits_to_fill`, then `grouping.with_filled`)."""
    if plan.grouping is None:
        return None
    return grouping.merge(plan.grouping, {s.schema: s.groupings for s in by_schema},
                          grouping.integral_fields(application))


# -- result ---------------------------------------------------------------------------------------

def coverage(by_schema: Sequence[SchemaHits]) -> CoverageReport:
    reports = [s.coverage for s in by_schema]
    if len(reports) == 1:
        return reports[0]
    full = all(r.full for r in reports)
    return CoverageReport(coverage=min(r.coverage for r in reports), documents=sum(r.documents for r in reports),
                          full=full, nodes=max(r.nodes for r in reports), results=len(reports),
                          results_full=sum(r.results_full for r in reports),
                          degraded=None if full else next(r.degraded for r in reports if r.degraded))


def trace(plan: SearchPlan, searched: Searched, by_schema: Sequence[SchemaHits]) -> list[str]:
    lines = [line for s in by_schema for line in s.trace]
    if plan.query.trace_level >= 1:
        lines[:0] = [*searched.trace, f"dispatched to group {searched.group}: "
                                      f"nodes {[c.node.distribution_key for c in searched.clients]}"]
    return lines
