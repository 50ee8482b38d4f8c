"""Struct, array<struct> and map fields in a DocumentDB: fed values checked, struct-field attributes
and indexes derived from them, `sameElement` and multi-value attribute matching (worked by hand)."""
from __future__ import annotations

import pytest

from content_node.document_db import DocumentDB
from content_node.matching.match_sets import MatchEvaluator
from searchlib.errors import DocumentError, InvalidParameterError
from searchlib.query import tree as q
from searchlib.query.yql import parse_yql
from searchlib.schema.application import application_from_text

SD = """
schema people {
  document people {
    struct person {
      field name type string {}
      field age type int {}
    }
    struct employee inherits person {
      field title type string {}
    }
    field persons type array<person> {
      indexing: summary
      struct-field name { indexing: attribute }
      struct-field age { indexing: attribute }
    }
    field boss type employee {
      indexing: summary
      struct-field title { indexing: index }
    }
    field scores type map<string, int> {
      indexing: summary
      struct-field key { indexing: attribute }
      struct-field value { indexing: attribute }
    }
    field tags type array<string> {
      indexing: attribute | summary
    }
  }
}
"""
DOCS = {
    "id:p:people::1": {"persons": [{"name": "Ann", "age": 31}, {"name": "Bob", "age": 20}],
                       "scores": {"math": 3, "art": 1}, "tags": ["red", "blue"],
                       "boss": {"name": "Eve", "age": 50, "title": "chief engineer"}},
    "id:p:people::2": {"persons": [{"name": "Ann", "age": 20}, {"name": "Bob", "age": 40}],
                       "scores": {"math": 1, "art": 5}, "tags": ["green"]},
    "id:p:people::3": {"persons": [{"name": "Cid"}]},
}


@pytest.fixture(scope="module")
def schema():
    return application_from_text(SD, name="people.sd").schemas["people"]


@pytest.fixture()
def db(schema, tmp_path):
    with DocumentDB(schema, tmp_path) as database:
        for doc_id, fields in DOCS.items():
            database.put(doc_id, fields)
        yield database


def matching_ids(db, schema, yql: str) -> list[str]:
    exact = {name for name, f in schema.fields.items() if f.is_attribute and not f.is_index}
    tree = parse_yql(yql, exact_match_fields=exact).where
    with db.read_view():
        local_ids = MatchEvaluator(schema, db).matches(tree)
        return sorted(db.document_id(int(i)).rsplit(":", 1)[1] for i in local_ids)


def test_struct_fields_compile_to_typed_sub_fields(schema) -> None:
    assert str(schema.fields["persons"].type) == "array<person>"
    assert str(schema.fields["persons.age"].type) == "array<int>" and schema.fields["persons.age"].is_attribute
    assert str(schema.fields["scores.key"].type) == "array<string>"
    assert str(schema.fields["boss.title"].type) == "string" and schema.fields["boss.title"].is_index
    assert [name for name, _ in schema.structs["employee"].fields] == ["name", "age", "title"]


def test_same_element_needs_one_element_to_hold_every_condition(db, schema) -> None:
    # doc 1: Ann is 31; doc 2: Ann is 20 (Bob is the one over 30)
    yql = 'select * from people where persons contains sameElement(name contains "ann", age > 30)'
    assert matching_ids(db, schema, yql) == ["1"]
    assert matching_ids(db, schema, 'select * from people where persons contains sameElement(age < 25)') == ["1", "2"]
    # the same conditions outside sameElement match across elements: both documents
    assert matching_ids(db, schema, 'select * from people where persons.name contains "ann" and persons.age > 30') \
        == ["1", "2"]


def test_same_element_over_a_map_and_an_element_filter(db, schema) -> None:
    assert matching_ids(db, schema, 'select * from people where scores contains '
                                    'sameElement(key contains "art", value > 2)') == ["2"]
    assert matching_ids(db, schema, 'select * from people where scores contains '
                                    'sameElement(key contains "math", value >= 3)') == ["1"]
    # element 1 of persons: Bob 20 in doc 1, Bob 40 in doc 2
    assert matching_ids(db, schema, 'select * from people where persons contains '
                                    '({elementFilter:1}sameElement(age > 30))') == ["2"]
    assert matching_ids(db, schema, 'select * from people where tags contains sameElement("blue")') == ["1"]


