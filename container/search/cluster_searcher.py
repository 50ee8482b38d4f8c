"""The per-schema search flow (Vespa's ClusterSearcher): the phases of container/search/phases.py
in order. Each node is asked for max(offset+hits, rerank count) hits at offset 0; the container
merges, runs the global phase, trims to the window, and only then fills summaries for it."""
from __future__ import annotations

import time
from dataclasses import replace

from container.dispatch.search_cluster import SearchCluster
from container.ranking.global_phase import GlobalPhaseRanker
from container.search import explain, grouping, phases
from container.search.phases import SearchResult
from container.search.query import Query, QueryTimeout
from container.search.significance import models_of
from searchlib.schema.model import ApplicationPackage

# answers this much after the deadline still count (the event loop's timers fire a little late)
LATE_ANSWER_TOLERANCE = 0.05


class ClusterSearcher:
    def __init__(self, application: ApplicationPackage, cluster: SearchCluster) -> None:
        self.application = application
        self.cluster = cluster
        self.global_phase = GlobalPhaseRanker(application)
        models_of(application)  # read now: a model file that is no model stops the start, not a query

    async def search(self, query: Query) -> SearchResult:
        app, cluster = self.application, self.cluster
        plan = phases.plan(app, self.global_phase, query)
        dispatched = time.monotonic()
        if dispatched >= query.deadline:  # queued in the container (or parsing) took the whole timeout
            raise QueryTimeout(f"Timed out after {query.timeout:g} s waiting in the container, "
                               "before any content node was asked")
        searched = await phases.search(plan, app, cluster, self.global_phase)
        searched_at = time.monotonic()
        if searched_at > query.deadline + LATE_ANSWER_TOLERANCE and all(s.coverage.full for s in searched.by_schema):
            # every node answered, but too late for this query: a timeout, not a late full answer
            raise QueryTimeout(f"Timed out after {query.timeout:g} s: the content nodes' answers came "
                               f"{searched_at - query.deadline:.3f} s after the query's deadline")
        by_schema = await phases.global_phase(self.global_phase, plan, searched.by_schema)
        search_done = time.monotonic()
        window = phases.merge_and_window(plan, by_schema)
        filled = await phases.fill(plan, app, cluster, searched.clients, window, by_schema)
        errors = [*(e for s in by_schema for e in s.errors), *filled.errors]
        grouped = phases.group(plan, app, by_schema)
        if grouped is not None and (listed := grouping.hits_to_fill(grouped)):
            group_filled = await phases.fill(plan, app, cluster, searched.clients, listed, by_schema)
            grouped = grouping.with_filled(grouped, group_filled.hits)
            errors.extend(group_filled.errors)
        timing = {"querytime": round(search_done - query.started, 6),
                  "summaryfetchtime": round(time.monotonic() - search_done, 6),
                  "searchtime": round(time.monotonic() - query.started, 6)}
        result = SearchResult(filled.hits, sum(s.total_hits for s in by_schema), phases.coverage(by_schema),
                              errors, phases.trace(plan, searched, by_schema), timing,
                              (grouped,) if grouped is not None else ())
        if not query.explain:
            return result
        laps = [("parse", dispatched - query.started), ("search", searched_at - dispatched),
                ("global-phase", search_done - searched_at), ("fill", time.monotonic() - search_done)]
        laps.append(("total", time.monotonic() - query.started))
        return replace(result, hit_traces=explain.hit_traces(filled.hits, by_schema, query.offset),
                       phase_trace=explain.query_trace(query, searched.group, by_schema,
                                                       [(name, round(s * 1000.0, 3)) for name, s in laps]))
