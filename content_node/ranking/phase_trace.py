"""The content node's part of the phase trace (`ranking.explain=true`, searchlib.explain): laps
per phase and where each returned hit stood. A query that does not explain gets NO_CLOCK, whose
lap does nothing, and none of the per-hit work below."""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Sequence

import numpy as np

from searchlib.explain import HitPhases, NodePhases
from searchlib.hits import LeanHit


class PhaseClock:
    def __init__(self) -> None:
        self._last = time.perf_counter()
        self.laps: list[tuple[str, float]] = []

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.laps.append((phase, round((now - self._last) * 1000.0, 3)))
        self._last = now


class _NoClock:
    laps: list = []

    def lap(self, phase: str) -> None:
        pass


NO_CLOCK = _NoClock()


def explained(hits: Sequence[LeanHit], first_order: Sequence[bytes], first_scores: np.ndarray,
              reranked_head: int | None) -> list[LeanHit]:
    """`first_order`: the global ids the node kept, in first-phase order; `first_scores`: the
    returned hits' first-phase scores; `reranked_head`: how many of `first_order` the second
    phase scored (None: no second phase ran)."""
    position = {gid: rank for rank, gid in enumerate(first_order, 1)}
    result = []
    for node_rank, (hit, first) in enumerate(zip(hits, first_scores), 1):
        first_rank = position[hit.global_id]
        ran = reranked_head is not None
        result.append(replace(hit, phases=HitPhases(
            first_phase=float(first), first_phase_rank=first_rank, second_phase_ran=ran,
            reranked=ran and first_rank <= reranked_head, node_score=float(hit.relevance), node_rank=node_rank)))
    return result


def node_phases(distribution_key: int, matched: int, ranked: int, kept: int, reranked: int, returned: int,
                clock: PhaseClock) -> NodePhases:
    return NodePhases(distribution_key, matched, ranked, kept, reranked, returned, tuple(clock.laps))