def test_struct_field_index_and_summary_values(db, schema) -> None:
    assert matching_ids(db, schema, 'select * from people where boss.title contains "engineer"') == ["1"]
    with db.read_view():
        assert db.get("id:p:people::1")["scores"] == {"math": 3, "art": 1}
        assert "persons.name" not in db.get("id:p:people::1")


def test_an_update_of_the_parent_updates_its_struct_field_attributes(db, schema) -> None:
    db.update("id:p:people::3", {"persons": {"add": [{"name": "Dan", "age": 33}]}})
    assert matching_ids(db, schema, 'select * from people where persons contains '
                                    'sameElement(name contains "dan", age > 30)') == ["3"]


@pytest.mark.parametrize("fields, message", [
    ({"persons": [{"name": "x", "height": 2}]}, "No field 'height' in the structure of type 'person'"),
    ({"persons": [{"name": "x", "age": "old"}]}, "persons.age"),
    ({"scores": {"a": "b"}}, "scores{a}"),
    ({"scores": [{"key": "a", "value": 1, "x": 2}]}, "array entries must be"),
    ({"persons.name": ["a"]}, "No field 'persons.name'"),
])
def test_bad_struct_values_are_refused(db, fields, message) -> None:
    with pytest.raises(DocumentError) as raised:
        db.put("id:p:people::9", fields)
    assert message in str(raised.value)


def test_same_element_on_a_struct_field_without_attribute_is_a_bad_request(db, schema) -> None:
    node = q.SameElement("boss", (q.Term("title", "chief"),))
    with pytest.raises(InvalidParameterError, match="needs struct-field 'boss.title' to be an attribute"):
        with db.read_view():
            MatchEvaluator(schema, db).matches(node)


def test_indexed_access_is_same_element_on_one_element(db, schema) -> None:
    # `tags[1] = "blue"`: element 1 of doc 1's tags is blue; doc 2 has one element only
    assert matching_ids(db, schema, 'select * from people where tags[1] = "blue"') == ["1"]
    assert matching_ids(db, schema, 'select * from people where tags[0] = "blue"') == []
    assert matching_ids(db, schema, 'select * from people where persons.age[1] = 40') == ["2"]


def test_index_on_a_struct_field_indexes_its_string_sub_fields(tmp_path) -> None:
    sd = ("schema s {\n  document s {\n    struct addr { field street type string {}\n"
          "      field no type int {} }\n    field home type addr { indexing: summary | index }\n  }\n}\n")
    schema = application_from_text(sd, name="s.sd").schemas["s"]
    assert schema.fields["home.street"].is_index and "home.no" not in schema.fields
    assert not schema.fields["home"].is_index  # searched through its sub-field indexes
    with DocumentDB(schema, tmp_path) as database:
        database.put("id:x:s::1", {"home": {"street": "Elm Road", "no": 3}})
        assert matching_ids(database, schema, 'select * from s where home.street contains "elm"') == ["1"]


def test_struct_field_attributes_survive_a_snapshot_and_a_restart(schema, tmp_path) -> None:
    with DocumentDB(schema, tmp_path) as database:
        for doc_id, fields in DOCS.items():
            database.put(doc_id, fields)
        database.snapshot()
        database.put("id:p:people::4", {"persons": [{"name": "Ann", "age": 77}]})  # in the log only
    with DocumentDB(schema, tmp_path) as reopened:
        yql = 'select * from people where persons contains sameElement(name contains "ann", age > 30)'
        assert matching_ids(reopened, schema, yql) == ["1", "4"]
        assert matching_ids(reopened, schema, 'select * from people where scores.key contains "art"') == ["1", "2"]


def test_same_element_matches_terms_by_the_attribute_rule(schema, tmp_path) -> None:
    # one rule (attribute_terms) inside and outside sameElement: accents folded, case ignored,
    # range syntax in a term, and {prefix: true}
    with DocumentDB(schema, tmp_path) as database:
        database.put("id:p:people::9", {"persons": [{"name": "Zoë Ocean", "age": 44}]})
        for condition in ('name contains "ZOE OCEAN"', 'age contains "[40;50]"', 'name contains ({prefix: true}"zo")'):
            inside = f"select * from people where persons contains sameElement({condition}, age > 40)"
            assert matching_ids(database, schema, inside) == ["9"], condition
        outside = 'select * from people where persons.name contains "ZOE OCEAN"'
        assert matching_ids(database, schema, outside) == ["9"]
        assert matching_ids(database, schema, inside.replace('"zo"', '"oc"')) == []
