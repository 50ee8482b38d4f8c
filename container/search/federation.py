"""Several content clusters (Vespa's federation over its cluster searchers): a query goes to the
clusters that hold the schemas it asks for (`sources`, `restrict`, `model.sources`; default all),
each answers [0, offset+hits) as one cluster would, and the answers are merged in the one hit order
(searchlib/hits.py) and cut to [offset, offset+hits). Grouping runs in each cluster (Vespa's
GroupingExecutor is in each cluster's chain): every cluster's root group comes back as its own
`group:root:0` under the root, in the clusters' order, never merged across clusters."""
from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Mapping

from container.search.cluster_searcher import ClusterSearcher
from container.search.phases import SearchResult
from container.search.query import Query
from searchlib.coverage import CoverageReport
from searchlib.hits import merge_hits
from searchlib.schema.model import ApplicationPackage


class FederatedSearcher:
    def __init__(self, application: ApplicationPackage, searchers: Mapping[str, ClusterSearcher]) -> None:
        self.application = application  # the whole package: queries resolve sources against it
        self.searchers = dict(searchers)  # cluster id -> its searcher (over that cluster's view)

    async def search(self, query: Query) -> SearchResult:
        chosen = [(cluster_id, searcher, tuple(s for s in query.schemas if s in searcher.application.schemas))
                  for cluster_id, searcher in self.searchers.items()]
        chosen = [entry for entry in chosen if entry[2]]
        if len(chosen) <= 1:
            cluster_id, searcher, schemas = chosen[0] if chosen else (*next(iter(self.searchers.items())), ())
            return _sourced(await searcher.search(replace(query, schemas=schemas or query.schemas)), cluster_id)
        wanted = query.offset + query.hits
        results = await asyncio.gather(*(
            searcher.search(replace(query, schemas=schemas, offset=0, hits=wanted))
            for _, searcher, schemas in chosen))
        sourced = [_sourced(result, cluster_id) for (cluster_id, _, _), result in zip(chosen, results)]
        by_hit = {id(h.hit): h for result in sourced for h in result.hits}
        merged = merge_hits([[h.hit for h in result.hits] for result in sourced], query.sorting, wanted)
        hits = [by_hit[id(hit)] for hit in merged][query.offset:]
        searchtime = round(time.monotonic() - query.started, 6)
        return SearchResult(hits, sum(r.total_count for r in sourced), _coverage([r.coverage for r in sourced]),
                            [e for r in sourced for e in r.errors], [line for r in sourced for line in r.trace],
                            {**sourced[-1].timing, "searchtime": searchtime},
                            tuple(g for r in sourced for g in r.groupings))


def _sourced(result: SearchResult, cluster_id: str) -> SearchResult:
    """Each hit names the cluster it came from (the hit's `source`), the hits its groups list too."""
    groupings = tuple(replace(g, filled={key: replace(h, source=cluster_id) for key, h in g.filled.items()})
                      for g in result.groupings)
    return replace(result, hits=[replace(h, source=cluster_id) for h in result.hits], groupings=groupings)


def _coverage(reports: list[CoverageReport | None]) -> CoverageReport | None:
    known = [r for r in reports if r is not None]
    if not known:
        return None
    full = all(r.full for r in known)
    return CoverageReport(coverage=min(r.coverage for r in known), documents=sum(r.documents for r in known),
                          full=full, nodes=sum(r.nodes for r in known),
                          results=sum(r.results for r in known), results_full=sum(r.results_full for r in known),
                          degraded=None if full else next((r.degraded for r in known if r.degraded), None))
