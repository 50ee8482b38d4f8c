"""Summary settings in the schema: `summary: dynamic`, `bolding: on`, `tokens`,
`matched-elements-only`, named summaries inside a field, and the settings refused at load."""
from __future__ import annotations

import pytest

from searchlib.errors import SchemaError
from searchlib.schema.application import application_from_text

FIELDS = """
    field title type string {
        indexing: index | summary
        bolding: on
    }
    field body type string {
        indexing: index | summary
        summary: dynamic
        summary body_tokens { source: body
                              tokens }
    }
    field tags type array<string> {
        indexing: attribute | summary
        summary: matched-elements-only
    }
    field year type int { indexing: attribute | summary }
"""


def _schema(fields: str = FIELDS, outside: str = ""):
    text = f"schema s {{\n  document s {{\n{fields}\n  }}\n{outside}\n}}\n"
    return application_from_text(text, name="s.sd").schemas["s"]


def test_field_settings_become_the_default_summary():
    summary = {f.name: f for f in _schema().summaries["default"].fields}
    assert summary["title"].bolding and not summary["title"].dynamic
    assert summary["body"].dynamic and not summary["body"].bolding
    assert summary["body_tokens"].tokens and summary["body_tokens"].sources == ("body",)
    assert summary["tags"].matched_elements_only
    assert not any((summary["year"].dynamic, summary["year"].bolding, summary["year"].tokens))


def test_document_summary_fields_as_vespa_writes_them():
    schema = _schema(outside="""
    document-summary short {
        summary snippet type string { source: body
                                      dynamic }
        summary t { source: title
                    bolding: on }
        summary title_tokens { source: title
                               tokens }
        summary body: dynamic
    }""")
    short = {f.name: f for f in schema.summaries["short"].fields}
    assert short["snippet"].dynamic and short["snippet"].sources == ("body",)
    assert short["t"].bolding and short["title_tokens"].tokens and short["body"].dynamic


@pytest.mark.parametrize("setting", ["to: other", "select-elements-by: f"])
def test_settings_that_cannot_be_honoured_are_refused_where_written(setting):
    with pytest.raises(SchemaError) as raised:
        _schema(fields=f"    field body type array<string> {{ indexing: index | summary\n"
                       f"        summary body {{ {setting} }} }}")
    message = str(raised.value)
    assert f"not supported: summary setting '{setting.split(':')[0]}'" in message
    assert raised.value.location.line == 4 and raised.value.location.column == 24


@pytest.mark.parametrize("fields, wanted", [
    ("field y type int { indexing: attribute | summary\n summary: dynamic }", "dynamic needs a string"),
    ("field y type int { indexing: attribute | summary\n bolding: on }", "bolding needs a string"),
    ("field y type string { indexing: index | summary\n summary: matched-elements-only }",
     "matched-elements-only needs an array, map or weightedset"),
])
def test_settings_on_the_wrong_type_are_errors(fields, wanted):
    with pytest.raises(SchemaError, match=wanted):
        _schema(fields=fields)


def test_a_summary_field_keeps_its_transform_in_every_class_and_joins_the_default():
    # Vespa's SummaryConsistency: `summary title {}` in a class is the field's summary (bolded here);
    # the default summary holds every summary field of every class
    schema = _schema(outside="""
    document-summary short {
        summary title {}
        summary snippet { source: body
                          dynamic }
    }""")
    short = {f.name: f for f in schema.summaries["short"].fields}
    assert short["title"].bolding and short["snippet"].dynamic
    default = {f.name: f for f in schema.summaries["default"].fields}
    assert default["snippet"].dynamic and default["snippet"].sources == ("body",)


def test_different_transforms_for_one_summary_field_are_an_error():
    with pytest.raises(SchemaError, match="conflicting summary transforms: summary 'title'") as raised:
        _schema(outside="""
    document-summary short {
        summary title { dynamic }
    }""")
    assert (raised.value.location.line, raised.value.location.column) == (23, 17)
