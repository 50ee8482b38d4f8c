"""Languages: tags, detection, stemming per Snowball language, normalization and CJK tokens,
and the query language of YQL and user queries."""
from __future__ import annotations

import pytest

from searchlib.errors import InvalidParameterError, QueryError
from searchlib.languages import (
    DEFAULT_LANGUAGE, detect_language, field_language, language_code, language_sources, query_language)
from searchlib.linguistics import normalize, stem, tokenize, tokenize_unstemmed
from searchlib.query.tree import Or, Term
from searchlib.query.user_query import UserQuerySettings, parse_user_query
from searchlib.query.yql import parse_yql
from searchlib.schema.application import load_application
from tests.integration.conftest import REPO

# language → (an inflected form, another form of it): one stem in that language's Snowball rules,
# two different ones in English
SAME_STEM = {
    "de": ("Häuser", "Haus"), "fr": ("chevaux", "cheval"), "es": ("corriendo", "correr"),
    "it": ("parlando", "parlare"), "pt": ("falando", "falar"), "nl": ("boeken", "boek"),
    "ru": ("книги", "книга"), "sv": ("husen", "hus"), "da": ("husene", "hus"), "fi": ("taloissa", "talo"),
    "hu": ("házak", "ház"), "tr": ("evlerde", "ev"),
}

SENTENCES = {
    "de": "Die alten Häuser stehen seit Jahrhunderten am Ufer des Flusses.",
    "fr": "Les anciennes maisons se trouvent au bord de la rivière depuis des siècles.",
    "es": "Las casas antiguas están junto al río desde hace siglos.",
    "it": "Le vecchie case si trovano sulla riva del fiume da secoli.",
    "pt": "As casas antigas ficam à beira do rio há séculos.",
    "nl": "De oude huizen staan al eeuwenlang aan de oever van de rivier.",
    "ru": "Старые дома стоят на берегу реки уже много веков.",
    "sv": "De gamla husen har stått vid flodens strand i århundraden.",
    "tr": "Eski evler yüzyıllardır nehrin kıyısında duruyor.",
    "en": "The old houses have stood on the bank of the river for centuries.",
    "zh": "这些老房子几百年来一直矗立在河岸上。",
    "ja": "古い家は何世紀にもわたって川岸に建っています。",
    "ko": "오래된 집들은 수세기 동안 강둑에 서 있었습니다.",
}


@pytest.mark.parametrize("language", sorted(SAME_STEM))
def test_each_snowball_language_meets_inflections_on_one_stem(language) -> None:
    inflected, other = SAME_STEM[language]
    assert tokenize(inflected, language) == tokenize(other, language)
    assert tokenize(inflected, "en") != tokenize(other, "en")


def test_languages_without_a_snowball_stemmer_are_stemmed_as_english() -> None:
    assert tokenize("running dogs", "pl") == tokenize("running dogs", "en") == ["run", "dog"]
    assert stem("running", "xx") == "run"


@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_sentences_are_detected(language) -> None:
    assert detect_language(SENTENCES[language]) == language


@pytest.mark.parametrize("text", ["Haus", "Häuser", "the cat", "maison", "", "12345", "!!!"])
def test_short_text_falls_back_to_the_default_language(text) -> None:
    assert detect_language(text) == DEFAULT_LANGUAGE == "en"


def test_detection_survives_control_characters() -> None:
    assert detect_language("Die alten Häuser\x96 stehen seit Jahrhunderten\x94 am Ufer des Flusses.") == "de"


@pytest.mark.parametrize(("tag", "code"), [
    ("de", "de"), ("de-DE", "de"), ("de_DE", "de"), ("DE", "de"), ("zh-Hans", "zh"), ("zh_TW", "zh"),
    ("pt-BR", "pt"), ("nb", "nb"), ("iw", "he"), (" fr ", "fr"),
])
def test_language_tags_and_locales_name_a_language(tag, code) -> None:
    assert language_code(tag) == code


@pytest.mark.parametrize("tag", ["", "d", "de!", "12", "de--DE", "a" * 9])
def test_malformed_tags_are_refused(tag) -> None:
    with pytest.raises(ValueError):
        language_code(tag)


def test_query_language_reads_the_parameters_and_refuses_malformed_ones() -> None:
    assert query_language({}) == ""
    assert query_language({"model.locale": "fr_FR"}) == "fr"
    assert query_language({"model.language": "de", "model.locale": "fr-FR"}) == "de"
    assert query_language({"lang": "it"}) == "it"
    with pytest.raises(InvalidParameterError, match="model.language"):
        query_language({"model.language": "de;"})


def test_normalization_drops_accents_and_keeps_what_vespa_keeps() -> None:
    assert normalize("Crème Brûlée") == "creme brulee"
    assert normalize("İSTANBUL İstanbul") == "istanbul istanbul"  # dotted capital I: the dot is an accent
    assert normalize("ılık IRMAK") == "ılık irmak"  # dotless ı stays; I lowercases language-independently
    assert normalize("Straße STRASSE ẞ") == "straße strasse ß"  # ß is a letter, not an accent
    assert normalize("が パ") == "が パ"  # kana voicing marks are not accents
    assert normalize("한국어") == "한국어"  # Hangul stays composed
    assert normalize("ｶﾀｶﾅ ＡＢＣ ﬁ") == "カタカナ abc fi"  # compatibility forms are folded (NFKC)


def test_german_stemming_folds_sharp_s() -> None:
    assert tokenize("Straße", "de") == tokenize("Strasse", "de") == tokenize("STRASSE", "de") == ["strass"]
    assert tokenize("Straße", "en") != tokenize("Strasse", "en")


