"""Lucene's language analyzers on text fields without a linguistics profile next to LuceneLinguistics:
the analyzer is picked by the text's language (a configured language analyzer, else Lucene's default
analyzer, else StandardAnalyzer), and a default analyzer the engine does not run is refused.

Expected terms worked out by hand from the analyzers' definitions: StandardTokenizer words,
EnglishPossessiveFilter ('s dropped), LowerCaseFilter, the stop sets, and the Porter / Snowball
rules (Porter: "running" -> "runn" (step 1b) -> "run" (undouble); Swedish: "-erna", "-arna", "-er",
"-en" removed in R1; Danish undoubles a final consonant pair in R1, Norwegian does not)."""
from __future__ import annotations

import re

import pytest

from searchlib.documents import validate_document
from searchlib.errors import DocumentError, SchemaError
from searchlib.languages import script_language
from searchlib.lucene_languages import UnsupportedLanguageError, language_chain
from searchlib.match_modes import TEXT, index_terms, match_mode, mode_language, query_detector, query_terms
from searchlib.schema.application import application_from_text
from searchlib.snippets import bold

SD = """schema s {
  document s {
    field lang type string { indexing: set_language | attribute | summary }
    field body type string { indexing: index | summary }
    field tags type array<string> { indexing: index }
    field code type string {
      indexing: index
      match: exact
    }
  }
}
"""
GERMAN = ('<item key="de"><tokenizer><name>whitespace</name></tokenizer><tokenFilters>'
          '<item><name>lowercase</name></item><item><name>snowballPorter</name>'
          '<conf><item key="language">German</item></conf></item></tokenFilters></item>')


def services(analysis: str = "") -> str:
    config = (f'<config name="language.lucene.lucene-analysis"><analysis>{analysis}</analysis></config>'
              if analysis else "")
    return f"""<services version="1.0">
  <container id="default" version="1.0">
    <component id="linguistics" class="com.yahoo.language.lucene.LuceneLinguistics">{config}</component>
  </container>
  <content id="c" version="1.0"><documents><document type="s" mode="index"/></documents></content>
</services>"""


def load(analysis: str = ""):
    return application_from_text(SD, services_xml=services(analysis), name="s.sd")


def body_mode(analysis: str = ""):
    return match_mode(load(analysis).schemas["s"].fields["body"])


def test_english_analyzer() -> None:
    mode = body_mode()
    assert not mode.stemming and mode.language_analysis == ()
    assert index_terms(mode, "The Running Dogs' owner's cars", "en") == ["run", "dog", "owner", "car"]
    assert query_terms(mode, "The owner's RUNNING", "en") == ["owner", "run"]
    assert query_terms(mode, "running", "en", stem=False) == ["running"]  # {stem: false}
    assert index_terms(mode, "the running", "") == ["run"]  # no language: the default, English


def test_snowball_analyzers_with_their_stop_sets() -> None:
    mode = body_mode()
    assert index_terms(mode, "Katterna och hundarna springer i parken", "sv") == ["katt", "hund", "spring", "park"]
    assert index_terms(mode, "Кошки и собаки", "ru") == ["кошк", "собак"]
    assert index_terms(mode, "Hundene og kattene", "da") == ["hund", "kat"]  # Danish undoubles "tt"
    assert index_terms(mode, "Hundene og kattene", "nb") == ["hund", "katt"]
    assert index_terms(mode, "Hundene og kattene", "no") == ["hund", "katt"]  # Vespa: "no" is bokmål
    assert "ja" not in index_terms(mode, "talot ja kissat", "fi")
    assert index_terms(mode, "A és", "hu") == []
    assert index_terms(mode, "The och", "sv") == ["the"]  # the Swedish set, not the English one


