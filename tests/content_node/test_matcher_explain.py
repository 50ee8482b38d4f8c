"""The content node's phase trace (ranking.explain): first-phase score and rank on the node,
second-phase or rescaled score, the rank after the second phase, counts per phase; and nothing
at all for a query that does not ask."""
from __future__ import annotations

from pathlib import Path

import pytest

from ranking_support import RankingBed
from searchlib.explain import HitPhases, NodePhases
from searchlib.hits import LeanHit
from searchlib.wire.hits_codec import decode_hit, decode_node_phases, encode_hit, encode_node_phases

SD = """schema doc {
    document doc {
        field a type double { indexing: attribute }
        field b type double { indexing: attribute }
    }
    rank-profile two {
        first-phase { expression: attribute(a) }
        second-phase {
            expression: attribute(b)
            rerank-count: 2
        }
    }
    rank-profile drops inherits two {
        first-phase {
            expression: attribute(a)
            rank-score-drop-limit: 7.5
        }
        second-phase {
            expression: attribute(b)
            rerank-count: 2
            rank-score-drop-limit: 4.0
        }
    }
    rank-profile first-only {
        first-phase { expression: attribute(a) }
    }
}
"""
DOCS = [{"a": 10, "b": 3}, {"a": 9, "b": 5}, {"a": 8, "b": 100}, {"a": 7, "b": 0}, {"a": 6, "b": 0}]


@pytest.fixture()
def bed(tmp_path: Path):
    bed = RankingBed(SD, DOCS, tmp_path)
    yield bed
    bed.close()


def traced(bed: RankingBed, profile: str, **params) -> list[tuple[str, HitPhases]]:
    outcome = bed.search(profile, explain=True, **params)
    return [(bed.ids[h.global_id].rsplit(":", 1)[1], h.phases) for h in outcome.hits]


def test_each_hit_carries_its_phases(bed: RankingBed) -> None:
    # first phase a: 10, 9, 8, 7, 6; second phase b on the best two: 3, 5; the rest a*2 - 15
    assert traced(bed, "two") == [
        ("1", HitPhases(9.0, 2, True, True, 5.0, 1)), ("0", HitPhases(10.0, 1, True, True, 3.0, 2)),
        ("2", HitPhases(8.0, 3, True, False, 1.0, 3)), ("3", HitPhases(7.0, 4, True, False, -1.0, 4)),
        ("4", HitPhases(6.0, 5, True, False, -3.0, 5))]


def test_node_counts_and_laps(bed: RankingBed) -> None:
    phases = bed.search("drops", explain=True, hits=3).phases
    # a > 7.5 keeps 3 of 5; the second phase scores the best 2 (b: 3, 5), rescales a=8 to
    # 8*2 - 15 = 1, and drops the scores <= 4.0: only a=9 (5.0) is left
    assert (phases.matched, phases.first_phase_ranked, phases.kept, phases.reranked) == (5, 3, 3, 2)
    assert phases.returned == 1
    assert [name for name, _ in phases.timings_ms] == ["match", "first-phase", "second-phase", "match-features"]
    assert all(ms >= 0 for _, ms in phases.timings_ms)
    assert traced(bed, "drops", hits=3) == [("1", HitPhases(9.0, 2, True, True, 5.0, 1))]


def test_first_phase_only(bed: RankingBed) -> None:
    assert traced(bed, "first-only", hits=2) == [("0", HitPhases(10.0, 1, False, False, 10.0, 1)),
                                                 ("1", HitPhases(9.0, 2, False, False, 9.0, 2))]


def test_nothing_is_recorded_without_explain(bed: RankingBed) -> None:
    outcome = bed.search("two")
    assert outcome.phases is None and all(h.phases is None for h in outcome.hits)


def test_phases_survive_the_wire() -> None:
    hit = LeanHit(b"g" * 12, 1.5, 3, {"x": 1.0}, (), HitPhases(2.0, 4, True, False, 1.5, 2))
    assert decode_hit(encode_hit(hit), 3) == hit
    plain = LeanHit(b"g" * 12, 1.5, 3)
    assert decode_hit(encode_hit(plain), 3).phases is None
    node = NodePhases(3, 10, 9, 8, 2, 5, (("match", 0.5), ("first-phase", 0.25)))
    assert decode_node_phases(encode_node_phases(node), 3) == node
