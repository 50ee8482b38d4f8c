"""`rank: literal` (searchlib.schema.literal_fields, searchlib.query.literal_boost) and the field
query-command `phrase-segmenting`: compiled, filled at write and added to queries."""
from __future__ import annotations

import pytest

from searchlib.errors import SchemaError
from searchlib.match_modes import query_match_modes
from searchlib.query.tree import And, Phrase, Rank, Term
from searchlib.query.user_query import parse_user_query
from searchlib.query.yql import parse_yql
from searchlib.schema.application import application_from_text
from searchlib.schema.literal_fields import with_literal_updates, with_literal_values


def schema(field_body: str, extra: str = "") -> str:
    return f"schema d {{\n  document d {{\n    field t type string {{\n{field_body}\n    }}\n{extra}  }}\n}}\n"


LITERAL = schema("      indexing: index | summary\n      rank: literal")


def app(text: str = LITERAL):
    return application_from_text(text, name="d.sd")


def test_rank_literal_adds_an_unstemmed_accent_keeping_index() -> None:
    fields = app().schemas["d"].fields
    literal = fields["t_literal"]
    assert literal.is_index and not literal.in_document and not literal.is_summary
    assert literal.settings["stemming"] == "none" and literal.settings["normalizing"] == "none"
    modes = query_match_modes(app().schemas.values())
    assert modes["t"].literal_indexes == ("t_literal",)
    assert not modes["t_literal"].stemming and not modes["t_literal"].normalizing
    assert app(schema("      indexing: index\n      rank { literal }")).schemas["d"].fields["t_literal"].is_index


@pytest.mark.parametrize("text, message, line", [
    (schema("      indexing: attribute\n      rank: literal"), "rank: literal in field 't' needs 'index'", 3),
    (schema("      indexing: index\n      rank: literal", "    field t_literal type string { indexing: index }\n"),
     "adds the index 't_literal', which is already a field", 3),
    (schema("      indexing: index\n      query-command: \"phrase-segmenting maybe\""),
     "write 'phrase-segmenting true' or 'phrase-segmenting false'", 5),
])
def test_refusals_are_located(text, message, line) -> None:
    with pytest.raises(SchemaError) as raised:
        app(text)
    assert message in str(raised.value) and raised.value.location.line == line


def test_the_literal_index_is_filled_from_its_field_on_put_and_update() -> None:
    fields = app().schemas["d"].fields
    assert with_literal_values(fields, {"t": "Cars", "t_literal": "forged"}) == {"t": "Cars", "t_literal": "Cars"}
    assert with_literal_values(fields, {}) == {}
    assert with_literal_updates(fields, {"t": {"assign": "Vans"}}) == \
        {"t": {"assign": "Vans"}, "t_literal": {"assign": "Vans"}}


def test_each_word_searched_in_the_field_becomes_a_literal_rank_term_at_the_root() -> None:
    modes = query_match_modes(app().schemas.values())

    def where(yql: str, **parameters):
        return parse_yql(yql, match_modes=modes, parameters=parameters).where

    assert where('select * from d where t contains "Cafés"') == \
        Rank((Term("t", "cafe"), Term("t_literal", "cafés")))
    # a root rank() gets them as more children; the words of a phrase each get one
    assert where('select * from d where rank(t contains phrase("Running", "Cars"), t contains "x")') == \
        Rank((Phrase("t", ("run", "car")), Term("t", "x"), Term("t_literal", "running"), Term("t_literal", "cars"),
              Term("t_literal", "x")))
    assert where("select * from d where userQuery()", query="t:Running", type="all") == \
        Rank((Term("t", "run"), Term("t_literal", "running")))
    assert where('select * from d where {defaultIndex:"t", grammar:"all"}userInput("Running")') == \
        Rank((Term("t", "run"), Term("t_literal", "running")))
    assert where('select * from d where t_literal contains "Cafés"') == Term("t_literal", "cafés")


