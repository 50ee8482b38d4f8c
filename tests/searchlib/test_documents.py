"""Document validation and partial updates against a schema (Vespa §5.3 JSON forms)."""
from __future__ import annotations

import math

import pytest

from searchlib.documents import apply_update, validate_document
from searchlib.errors import DocumentError
from searchlib.schema.model import Field, FieldType, Schema

STRING = FieldType("string")


def make_schema() -> Schema:
    fields = [
        Field("title", STRING, is_index=True, is_summary=True),
        Field("year", FieldType("int"), is_attribute=True),
        Field("views", FieldType("long"), is_attribute=True),
        Field("level", FieldType("byte"), is_attribute=True),
        Field("score", FieldType("double"), is_attribute=True),
        Field("ratio", FieldType("float"), is_attribute=True),
        Field("flag", FieldType("bool"), is_attribute=True),
        Field("tags", FieldType("array", STRING), is_index=True),
        Field("numbers", FieldType("array", FieldType("int")), is_attribute=True),
        Field("labels", FieldType("weightedset", STRING), is_attribute=True),
        Field("codes", FieldType("weightedset", FieldType("int")), is_attribute=True),
        Field("embedding", FieldType("tensor", tensor_type="tensor<float>(x[3])"),
              is_attribute=True),
        Field("sparse", FieldType("tensor", tensor_type="tensor<float>(tag{})"),
              is_attribute=True),
        Field("synthetic_vec", FieldType("tensor", tensor_type="tensor<float>(x[2])"),
              is_attribute=True, in_document=False),
        Field("match_count", FieldType("long"), is_attribute=True, in_document=False,
              attribute_properties=frozenset({"mutable"})),
    ]
    return Schema("doc", "doc", {f.name: f for f in fields})


SCHEMA = make_schema()


def test_valid_document_is_coerced():
    document = validate_document(SCHEMA, {
        "title": "Hello", "year": 2001.0, "score": 3, "flag": True, "tags": ["a", "b"],
        "labels": {"x": 2}, "codes": {"7": 1}, "embedding": [1, 2.5, 3],
        "sparse": {"cells": {"a": 1.0}}})
    assert document["year"] == 2001 and isinstance(document["year"], int)
    assert document["score"] == 3.0 and isinstance(document["score"], float)
    assert document["codes"] == {"7": 1}
    assert document["embedding"] == [1, 2.5, 3]


def test_unknown_field_is_named_in_vespa_style():
    with pytest.raises(DocumentError, match="No field 'foo' in the structure of type 'doc'"):
        validate_document(SCHEMA, {"title": "x", "foo": 1})


def test_synthetic_fields_cannot_be_fed_unless_allowed():
    with pytest.raises(DocumentError, match="synthetic_vec"):
        validate_document(SCHEMA, {"synthetic_vec": [1, 2]})
    assert validate_document(SCHEMA, {"synthetic_vec": [1, 2]},
                             allow_synthetic=True) == {"synthetic_vec": [1, 2]}


def test_mutable_attributes_are_never_fed():
    with pytest.raises(DocumentError, match="match_count"):
        validate_document(SCHEMA, {"match_count": 1}, allow_synthetic=True)


def test_empty_string_and_null_mean_not_set():
    assert validate_document(SCHEMA, {"title": "", "year": None}) == {}


@pytest.mark.parametrize("field,value", [
    ("year", 2**31), ("year", -(2**31) - 1), ("views", 2**63), ("level", 128),
])
def test_integer_ranges(field, value):
    with pytest.raises(DocumentError, match=f"Field '{field}'.*outside the range"):
        validate_document(SCHEMA, {field: value})


def test_integer_limits_are_accepted():
    document = validate_document(SCHEMA, {"year": 2**31 - 1, "views": -(2**63), "level": -128})
    assert document == {"year": 2**31 - 1, "views": -(2**63), "level": -128}


@pytest.mark.parametrize("field,value,expected", [
    ("title", 3, "a string"), ("year", "2001", "an integer"), ("year", 3.5, "an integer"),
    ("year", True, "an integer"), ("score", "1.0", "a number"), ("flag", 1, "true or false"),
    ("tags", "a", "a JSON array"), ("tags", ["a", 1], "a string"),
    ("numbers", [1, "x"], "an integer"), ("labels", ["x"], "weight"),
    ("labels", {"x": 1.5}, "an integer"), ("codes", {"abc": 1}, "int keys"),
])
def test_type_errors_name_field_and_expectation(field, value, expected):
    with pytest.raises(DocumentError) as error:
        validate_document(SCHEMA, {field: value})
    assert f"Field '{field}'" in error.value.message
    assert expected in error.value.message


