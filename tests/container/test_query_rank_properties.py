"""Rank properties in a query (`ranking.properties.<p>`, `rankproperty.<p>`): one named query(x) or
$x is the query feature query(x), as Vespa's query feature reads it (ranking.features wins); the
others go to the content nodes over the profile's rank-properties."""
from __future__ import annotations

from container.search.query import build_query
from searchlib.schema.application import application_from_text

SD = """schema doc {
    document doc {
        field title type string { indexing: index | summary }
    }
}
"""


def test_rank_properties_named_like_query_features_are_query_features() -> None:
    app = application_from_text(SD, name="doc.sd")
    query = build_query({"yql": "select * from doc where true", "rankproperty.query(w)": "2",
                         "ranking.properties.$v": "3", "ranking.properties.bm25(title).k1": "0.5",
                         "rankproperty.query(x)": "1", "input.query(x)": "4"}, app)
    assert dict(query.feature_texts) == {"query(w)": "2", "query(v)": "3", "query(x)": "4"}
    assert dict(query.rank_properties) == {"bm25(title).k1": "0.5"}
