"""Schema-level `index name { ... }` blocks, as Vespa's getEffectiveSearchStemming applies them: the
block's stemming is the index stemming of the field of that name (unless the field's own index block
sets one), and a field's or schema's `stemming: none` still wins. `normalizing` is no index setting in
Vespa: refused where written."""
from __future__ import annotations

import pytest

from searchlib.errors import SchemaError
from searchlib.match_modes import index_terms, match_mode
from searchlib.schema.application import application_from_text

SCHEMA = """schema s {{
  {schema_settings}
  document s {{
    field f type string {{
      indexing: index | summary
      {field_settings}
    }}
  }}
  index {index_name} {{
    {index_settings}
  }}
}}
"""


def stemmed(index_settings, field_settings="", schema_settings="", index_name="f") -> bool:
    text = SCHEMA.format(index_settings=index_settings, field_settings=field_settings,
                         schema_settings=schema_settings, index_name=index_name)
    field = application_from_text(text, name="s.sd").schemas["s"].fields["f"]
    return match_mode(field).stemming


def test_a_schema_level_index_block_sets_the_field_stemming():
    assert stemmed("stemming: none") is False
    assert stemmed("stemming: best") is True
    # applied in the index: "running" stays as written
    text = SCHEMA.format(index_settings="stemming: none", field_settings="", schema_settings="", index_name="f")
    field = application_from_text(text, name="s.sd").schemas["s"].fields["f"]
    assert index_terms(match_mode(field), "running dogs", "en") == ["running", "dogs"]


def test_the_index_stemming_overrides_the_field_stemming_but_cannot_turn_none_on():
    assert stemmed("stemming: none", field_settings="stemming: best") is False
    assert stemmed("stemming: best", field_settings="stemming: none") is False
    assert stemmed("stemming: shortest", schema_settings="stemming: none") is False


def test_the_fields_own_index_block_wins_over_the_schema_level_one():
    assert stemmed("stemming: none", field_settings="index {\n        stemming: best\n      }") is True
    assert stemmed("stemming: best", field_settings="index {\n        stemming: none\n      }") is False


def test_a_block_naming_no_field_changes_nothing():
    assert stemmed("stemming: none", index_name="other") is True


@pytest.mark.parametrize("index_settings, message, column", [
    ("normalizing: none", "not supported: 'normalizing' in index 'f' in schema 's'", 5),
    ("stemming: multiple", "not supported: stemming: multiple in index 'f' in schema 's'", 5),
])
def test_settings_vespa_has_no_rule_for_are_refused_where_written(index_settings, message, column):
    with pytest.raises(SchemaError) as raised:
        stemmed(index_settings)
    assert message in str(raised.value)
    assert (raised.value.location.file, raised.value.location.line, raised.value.location.column) == \
        ("schemas/s.sd", 10, column)
