"""Linguistics profiles: services.xml's lucene-analysis config read into analysis chains, the
chains' terms (worked out from Lucene's WhitespaceTokenizer, LowerCaseFilter and Porter stemmer),
and what the engine cannot run exactly refused by name where it is written."""
from __future__ import annotations

import re

import pytest

from searchlib.errors import SchemaError
from searchlib.lucene_analysis import analyze
from searchlib.match_modes import index_terms, match_mode, query_terms
from searchlib.snippets import SEP, bold, dynamic_snippet
from searchlib.schema.application import application_from_sources, application_from_text

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
    (profile("p", "classic", "<name>lowercase</name>"), "p", "not supported: tokenizer 'classic'", 6),
    (profile("p", "whitespace", "<name>kStem</name>"), "p", "not supported: token filter 'kStem'", 6),
    (profile("p", "whitespace", "<name>stop</name><conf><item key=\"words\">stop.txt</item></conf>"), "p",
     "not supported: words file 'stop.txt' without a <configDir>", 6),
    (profile("p", "whitespace", "<name>stop</name><conf><item key=\"format\">wordset</item></conf>"), "p",
     "the stop filter's format needs words", 6),
    (profile("p", "whitespace", "<name>asciiFolding</name><conf><item key=\"preserveOriginal\">yes</item></conf>"),
     "p", "preserveOriginal must be true or false, not 'yes'", 6),
    ('<item key="profile=p"><tokenizer><name>standard</name><conf><item key="maxTokenLength">0</item></conf>'
     '</tokenizer></item>', "p", "maxTokenLength must be between 1 and 1048576, not '0'", 6),
    ('<item key="profile=p"><tokenizer><name>whitespace</name><conf><item key="rule">java</item></conf>'
     '</tokenizer></item>', "p", "not supported: tokenizer 'whitespace' with conf rule", 6),
    ('<item key="profile=p"><charFilters><item><name>htmlStrip</name></item></charFilters></item>', "p",
     "not supported: <charFilters> in profile 'profile=p'", 6),
    ('<item key="profile=p"><tokenizer><name>standard</name><config><item key="maxTokenLength">9</item></config>'
     '</tokenizer></item>', "p", "unknown config field <config> in <tokenizer>", 6),
    (profile("p", "whitespace", "<name>snowballPorter</name><conf><item key=\"language\">Klingon</item></conf>"), "p",
     "not supported: snowballPorter language 'Klingon'", 6),
    ('<item key="en/BEST"><tokenizer><name>whitespace</name></tokenizer></item>', "p",
     "not supported: lucene-analysis 'en/BEST': only profile=<name> and language analyzers", 6),
    ('<item key="profile=p;language=en"><tokenizer><name>whitespace</name></tokenizer></item>', "p",
     "not supported: lucene-analysis 'profile=p;language=en'", 6),
    ('<item key="stemMode=BEST"><tokenizer><name>whitespace</name></tokenizer></item>', "p",
     "not supported: lucene-analysis 'stemMode=BEST'", 6),
    ('<item key="language=en-"><tokenizer><name>whitespace</name></tokenizer></item>', "p",
     "lucene-analysis key 'language=en-': 'en-' is not a language tag", 6),
    (profile("p", "whitespace") + '<item key="language=en"/><item key="en-US"/>', "p",
     "duplicate lucene-analysis analyzer 'en-US'", 6),
])
def test_what_the_engine_cannot_run_is_refused_in_services_xml(analysis, name, message, line) -> None:
    with pytest.raises(SchemaError, match=re.escape(message)) as raised:
        load(analysis, name)
    assert raised.value.location.file == "services.xml" and raised.value.location.line == line


def test_an_unknown_profile_is_refused_in_the_schema() -> None:
    with pytest.raises(SchemaError, match=re.escape("unknown linguistics profile 'q' (index of field 'a'): "
                                                    "services.xml defines p")) as raised:
        load(profile("p", "whitespace") + '<item key="de"/>', "q")  # a language analyzer is no profile
    assert raised.value.location.line == 5


