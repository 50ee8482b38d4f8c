"""The per-schema search flow (Vespa's ClusterSearcher): resolve the profile, ask each node for
max(offset+hits, rerank count) hits at offset 0, merge, run the global phase, trim to the window,
and only then fill summaries for the window."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from container.dispatch.fill import fill_summaries
from container.dispatch.retry import dispatch_with_failover
from container.dispatch.scatter_gather import GatherResult, scatter_gather
from container.dispatch.search_cluster import SearchCluster
from container.ranking.global_phase import GlobalPhaseRanker, hits_to_fetch, rerank_outcomes
from container.ranking.global_phase import check_sorting as check_global_phase_sorting
from container.search import grouping
from container.search.query import Query
from container.search.query_embedding import query_features
from container.search.validation import validate_fields, validate_sorting
from searchlib.coverage import CoverageReport
from searchlib.errors import InvalidParameterError, quote_input
from searchlib.hits import LeanHit, merge_hits
from searchlib.query.search_path import parse_search_path
from searchlib.schema.model import ApplicationPackage
from searchlib.wire.search_codec import DocsumCall, NodeError, SearchCall


@dataclass(frozen=True, slots=True)
class ResultHit:
    hit: LeanHit
    schema: str
    document_id: str = ""
    fields: dict = field(default_factory=dict)
    summary_features: dict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SearchResult:
    hits: list[ResultHit]
    total_count: int
    coverage: CoverageReport | None
    errors: list[NodeError]
    trace: list[str] = field(default_factory=list)
    timing: dict[str, float] = field(default_factory=dict)
    grouping: object | None = None  # container.search.grouping.GroupingResult when the query groups


@dataclass(frozen=True, slots=True)
class _SchemaOutcome:
    schema: str
    gathered: GatherResult
    query_features: dict


class ClusterSearcher:
    def __init__(self, application: ApplicationPackage, cluster: SearchCluster) -> None:
        self.application = application
        self.cluster = cluster
        self.global_phase = GlobalPhaseRanker(application)

    async def search(self, query: Query) -> SearchResult:
        schemas = [self.application.schemas[name] for name in query.schemas]
        validate_fields(query.yql.where, schemas)
        validate_sorting(query.sorting, schemas)
        for schema in schemas:  # before anything looks the profile up
            if query.summary_class and query.summary_class not in schema.summaries:
                raise InvalidParameterError(
                    f"invalid presentation.summary={quote_input(query.summary_class, 60)}: "
                    f"unknown summary class for schema '{schema.name}'")
            if query.profile not in schema.rank_profiles:
                raise InvalidParameterError(f"schema '{schema.name}' does not contain requested rank profile "
                                            f"'{quote_input(query.profile, 60)}'")
        grouping_operation = grouping.parse_request(grouping.request_text(query), schemas)
        check_global_phase_sorting(self.global_phase, query)
        wanted = query.offset + query.hits
        path = parse_search_path(query.search_path)
        dispatch_trace: list[str] = []
        if path is None:  # normal dispatch: one complete group, failover to another (dispatch/retry.py)
            async def on_group(group: int):
                serving, absent = self.cluster.searchable_nodes(group)
                return await asyncio.gather(*(self._search_schema(query, name, serving, wanted, absent)
                                              for name in query.schemas))

            dispatched = await dispatch_with_failover(self.cluster, on_group, lambda o: o.gathered,
                                                      query.deadline)
            group, outcomes, dispatch_trace = dispatched.group, dispatched.results, dispatched.trace
            clients = self.cluster.group_nodes(group)
        else:
            group, clients = self.cluster.route(path)
            if not clients:
                raise InvalidParameterError(f"Invalid searchPath '{query.search_path}': it selects no node")
            outcomes = await asyncio.gather(*(self._search_schema(query, name, clients, wanted)
                                              for name in query.schemas))
        outcomes = await rerank_outcomes(self.global_phase, query, outcomes)
        search_done = time.monotonic()
        hits_by_schema = {o.schema: o for o in outcomes}
        all_hits = [[(h, o.schema) for h in o.gathered.hits] for o in outcomes]
        merged = self._merge(query, all_hits, wanted)
        window = merged[query.offset: query.offset + query.hits]
        errors = [e for o in outcomes for e in o.gathered.errors]
        filled = await self._fill(query, window, hits_by_schema, {c.node.distribution_key: c for c in clients},
                                  errors)
        grouped = None
        if grouping_operation is not None:
            grouped = await grouping.resolve(self, query, grouping_operation, outcomes,
                                             {c.node.distribution_key: c for c in clients}, errors)
        coverage = outcomes[0].gathered.coverage if len(outcomes) == 1 else _combine(outcomes)
        trace = [line for o in outcomes for line in o.gathered.trace]
        if query.trace_level >= 1:
            trace[:0] = [*dispatch_trace,
                         f"dispatched to group {group}: nodes {[c.node.distribution_key for c in clients]}"]
        timing = {"querytime": round(search_done - query.started, 6),
                  "summaryfetchtime": round(time.monotonic() - search_done, 6),
                  "searchtime": round(time.monotonic() - query.started, 6)}
        return SearchResult(filled, sum(o.gathered.total_hits for o in outcomes), coverage, errors,
                            trace, timing, grouped)

    async def _search_schema(self, query: Query, schema_name: str, clients, wanted: int,
                             absent=()) -> _SchemaOutcome:
        schema = self.application.schemas[schema_name]
        profile = schema.rank_profiles[query.profile]
        features = await query_features(self.application, profile, query)
        wanted = hits_to_fetch(self.global_phase, query, schema_name, wanted)
        call = SearchCall(schema=schema_name, rank_profile=query.profile, query=query.yql.where, hits=wanted,
                          timeout_ms=max(int((query.deadline - time.monotonic()) * 1000), 1),
                          query_features=features, sorting=query.sorting,
                          rerank_count=query.rerank_count, keep_rank_count=query.keep_rank_count,
                          rank_score_drop_limit=query.rank_score_drop_limit,
                          app_generation=self.application.generation, trace_level=query.trace_level,
                          now=query.now, grouping=grouping.request_text(query),
                          rank_properties=query.rank_properties)
        gathered = await scatter_gather(clients, call, query.deadline, self.application.content.redundancy,
                                        absent, self.cluster.known_active_docs())
        return _SchemaOutcome(schema_name, gathered, features)

    def _merge(self, query: Query, lists, wanted: int) -> list[tuple[LeanHit, str]]:
        if len(lists) == 1:
            return lists[0][:wanted]
        schema_of = {h.global_id: s for hits in lists for h, s in hits}
        plain = [[h for h, _ in hits] for hits in lists]
        merged = merge_hits(plain, query.sorting, wanted)
        return [(h, schema_of[h.global_id]) for h in merged]

    async def _fill(self, query: Query, window, outcomes, clients, errors) -> list[ResultHit]:
        filled: list[ResultHit] = []
        by_schema: dict[str, list[LeanHit]] = {}
        for hit, schema in window:
            by_schema.setdefault(schema, []).append(hit)
        summaries = {}
        for schema, hits in by_schema.items():
            # query features only serve summary-features: a 384-float query embedding is not
            # encoded, sent to every node and decoded again for a fill that does not read it
            profile = self.application.schemas[schema].rank_profiles[query.profile]
            call = DocsumCall(schema=schema, summary_class=query.summary_class, rank_profile=query.profile,
                              global_ids=(), query=query.yql.where,
                              query_features=outcomes[schema].query_features if profile.summary_features else {},
                              app_generation=self.application.generation, now=query.now,
                              rank_properties=query.rank_properties if profile.summary_features else {})
            deadline = max(query.deadline, time.monotonic() + 1.0)  # a late fill still beats no fields
            found, fill_errors = await fill_summaries(clients, hits, call, deadline, self.cluster.replica_clients)
            summaries.update(found)
            errors.extend(fill_errors)
        for hit, schema in window:
            docsum = summaries.get(hit.global_id)
            if docsum is None:
                filled.append(ResultHit(hit, schema))
            else:
                filled.append(ResultHit(hit, schema, docsum.document_id, docsum.fields, docsum.summary_features))
        return filled


def _combine(outcomes) -> CoverageReport:
    reports = [o.gathered.coverage for o in outcomes]
    full = all(r.full for r in reports)
    return CoverageReport(coverage=min(r.coverage for r in reports), documents=sum(r.documents for r in reports),
                          full=full, nodes=max(r.nodes for r in reports), results=len(reports),
                          results_full=sum(r.results_full for r in reports),
                          degraded=None if full else next(r.degraded for r in reports if r.degraded))