def test_german_analyzer() -> None:
    # stop words; GermanNormalization: ä -> a, ß -> ss, "ue" after a consonant -> u (not in "Quelle",
    # "blaue", "Feuer"); GermanLightStem: -er, -e, -en off ("häuser" -> "hauser" -> "haus")
    mode = body_mode()
    assert index_terms(mode, "Die Häuser der Bäume laufen schnell", "de") == ["haus", "baum", "lauf", "schnell"]
    assert index_terms(mode, "Müller Mueller Straße", "de") == ["mull", "mull", "strass"]
    assert index_terms(mode, "Quelle blaue Feuer", "de") == ["quell", "blau", "feu"]
    assert query_terms(mode, "Häuser", "de", stem=False) == ["hauser"]  # normalized, not stemmed


def test_spanish_analyzer() -> None:
    # SpanishLightStem on words of 5+ characters: -o -a -e off, plurals -os -as -es off, -ces -> -z,
    # -eses -> -es; shorter words keep their endings ("gato") and accents ("día")
    mode = body_mode()
    assert index_terms(mode, "Los perros corren por las calles", "es") == ["perr", "corren", "call"]
    assert index_terms(mode, "Las luces de los meses", "es") == ["luz", "mes"]
    assert index_terms(mode, "Canciones árbol gato día", "es") == ["cancion", "arbol", "gato", "día"]


def test_italian_analyzer() -> None:
    # ElisionFilter drops an article before an apostrophe (l', dell’, any case); ItalianLightStem on
    # words of 6+ characters: the final vowel off, two letters for -ia -io -ie -he -hi -ii ("quell'" is no
    # article: the token stays whole and loses its -o)
    mode = body_mode()
    assert index_terms(mode, "L'amico dell’Italia mangia le mele nei giardini", "it") == \
        ["amico", "ital", "mang", "mele", "giardin"]
    assert index_terms(mode, "amiche bianchi città quell'uomo", "it") == ["amic", "bianc", "città", "quell'uom"]


def test_languages_lucene_has_no_analyzer_for_get_the_standard_analyzer() -> None:
    mode = body_mode()
    assert index_terms(mode, "Koty i PSY, koty!", "pl") == ["koty", "i", "psy", "koty"]
    assert index_terms(mode, "Ve vodě a", "nn") == ["ve", "vodě", "a"]  # nynorsk: not the bokmål analyzer


def test_default_analyzers_not_run_here_are_refused_at_query_time() -> None:
    mode = body_mode()
    for language, analyzer in (("th", "ThaiAnalyzer"), ("et", "EstonianAnalyzer")):
        with pytest.raises(UnsupportedLanguageError, match=f"not supported: language '{language}' .*{analyzer}"):
            query_terms(mode, "Häuser", language)
    with pytest.raises(UnsupportedLanguageError):
        language_chain("th")


def test_a_configured_language_analyzer_comes_before_the_default() -> None:
    mode = body_mode(GERMAN + '<item key="language=en"><tokenizer><name>keyword</name></tokenizer></item>')
    assert index_terms(mode, "Die Häuser", "de") == ["die", "haus"]  # Snowball German, no stop words
    assert query_terms(mode, "The Dogs", "en") == ["The Dogs"]
    assert index_terms(mode, "kattene", "da") == ["kat"]  # the others keep Lucene's defaults
    with pytest.raises(UnsupportedLanguageError, match="'th'"):
        index_terms(mode, "บ้าน", "th")


def test_only_text_index_fields_get_language_analyzers() -> None:
    fields = load().schemas["s"].fields
    assert match_mode(fields["tags"]).language_analysis == ()
    assert match_mode(fields["code"]).language_analysis is None
    assert match_mode(fields["lang"]).language_analysis is None
    without = re.sub(r"<component.*</component>", "", services())
    plain = application_from_text(SD, services_xml=without, name="s.sd")
    assert match_mode(plain.schemas["s"].fields["body"]).language_analysis is None


def test_documents_in_a_language_not_run_are_refused_before_they_are_written() -> None:
    schema = load().schemas["s"]
    assert validate_document(schema, {"lang": "sv", "body": "Katterna"})["body"] == "Katterna"
    with pytest.raises(DocumentError, match=re.escape("Field 'body': not supported: language 'th'")):
        validate_document(schema, {"lang": "th", "body": "บ้าน"})
    with pytest.raises(DocumentError, match="Field 'tags': not supported: language 'th'"):  # detected
        validate_document(schema, {"tags": ["Les maisons", "ภาษาไทย"]})
    validate_document(load('<item key="th"/>').schemas["s"], {"lang": "th", "body": "บ้าน"})