def load_package(analysis: str, files: dict[str, str], config_dir: str = "<configDir>lucene</configDir>",
                 config_name: str = "com.yahoo.language.lucene.lucene-analysis"):
    xml = services(analysis).replace('<config name="language.lucene.lucene-analysis">',
                                     f'<config name="{config_name}">{config_dir}')
    return application_from_sources({"schemas/s.sd": SD % "p", "services.xml": xml, **files})


def field_mode(app):
    return match_mode(app.schemas["s"].fields["a"])


def test_a_profile_without_a_tokenizer_gets_lucenes_default_standard_tokenizer() -> None:
    app = load('<item key="profile=p"><tokenFilters><item><name>lowercase</name></item></tokenFilters></item>')
    assert field_mode(app).index_analysis == ("standard", "lowercase")
    assert index_terms(field_mode(app), "Wi-Fi: O'Reilly's 1,000 U.S.A.", "en") == ["wi", "fi", "o'reilly's", "1,000",
                                                                                      "u.s.a"]


def test_standard_max_token_length_and_ascii_folding_with_preserve_original() -> None:
    app = load('<item key="profile=p"><tokenizer><name>standard</name><conf><item key="maxTokenLength">5</item>'
               '</conf></tokenizer><tokenFilters><item><name>asciiFolding</name><conf>'
               '<item key="preserveOriginal">true</item></conf></item></tokenFilters></item>')
    mode = field_mode(app)
    assert mode.index_analysis == ("standard:5", "asciifolding:preserve")
    # Lucene emits the folded token, then the original; Vespa indexes both, one after the other
    assert index_terms(mode, "Café toolong", "en") == ["Cafe", "Café", "toolo", "ng"]


def test_stop_words_default_to_lucenes_english_set_and_respect_ignore_case() -> None:
    stop = '<name>stop</name>%s'
    app = load(profile("p", "standard", stop % ""))  # no lowercase: "The" is not "the"
    assert index_terms(field_mode(app), "The cat and the hat", "en") == ["The", "cat", "hat"]
    app = load(profile("p", "standard", stop % '<conf><item key="ignoreCase">true</item></conf>'))
    assert index_terms(field_mode(app), "The cat and THE hat", "en") == ["cat", "hat"]


def test_stop_words_files_are_read_under_config_dir_in_both_formats() -> None:
    stop = '<name>stop</name><conf><item key="words">%s</item>%s</conf>'
    files = {"lucene/en/stop.txt": "\ufeff# a comment line\ncat\n\n  hat  \n",
             "lucene/snow.txt": "the a | articles\n dog | animals\n"}
    app = load_package(profile("p", "standard", "<name>lowercase</name>", stop % ("en/stop.txt", "")), files)
    assert index_terms(field_mode(app), "The Cat in the hat", "en") == ["the", "in", "the"]
    app = load_package(profile("p", "standard", "<name>lowercase</name>",
                               stop % ("en/stop.txt, snow.txt", '<item key="format">snowball</item>')), files)
    # snowball format (for both files): "# a comment line" is four words, "|" starts a comment
    assert index_terms(field_mode(app), "The cat in a dog comment house", "en") == ["in", "house"]


def test_a_missing_words_file_is_a_located_error() -> None:
    with pytest.raises(SchemaError, match="file 'lucene/missing.txt' not found") as raised:
        load_package(profile("p", "standard", '<name>stop</name><conf><item key="words">missing.txt</item></conf>'),
                     {})
    assert raised.value.location.file == "services.xml" and raised.value.location.line == 6


def test_stop_words_inside_the_chain_survive_any_characters() -> None:
    app = load_package(profile("p", "keyword", '<name>stop</name><conf><item key="words">w.txt</item></conf>'),
                       {"lucene/w.txt": "new york\na,b:c%\n  #tag\u00a0\n"})
    mode = field_mode(app)
    assert index_terms(mode, "new york", "en") == [] and index_terms(mode, "a,b:c%", "en") == []
    # only a line starting with '#' is a comment; Java's trim keeps the no-break space
    assert index_terms(mode, "#tag\u00a0", "en") == [] and index_terms(mode, "#tag", "en") == ["#tag"]
    assert index_terms(mode, "new", "en") == ["new"]


