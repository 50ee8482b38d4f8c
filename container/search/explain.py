"""The container's part of the phase trace (`ranking.explain=true`; shapes in the README, values
from the nodes in searchlib.explain): the global phase's view of each hit, the per-hit trace
and the query's per-node, per-phase counts and timings. Only called for a query that explains."""
from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

from searchlib.explain import NodePhases
from searchlib.hits import LeanHit


@dataclass(frozen=True, slots=True)
class GlobalTrace:
    """One schema's merged hits before the global phase, and what the global phase did to them."""

    ran: bool  # the profile has a global phase (and there were hits)
    merged_rank: Mapping[bytes, int]  # 1-based rank in the merged hits before the global phase
    reranked: frozenset[bytes]
    count: int  # hits the global phase scored
    of: int  # merged hits it looked at
    ms: float


def global_trace(merged: Sequence[LeanHit], query, rerank_count: int, started: float) -> GlobalTrace:
    """`merged`: the schema's hits in the hit order as the global phase got them; `started`: a
    time.perf_counter() value from before the global phase ran."""
    head = merged[:rerank_count]
    return GlobalTrace(True, {h.global_id: rank for rank, h in enumerate(merged, 1)},
                       frozenset(h.global_id for h in head), len(head), len(merged),
                       round((time.perf_counter() - started) * 1000.0, 3))


def without_global_phase(schema_hits, query):
    """A schema whose profile has no global phase (or no hits): the merged rank is the final one."""
    ranks = {h.global_id: rank for rank, h in enumerate(schema_hits.hits, 1)}
    return replace(schema_hits, global_trace=GlobalTrace(False, ranks, frozenset(), 0, len(schema_hits.hits), 0.0))


def _score(reranked: bool, score: float) -> dict:
    return {"reranked": True, "score": score} if reranked else {"reranked": False, "rescaledScore": score}


def hit_trace(hit: LeanHit, trace: GlobalTrace | None, final_rank: int) -> dict:
    """Where one hit stood after each phase (README: "Phase trace")."""
    rendered: dict[str, object] = {"node": hit.distribution_key}
    phases = hit.phases
    if phases is not None:
        rendered["firstPhase"] = {"score": phases.first_phase, "rank": phases.first_phase_rank}
        if phases.second_phase_ran:
            rendered["secondPhase"] = _score(phases.reranked, phases.node_score)
        rendered["nodeRank"] = phases.node_rank
    if trace is not None:
        rendered["mergedRank"] = trace.merged_rank.get(hit.global_id)
        if trace.ran:
            rendered["globalPhase"] = _score(hit.global_id in trace.reranked, float(hit.relevance))
    rendered["finalRank"] = final_rank
    return rendered


def hit_traces(window: Sequence, by_schema: Sequence, offset: int) -> tuple[dict, ...]:
    """One trace per hit of `window` (ResultHit-likes with .hit and .schema)."""
    traces = {s.schema: s.global_trace for s in by_schema}
    return tuple(hit_trace(h.hit, traces.get(h.schema), offset + i) for i, h in enumerate(window, 1))


def _node(phases: NodePhases) -> dict:
    return {"node": phases.distribution_key, "matched": phases.matched,
            "firstPhaseRanked": phases.first_phase_ranked, "kept": phases.kept,
            "secondPhaseReranked": phases.reranked, "returned": phases.returned,
            "timingsMs": dict(phases.timings_ms)}


def query_trace(query, group: int, by_schema: Sequence, timings_ms: Sequence[tuple[str, float]]) -> dict:
    """The query's phase trace: per schema, per node and per phase."""
    schemas = []
    for s in by_schema:
        trace = s.global_trace
        schemas.append({
            "schema": s.schema,
            "nodes": [_node(p) for p in sorted(s.node_phases, key=lambda p: p.distribution_key)],
            "globalPhase": {"reranked": trace.count, "of": trace.of, "ms": trace.ms}
            if trace is not None and trace.ran else None})
    return {"profile": query.profile, "group": group, "timingsMs": dict(timings_ms), "schemas": schemas}
