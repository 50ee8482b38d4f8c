"""Linguistics profiles: services.xml's lucene-analysis config read into analysis chains, the
chains' terms (worked out from Lucene's WhitespaceTokenizer, LowerCaseFilter and Porter stemmer),
and what the engine cannot run exactly refused by name where it is written."""
from __future__ import annotations

import re

import pytest

from searchlib.errors import SchemaError
from searchlib.lucene_analysis import analyze
from searchlib.match_modes import index_terms, match_mode, query_terms
from searchlib.schema.application import application_from_text

SD = """schema s {
  document s {
    field a type string {
      indexing: index
      linguistics { profile: %s }
    }
  }
}
"""


def services(analysis: str) -> str:
    return f"""<services version="1.0">
  <container id="default" version="1.0">
    <component id="linguistics" class="com.yahoo.language.lucene.LuceneLinguistics">
      <config name="language.lucene.lucene-analysis">
        <analysis>
{analysis}
        </analysis>
      </config>
    </component>
  </container>
  <content id="c" version="1.0"><documents><document type="s" mode="index"/></documents></content>
</services>"""


def profile(name: str, tokenizer: str, *filters: str) -> str:
    items = "".join(f"<item>{f}</item>" for f in filters)
    return (f'<item key="profile={name}"><tokenizer><name>{tokenizer}</name></tokenizer>'
            f"<tokenFilters>{items}</tokenFilters></item>")


def load(analysis: str, name: str = "p", sd: str = SD):
    return application_from_text(sd % name, services_xml=services(analysis), name="s.sd")


def test_profiles_are_read_into_the_field_chains() -> None:
    app = load(profile("p", "Whitespace", "<name>lowercase</name>", "<name>snowballPorter</name>"
                       "<conf><item key=\"language\">German</item></conf>"))
    mode = match_mode(app.schemas["s"].fields["a"])
    assert mode.index_analysis == mode.search_analysis == ("whitespace", "lowercase", "stem:german")
    assert not mode.stemming  # the profile's stemmer replaces the default one
    assert index_terms(mode, "Häuser Katzen", "en") == ["haus", "katz"]  # German rules, whatever the language


def test_chains_give_lucenes_terms() -> None:
    assert analyze(("whitespace", "lowercase"), "Hello,  WORLD\tİz\u00a0x") == ["hello,", "world", "iz\u00a0x"]
    assert analyze(("whitespace", "lowercase", "stem:porter"), "Generously running") == ["gener", "run"]
    assert analyze(("whitespace", "stem:english"), "generously running") == ["generous", "run"]  # Porter2
    assert analyze(("whitespace", "stem:porter"), "running", stem=False) == ["running"]
    assert analyze(("keyword", "lowercase"), "New York") == ["new york"]
    assert [len(t) for t in analyze(("whitespace",), "a" * 600)] == [255, 255, 90]


def test_index_and_search_profiles_differ() -> None:
    sd = SD.replace("profile: %s", "profile {\n        index: %s\n        search: cased\n      }")
    app = load(profile("p", "whitespace", "<name>lowercase</name>") + profile("cased", "whitespace"), sd=sd)
    mode = match_mode(app.schemas["s"].fields["a"])
    assert index_terms(mode, "Big Cat", "en") == ["big", "cat"]
    assert query_terms(mode, "Big Cat", "en") == ["Big", "Cat"]


@pytest.mark.parametrize("analysis, name, message, line", [
    (profile("p", "standard", "<name>lowercase</name>"), "p", "not supported: tokenizer 'standard'", 6),
    (profile("p", "whitespace", "<name>asciiFolding</name>"), "p", "not supported: token filter 'asciiFolding'", 6),
    (profile("p", "whitespace", "<name>snowballPorter</name><conf><item key=\"language\">Klingon</item></conf>"), "p",
     "not supported: snowballPorter language 'Klingon'", 6),
    ('<item key="en"><tokenizer><name>whitespace</name></tokenizer></item>', "p",
     "not supported: lucene-analysis 'en': only profile=<name> analyzers", 6),
    ('<item key="profile=p"><tokenFilters><item><name>lowercase</name></item></tokenFilters></item>', "p",
     "not supported: profile 'profile=p' without a tokenizer", 6),
])
def test_what_the_engine_cannot_run_is_refused_in_services_xml(analysis, name, message, line) -> None:
    with pytest.raises(SchemaError, match=re.escape(message)) as raised:
        load(analysis, name)
    assert raised.value.location.file == "services.xml" and raised.value.location.line == line


def test_an_unknown_profile_or_a_field_without_one_is_refused_in_the_schema() -> None:
    with pytest.raises(SchemaError, match=re.escape("unknown linguistics profile 'q' (index of field 'a'): "
                                                    "services.xml defines p")) as raised:
        load(profile("p", "whitespace"), "q")
    assert raised.value.location.line == 5
    other = SD.replace("  }\n}", "    field b type string { indexing: index }\n  }\n}")
    with pytest.raises(SchemaError, match="not supported: field 'b' without a linguistics profile"):
        load(profile("p", "whitespace"), sd=other)