# Vespa's default OpenNLP linguistics (cjk off): SimpleTokenizer splits only where a character is
# no letter or digit, so a CJK run is one token (vespa-engine/vespa#13364 shows the indexed words)
@pytest.mark.parametrize(("text", "tokens"), [
    ("北京大学", ["北京大学"]),
    ("水", ["水"]),
    ("我能吞下玻璃而不伤身体。", ["我能吞下玻璃而不伤身体"]),  # MinimalQueryInserterTestCase's word
    ("東京都に住む", ["東京都に住む"]),
    ("서울은 한국의", ["서울은", "한국의"]),
    ("iPhone手机 2024年", ["iphone手机", "2024年"]),  # letters and digits of any script run on
    ("カタカナ・ひらがな、漢字", ["カタカナ", "ひらがな", "漢字"]),  # CJK punctuation separates
])
def test_a_cjk_run_is_one_token_as_in_vespas_default_linguistics(text, tokens) -> None:
    assert tokenize_unstemmed(text) == tokens


def test_a_cjk_word_in_a_query_is_one_term() -> None:
    assert parse_user_query("北京大学", type="all", default_index="body") == Term("body", "北京大学")
    assert parse_user_query("北京大学 学习", type="any", default_index="body") == Or(
        (Term("body", "北京大学"), Term("body", "学习")))


def test_user_queries_are_stemmed_in_the_given_or_detected_language() -> None:
    german = "Häuser kaufen und verkaufen ohne Makler in Berlin"
    assert "'haus'" in str(parse_user_query(german, type="any"))  # detected: German
    assert "'haus'" not in str(parse_user_query(german, type="any", language="en"))
    assert parse_user_query("Häuser", type="all", language="de") == Term("default", "haus")
    assert parse_user_query("Häuser", type="all") == Term("default", "hauser")  # one word: English


def test_yql_uses_one_query_language_for_every_term() -> None:
    yql = 'select * from page where body contains "Häuser" and userQuery()'
    settings = UserQuerySettings.from_parameters({"query": "Häuser", "language": "de"})
    parsed = parse_yql(yql, user_query=settings)
    assert str(parsed.where).count("haus") == 2 and "hauser" not in str(parsed.where)
    detected = parse_yql('select * from page where body contains "Häuser" and userQuery()',
                         parameters={"query": "kaufen und verkaufen ohne Makler in der Stadt Berlin"})
    assert "'haus'" in str(detected.where)  # detected from the user query, applied to the YQL's strings too
    # the user's text decides, a userInput's as well: the YQL's strings only without any
    assert parse_yql('select * from page where body contains "Häuser" and userInput(@q)',
                     parameters={"q": "kaufen und verkaufen ohne Makler in der Stadt Berlin"}).language == "de"
    assert parse_yql('select * from page where body contains "Häuser kaufen und verkaufen ohne Makler in der Stadt" '
                     'and userQuery()', parameters={"query": "executions"}).language == "en"
    english = parse_yql('select * from page where body contains "Häuser"')
    assert "hauser" in str(english.where)


def test_set_language_applies_to_the_fields_after_it() -> None:
    schema = load_application(REPO / "tests" / "apps" / "languages").schemas["page"]
    # the literal index of label (rank: literal) is stemmed in label's language too
    assert language_sources(schema) == {"body": "lang", "label": "lang", "code": "lang", "seg": "lang",
                                        "label_literal": "lang"}
    assert field_language({"lang": "de-CH"}, "lang") == "de"
    assert field_language({"lang": ""}, "lang") == field_language({}, "lang") == ""
    assert field_language({"lang": "not a tag!"}, "lang") == ""  # ignored: detected instead


def test_user_input_takes_a_language_annotation() -> None:
    yql = 'select * from page where {language:"de", grammar:"all"}userInput("Häuser")'
    assert "'haus'" in str(parse_yql(yql).where)
    assert "'hauser'" in str(parse_yql(yql.replace('language:"de", ', "")).where)
    with pytest.raises(QueryError, match="language"):
        parse_yql(yql.replace('"de"', '"de!"'))


ENGLISH = "running shoes for the marathon in the city are comfortable and light"


def test_the_first_user_input_sets_the_query_language() -> None:
    """As Vespa's YqlParser: each userInput is parsed in its own {language:} or its own text's
    language, and the first one parsed sets the query's (model) language the YQL's strings use."""
    two = parse_yql('select * from page where userInput(@a) and userInput(@b)',
                    parameters={"a": "Häuser kaufen", "b": ENGLISH})
    assert two.language == "de"
    assert "'citi'" in str(two.where), "the second userInput still in its own language (English)"
    annotated = parse_yql('select * from page where {language:"de"}userInput(@q) and body contains "Häuser"',
                          parameters={"q": ENGLISH})
    assert annotated.language == "de" and "'haus'" in str(annotated.where)
    assert "'citi'" not in str(annotated.where), "the annotated userInput is German"
    before = parse_yql('select * from page where body contains "Häuser" and {language:"de"}userInput(@q)',
                       parameters={"q": ENGLISH})
    assert before.language == "de" and "'haus'" in str(before.where), "a string before it too"


def test_a_user_input_inside_a_string_is_text() -> None:
    parsed = parse_yql('select * from page where body contains "userInput(@q)" and body contains "running"',
                       parameters={"q": "kaufen und verkaufen ohne Makler in der Stadt Berlin"})
    assert parsed.language == "en" and "'run'" in str(parsed.where)
