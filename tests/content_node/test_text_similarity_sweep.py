"""textSimilarity's sweep over all candidates at once equals the per-document sweep it replaced
(kept here as the oracle), on random documents and queries, ties and short fields included."""
from __future__ import annotations

import numpy as np
import pytest

from content_node.matching.text_similarity import sweep


def _step_score(distance: float) -> float:
    return 0.0 if distance > 8 or distance < 1 else 1.0 - ((distance - 1) / 8.0) ** 2


def _oracle(events: list[tuple[int, int]], weights: list[float], n: int,
            length: float) -> tuple[float, float, float, float]:
    last_pos, last_idx = events[0]
    joined, weight, proximity, in_order = {last_idx}, weights[last_idx], 0.0, 0
    for pos, idx in events[1:]:
        if idx in joined or pos <= last_pos:
            continue
        proximity += _step_score(pos - last_pos)
        in_order += idx > last_idx
        last_pos, last_idx = pos, idx
        joined.add(idx)
        weight += weights[idx]
    matches = min(length, len(joined))
    if matches < 2:
        proximity, order = _step_score(length), 1.0 if n == 1 else 0.0
    else:
        proximity, order = proximity / (matches - 1), in_order / (matches - 1)
    return proximity, order, weight / sum(weights), matches / length if length else 0.0


@pytest.mark.parametrize("seed", range(40))
def test_sweep_over_all_rows_equals_the_per_document_sweep(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_terms, n_rows = int(rng.integers(1, 6)), int(rng.integers(1, 60))
    weights = [float(w) for w in rng.choice([1, 3, 100, 0.7, 250], size=n_terms)]
    span = int(rng.choice([4, 12, 40]))  # narrow spans make terms share positions (phrases, repeats)
    lengths = rng.integers(0, span + 2, size=n_rows).astype(np.float64)
    rows, positions, term_ids = [], [], []
    for row in range(n_rows):
        for term in range(n_terms):
            if rng.random() < 0.6:
                at = np.unique(rng.integers(0, span, size=int(rng.integers(1, 5))))
                rows += [row] * len(at)
                positions += at.tolist()
                term_ids += [term] * len(at)
    first = np.full((n_rows, n_terms), -1.0)
    for r, p, t in zip(rows, positions, term_ids):
        first[r, t] = p if first[r, t] < 0 else min(first[r, t], p)
    asked = []

    def events(row: int) -> tuple[np.ndarray, np.ndarray]:
        asked.append(row)
        pairs = sorted((p, t) for r, p, t in zip(rows, positions, term_ids) if r == row)
        return np.array([p for p, _ in pairs]), np.array([t for _, t in pairs])

    got = sweep(first, weights, lengths, events)
    for row in range(n_rows):
        events_of_row = sorted((p, t) for r, p, t in zip(rows, positions, term_ids) if r == row)
        expected = _oracle(events_of_row, weights, n_terms, float(lengths[row])) if events_of_row else (0.0,) * 4
        assert tuple(float(part[row]) for part in got) == expected, (row, events_of_row)
    # the sequential sweep only where two terms start at one position
    starts = [sorted(x for x in first[row] if x >= 0) for row in range(n_rows)]
    assert sorted(asked) == [row for row, s in enumerate(starts) if len(set(s)) < len(s)]


def test_sweep_without_occurrences_is_zero() -> None:
    parts = sweep(np.full((3, 2), -1.0), [1.0, 2.0], np.ones(3), lambda row: pytest.fail("no events to read"))
    assert all(np.array_equal(part, np.zeros(3)) for part in parts)
