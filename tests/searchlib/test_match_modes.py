"""Match modes (searchlib/match_modes.py): the terms a value is indexed as and a query string
searched as, per Vespa's schema reference `match`, with the examples it gives."""
from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from searchlib.errors import SchemaError
from searchlib.match_modes import MatchMode, index_terms, match_mode, query_match_modes, query_terms, streaming_algorithm
from searchlib.query import tree as q
from searchlib.query.user_query import parse_user_query
from searchlib.query.yql import parse_yql
from searchlib.schema.application import application_from_sources, application_from_text

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
    ("match: gram", "attribute", "not supported: match: gram on field 'f' without 'index'", 14),
    ("normalizing: lowercase", "index", "not supported: normalizing: lowercase in field 'f'", 7),
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


def test_normalizing_none_keeps_accents_in_the_index_and_in_queries():
    keep = MatchMode(normalizing=False)
    assert index_terms(MatchMode(), "Café Résumé", "fr") == ["caf", "resum"]  # folded, then stemmed
    assert index_terms(MatchMode(stemming=False), "Café Résumé", "fr") == ["cafe", "resume"]
    assert index_terms(replace(keep, stemming=False), "Café Résumé", "fr") == ["café", "résumé"]
    assert query_terms(replace(keep, stemming=False), "CAFÉ", "fr") == ["café"]
    assert query_terms(replace(keep, stemming=False), "cafe", "fr") == ["cafe"]  # so no match on café
    assert index_terms(replace(keep, kind="word"), "Crème Brûlée", "fr") == ["crème brûlée"]
    schema = _field("normalizing: none")
    assert match_mode(schema.fields["f"]) == keep
    assert query_match_modes([schema]) == {"f": keep}
    # a fieldset of normalizing: none fields is queried the same way
    text = SCHEMA.format(settings="normalizing: none", outputs="index").replace(
        "fields: t }", "fields: t }\n  fieldset plain { fields: f }")
    assert query_match_modes([application_from_text(text, name="s.sd").schemas["s"]])["plain"] == keep


def test_text_on_an_attribute_tokenizes_queries_without_stemming_or_accent_folding():
    # Vespa derives only `lowercase` and `attribute` for it (no `word`): query words are tokens
    mode = match_mode(_field("match: text", outputs="attribute").fields["f"])
    assert mode == MatchMode(stemming=False, normalizing=False)
    assert query_terms(mode, "Running Cafés", "en") == ["running", "cafés"]
    where = parse_yql('select * from s where f contains "Running Cafés"', match_modes={"f": mode}).where
    assert where == q.Phrase("f", ("running", "cafés"))


@pytest.mark.parametrize("settings, outputs, kind", [
    ("match: prefix", "index", "text"),
    ("match: prefix", "attribute", "word"),
    ("match {\n        exact\n        prefix\n      }", "index", "exact"),
    ("match: substring", "index", "text"),
    ("match: suffix", "attribute", "word"),
    ("index: prefix", "index", "text"),
])
def test_algorithms_without_effect_in_indexed_mode_load_with_an_info_line(settings, outputs, kind, caplog):
    # Vespa's derived index-info has no command for them: a prefix index is a text index
    with caplog.at_level(logging.INFO, logger="searchlib.schema"):
        schema = _field(settings, outputs)
    assert match_mode(schema.fields["f"]).kind == kind
    setting = settings.replace("match {\n        exact\n        ", "match: ").replace("\n      }", "")
    assert [r.getMessage() for r in caplog.records if setting in r.getMessage()
            and "no effect in indexed mode" in r.getMessage() and "schemas/s.sd:" in r.getMessage()]


STREAMING_SERVICES = """<services version="1.0">
  <container id="c" version="1.0"><search/><document-api/></container>
  <content id="content" version="1.0">
    <redundancy>1</redundancy>
    <documents><document type="s" mode="{mode}"/></documents>
    <nodes><node hostalias="node0" distribution-key="0"/></nodes>
  </content>
</services>
"""


@pytest.mark.parametrize("settings, outputs, algorithm", [
    ("match: substring", "index", "substring"),
    ("match: suffix", "attribute", "suffix"),
    ("match: prefix", "attribute", "prefix"),
    ("match {\n        word\n        prefix\n      }", "attribute", "prefix"),
])
def test_algorithms_on_a_streaming_type_load_and_set_how_its_words_match(settings, outputs, algorithm):
    # Vespa's streaming search matches by them (content_node/streaming.py does), and never stems
    sources = {"schemas/s.sd": SCHEMA.format(settings=settings, outputs=outputs),
               "services.xml": STREAMING_SERVICES.format(mode="streaming")}
    field = application_from_sources(sources).schemas["s"].fields["f"]
    assert streaming_algorithm(field) == algorithm and not match_mode(field).stemming
    sources["services.xml"] = STREAMING_SERVICES.format(mode="index")  # indexed: loads (no effect, as Vespa)
    field = application_from_sources(sources).schemas["s"].fields["f"]
    assert field.match_algorithms[0][0] == algorithm and streaming_algorithm(field) == ""
    assert match_mode(field).stemming  # an indexed type's text field stems (a word field never reads it)
