"""Match modes (searchlib/match_modes.py): the terms a value is indexed as and a query string
searched as, per Vespa's schema reference `match`, with the examples it gives."""
from __future__ import annotations

import pytest

from searchlib.errors import SchemaError
from searchlib.match_modes import MatchMode, index_terms, match_mode, query_match_modes, query_terms
from searchlib.query import tree as q
from searchlib.query.user_query import parse_user_query
from searchlib.query.yql import parse_yql
from searchlib.schema.application import application_from_text

GRAM = MatchMode("gram")
EXACT = MatchMode("exact")


def test_gram_matching_as_vespa_documents_it():
    # schema reference: "with the default gram size 2, the string "hi blue" is tokenized to
    # "hi bl lu ue" both in the index and in queries to the index"
    assert index_terms(GRAM, "hi blue", "en") == ["hi", "bl", "lu", "ue"]
    assert query_terms(GRAM, "hi blue", "en") == ["hi", "bl", "lu", "ue"]
    assert index_terms(MatchMode("gram", gram_size=3), "Blue sky", "en") == ["blu", "lue", "sky"]


def test_exact_and_word_index_the_whole_value():
    assert index_terms(EXACT, "Hello World!", "en") == ["hello world!"]
    assert index_terms(MatchMode("word"), "New York", "en") == ["new york"]
    assert index_terms(MatchMode("exact", cased=True), "Hello World!", "en") == ["Hello World!"]
    assert query_terms(MatchMode("word", cased=True), "AbC", "en") == ["AbC"]


def test_stemming_none_and_limits():
    assert index_terms(MatchMode(), "running dogs", "en") == ["run", "dog"]
    assert index_terms(MatchMode(stemming=False), "running dogs", "en") == ["running", "dogs"]
    assert query_terms(MatchMode(stemming=False), "running", "en") == ["running"]
    assert index_terms(MatchMode(max_length=7), "running dogs", "en") == ["run"]  # "running"
    assert index_terms(MatchMode(max_token_length=4), "running dogs", "en") == ["dog"]


def test_user_query_exact_values_run_to_the_terminator():
    # schema reference: `tag:a b c!@%` with exact-terminator "@%" matches the string "a b c!"
    modes = {"tag": MatchMode("exact", exact_terminator="@%")}
    tree = parse_user_query("tag:a b c!@% foo", type="all", match_modes=modes)
    assert tree == q.And((q.Term("tag", "a b c!"), q.Term("default", "foo")))
    # the default terminator "@@"; without one the value ends at white space
    tree = parse_user_query("tag:!*!@@ tag:(kanoo)@@", type="any", match_modes={"tag": EXACT})
    assert tree == q.Or((q.Term("tag", "!*!"), q.Term("tag", "(kanoo)")))
    assert parse_user_query("tag:x", match_modes={"tag": EXACT}) == q.WeakAnd((q.Term("tag", "x"),), 100)


def test_yql_strings_follow_the_field_mode():
    modes = {"sku": EXACT, "cjk": GRAM}
    where = parse_yql('select * from s where sku contains "AB-12 x" and cjk contains "lue"',
                      match_modes=modes).where
    assert where == q.And((q.Term("sku", "ab-12 x"), q.Phrase("cjk", ("lu", "ue"))))


SCHEMA = """schema s {{
  document s {{
    field f type string {{
      indexing: summary | {outputs}
      {settings}
    }}
    field t type string {{ indexing: index }}
  }}
  fieldset default {{ fields: t }}
}}
"""


def _field(settings: str, outputs: str = "index"):
    schema = application_from_text(SCHEMA.format(settings=settings, outputs=outputs), name="s.sd").schemas["s"]
    return schema


def test_schema_settings_become_the_mode():
    schema = _field("match {\n        gram\n        gram-size: 3\n      }")
    assert match_mode(schema.fields["f"]) == MatchMode("gram", gram_size=3)
    schema = _field('match {\n        exact\n        exact-terminator: "@%"\n      }')
    assert match_mode(schema.fields["f"]) == MatchMode("exact", exact_terminator="@%")
    assert match_mode(_field("match: word cased").fields["f"]) == MatchMode("word", cased=True)
    assert match_mode(_field("stemming: none").fields["f"]) == MatchMode(stemming=False)
    assert query_match_modes([_field("stemming: none")]) == {"f": MatchMode(stemming=False)}
    # a string attribute matches by word, as in Vespa
    assert match_mode(_field("", outputs="attribute").fields["f"]) == MatchMode("word")


@pytest.mark.parametrize("settings, outputs, message, column", [
    ("match: prefix", "index", "not supported: match: prefix on the index of field 'f'", 14),
    ("match: substring", "index", "not supported: match: substring in field 'f' (streaming search only)", 14),
    ("match: gram", "attribute", "not supported: match: gram on field 'f' without 'index'", 14),
    ("normalizing: none", "index", "not supported: normalizing: none in field 'f'", 7),
    ("stemming: multiple", "index", "not supported: stemming: multiple in field 'f'", 7),
    ("match {\n        text\n        gram-size: 3\n      }", "index", "gram-size in field 'f' needs match: gram", 9),
])
def test_settings_the_engine_cannot_honour_are_refused_where_written(settings, outputs, message, column):
    with pytest.raises(SchemaError) as raised:
        _field(settings, outputs)
    assert message in str(raised.value)
    assert raised.value.location.file == "schemas/s.sd" and raised.value.location.column == column


def test_gram_fields_n_gram_cjk_words_by_their_gram_size():
    # not the default CJK bigram segmentation: gram-size 3 gives trigrams of the run
    assert index_terms(MatchMode("gram", gram_size=3), "東京都庁", "ja") == ["東京都", "京都庁"]
    assert query_terms(MatchMode("gram", gram_size=3), "京都庁", "ja") == ["京都庁"]


def test_fieldset_match_settings_queries_cannot_honour_are_refused():
    text = SCHEMA.format(settings="", outputs="index").replace(
        "fieldset default { fields: t }",
        "fieldset default {\n    fields: t\n    match {\n      gram\n      gram-size: 3\n    }\n  }")
    with pytest.raises(SchemaError) as raised:
        application_from_text(text, name="s.sd")
    assert "not supported: match setting 'gram-size' on fieldset 'default'" in str(raised.value)
    assert (raised.value.location.line, raised.value.location.column) == (13, 7)
    exact = text.replace("      gram-size: 3\n", "").replace("gram", "exact")
    schema = application_from_text(exact, name="s.sd").schemas["s"]
    assert query_match_modes([schema])["default"] == MatchMode("exact")
