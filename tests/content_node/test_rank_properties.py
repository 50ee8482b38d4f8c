"""`ranking.properties.<p>` reach the profile as in Vespa: the query's rank properties overlay the
profile's rank-properties on the node (tests/container/test_query_rank_properties.py: how the
container splits them from query features)."""
from __future__ import annotations

from pathlib import Path

import pytest

from ranking_support import RankingBed
from searchlib.query import tree as q

SD = """schema doc {
    document doc {
        field title type string {
            indexing: index | summary
            index: enable-bm25
        }
    }
    rank-profile plain {
        first-phase { expression: bm25(title) }
    }
    rank-profile tuned inherits plain {
        rank-properties {
            bm25(title).k1: 0.3
            bm25(title).b: 0.1
        }
    }
}
"""
DOCS = [{"title": "red red red car"}, {"title": "red bike with a long long title"}, {"title": "a red boat"}]


@pytest.fixture()
def bed(tmp_path: Path):
    bed = RankingBed(SD, DOCS, tmp_path)
    yield bed
    bed.close()


def _scores(bed: RankingBed, profile: str, properties=None) -> list[tuple[str, float]]:
    return bed.ranked(profile, query=q.Term("title", "red"), rank_properties=properties or {})


def test_query_rank_properties_override_the_profile_defaults(bed: RankingBed) -> None:
    tuned = {"bm25(title).k1": "0.3", "bm25(title).b": "0.1"}
    assert _scores(bed, "plain", tuned) == _scores(bed, "tuned")
    assert _scores(bed, "plain") != _scores(bed, "tuned")
    assert _scores(bed, "tuned", {"bm25(title).k1": "1.2", "bm25(title).b": "0.75"}) == _scores(bed, "plain")

