"""Coverage arithmetic (Vespa's CoverageAggregator): what fraction of the corpus a result covers."""
from __future__ import annotations

from dataclasses import dataclass

DEGRADED_MATCH_PHASE = 1
DEGRADED_TIMEOUT = 2
DEGRADED_ADAPTIVE_TIMEOUT = 4
DEGRADED_ANN_TIMEOUT = 8


@dataclass(frozen=True, slots=True)
class Coverage:
    docs: int = 0
    active: int = 0
    target_active: int = 0
    degraded_reason: int = 0
    nodes: int = 0

    def merge(self, other: "Coverage") -> "Coverage":
        return Coverage(self.docs + other.docs, self.active + other.active,
                        self.target_active + other.target_active,
                        self.degraded_reason | other.degraded_reason, self.nodes + other.nodes)


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """The rendered `coverage` object of a result."""

    coverage: int
    documents: int
    full: bool
    nodes: int
    results: int
    results_full: int
    degraded: dict[str, bool] | None


def aggregate(answered: list[Coverage], nodes_asked: int, timed_out: bool,
              redundancy: int = 1, known_missing_active: int | None = None) -> CoverageReport:
    """Sum answered coverage; estimate the active documents of nodes that did not answer (or use
    `known_missing_active`, their documents as last reported by health pings)."""
    total = Coverage()
    for coverage in answered:
        total = total.merge(coverage)
    reason = total.degraded_reason | (DEGRADED_TIMEOUT if timed_out else 0)
    missing = nodes_asked - len(answered)
    active, target_active = total.active, total.target_active
    if missing > 0:
        if known_missing_active is not None:
            active += known_missing_active
            target_active += known_missing_active
        elif answered:
            missing_for_estimate = max(missing - (redundancy - 1), 0) if timed_out else missing
            per_node = total.active / len(answered)
            active += int(per_node * missing_for_estimate)
            target_active += int(total.target_active / len(answered) * missing_for_estimate)
    if target_active == 0:
        percent = 0 if (timed_out or missing > 0) and not answered else 100
    elif total.docs >= target_active:
        percent = 100
    else:
        percent = round(total.docs * 100 / target_active)
    full = (total.docs >= active and not (active == 0 and timed_out)
            and not reason & DEGRADED_ANN_TIMEOUT and missing == 0 and not reason)
    degraded = None
    if not full:
        degraded = {
            "match-phase": bool(reason & DEGRADED_MATCH_PHASE),
            "timeout": bool(reason & DEGRADED_TIMEOUT),
            "adaptive-timeout": bool(reason & DEGRADED_ADAPTIVE_TIMEOUT),
            "anntimeout": bool(reason & DEGRADED_ANN_TIMEOUT),
            "non-ideal-state": reason == 0 and percent != 100 or (reason == 0 and missing > 0),
        }
    return CoverageReport(coverage=percent, documents=total.docs, full=full, nodes=len(answered),
                          results=1, results_full=1 if full else 0, degraded=degraded)
