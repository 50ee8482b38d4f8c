"""Phases of container/search/phases.py on their own: merge and window over schemas in the one hit
order (ascending relevance too), and the global phase passing through schemas without one."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

from container.search.phases import SchemaHits, SearchPlan, global_phase, merge_and_window
from searchlib.coverage import CoverageReport
from searchlib.hits import LeanHit
from searchlib.query import tree as q


def schema_hits(schema: str, scores: list[float]) -> SchemaHits:
    hits = [LeanHit(f"{schema}{s}".encode(), s, sort_data=(s,)) for s in scores]
    return SchemaHits(schema, hits, len(hits), CoverageReport(100, len(hits), True, 1, 1, 1, None), [], [], (), {})


def plan(offset: int, hits: int, sorting=()) -> SearchPlan:
    query = SimpleNamespace(offset=offset, hits=hits, sorting=sorting, profile="default",
                            global_phase_rerank_count=None, trace_level=0, explain=False)
    return SearchPlan(query, None, offset + hits, None)


def test_merge_and_window_over_schemas_in_the_one_order() -> None:
    by_schema = [schema_hits("a", [9.0, 5.0, 1.0]), schema_hits("b", [8.0, 4.0])]
    window = merge_and_window(plan(1, 3), by_schema)
    assert [(h.relevance, s) for h, s in window] == [(8.0, "b"), (5.0, "a"), (4.0, "b")]


def test_ascending_relevance_merges_ascending() -> None:
    ascending = (q.SortKey("[relevance]", ascending=True),)
    by_schema = [schema_hits("a", [1.0, 3.0]), schema_hits("b", [2.0, 4.0])]
    window = merge_and_window(plan(0, 4, ascending), by_schema)
    assert [h.relevance for h, _ in window] == [1.0, 2.0, 3.0, 4.0]


def test_global_phase_returns_schemas_without_one_unchanged() -> None:
    ranker = SimpleNamespace(setup=lambda schema, profile: None)
    by_schema = [schema_hits("a", [3.0, 2.0])]
    assert asyncio.run(global_phase(ranker, plan(0, 2), by_schema)) == by_schema
