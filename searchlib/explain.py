"""The phase trace of a query (`ranking.explain=true`): what each content node did in each phase
and where each returned hit stood after each phase. Values shared by the content node (which
records them), the wire codecs and the container (which adds the global phase and renders them).
Nothing here is computed for a query that does not ask for it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HitPhases:
    """One hit on the node that found it."""

    first_phase: float  # the first-phase score
    first_phase_rank: int  # 1-based rank by first-phase score among the node's candidates
    second_phase_ran: bool  # the profile has a second phase and the node ran it
    reranked: bool  # within the node's rerank-count (else its score was rescaled below them)
    node_score: float  # the score the node answered with: second-phase or rescaled, else first-phase
    node_rank: int  # 1-based rank on the node after the second phase


@dataclass(frozen=True, slots=True)
class NodePhases:
    """One node's work for one query: candidates per phase and milliseconds per phase."""

    distribution_key: int
    matched: int  # documents the query matched
    first_phase_ranked: int  # scored by the first phase and above its drop limit
    kept: int  # the best of those the node looked at further (keep-rank-count, hits)
    reranked: int  # scored by the second phase
    returned: int  # hits sent to the container
    timings_ms: tuple[tuple[str, float], ...] = ()  # (phase, ms) in the order they ran
