"""The soft deadline inside first-phase ranking: a large candidate set is ranked in chunks and a
node past its deadline answers with what it ranked, degraded, with coverage of what it covered."""
from __future__ import annotations

import time

import numpy as np

from content_node import soft_timeout
from ranking_support import RankingBed

SD = """schema doc {
    document doc {
        field a type double { indexing: attribute }
    }
    rank-profile by-a {
        first-phase { expression: attribute(a) }
    }
}"""


def test_chunks_stop_at_the_deadline_but_always_rank_one(monkeypatch):
    monkeypatch.setattr(soft_timeout, "CHUNK_ROWS", 10)
    calls = []

    def slow(rows):
        calls.append(len(rows))
        time.sleep(0.02)
        return rows.astype(np.float64)

    ranked, scores, out_of_time = soft_timeout.first_phase(slow, np.arange(100), time.monotonic() + 0.05)
    assert out_of_time and 10 <= len(ranked) < 100 and np.array_equal(scores, ranked)
    ranked, _, out_of_time = soft_timeout.first_phase(slow, np.arange(100), time.monotonic() + 60)
    assert not out_of_time and len(ranked) == 100


def test_a_node_past_its_deadline_answers_degraded_with_partial_coverage(tmp_path, monkeypatch):
    monkeypatch.setattr(soft_timeout, "CHUNK_ROWS", 8)
    bed = RankingBed(SD, [{"a": float(i)} for i in range(40)], tmp_path)
    outcome = bed.search("by-a", hits=5, deadline=time.monotonic() - 1)
    assert outcome.coverage.degraded_reason & 2  # timeout
    assert outcome.coverage.docs == 8 and outcome.coverage.active == 40
    assert len(outcome.hits) == 5 and outcome.total_hits == 8
    complete = bed.search("by-a", hits=5)
    assert complete.coverage.docs == 40 and not complete.coverage.degraded_reason
    assert [h.relevance for h in complete.hits] == [39.0, 38.0, 37.0, 36.0, 35.0]