def test_bolding_and_snippets_highlight_what_the_profile_chain_matches() -> None:
    app = load(profile("p", "standard", "<name>lowercase</name>", "<name>asciiFolding</name>", "<name>stop</name>",
                       "<name>porterStem</name>"))
    mode = field_mode(app)
    words = frozenset(query_terms(mode, "CAFE Running the", "en"))
    assert words == {"cafe", "run"}  # "the" is a stop word: no term
    text = "The Cafés of Paris, running late."
    # the folded, stemmed query words highlight the words as written; the stop word "The" is no match
    assert bold(text, words, mode=mode) == "The <hi>Cafés</hi> of Paris, <hi>running</hi> late."
    long_text = "filler words here " * 30 + "the café runs " + "more filler text " * 30
    snippet = dynamic_snippet(long_text, words, mode=mode)
    assert "the <hi>café</hi> <hi>runs</hi>" in snippet and snippet.startswith(SEP) and snippet.endswith(SEP)
    assert "<hi>" not in bold("filler words", words, mode=mode)


def test_preserve_original_highlights_a_word_once() -> None:
    app = load(profile("p", "whitespace", '<name>asciiFolding</name><conf><item key="preserveOriginal">true</item>'
                                          "</conf>"))
    mode = field_mode(app)
    assert bold("un café noir", frozenset(query_terms(mode, "café", "en")), mode=mode) == "un <hi>café</hi> noir"


def test_vespas_lucene_tokenizer_test_configurations() -> None:
    # vespa-engine/vespa lucene-linguistics LuceneTokenizerTest: the default (standard) tokenizer with
    # testAnalyzerConfiguration, testEnglishStemmerAnalyzerConfiguration, testStemmerWithStopWords
    assert analyze(("standard", "stem:englishminimal", "uppercase"), "Dogs and cats") == ["DOG", "AND", "CAT"]
    assert analyze(("standard", "stem:englishminimal"), "Dogs and Cats") == ["Dog", "and", "Cat"]
    app = load_package('<item key="profile=p"><tokenFilters><item><name>englishMinimalStem</name></item>'
                       '<item><name>stop</name><conf><item key="words">stopwords.txt</item></conf></item>'
                       '</tokenFilters></item>', {"lucene/stopwords.txt": "and\n"})
    assert index_terms(field_mode(app), "Dogs and Cats", "en") == ["Dog", "Cat"]


def test_english_minimal_stem_possessive_and_the_small_filters() -> None:
    # Lucene's TestEnglishMinimalStemFilter
    words = "queries phrases corpus stress kings panels aerodynamics congress serious"
    assert analyze(("whitespace", "stem:englishminimal"), words) == [
        "query", "phrase", "corpus", "stress", "king", "panel", "aerodynamic", "congress", "serious"]
    assert analyze(("whitespace", "stem:englishminimal"), "kings", stem=False) == ["kings"]
    # EnglishPossessiveFilter: a final 's, ’s or ＇s (either case of s)
    assert analyze(("whitespace", "possessive"), "O'Reilly's Jim’S its＇s dogs' s's") == [
        "O'Reilly", "Jim", "its", "dogs'", "s"]
    assert analyze(("whitespace", "uppercase"), "straße") == ["STRAßE"]  # Java maps ß to itself
    assert analyze(("whitespace", "reverse"), "abc 𝄞x") == ["cba", "x𝄞"]
    assert analyze(("keyword", "trim"), "\t padded \u3000") == ["padded"]
    assert analyze(("whitespace", "length:2:3"), "a ab abc abcd 𝄞") == ["ab", "abc", "𝄞"]  # 𝄞: two UTF-16 units


def test_length_filter_conf_is_checked() -> None:
    with pytest.raises(SchemaError, match="the length filter needs min and max"):
        load(profile("p", "whitespace", '<name>length</name><conf><item key="min">3</item></conf>'))
    app = load(profile("p", "whitespace", '<name>length</name><conf><item key="min">2</item>'
                                          '<item key="max">4</item></conf>'))
    assert field_mode(app).index_analysis == ("whitespace", "length:2:4")


