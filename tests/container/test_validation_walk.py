"""validate_fields checks the tree in one walk: a field's problem anywhere in the query is the
error, else the first `in` / nearestNeighbor problem in query order; fields inside a sameElement
are parts of its field and are not looked up in the schema."""
import pytest

from container.search.validation import validate_fields
from searchlib.errors import InvalidParameterError
from searchlib.query import tree as q
from searchlib.schema.compiler import compile_schemas
from searchlib.schema.parser import parse_schema

SCHEMA = compile_schemas([parse_schema("""
schema doc {
    document doc {
        field title type string { indexing: index }
        field year type int { indexing: attribute }
        field score type double { indexing: attribute }
        field where type position { indexing: attribute }
        field people type array<person> { indexing: summary
            struct-field name { indexing: attribute }
        }
        field embedding type tensor<float>(x[2]) { indexing: attribute }
    }
    struct person { field name type string {} }
}""")])["doc"]


def _problem(tree) -> str | None:
    try:
        validate_fields(tree, [SCHEMA])
    except InvalidParameterError as error:
        return str(error)
    return None


def test_a_field_problem_anywhere_comes_before_an_earlier_in_or_nearest_neighbor_problem():
    bad_in = q.In("score", ("1",), numeric=True)
    bad_nn = q.NearestNeighbor("embedding", "v", target_hits=0)
    unknown = q.Term("nosuch", "x")
    assert "The field score is not of these types" in _problem(q.And((q.Term("title", "a"), bad_in)))
    assert "does not exist in schema doc" in _problem(q.And((bad_in, bad_nn, q.Not(unknown))))
    assert "is a tensor field" in _problem(q.Or((bad_nn, q.Rank((q.Term("title", "a"), q.Term("embedding", "x"))))))
    assert "invalid targetHits 0" in _problem(q.Or((q.Term("title", "a"), bad_nn, bad_in)))
    assert "The field score" in _problem(q.Or((q.Term("title", "a"), bad_in, bad_nn)))
    assert "is a position field" in _problem(q.WeakAnd((q.Term("title", "a"), q.Term("where", "x"))))
    assert _problem(q.WeakAnd((q.Term("title", "a"), q.In("year", ("1",), numeric=True)))) is None


def test_inside_same_element_only_its_field_is_looked_up_and_item_checks_still_apply():
    inner = q.SameElement("people", (q.Term("name", "x"),))
    assert _problem(q.And((q.Term("title", "a"), inner))) is None
    assert "does not exist" in _problem(q.SameElement("nosuch", (q.Term("name", "x"),)))
    bad_nn = q.NearestNeighbor("embedding", "v", target_hits=0)
    assert "invalid targetHits" in _problem(q.SameElement("people", (bad_nn,)))


def test_the_same_field_and_item_type_is_judged_once_and_alike():
    tree = q.Or(tuple(q.Term("title", f"t{i}") for i in range(20)) + (q.Term("embedding", "x"),))
    assert "is a tensor field" in _problem(tree)
    assert "is a tensor field" in _problem(q.Or((q.Term("embedding", "x"), q.Term("embedding", "y"))))
