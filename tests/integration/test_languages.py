"""Languages through a real cluster (tests/apps/languages, 2 nodes): documents are stemmed in their
detected or `set_language` language at feed time, queries in their `language` / `model.locale` or
detected language, and CJK text is tokenized as Vespa's default linguistics does (no CJK segmenter:
a run of CJK letters between punctuation or spaces is one word). Each query is chosen so that only the
right language's stemmer makes the expected document match: the same query stemmed as English
finds nothing.
"""
from __future__ import annotations

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import REPO

APP = REPO / "tests" / "apps" / "languages"

# language → (document body, a query sharing one word with it in another inflection, long enough
# to be detected)
INFLECTED = {
    "de": ("Das alte Haus steht am Fluss.", "Häuser kaufen und verkaufen ohne Makler in Berlin"),
    "fr": ("Le fermier nourrit son cheval chaque matin.",
           "Où galopent les chevaux sauvages de Camargue aujourd'hui"),
    "es": ("Me gusta correr por la mañana en el parque.",
           "Estaba corriendo rápidamente hacia una estación del tren ayer"),
    "it": ("Voglio parlare con il direttore della scuola.",
           "Stavano parlando tranquillamente della partita di calcio di ieri sera"),
    "pt": ("Ela gosta de falar com os vizinhos.",
           "Estávamos falando sobre futebol durante o almoço na cantina"),
    "nl": ("Ik lees graag een boek in de tuin.", "Wij kochten gisteren nieuwe boeken voor onze kinderen"),
    "ru": ("Это интересная книга о истории.", "Студенты читают новые книги в большой библиотеке университета"),
}
CJK = {
    "zh": "我们在北京大学，学习中文。",  # words: 我们在北京大学 学习中文
    "ja": "東京都に住んでいます。",  # one word
    "ko": "서울은 한국의 수도입니다.",  # words: 서울은 한국의 수도입니다
}
# short bodies, too short to detect: only `lang` (set_language) makes them German
SET_LANGUAGE = {
    "tagged": {"headline": "Häuser", "lang": "de", "body": "Häuser"},
    "untagged": {"headline": "Häuser", "body": "Häuser"},
    "retagged": {"headline": "Gärten", "body": "Gärten"},
}
# `rank: literal` on label: the same stems, different words as written
LITERAL = {
    "lit-running": {"label": "Running shoes"},
    "lit-runs": {"label": "He runs"},
    "lit-cafe-accent": {"label": "Café"},
    "lit-cafe": {"label": "cafe"},
    "code-split": {"code": "e.mail"},  # "e" and "mail" at separate places: only an AND finds it
    "code-apart": {"code": "mail to e"},
    "seg-split": {"seg": "e.mail", "headline": "e.mail"},
    "seg-apart": {"seg": "mail to e", "headline": "mail to e"},
}


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("languages"), nodes=2) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
            documents = {lang: {"body": body} for lang, (body, _) in INFLECTED.items()}
            documents.update({lang: {"body": text} for lang, text in CJK.items()})
            documents.update(SET_LANGUAGE)
            documents.update(LITERAL)
            for name, fields in documents.items():
                response = client.post(f"/document/v1/test/page/docid/{name}", json={"fields": fields})
                assert response.status_code == 200, response.text
            yield client


def found(http, yql: str = "select * from page where userQuery()", **params) -> list[str]:
    response = http.get("/search/", params={"yql": yql, "hits": 20, "type": "any", **params})
    assert response.status_code == 200, response.text
    return sorted(hit["id"].rsplit(":", 1)[1] for hit in response.json()["root"].get("children", []))


@pytest.mark.parametrize("language", sorted(INFLECTED))
def test_a_query_finds_another_inflection_only_with_its_languages_stemmer(http, language) -> None:
    query = INFLECTED[language][1]
    assert language in found(http, query=query, language=language)
    assert language in found(http, query=query)  # detected from the query text
    assert language not in found(http, query=query, language="en")


