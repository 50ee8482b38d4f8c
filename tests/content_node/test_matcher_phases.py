"""Phases on one content node, with hand-computed numbers: second phase on the top rerank-count,
Vespa's rescaling of the rest, drop limits, query overrides, and the phase features."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from ranking_support import RankingBed

MAX_DOUBLE = 1.7976931348623157e308

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
        match-features: firstPhase secondPhase firstPhaseRank relevanceScore
    }
    rank-profile no-rescale inherits two {
        second-phase {
            expression: 100 + attribute(b)
            rerank-count: 2
        }
    }
    rank-profile nan-second {
        first-phase { expression: attribute(a) }
        second-phase {
            expression: log(attribute(b) - 4)
            rerank-count: 2
        }
    }
    rank-profile small-range {
        first-phase { expression: attribute(a) / 100 }
        second-phase {
            expression: attribute(b) - 10
            rerank-count: 2
        }
    }
    rank-profile uses-first {
        first-phase { expression: attribute(a) }
        second-phase { expression: firstPhase * 2 + attribute(b) }
    }
    rank-profile drops inherits two {
        first-phase {
            expression: attribute(a)
            rank-score-drop-limit: 7.5
        }
        second-phase {
            expression: attribute(b)
            rerank-count: 2
            rank-score-drop-limit: 0.0
        }
    }
    rank-profile tree {
        first-phase { expression: attribute(a) }
        second-phase {
            expression: xgboost("m.json")
            rerank-count: 3
        }
        function doubled() { expression: attribute(a) * 2 }
    }
}
"""

DOCS = [{"a": 10, "b": 3}, {"a": 9, "b": 5}, {"a": 8, "b": 100}, {"a": 7, "b": 0}, {"a": 6, "b": 0}]


@pytest.fixture()
def bed(tmp_path: Path):
    package = tmp_path / "app"
    (package / "models").mkdir(parents=True)
    tree = {"nodeid": 0, "split": "doubled", "split_condition": 19.0, "yes": 1, "no": 2, "missing": 1,
            "children": [{"nodeid": 1, "split": "attribute(b)", "split_condition": 4.0, "yes": 3, "no": 4,
                          "missing": 3, "children": [{"nodeid": 3, "leaf": 1.5}, {"nodeid": 4, "leaf": 2.5}]},
                         {"nodeid": 2, "leaf": 0.5}]}
    (package / "models" / "m.json").write_text(json.dumps([tree, {"nodeid": 0, "leaf": 0.25}]))
    bed = RankingBed(SD, DOCS, tmp_path, package_path=package)
    yield bed
    bed.close()


def test_second_phase_reranks_the_top_and_rescales_the_rest(bed: RankingBed) -> None:
    # reranked: a=10 -> 3, a=9 -> 5. fp [9, 10], sp [3, 5]: 9 > 3, so scale = 2/1 = 2,
    # adjust = 9*2 - 3 = 15, and the rest get a*2 - 15: 1, -1, -3
    assert bed.ranked("two") == [("1", 5.0), ("0", 3.0), ("2", 1.0), ("3", -1.0), ("4", -3.0)]


def test_phase_features_as_match_features(bed: RankingBed) -> None:
    features = [h.match_features for h in bed.search("two").hits]
    assert [f["firstPhase"] for f in features] == [9.0, 10.0, 8.0, 7.0, 6.0]
    assert [f["secondPhase"] for f in features] == [5.0, 3.0, 1.0, -1.0, -3.0]
    assert [f["relevanceScore"] for f in features] == [5.0, 3.0, 1.0, -1.0, -3.0]
    assert [f["firstPhaseRank"] for f in features] == [2.0, 1.0, MAX_DOUBLE, MAX_DOUBLE, MAX_DOUBLE]


def test_no_rescaling_when_second_phase_scores_are_above_first_phase(bed: RankingBed) -> None:
    assert bed.ranked("no-rescale") == [("1", 105.0), ("0", 103.0), ("2", 8.0), ("3", 7.0), ("4", 6.0)]