def test_the_component_may_be_named_by_its_id() -> None:
    # lucene-linguistics' README: <component id="com.yahoo.language.lucene.LuceneLinguistics" bundle=...>
    xml = services(profile("p", "standard", "<name>lowercase</name>")).replace(
        'id="linguistics" class="com.yahoo.language.lucene.LuceneLinguistics"',
        'id="com.yahoo.language.lucene.LuceneLinguistics" bundle="lucene-linguistics"')
    app = application_from_text(SD % "p", services_xml=xml, name="s.sd")
    assert field_mode(app).index_analysis == ("standard", "lowercase")


def test_edge_ngram_and_ngram_filters_in_lucenes_order() -> None:
    # EdgeNGramTokenFilter: prefixes; preserveOriginal keeps a too short token alone, a too long one after
    assert analyze(("whitespace", "edgengram:2:3:0"), "a abcd ab") == ["ab", "abc", "ab"]
    assert analyze(("whitespace", "edgengram:2:3:1"), "a abcd ab") == ["a", "ab", "abc", "abcd", "ab"]
    # NGramTokenFilter: every start, then every size
    assert analyze(("whitespace", "ngram:1:2:0"), "abc") == ["a", "ab", "b", "bc", "c"]
    assert analyze(("whitespace", "ngram:2:2:1"), "abc x") == ["ab", "bc", "abc", "x"]
    app = load(profile("p", "standard", "<name>lowercase</name>", '<name>edgeNGram</name><conf>'
                       '<item key="minGramSize">1</item><item key="maxGramSize">3</item></conf>'))
    mode = field_mode(app)
    assert mode.index_analysis == ("standard", "lowercase", "edgengram:1:3:0")
    assert index_terms(mode, "Vespa", "en") == ["v", "ve", "ves"]
    # all grams keep their token's offsets: the word highlights once
    assert bold("Vespa search", frozenset(["ve", "v"]), mode=mode) == "<hi>Vespa</hi> search"
    with pytest.raises(SchemaError, match="the nGram filter needs minGramSize and maxGramSize"):
        load(profile("p", "standard", '<name>nGram</name><conf><item key="minGramSize">2</item></conf>'))


def test_german_normalization_and_light_stem_filters() -> None:
    app = load(profile("p", "standard", "<name>lowercase</name>", "<name>germanNormalization</name>",
                       "<name>GermanLightStem</name>"))
    assert field_mode(app).index_analysis == ("standard", "lowercase", "germannormalization", "stem:germanlight")
    # "Grüße": ü -> u, ß -> ss, then -e off; "Aepfel": ae -> a; "Bürgern": -ern off (longer than 5)
    assert index_terms(field_mode(app), "Grüße Aepfel Bürgern", "en") == ["gruss", "apfel", "burg"]


def test_the_indic_greek_and_galician_filters_by_their_lucene_names() -> None:
    # Lucene's SPI names, looked up without case: a profile built of them is the default analyzer's chain
    names = ("lowercase", "decimalDigit", "indicNormalization", "hindiNormalization", "hindiStem",
             "bengaliNormalization", "bengaliStem", "teluguNormalization", "teluguStem", "greekLowercase",
             "greekStem", "galicianStem")
    app = load(profile("p", "standard", *(f"<name>{name}</name>" for name in names)))
    assert match_mode(app.schemas["s"].fields["a"]).index_analysis == (
        "standard", "lowercase", "decimaldigit", "indicnormalization", "hindinormalization", "stem:hindilight",
        "bengalinormalization", "stem:bengali", "telugunormalization", "stem:telugu", "greeklowercase",
        "stem:greekntais", "stem:galicianrslp")
    hindi = load(profile("p", "standard", *(f"<name>{name}</name>" for name in names[:5])))
    assert index_terms(match_mode(hindi.schemas["s"].fields["a"]), "लड़कियों", "en") == ["लडक"]
