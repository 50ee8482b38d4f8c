"""`ranking.properties.<p>` reach the profile as in Vespa: the query's rank properties overlay the
profile's rank-properties on the node (tests/container/test_query_rank_properties.py: how the
container splits them from query features)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ranking_support import RankingBed
from searchlib.errors import InvalidParameterError, SchemaError
from searchlib.query import tree as q
from searchlib.schema.application import application_from_text

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



@pytest.mark.parametrize("key", ["bm25(title).k1", "bm25(title).b", "bm25(title).averageFieldLength"])
def test_a_bm25_parameter_that_is_no_finite_number_is_refused(bed: RankingBed, key: str) -> None:
    """From a query: InvalidParameterError (a 400, was a ValueError and a 500); from a profile: a
    located schema error."""
    for value in ("abc", "nan", "inf"):
        with pytest.raises(InvalidParameterError, match=re.escape(f"{key} must be a")):
            _scores(bed, "plain", {key: value})
    profile = SD.replace("bm25(title).k1: 0.3\n            bm25(title).b: 0.1", f"{key}: abc")
    assert profile != SD
    with pytest.raises(SchemaError, match=re.escape(f"{key} must be a number")) as raised:
        application_from_text(profile, name="doc.sd")
    assert "doc.sd" in str(raised.value)