@pytest.mark.parametrize("value", [
    [1, 2, 3], {"values": [1, 2, 3]}, "3f8000003f8000003f800000", {"values": "3f8000003f8000003f800000"},
    {"cells": [{"address": {"x": "0"}, "value": 1.0}]},
])
def test_tensor_forms_accepted(value):
    assert validate_document(SCHEMA, {"embedding": value})["embedding"] == value


@pytest.mark.parametrize("value,expected", [
    ([1, 2], "expected 3 cells"), ([1, "a", 3], "numeric tensor cells"),
    ("not hex!", "hex string"), ({"values": "xyz"}, "hex string"), (5, "tensor in JSON form"),
    ({"cells": {"a": "b"}}, "numeric tensor cells"),
])
def test_tensor_errors(value, expected):
    with pytest.raises(DocumentError, match=expected):
        validate_document(SCHEMA, {"embedding": value})


def test_mapped_tensor_short_form():
    assert validate_document(SCHEMA, {"sparse": {"a": 1.0, "b": 2}}) == {
        "sparse": {"a": 1.0, "b": 2}}


def test_assign_and_assign_null_clears():
    current = {"title": "old", "year": 1}
    updated = apply_update(SCHEMA, current, {"title": {"assign": "new"},
                                             "year": {"assign": None}})
    assert updated == {"title": "new"}
    assert current == {"title": "old", "year": 1}, "the input is not modified"


def test_assign_is_validated():
    with pytest.raises(DocumentError, match="Field 'year'"):
        apply_update(SCHEMA, {}, {"year": {"assign": "x"}})


def test_arithmetic_operations():
    current = {"year": 10, "score": 1.5}
    assert apply_update(SCHEMA, current, {"year": {"increment": 5}})["year"] == 15
    assert apply_update(SCHEMA, current, {"year": {"decrement": 15}})["year"] == -5
    assert apply_update(SCHEMA, current, {"score": {"multiply": 3}})["score"] == 4.5
    assert apply_update(SCHEMA, current, {"year": {"divide": 4}})["year"] == 2
    assert apply_update(SCHEMA, current, {"year": {"divide": -4}})["year"] == -2
    assert apply_update(SCHEMA, current, {"score": {"divide": 2}})["score"] == 0.75
    assert apply_update(SCHEMA, {}, {"views": {"increment": 2}})["views"] == 2


def test_arithmetic_errors():
    with pytest.raises(DocumentError, match="division by zero"):
        apply_update(SCHEMA, {"year": 1}, {"year": {"divide": 0}})
    with pytest.raises(DocumentError, match="'increment' on field 'title' requires a numeric"):
        apply_update(SCHEMA, {"title": "x"}, {"title": {"increment": 1}})
    with pytest.raises(DocumentError, match="needs a number"):
        apply_update(SCHEMA, {"year": 1}, {"year": {"increment": "1"}})
    with pytest.raises(DocumentError, match="outside the range"):
        apply_update(SCHEMA, {"year": 2**31 - 1}, {"year": {"increment": 1}})


def test_add_and_remove_on_arrays_and_weighted_sets():
    current = {"tags": ["a", "b"], "labels": {"x": 1, "y": 2}, "codes": {"1": 5}}
    added = apply_update(SCHEMA, current, {"tags": {"add": ["c"]},
                                           "labels": {"add": {"y": 7, "z": 3}},
                                           "codes": {"add": {"2": 1}}})
    assert added["tags"] == ["a", "b", "c"]
    assert added["labels"] == {"x": 1, "y": 7, "z": 3}
    assert added["codes"] == {"1": 5, "2": 1}
    removed = apply_update(SCHEMA, added, {"tags": {"remove": ["a", "c"]},
                                           "labels": {"remove": {"x": 0}},
                                           "codes": {"remove": ["1", "2"]}})
    assert removed["tags"] == ["b"]
    assert removed["labels"] == {"y": 7, "z": 3}
    assert "codes" not in removed, "an emptied collection is cleared"


def test_add_on_scalar_is_an_error():
    with pytest.raises(DocumentError, match="'add' on field 'year' requires an array"):
        apply_update(SCHEMA, {"year": 1}, {"year": {"add": 1}})


def test_unknown_operation_and_field():
    with pytest.raises(DocumentError, match="Unknown update operation 'frobnicate'"):
        apply_update(SCHEMA, {}, {"year": {"frobnicate": 1}})
    with pytest.raises(DocumentError, match="No field 'nope'"):
        apply_update(SCHEMA, {}, {"nope": {"assign": 1}})


def test_update_starting_from_missing_document():
    assert apply_update(SCHEMA, None, {"title": {"assign": "t"}}) == {"title": "t"}


def test_float_increment_keeps_float():
    updated = apply_update(SCHEMA, {"ratio": 0.5}, {"ratio": {"increment": 1}})
    assert isinstance(updated["ratio"], float) and math.isclose(updated["ratio"], 1.5)