def test_locale_and_its_aliases_choose_the_stemmer(http) -> None:
    for name in ("model.locale", "locale", "model.language", "lang"):
        assert found(http, query="Häuser", **{name: "de-DE" if "locale" in name else "de"}) == \
            ["de", "tagged"], name
    # one word is too little to detect: English (the default), which finds only the other
    # English-stemmed "Häuser" (the untagged body and the headlines)
    assert found(http, query="Häuser") == ["tagged", "untagged"]


def test_yql_terms_are_stemmed_in_the_query_language(http) -> None:
    yql = 'select * from page where body contains "Häuser"'
    assert found(http, yql, language="de") == ["de", "tagged"]
    assert found(http, yql) == ["untagged"]  # too short to detect: English, like the untagged body


@pytest.mark.parametrize(("word", "expected"), [
    ("我们在北京大学", "zh"), ("学习中文", "zh"), ("東京都に住んでいます", "ja"), ("한국의", "ko"), ("北京大学", None),
    ("東京", None), ("한국", None),
])
def test_a_cjk_word_is_a_whole_run_at_feed_and_at_query_time(http, word, expected) -> None:
    """Vespa's OpenNLP linguistics without its `cjk` segmenter (the default) tokenizes CJK text with
    SimpleTokenizer: a run of letters is one token in the index and in the query alike, so a query
    word finds the documents holding that whole run and no part of one (北京大学 is inside 我们在北京大学)."""
    documents = [expected] if expected else []
    assert found(http, query=word) == documents  # user query: the language detected from the script
    assert found(http, query=word, language=expected or "zh") == documents
    assert found(http, f'select * from page where body contains "{word}"') == documents
    assert found(http, 'select * from page where {defaultIndex: "body"}userInput(@q)', q=word) == documents
    response = http.get("/search/", params={"yql": 'select * from page where {defaultIndex: "body"}userInput(@q)',
                                            "q": word, "ranking": "words"})
    assert response.status_code == 200, response.text
    assert [hit["fields"]["matchfeatures"] for hit in response.json()["root"].get("children", [])] == \
        [{"matchCount(body)": 1.0, "queryTermCount": 1.0}] * len(documents)  # one word, not a phrase of bigrams


def test_cjk_punctuation_separates_words_and_several_words_are_an_and(http) -> None:
    assert found(http, query="学习中文 我们在北京大学", type="all") == ["zh"]
    assert found(http, query="学习中文 한국의", type="all") == []
    assert found(http, query="学习中文 한국의", type="any") == ["ko", "zh"]
    # joined by punctuation (、) the two words are an AND, as `h2a.z` is (not phrase-segmenting)
    assert found(http, query="学习中文、한국의", type="any") == []


def test_set_language_stems_the_fields_after_it_in_the_named_language(http) -> None:
    assert found(http, 'select * from page where body contains "Haus"', language="de") == ["de", "tagged"]
    # the headline is declared before `lang`: still detected (too short: English), never German
    assert found(http, 'select * from page where headline contains "Haus"', language="de") == []
    assert found(http, 'select * from page where headline contains "Häuser"', language="en") == \
        ["tagged", "untagged"]


def test_updating_the_language_field_re_stems_the_document(http) -> None:
    yql = 'select * from page where body contains "Garten"'
    assert found(http, yql, language="de") == []
    response = http.put("/document/v1/test/page/docid/retagged", json={"fields": {"lang": {"assign": "de"}}})
    assert response.status_code == 200, response.text
    assert found(http, yql, language="de") == ["retagged"]
    response = http.put("/document/v1/test/page/docid/retagged", json={"fields": {"lang": {"assign": ""}}})
    assert response.status_code == 200, response.text
    assert found(http, yql, language="de") == []


def test_a_malformed_language_is_a_bad_request(http) -> None:
    response = http.get("/search/", params={"yql": "select * from page where userQuery()",
                                            "query": "Haus", "language": "de!"})
    assert response.status_code == 400
    error = response.json()["root"]["errors"][0]
    assert error["code"] == 4 and "language" in error["message"]