def test_a_fieldset_holding_a_literal_field_adds_its_literal_rank_terms() -> None:
    text = schema("      indexing: index | summary\n      rank: literal",
                  "    field u type string {\n      indexing: index\n      rank: literal\n    }\n"
                  "    field v type string {\n      indexing: index\n    }\n") \
        .replace("  }\n}\n", "  }\n  fieldset both {\n    fields: t, u, v\n  }\n"
                 "  fieldset plain {\n    fields: v\n  }\n}\n")
    modes = query_match_modes(app(text).schemas.values())
    assert modes["both"].literal_indexes == ("t_literal", "u_literal") and "plain" not in modes
    assert parse_yql('select * from d where both contains "Cafés"', match_modes=modes).where == \
        Rank((Term("both", "cafe"), Term("t_literal", "cafés"), Term("u_literal", "cafés")))
    assert parse_yql("select * from d where userQuery()", match_modes=modes,
                     parameters={"query": "Running", "model.defaultIndex": "both", "type": "all"}).where == \
        Rank((Term("both", "run"), Term("t_literal", "running"), Term("u_literal", "running")))
    assert parse_yql('select * from d where plain contains "Cafés"', match_modes=modes).where == Term("plain", "cafe")


def test_phrase_segmenting_false_splits_a_user_query_word_into_an_and() -> None:
    segmented = app(schema("      indexing: index\n      query-command: \"phrase-segmenting false\""))
    modes = query_match_modes(segmented.schemas.values())
    assert parse_user_query("t:e.mail", type="all", match_modes=modes) == And((Term("t", "e"), Term("t", "mail")))
    assert parse_user_query('t:"e.mail"', type="all", match_modes=modes) == Phrase("t", ("e", "mail"))
    phrase = query_match_modes(app(schema("      indexing: index\n      query-command: phrase-segmenting"))
                               .schemas.values())
    assert parse_user_query("t:e.mail", type="all", match_modes=phrase) == Phrase("t", ("e", "mail"))


def _fieldset_app(t_command: str, u_command: str, members: str = "t, u", own: str = ""):
    def field(name: str, command: str) -> str:
        extra = f"\n      query-command: \"{command}\"" if command else ""
        return f"    field {name} type string {{\n      indexing: index{extra}\n    }}\n"
    own_command = f"\n    query-command: \"{own}\"" if own else ""
    return app(f"schema d {{\n  document d {{\n{field('t', t_command)}{field('u', u_command)}  }}\n"
               f"  fieldset both {{\n    fields: {members}{own_command}\n  }}\n}}\n")


@pytest.mark.parametrize("t_command, u_command, members, own, segmenting", [
    ("", "phrase-segmenting", "t, u", "", True),  # Vespa: any member that sets it, not only the first
    ("phrase-segmenting", "", "t, u", "", True),
    ("", "phrase-segmenting false", "t, u", "", False),
    ("", "", "t, u", "", False),
    ("phrase-segmenting false", "phrase-segmenting true", "t, u", "", True),  # disagreeing: the last listed
    ("phrase-segmenting false", "phrase-segmenting true", "u, t", "", False),
    # the fieldset's own command (IndexInfo writes it before the members', so a member's wins)
    ("", "", "t, u", "phrase-segmenting", True),
    ("", "", "t, u", "phrase-segmenting true", True),
    ("", "", "t, u", "phrase-segmenting false", False),
    ("", "phrase-segmenting false", "t, u", "phrase-segmenting", False),
    ("phrase-segmenting", "", "t, u", "phrase-segmenting false", True),
])
def test_a_fieldset_is_phrase_segmenting_as_the_member_that_says_so_else_as_itself(
        t_command, u_command, members, own, segmenting, caplog) -> None:
    modes = query_match_modes(_fieldset_app(t_command, u_command, members, own).schemas.values())
    expected = Phrase("both", ("e", "mail")) if segmenting else And((Term("both", "e"), Term("both", "mail")))
    assert parse_user_query("both:e.mail", type="all", match_modes=modes) == expected
    assert ("set phrase-segmenting differently" in caplog.text) == (t_command != "" and u_command != "")