def test_bolding_highlights_by_the_texts_language_analyzer() -> None:
    mode = body_mode()
    assert bold("Katterna springer", frozenset({"katt"}), "sv", mode) == "<hi>Katterna</hi> springer"
    assert bold("Katterna springer", frozenset({"katt"}), "de", mode) == "Katterna springer"


def test_language_keys_are_checked_where_written() -> None:
    with pytest.raises(SchemaError, match="only profile=<name> and language analyzers") as raised:
        load('<item key="de/BEST"/>')
    assert raised.value.location.file == "services.xml"


def test_without_a_language_lucene_linguistics_detects_by_script_only() -> None:
    # LuceneLinguistics extends SimpleLinguistics: SimpleDetector, and unknown is English
    assert script_language("Die Häuser der Stadt sind sehr alt und schön, und die Straßen sind eng") == "en"
    assert script_language("東京 is big") == "zh"
    assert script_language("東京とは") == "ja"  # kana after the ideographs
    assert script_language("東京 서울") == "ko"
    assert script_language("ภาษาไทย") == "th"
    assert script_language("𠀀") == "en"  # beyond the BMP: Java's per-char blocks never see it
    mode = body_mode()
    german = "Die Häuser der Stadt sind sehr alt und schön, und die Straßen sind eng"
    assert mode_language(mode, german) == "en" and mode_language(TEXT, german) == "de"
    assert mode_language(mode, german, "de") == "de"
    assert query_detector({"body": mode})(german) == "en"
    with pytest.raises(DocumentError, match="not supported: language 'th'"):
        validate_document(load().schemas["s"], {"body": "ภาษาไทย"})
    validate_document(load().schemas["s"], {"body": "我们的房子"})  # zh by script: CJKAnalyzer
    validate_document(load().schemas["s"], {"body": german})  # indexed as English, as Vespa would


def test_a_stored_document_in_a_language_no_longer_analyzed_is_not_indexed_rather_than_failing() -> None:
    # refused at feed; a package changed since (its language analyzer removed) must not stop a node
    from content_node.store.inverted_index import field_tokens
    mode = body_mode()
    assert field_tokens("บ้านสวย", "th", mode)[0] == []
    assert field_tokens("Hundarna springer", "sv", mode)[0] == ["hund", "spring"]


STRUCTS_SD = """schema s {
  document s {
    field lang type string { indexing: set_language | attribute | summary }
    struct inner { field text type string {} }
    field st type inner {
      indexing: summary
      struct-field text { indexing: index | summary }
    }
    field arr type array<inner> {
      indexing: summary
      struct-field text { indexing: index | summary }
    }
  }
}
"""


def test_struct_fields_are_checked_as_they_are_indexed() -> None:
    # the index analyzes st.text and arr.text (read from their parent): an unanalyzable language
    # there would be acknowledged yet never findable
    schema = application_from_text(STRUCTS_SD, services_xml=services(), name="s.sd").schemas["s"]
    with pytest.raises(DocumentError, match="Field 'st.text': not supported: language 'th'"):
        validate_document(schema, {"lang": "th", "st": {"text": "บ้าน"}})
    with pytest.raises(DocumentError, match="Field 'arr.text': not supported: language 'th'"):  # detected
        validate_document(schema, {"arr": [{"text": "ภาษาไทย"}, {}]})
    assert validate_document(schema, {"lang": "sv", "st": {"text": "hej"}, "arr": [{"text": "katt"}]})


def test_the_language_checks_are_worked_out_once_per_schema(monkeypatch) -> None:
    import searchlib.documents as documents
    schema = load().schemas["s"]
    validate_document(schema, {"lang": "sv", "body": "Katterna"})
    calls = []
    monkeypatch.setattr(documents, "match_mode", lambda field: calls.append(field))
    validate_document(schema, {"lang": "sv", "body": "Hundarna"})
    assert calls == []
