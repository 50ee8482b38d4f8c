"""Rank properties in a query (`ranking.properties.<p>`, `rankproperty.<p>`): one named query(x) or
$x is the query feature query(x), as Vespa's query feature reads it (ranking.features wins); the
others go to the content nodes over the profile's rank-properties."""
from __future__ import annotations

import pytest

from container.search.query import build_query
from searchlib.errors import InvalidParameterError
from searchlib.rank_properties import count, number, query_may_set
from searchlib.rank_vectors import dot_product_vector, path_numbers, vector_list, vector_pairs
from searchlib.schema.application import application_from_text

SD = """schema doc {
    document doc {
        field title type string { indexing: index | summary }
        field tags type weightedset<string> { indexing: attribute }
        field vec type array<float> { indexing: attribute }
    }
    rank-profile default {
        first-phase { expression: dotProduct(tags, v) + dotProduct(vec, query(w)) }
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


def _refusal(reader) -> str:
    """The message the content node's own reader gives for a bad value."""
    with pytest.raises(InvalidParameterError) as refused:
        reader()
    return str(refused.value)


@pytest.mark.parametrize("key, value, node_reader", [
    ("distanceToPath(pos).path", "(1,x,2,3)", lambda: path_numbers("(1,x,2,3)", "pos")),
    ("distanceToPath(pos).path", "1,2,3,4", lambda: path_numbers("1,2,3,4", "pos")),
    ("dotProduct.v", "{a:x}", lambda: vector_pairs("{a:x}", "dotProduct: the vector v")),
    ("dotProduct.w", "[1 2 nan]", lambda: vector_list("[1 2 nan]")),
    ("dotProduct.v", "[1 2]", lambda: dot_product_vector("[1 2]", "v", weighted_set=True)),  # a weighted set's
    ("dotProduct.w", "{x:1}", lambda: dot_product_vector("{x:1}", "w", weighted_set=False)),  # an array's: indexes
    ("bm25(title).k1", "1_0", lambda: number({"bm25(title).k1": "1_0"}, 1.2, "bm25(title).k1")),
    ("nativeProximity.slidingWindowSize", "-1",
     lambda: count({"nativeProximity.slidingWindowSize": "-1"}, 4, "nativeProximity.slidingWindowSize")),
])
def test_a_bad_rank_property_is_refused_by_the_container_as_the_node_would(key, value, node_reader) -> None:
    """Checked once in the container (a 400 before any node is asked), with the node's message."""
    app = application_from_text(SD, name="doc.sd")
    with pytest.raises(InvalidParameterError) as refused:
        build_query({"yql": "select * from doc where true", f"ranking.properties.{key}": value}, app)
    assert str(refused.value) == _refusal(node_reader)


def test_good_rank_properties_pass_to_the_nodes() -> None:
    app = application_from_text(SD, name="doc.sd")
    good = {"distanceToPath(pos).path": "(0,0,10,10)", "dotProduct.v": "{a:1,b:2}", "dotProduct.w": "[1 2 3]",
            "bm25(title).k1": "0x1p0", "nativeFieldMatch.firstOccurrenceTable": "expdecay(8000,12.50)",
            "some.other.property": "anything"}
    query = build_query({"yql": "select * from doc where true",
                         **{f"ranking.properties.{key}": value for key, value in good.items()}}, app)
    assert dict(query.rank_properties) == good


TABLES = ("nativeFieldMatch.firstOccurrenceTable", "nativeProximity.proximityTable.title",
          "nativeFieldMatch(title).occurrenceCountTable", "nativeAttributeMatch.weightTable")


@pytest.mark.parametrize("key", TABLES)
@pytest.mark.parametrize("value", ["bogus", "expdecay(0,0)", "linear(1,0,1048576)"])
def test_a_query_table_property_is_accepted_and_ignored_as_the_node_does(key, value) -> None:
    """Vespa reads the native tables from the profile only: the node drops a query's
    (rank_program.rank_properties), so the container neither refuses nor builds one."""
    app = application_from_text(SD, name="doc.sd")
    query = build_query({"yql": "select * from doc where true", f"ranking.properties.{key}": value}, app)
    assert not query_may_set(key) and dict(query.rank_properties)[key] == value


def test_the_node_drops_what_a_query_may_not_set() -> None:
    from content_node.ranking.rank_program import RankProgram
    schema = application_from_text(SD, name="doc.sd").schemas["doc"]
    program = RankProgram(schema, schema.rank_profiles["default"])
    given = {key: "bogus" for key in TABLES} | {"bm25(title).k1": "0.5"}
    assert program.rank_properties(given) == {**schema.rank_profiles["default"].rank_properties,
                                              "bm25(title).k1": "0.5"}


@pytest.mark.parametrize("value", ["{a:x}", "[1 2 nan]", "bogus"])
def test_a_vector_no_feature_of_the_profile_reads_is_not_checked(value) -> None:
    """The node parses dotProduct.<name> only when a dotProduct feature reads it (as Vespa)."""
    app = application_from_text(SD, name="doc.sd")
    query = build_query({"yql": "select * from doc where true", "ranking.properties.dotProduct.unread": value}, app)
    assert dict(query.rank_properties) == {"dotProduct.unread": value}
