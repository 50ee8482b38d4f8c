"""The content node's soft deadline inside a phase (Vespa's soft timeout): first-phase ranking over a
large candidate set runs in chunks of local ids, and when the deadline passes between chunks the
node stops and answers with what it has ranked, marked degraded, with coverage counting only the
documents it got through. Small candidate sets are ranked in one call, as before."""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

CHUNK_ROWS = 65_536  # candidates per first-phase call once a query is large enough to be chunked


def first_phase(evaluate: Callable[[np.ndarray], np.ndarray], candidates: np.ndarray,
                deadline: float) -> tuple[np.ndarray, np.ndarray, bool]:
    """Scores for a prefix of `candidates` (sorted local ids): all of them, or those ranked before
    the deadline passed (at least one chunk). Returns (candidates ranked, scores, timed out)."""
    if len(candidates) <= CHUNK_ROWS:
        return candidates, evaluate(candidates), False
    parts: list[np.ndarray] = []
    done = 0
    while done < len(candidates):
        parts.append(evaluate(candidates[done: done + CHUNK_ROWS]))
        done = min(done + CHUNK_ROWS, len(candidates))
        if done < len(candidates) and time.monotonic() > deadline:
            return candidates[:done], np.concatenate(parts), True
    return candidates, np.concatenate(parts), False


def covered_documents(alive: np.ndarray, ranked: np.ndarray, all_candidates: int, active: int) -> int:
    """Documents searched when only `ranked` (a prefix of the candidates) was ranked: the alive
    documents below the first local id not reached."""
    if len(ranked) >= all_candidates or not len(ranked):
        return active if len(ranked) >= all_candidates else 0
    return int(np.count_nonzero(alive[: int(ranked[-1]) + 1]))