def literal_ranking(http, yql: str, **params) -> list[tuple[str, float, dict]]:
    response = http.get("/search/", params={"yql": yql, "ranking": "literal", "language": "en", **params})
    assert response.status_code == 200, response.text
    return [(hit["id"].rsplit(":", 1)[1], hit["relevance"], hit["fields"]["matchfeatures"])
            for hit in response.json()["root"].get("children", [])]


def test_rank_literal_ranks_the_word_as_written_above_its_other_inflections(http) -> None:
    # "running" and "runs" both stem to "run": both match label; only "Running shoes" holds the
    # word as written, so only it matches the added rank term label_literal:running
    hits = literal_ranking(http, 'select * from page where label contains "running"')
    assert [(name, score) for name, score, _ in hits] == [("lit-running", 11.0), ("lit-runs", 1.0)]
    assert hits[0][2] == {"matches(label)": 1.0, "matches(label_literal)": 1.0, "matchCount(label_literal)": 1.0}
    assert hits[1][2]["matches(label_literal)"] == 0.0
    hits = literal_ranking(http, 'select * from page where {defaultIndex:"label"}userInput(@q)', q="runs")
    assert [(name, score) for name, score, _ in hits] == [("lit-runs", 11.0), ("lit-running", 1.0)]
    # through a fieldset holding label: the same label_literal rank term
    hits = literal_ranking(http, 'select * from page where labels contains "running"')
    assert [(name, score) for name, score, _ in hits] == [("lit-running", 11.0), ("lit-runs", 1.0)]
    assert hits[0][2] == {"matches(label)": 1.0, "matches(label_literal)": 1.0, "matchCount(label_literal)": 1.0}
    # the literal index keeps accents: "café" matches both in label, as written only "Café"
    hits = literal_ranking(http, 'select * from page where label contains "café"')
    assert [(name, score) for name, score, _ in hits] == [("lit-cafe-accent", 11.0), ("lit-cafe", 1.0)]


def test_the_literal_index_is_searchable_and_follows_updates(http) -> None:
    assert found(http, 'select * from page where label_literal contains "RUNNING"') == ["lit-running"]
    assert found(http, 'select * from page where label_literal contains "run"') == []  # never stemmed
    got = http.get("/document/v1/test/page/docid/lit-running")
    assert got.status_code == 200 and got.json()["fields"] == {"label": "Running shoes"}  # not a document field
    response = http.put("/document/v1/test/page/docid/lit-runs", json={"fields": {"label": {"assign": "running"}}})
    assert response.status_code == 200, response.text
    try:
        assert found(http, 'select * from page where label_literal contains "running"') == ["lit-running", "lit-runs"]
    finally:
        response = http.put("/document/v1/test/page/docid/lit-runs", json={"fields": {"label": {"assign": "He runs"}}})
        assert response.status_code == 200, response.text
    response = http.post("/document/v1/test/page/docid/fed-literal", json={"fields": {"label_literal": "x"}})
    assert response.status_code == 400, response.text  # computed, never fed


def test_phrase_segmenting_false_makes_a_split_word_an_and(http) -> None:
    # code has phrase-segmenting false: "e.mail" is e AND mail, which "mail to e" also holds
    assert found(http, query="code:e.mail", type="all") == ["code-apart", "code-split"]
    assert found(http, query='code:"e mail"', type="all") == ["code-split"]  # a quoted phrase stays one


def test_a_split_word_is_an_and_unless_the_index_is_phrase_segmenting(http) -> None:
    # Vespa 8's default (headline has no query-command): the words of "e.mail" are an AND
    assert found(http, query="headline:e.mail", type="all") == ["seg-apart", "seg-split"]
    # seg has `phrase-segmenting`: the phrase "e mail" only
    assert found(http, query="seg:e.mail", type="all") == ["seg-split"]
    # so has the fieldset segheads, on itself, over headline (which has not)
    assert found(http, query="segheads:e.mail", type="all") == ["seg-split"]
    assert found(http, 'select * from page where {defaultIndex: "segheads", grammar: "all"}userInput(@q)',
                 q="e.mail") == ["seg-split"]
