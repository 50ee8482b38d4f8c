"""Fieldset forms from Vespa's indexschema test: `query-command: "exact X"` (Vespa's own form of
match exact with exact-terminator X), `match { exact  exact-terminator: X }`, `dynteaser`, and a
fieldset named like a field."""
from __future__ import annotations

from searchlib.match_modes import query_match_modes
from searchlib.query.tree import Term
from searchlib.query.user_query import parse_user_query
from searchlib.schema.application import application_from_text

SD = """schema d {
  document d {
    field a type string { indexing: index }
    field b type string { indexing: index }
    field c type string { indexing: index }
  }
  fieldset explicit {
    query-command: "exact ARNOLD"
    fields: a, b
    query-command: dynteaser
  }
  fieldset block {
    match {
      exact
      exact-terminator: "Arnold"
    }
    fields: a, b
  }
  fieldset c {
    fields: a
  }
}
"""


def test_exact_query_commands_and_terminators_on_fieldsets() -> None:
    schema = application_from_text(SD, name="d.sd").schemas["d"]
    modes = query_match_modes([schema])
    assert (modes["explicit"].kind, modes["explicit"].exact_terminator) == ("exact", "ARNOLD")
    assert (modes["block"].kind, modes["block"].exact_terminator) == ("exact", "Arnold")
    # the value runs to the terminator, whole and lowercased
    assert parse_user_query("explicit:New YorkARNOLD more", type="all", match_modes=modes).children[0] == \
        Term("explicit", "new york")


def test_a_fieldset_named_like_a_field_is_what_the_name_searches() -> None:
    schema = application_from_text(SD, name="d.sd").schemas["d"]
    assert schema.index_fields("c") == ("a",)  # as Vespa's content nodes resolve it