def test_a_nan_second_phase_score_does_not_stop_the_rescaling(bed: RankingBed) -> None:
    # reranked: a=10 -> log(-1) = NaN, a=9 -> log(1) = 0. NaN does not widen the ranges (as in the
    # global phase: one searchlib.rescaling): sp [0, 0], fp [9, 10], scale 1, bias -9; NaN last
    ranked = bed.ranked("nan-second")
    assert ranked[:4] == [("1", 0.0), ("2", -1.0), ("3", -2.0), ("4", -3.0)]
    assert ranked[4][0] == "0" and math.isnan(ranked[4][1])


def test_rescaling_uses_a_range_of_at_least_one(bed: RankingBed) -> None:
    # fp [0.09, 0.10] (range < 1 counts as 1), sp [-7, -5]: scale 2, adjust 0.09*2 + 7 = 7.18
    assert bed.ranked("small-range") == [("1", -5.0), ("0", -7.0), ("2", -7.02), ("3", -7.04), ("4", -7.06)]


def test_query_overrides_rerank_count(bed: RankingBed) -> None:
    # only a=10 reranked (-> 3): scale 1, adjust 10 - 3 = 7; the rest a - 7
    assert bed.ranked("two", rerank_count=1) == [("0", 3.0), ("1", 2.0), ("2", 1.0), ("3", 0.0), ("4", -1.0)]
    assert bed.ranked("two", rerank_count=0) == [("0", 10.0), ("1", 9.0), ("2", 8.0), ("3", 7.0), ("4", 6.0)]


def test_default_rerank_count_is_100(bed: RankingBed) -> None:
    # uses-first has no rerank-count: all five are reranked with 2*a + b
    assert dict(bed.ranked("uses-first")) == {"0": 23.0, "1": 23.0, "2": 116.0, "3": 14.0, "4": 12.0}
    assert bed.ranked("uses-first")[0] == ("2", 116.0)


def test_hits_window_smaller_than_rerank_count(bed: RankingBed) -> None:
    assert bed.ranked("two", hits=1) == [("1", 5.0)]
    assert bed.search("two", hits=1).total_hits == 5


def test_first_and_second_phase_drop_limits(bed: RankingBed) -> None:
    # first phase drops a <= 7.5; second phase reranks a=10 (3), a=9 (5); a=8 rescaled to 1; none <= 0
    outcome = bed.search("drops")
    assert outcome.total_hits == 3
    assert bed.ranked("drops") == [("1", 5.0), ("0", 3.0), ("2", 1.0)]
    # the query's ranking.rankScoreDropLimit replaces the profile's first-phase limit
    assert bed.search("drops", rank_score_drop_limit=8.5).total_hits == 2
    # second-phase limit 0 drops the rescaled -1 and -3 of profile `two` when given by the query
    outcome = bed.search("two", second_phase_rank_score_drop_limit=0.0)
    assert outcome.total_hits == 3 and len(outcome.hits) == 3


def test_xgboost_second_phase_with_function_features(bed: RankingBed) -> None:
    # doubled = 2a: a=10 -> 20 >= 19 -> 0.5 (+0.25); a=9 -> 18 < 19, b=5 >= 4 -> 2.5 (+0.25);
    # a=8 -> b=100 -> 2.5 (+0.25). Reranked [0.75, 2.75, 2.75] vs fp [8, 10]: scale 2/2 = 1,
    # adjust 8 - 0.75 = 7.25: the rest a - 7.25
    ranked = bed.ranked("tree")
    assert sorted(ranked[:2]) == [("1", 2.75), ("2", 2.75)]
    assert ranked[2:] == [("0", 0.75), ("3", -0.25), ("4", -1.25)]


def test_match_features_with_sorting(bed: RankingBed) -> None:
    from searchlib.query import tree as q

    outcome = bed.search("two", sorting=(q.SortKey("b", True),))
    assert [h.match_features["firstPhase"] for h in outcome.hits][:2] in ([7.0, 6.0], [6.0, 7.0])
    assert all(h.match_features["firstPhaseRank"] == MAX_DOUBLE for h in outcome.hits)
