"""One query on one content node: match → first phase → keep → second phase → lean hits.

Runs in a worker thread (never on an event loop). Everything per candidate is a numpy column.
A soft deadline stops work between phases and marks the coverage degraded instead of failing.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

import numpy as np

from content_node import grouping, mutation
from content_node import match_phase, soft_timeout, streaming
from content_node.matching import bm25_top_k
from content_node.matching.match_sets import MatchEvaluator
from content_node.matching.feature_api import RankIndex
from content_node.matching.filter_threshold import FILTER_THRESHOLD
from content_node.matching.rank_features import FeatureCalculator
from content_node.ranking.phase_trace import NO_CLOCK, PhaseClock, explained, node_phases
from content_node.ranking.rank_program import RankProgram
from content_node.term_statistics import ranking_index
from searchlib.corpus_statistics import CorpusStatistics
from searchlib.coverage import DEGRADED_MATCH_PHASE, DEGRADED_TIMEOUT, Coverage
from searchlib.explain import NodePhases
from searchlib.grouping.model import GroupingOperation
from searchlib.grouping.result import Group
from searchlib.hits import LeanHit, is_rank_order, is_relevance, order_rows, sort_value, top_k_indices
from searchlib.query import tree as q
from searchlib.rescaling import rescale_rest
from searchlib.sort_functions import sort_value_of

@dataclass(frozen=True, slots=True)
class SearchParams:
    query: q.QueryNode
    hits: int
    query_features: Mapping[str, object] = field(default_factory=dict)
    rank_properties: Mapping[str, str] = field(default_factory=dict)  # the query's, over the profile's
    sorting: tuple[q.SortKey, ...] = ()
    rerank_count: int | None = None
    keep_rank_count: int | None = None
    rank_score_drop_limit: float | None = None
    second_phase_rank_score_drop_limit: float | None = None
    match_phase_max_hits: int | None = None  # from the profile's total-max-hits (the container spreads it)
    match_phase: Mapping[str, str] = field(default_factory=dict)  # the query's, over the profile's settings
    now: float = 0.0
    deadline: float = float("inf")  # time.monotonic() value
    grouping: GroupingOperation | None = None
    explain: bool = False  # record the phase trace (searchlib.explain)
    corpus_statistics: CorpusStatistics | None = None  # cluster-wide; None: the node's own
    streaming_selection: str = ""  # streaming mode: search only the documents it selects (a group)
    distribution_key: int = 0  # the searching node's (globalSequence); set by ContentNode.search


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    hits: list[LeanHit]
    total_hits: int
    coverage: Coverage
    grouping: Group | None = None  # partial group tree over every matched document
    generation: int = 0  # the view of the documents the query read (DocumentDB.open_view)
    phases: NodePhases | None = None  # the phase trace, when the query explains (distribution key 0)


class IndexWithIds(RankIndex):
    @property
    def global_ids(self) -> Sequence[bytes]: ...


def search(index: IndexWithIds, program: RankProgram, params: SearchParams) -> SearchOutcome:
    schema = program.schema
    clock = PhaseClock() if params.explain else NO_CLOCK
    degraded = 0
    active = index.doc_count
    query_features = program.query_features(params.query_features)
    matching = MatchEvaluator(schema, index, query_features, program.profile.settings)
    # a streaming type: words matched by the field's algorithm or the query's annotation (streaming.py)
    streamed = streaming.streamed_query(params.query, schema, streaming.dictionary_words(index))
    if streamed is not params.query:  # dataclasses.replace costs ~5 us; most queries stream nothing
        params = replace(params, query=streamed)
    shortcut = _bm25_shortcut(index, program, params, matching, query_features)
    if shortcut is not None:
        return shortcut
    candidates = streaming.within(index, params.streaming_selection, matching.matches(params.query))
    limited = match_phase.limit(index, match_phase.settings_of(schema, program.profile, params.match_phase), candidates,
                                params.match_phase_max_hits)
    unranked = len(candidates) - len(limited)  # match-phase: only the best by its attribute are ranked
    searched = round(active * len(limited) / len(candidates)) if unranked else active  # the share ranked
    degraded |= DEGRADED_MATCH_PHASE if unranked else 0
    candidates, matched = limited, len(limited)
    mutation.apply_phase(index, program.profile, mutation.ON_MATCH, candidates)
    calculator = FeatureCalculator(schema, ranking_index(index, params.corpus_statistics,
                                                         streaming.is_streaming(schema)), params.query,
                                   query_features, params.now, program.rank_properties(params.rank_properties),
                                   postings=matching.postings, neighbors=matching.neighbors,
                                   settings=program.feature_settings,
                                   distribution_key=params.distribution_key)
    clock.lap("match")
    candidates, scores, out_of_time = soft_timeout.first_phase(
        lambda rows: _as_column(program.evaluate(program.first_phase, calculator, rows), len(rows)),
        candidates, params.deadline)
    if out_of_time:  # answer with what was ranked in time (soft_timeout.py)
        degraded |= DEGRADED_TIMEOUT
        searched = soft_timeout.covered_documents(index.alive, candidates, matched, active)

    drop_limit = params.rank_score_drop_limit
    if drop_limit is None:
        drop_limit = program.first_phase_drop_limit
    if drop_limit is not None:
        keep = scores > drop_limit
        candidates, scores = candidates[keep], scores[keep]
    mutation.apply_phase(index, program.profile, mutation.ON_FIRST_PHASE, candidates)
    total_hits = len(candidates) + unranked  # the documents match-phase left unranked still matched
    clock.lap("first-phase")
    global_ids = index.global_ids
    candidate_gids = _CandidateIds(global_ids, candidates)

    groups = None
    if params.grouping is not None:
        groups = grouping.run(params.grouping, index, schema, candidates, scores, candidate_gids.as_list())
        clock.lap("grouping")

    if not is_rank_order(params.sorting):  # sorted: no second phase (nor per-hit phase trace)
        coverage = Coverage(docs=searched, active=active, target_active=active, degraded_reason=degraded, nodes=1)
        outcome = _sorted_outcome(index, program, calculator, params, candidates, scores,
                                  candidate_gids.as_list(), total_hits, active)
        if params.explain:
            clock.lap("sort")
            outcome = replace(outcome, phases=node_phases(0, matched, total_hits, len(outcome.hits), 0,
                                                          len(outcome.hits), clock))
        return replace(outcome, grouping=groups, coverage=coverage)

    keep_count = params.keep_rank_count if params.keep_rank_count is not None else program.keep_rank_count
    rerank_count = params.rerank_count if params.rerank_count is not None else program.rerank_count
    wanted = max(params.hits, min(rerank_count, keep_count) if program.second_phase else 0)
    order = top_k_indices(scores, candidate_gids, min(wanted, max(keep_count, params.hits)))
    rows, row_scores = candidates[order], scores[order]
    row_gids = [candidate_gids[i] for i in order]
    first_scores = row_scores  # firstPhase for later phases and match-features
    first_rank = np.full(len(rows), np.finfo(np.float64).max)  # firstPhaseRank: reranked hits only
    first_order, ranked, kept, reranked_head = row_gids, total_hits, len(rows), None  # for the phase trace

    diversity = (match_phase.diversity_settings(schema, program.profile, params.match_phase)
                 if program.second_phase else None)
    if diversity is not None and rerank_count > 0:  # the diverse ones are reranked, the rest are not
        order = match_phase.diverse_first(index, diversity, rows, rerank_count)
        rows, row_scores, first_scores = _take(order, rows, row_scores, first_scores)
        row_gids = [row_gids[i] for i in order]
    if program.second_phase is not None and rerank_count > 0 and len(rows):
        if time.monotonic() > params.deadline:
            degraded |= DEGRADED_TIMEOUT  # out of time: keep first-phase order
        else:
            mutation.apply_phase(index, program.profile, mutation.ON_SECOND_PHASE, rows[:rerank_count])
            row_scores = _second_phase(program, calculator, rows, row_scores, rerank_count)
            reranked_head = min(rerank_count, len(rows))
            first_rank[: min(rerank_count, len(rows))] = np.arange(1, min(rerank_count, len(rows)) + 1)
            limit = params.second_phase_rank_score_drop_limit
            if limit is None:
                limit = program.second_phase_drop_limit
            if limit is not None:
                keep = row_scores > limit
                total_hits -= int((~keep).sum())
                rows, row_scores, first_scores, first_rank = _take(keep, rows, row_scores, first_scores, first_rank)
                row_gids = [g for g, k in zip(row_gids, keep) if k]
            order = top_k_indices(row_scores, row_gids, len(rows))
            rows, row_scores, first_scores, first_rank = _take(order, rows, row_scores, first_scores, first_rank)
            row_gids = [row_gids[i] for i in order]
            clock.lap("second-phase")

    window = slice(0, params.hits)
    rows, row_scores, first_scores, first_rank = _take(window, rows, row_scores, first_scores, first_rank)
    row_gids = row_gids[window]
    phase_features = {"firstPhase": first_scores, "relevanceScore": row_scores, "firstPhaseRank": first_rank,
                      "firstPhaseMax": float(scores.max()) if len(scores) else -np.inf}
    if program.second_phase is not None:
        phase_features["secondPhase"] = row_scores
    features = _match_features(program, calculator, rows, phase_features)
    hits = [LeanHit(global_id=gid, relevance=float(score), match_features=features[i])
            for i, (gid, score) in enumerate(zip(row_gids, row_scores))]
    coverage = Coverage(docs=searched, active=active, target_active=active, degraded_reason=degraded, nodes=1)
    phases = None
    if params.explain:
        clock.lap("match-features")
        hits = explained(hits, first_order, first_scores, reranked_head)
        phases = node_phases(0, matched, ranked, kept, reranked_head or 0, len(hits), clock)
    return SearchOutcome(hits=hits, total_hits=total_hits, coverage=coverage, grouping=groups, phases=phases)


def _bm25_shortcut(index: IndexWithIds, program: RankProgram, params: SearchParams, matching: MatchEvaluator,
                   query_features: Mapping[str, object]) -> SearchOutcome | None:
    """An OR of words ranked by a sum of bm25 alone: the same hits and total as ranking every match,
    found without it (matching/bm25_top_k.py). None when the query or the profile needs every
    match ranked (grouping, sorting, a second phase, match-features, limits, mutations, tracing)."""
    profile = program.profile
    if (params.hits <= 0 or params.grouping is not None or params.explain or params.streaming_selection
            or streaming.is_streaming(program.schema)
            or not is_rank_order(params.sorting) or program.second_phase is not None or program.all_match_features
            or profile.mutate or profile.first_phase is None or params.rank_score_drop_limit is not None
            or program.first_phase_drop_limit is not None or FILTER_THRESHOLD in profile.settings
            or match_phase.settings_of(program.schema, profile, params.match_phase) is not None):
        return None
    fields = bm25_top_k.bm25_sum_fields(program.first_phase.root)
    words = bm25_top_k.or_of_words(params.query)
    if fields is None or words is None:
        return None
    calculator = FeatureCalculator(program.schema, ranking_index(index, params.corpus_statistics), params.query,
                                   query_features, params.now, program.rank_properties(params.rank_properties),
                                   postings=matching.postings, settings=program.feature_settings,
                                   distribution_key=params.distribution_key)
    rank = bm25_top_k.bm25_sum_rank(calculator, fields,
                                    lambda rows: program.evaluate(program.first_phase, calculator, rows))
    global_ids = index.global_ids
    found = bm25_top_k.top_k(
        calculator, words, fields, params.hits, np.asarray(index.alive, dtype=bool),
        lambda rows: _as_column(rank(rows), len(rows)),
        lambda rows, scores, k: top_k_indices(scores, _CandidateIds(global_ids, rows), k))
    if found is None:
        return None
    hits = [LeanHit(global_id=global_ids[row], relevance=float(score), match_features={})
            for row, score in zip(found.rows.tolist(), found.scores.tolist())]
    active = index.doc_count
    coverage = Coverage(docs=active, active=active, target_active=active, degraded_reason=0, nodes=1)
    return SearchOutcome(hits=hits, total_hits=found.matched, coverage=coverage)


class _CandidateIds(Sequence[bytes]):
    """The candidates' global ids, looked up when read: the top-k reads the few near its
    threshold, not the thousands a query matches (a Python list of them cost a loop per match)."""

    __slots__ = ("_ids", "_rows")

    def __init__(self, global_ids: Sequence[bytes], rows: np.ndarray) -> None:
        self._ids, self._rows = global_ids, rows

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, i):  # an int (top_k_indices' tie-break reads one at a time)
        return self._ids[int(self._rows[i])]

    def as_list(self) -> list[bytes]:
        return [self._ids[i] for i in self._rows.tolist()]


def _second_phase(program: RankProgram, calculator: FeatureCalculator, rows: np.ndarray,
                  first_scores: np.ndarray, rerank_count: int) -> np.ndarray:
    """Rerank the best `rerank_count`; rescale the rest below them (Vespa's first_phase_rescorer)."""
    head = min(rerank_count, len(rows))
    head_rows = rows[:head]
    phase_features = {"firstPhase": first_scores[:head], "relevanceScore": first_scores[:head],
                      "firstPhaseRank": np.arange(1, head + 1, dtype=np.float64),
                      "firstPhaseMax": float(first_scores[:head].max())}
    second = _as_column(program.evaluate(program.second_phase, calculator, head_rows, phase_features), head)
    result = first_scores.astype(np.float64).copy()
    result[:head] = second
    result[head:] = rescale_rest(first_scores[:head], second, first_scores[head:])
    return result


def _take(index, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    return tuple(a[index] for a in arrays)


def _match_features(program: RankProgram, calculator: FeatureCalculator, rows: np.ndarray,
                    phase_features: Mapping[str, np.ndarray]) -> list[dict[str, object]]:
    """match-features (and hidden ones the global phase asked for) for the returned hits."""
    per_hit: list[dict[str, object]] = [{} for _ in range(len(rows))]
    if not program.all_match_features or not len(rows):
        return per_hit
    for named in program.all_match_features:
        values = program.evaluate(named.expression, calculator, rows, phase_features)
        for i in range(len(rows)):
            per_hit[i][named.name] = _row_value(values, i)
    return per_hit


def _sorted_outcome(index, program, calculator, params, candidates, scores, gids, total_hits, active):
    order = order_rows(params.sorting, scores, lambda name: index.attribute(name)[candidates], gids, params.hits)
    rows, row_scores = candidates[order], scores[order]
    features = _match_features(program, calculator, rows, {
        "firstPhase": row_scores, "relevanceScore": row_scores, "secondPhase": row_scores,
        "firstPhaseRank": np.full(len(rows), np.finfo(np.float64).max),  # sorting: no second phase
        "firstPhaseMax": float(scores.max()) if len(scores) else -np.inf})
    hits = []
    for i, row in enumerate(order):
        sort_values = tuple(_sort_value(index, key, candidates[row], scores[row]) for key in params.sorting)
        hits.append(LeanHit(global_id=gids[row], relevance=float(scores[row]),
                            match_features=features[i], sort_data=sort_values))
    coverage = Coverage(docs=active, active=active, target_active=active, nodes=1)
    return SearchOutcome(hits=hits, total_hits=total_hits, coverage=coverage)


def _sort_value(index, key: q.SortKey, row: int, score: float) -> object:
    if is_relevance(key.field):
        return float(score)
    return sort_value(sort_value_of(index.attribute(key.field)[row], key.function, key.strength))


def _as_column(value: object, rows: int) -> np.ndarray:
    if isinstance(value, np.ndarray) and value.shape == (rows,):
        return value.astype(np.float64, copy=False)
    if isinstance(value, (int, float, np.floating)):
        return np.full(rows, float(value))
    raise TypeError(f"a rank phase must produce a number per document, got {type(value).__name__}")


def _row_value(values: object, row: int) -> object:
    if isinstance(values, np.ndarray):
        return float(values[row])
    if isinstance(values, (int, float)):
        return float(values)
    rows_of = getattr(values, "row", None)
    return rows_of(row) if rows_of else values
