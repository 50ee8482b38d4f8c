"""LuceneLinguistics' language analyzers on a running 1-node cluster (tests/apps/lucene_languages):
`title` has no profile, so each document is analyzed in its `lang` (set_language) and each query in
its `model.language`, as Vespa's LuceneLinguistics does. Terms worked out by hand:

  1 en  "The dogs are running in the parks"  EnglishAnalyzer: dog run park (the, are, in: stop words)
  2 sv  "Hundarna springer i parkerna"       SwedishAnalyzer: hund spring park (i: a stop word)
  3 en  "A dog runs home"                    dog run home
  4 sv  "Hunden sprang hem"                  hund sprang hem
  5 de  "Die Hunde laufen"                   GermanAnalyzer: hund lauf (die: a stop word)
  6 es  "Los perros corren"                  the configured Spanish analyzer (whitespace, lowercase,
                                             Snowball Spanish, no stop filter): los perr corr
  8 --  "Die Katzen schlafen"                no language: LuceneLinguistics' SimpleDetector tells only
                                             scripts, so English, as Vespa: die katzen schlafen
 10 fr  "Les chanteurs heureux chantent l'hymne"  FrenchAnalyzer: chant heureu chantent hymn (les: a
                                             stop word; l': an elided article; chanteurs: -s, -teur ->
                                             -ter, -r, -e; heureux: -x; hymne: -e)
 11 fr  "La maison des chevaux"              maison cheval (la, des: stop words; -aux -> -al)
 12 pt  "As canções das meninas bonitas"     PortugueseAnalyzer: canca menin bonit (as, das: stop
                                             words; -ões -> -ão, -s off, the final vowel off, folded)
 13 nl  "De kinderen fietsen"                DutchAnalyzer: kinder fiets (de: a stop word; Snowball
                                             Dutch: -en off); a query's "kind" is kinder by its overrides
 14 --  "东京都的房子"                          no language: Chinese by script, CJKAnalyzer's bigrams
                                             东京 京都 都的 的房 房子
 15 ar  "والكتاب في المكتبات"                ArabicAnalyzer: كتاب مكتب (في: a stop word; وال-, ال-, -ات off)
 16 cs  "Děti ve městech"                    CzechAnalyzer: dět měst (ve: a stop word; -i, -ech off)
 17 hi  "लड़कियों ने किताबें पढ़ीं"              HindiAnalyzer: लडक किताब पढिं (nukta off; ने: a stop word;
                                             -ियों, -ें off; ी -> ि)
 18 bn  "মেয়েদের বাড়ী"                      BengaliAnalyzer: মে বার (-েদের off; ড় -> র, ী -> ি, -ি off)
 19 el  "Τα σπίτια των ανθρώπων"             GreekAnalyzer: σπιτ ανθρωπ (τα, των: stop words; -ια, -ων off)
 20 ne  "नेपालका किसानहरूले धान रोपे"           NepaliAnalyzer (Snowball Nepali): नेपाल किसान धान रोपे
 21 ta  "புத்தகங்களை படித்தனர்"              TamilAnalyzer (Snowball Tamil): புத்தகம் படி
 22 te  "పిల్లలు పుస్తకాలను చదివారు"          TeluguAnalyzer: పిల్ల పుస్తకాల చదివార (-లు, -ను, -ు off)
 23 gl  "As casas dos mariñeiros"            GalicianAnalyzer: cas mariñ (as, dos: stop words; plural -s,
                                             vowel -a; plural -s, noun -eiro)
 24 bn  "দুঃ𝐀 ক𝐀্ব" (𝐀: U+1D400)          the visarga and the ba-phala copy half of 𝐀's surrogate pair:
                                             দু\ufffd𝐀 ক𝐀\ufffd, as Lucene's UTF-8 term bytes
"""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import feed_all, put

APP = Path(__file__).resolve().parents[1] / "apps" / "lucene_languages"
DOCS = {
    "1": {"lang": "en", "title": "The dogs are running in the parks"},
    "2": {"lang": "sv", "title": "Hundarna springer i parkerna"},
    "3": {"lang": "en", "title": "A dog runs home"},
    "4": {"lang": "sv", "title": "Hunden sprang hem"},
    "5": {"lang": "de", "title": "Die Hunde laufen"},
    "6": {"lang": "es", "title": "Los perros corren"},
    "8": {"title": "Die Katzen schlafen"},
    "10": {"lang": "fr", "title": "Les chanteurs heureux chantent l'hymne"},
    "11": {"lang": "fr", "title": "La maison des chevaux"},
    "12": {"lang": "pt", "title": "As canções das meninas bonitas"},
    "13": {"lang": "nl", "title": "De kinderen fietsen"},
    "14": {"title": "东京都的房子"},
    "15": {"lang": "ar", "title": "والكتاب في المكتبات"},
    "16": {"lang": "cs", "title": "Děti ve městech"},
    "17": {"lang": "hi", "title": "लड़कियों ने किताबें पढ़ीं"},
    "18": {"lang": "bn", "title": "মেয়েদের বাড়ী"},
    "19": {"lang": "el", "title": "Τα σπίτια των ανθρώπων"},
    "20": {"lang": "ne", "title": "नेपालका किसानहरूले धान रोपे"},
    "21": {"lang": "ta", "title": "புத்தகங்களை படித்தனர்"},
    "22": {"lang": "te", "title": "పిల్లలు పుస్తకాలను చదివారు"},
    "23": {"lang": "gl", "title": "As casas dos mariñeiros"},
    "24": {"lang": "bn", "title": "দুঃ\U0001d400 ক\U0001d400্ব"},
}


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("lucene_languages"), nodes=1) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
            feed_all(client, DOCS)
            yield client


def search(http: httpx.Client, where: str, language: str) -> httpx.Response:
    params = {"yql": f"select * from doc where {where}", "hits": 10}
    return http.get("/search/", params={**params, "model.language": language} if language else params)


def hits(http: httpx.Client, where: str, language: str) -> dict[str, dict]:
    response = search(http, where, language)
    assert response.status_code == 200, response.text
    return {hit["id"].rsplit(":", 1)[1]: hit["fields"] for hit in response.json()["root"].get("children", [])}


def test_each_side_is_analyzed_in_its_language(http) -> None:
    assert set(hits(http, 'title contains "running"', "en")) == {"1", "3"}  # Porter: run
    assert set(hits(http, 'title contains "hundar"', "sv")) == {"2", "4", "5"}  # Swedish and German: hund
    assert set(hits(http, 'title contains "hundar"', "en")) == set()  # Porter leaves "hundar"
    assert set(hits(http, 'title contains "parks"', "en")) == {"1", "2"}  # "parkerna" is park in Swedish
    assert set(hits(http, 'title contains "Läufen"', "de")) == {"5"}  # normalized: laufen, stemmed: lauf
    assert set(hits(http, 'title contains "perro"', "es")) == {"6"}  # the configured Spanish analyzer
    assert set(hits(http, 'title contains "los"', "es")) == {"6"}  # ... which, unlike SpanishAnalyzer, keeps "los"


def test_without_a_language_text_is_english_unless_its_script_says_otherwise(http) -> None:
    assert set(hits(http, 'title contains "katzen"', "")) == {"8"}  # the query is English too
    assert set(hits(http, 'title contains "katzen"', "de")) == set()  # GermanAnalyzer: katz
    response = search(http, 'title contains "ภาษา"', "")  # Thai by script: ThaiAnalyzer, not run here
    assert response.status_code == 400 and "not supported: language 'th'" in response.text
    response = put(http, "9", {"title": "ภาษาไทย"})
    assert response.status_code == 400 and "ThaiAnalyzer" in response.json()["message"]


def test_chinese_by_script_is_bigrammed_as_cjk_analyzer_does(http) -> None:
    # doc 14 is indexed as the bigrams 东京 京都 都的 的房 房子; a query word is bigrammed alike
    assert set(hits(http, 'title contains "京都"', "")) == {"14"}
    assert set(hits(http, 'title contains "东京都"', "")) == {"14"}  # 东京 京都
    assert set(hits(http, 'title contains "房"', "")) == set()  # a lone character is a unigram: no bigram matches
    assert hits(http, 'title contains "京都"', "")["14"]["title"] == "东<hi>京都</hi>的房子"


def test_stop_words_are_removed_and_phrases_close_up_over_them(http) -> None:
    assert set(hits(http, 'title contains phrase("springer", "parkerna")', "sv")) == {"2"}  # "springer i parkerna"
    assert set(hits(http, 'title contains phrase("running", "parks")', "en")) == {"1"}  # "running in the parks"
    assert set(hits(http, 'title contains phrase("dogs", "running")', "en")) == {"1", "3"}  # dog run
    assert set(hits(http, 'title contains phrase("dog", "park")', "en")) == set()


def test_bolding_highlights_through_the_language_analyzer(http) -> None:
    found = hits(http, 'title contains "hundar"', "sv")
    assert found["2"]["title"] == "<hi>Hundarna</hi> springer i parkerna"
    assert found["4"]["title"] == "<hi>Hunden</hi> sprang hem"


def test_french_stems_elides_and_drops_stop_words(http) -> None:
    assert set(hits(http, 'title contains "chanteuse"', "fr")) == {"10"}  # -teuse -> -ter -> chant
    assert set(hits(http, 'title contains "chanteuse"', "en")) == set()  # Porter: chanteus
    assert set(hits(http, 'title contains "cheval"', "fr")) == {"11"}  # indexed from "chevaux"
    assert set(hits(http, "title contains \"d'hymnes\"", "fr")) == {"10"}  # d' elided, -s and -e off: hymn
    assert set(hits(http, 'title contains "les"', "fr")) == set()  # a stop word: nothing to match
    assert set(hits(http, 'title contains phrase("maison", "chevaux")', "fr")) == {"11"}  # over "des"
    assert set(hits(http, 'title contains "heureuse"', "fr")) == {"10"}  # -euse -> -eu, -x off: heureu


def test_portuguese_and_dutch_analyzers(http) -> None:
    assert set(hits(http, 'title contains "canção"', "pt")) == {"12"}  # canca, as "canções"
    assert set(hits(http, 'title contains "menino"', "pt")) == {"12"}  # menin, as "meninas"
    assert set(hits(http, 'title contains "das"', "pt")) == set()  # a stop word
    assert set(hits(http, 'title contains "kind"', "nl")) == {"13"}  # DutchAnalyzer's override: kinder
    assert set(hits(http, 'title contains "fiets"', "nl")) == {"13"}  # kept by the override; "fietsen" -> fiets


def test_arabic_and_czech_analyzers(http) -> None:
    assert set(hits(http, 'title contains "كتاب"', "ar")) == {"15"}
    assert set(hits(http, 'title contains "مكتبة"', "ar")) == {"15"}  # teh marbuta -> heh, then -ه off: مكتب
    assert set(hits(http, 'title contains "في"', "ar")) == set()  # a stop word
    assert set(hits(http, 'title contains "město"', "cs")) == {"16"}  # -o off: měst
    assert hits(http, 'title contains "dítě"', "cs") == {}  # dít: not dět (the stemmer keeps í)
    assert hits(http, 'title contains "děti"', "cs")["16"]["title"] == "<hi>Děti</hi> ve městech"


def test_french_and_portuguese_bolding(http) -> None:
    assert hits(http, 'title contains "chanteuse"', "fr")["10"]["title"] == \
        "Les <hi>chanteurs</hi> heureux chantent l'hymne"
    assert hits(http, 'title contains "cheval"', "fr")["11"]["title"] == "La maison des <hi>chevaux</hi>"
    assert hits(http, 'title contains "canção"', "pt")["12"]["title"] == "As <hi>canções</hi> das meninas bonitas"


def test_south_asian_greek_and_galician_documents_are_found_by_other_forms(http) -> None:
    assert set(hits(http, 'title contains "लड़कों"', "hi")) == {"17"}  # nukta off, -ों off: लडक
    assert set(hits(http, 'title contains "किताब"', "hi")) == {"17"}
    assert set(hits(http, 'title contains "ने"', "hi")) == set()  # a stop word
    assert set(hits(http, 'title contains "মেয়েরা"', "bn")) == {"18"}  # -য়েরা off: মে
    assert set(hits(http, 'title contains "বারী"', "bn")) == {"18"}  # -ি off: বার
    assert set(hits(http, 'title contains "άνθρωπος"', "el")) == {"19"}  # accent off, -οσ off: ανθρωπ
    assert set(hits(http, 'title contains "των"', "el")) == set()  # a stop word
    assert hits(http, 'title contains "σπίτι"', "el")["19"]["title"] == "Τα <hi>σπίτια</hi> των ανθρώπων"
    assert set(hits(http, 'title contains "किसानहरू"', "ne")) == {"20"}  # -हरू off: किसान
    assert set(hits(http, 'title contains "புத்தகம்"', "ta")) == {"21"}
    assert set(hits(http, 'title contains "పిల్లను"', "te")) == {"22"}  # -ను off: పిల్ల
    assert set(hits(http, 'title contains "casa"', "gl")) == {"23"}  # vowel -a off: cas
    assert set(hits(http, 'title contains "mariñeira"', "gl")) == {"23"}  # noun -eira off: mariñ


def test_bengali_normalizing_half_a_surrogate_pair_indexes_and_matches_u_fffd(http) -> None:
    assert set(hits(http, 'title contains "দুঃ\U0001d400"', "bn")) == {"24"}
    assert set(hits(http, 'title contains "ক\U0001d400্ব"', "bn")) == {"24"}
    assert hits(http, 'title contains "দুঃ\U0001d400"', "bn")["24"]["title"] == "<hi>দুঃ\U0001d400</hi> ক\U0001d400্ব"


def test_a_language_whose_lucene_analyzer_is_not_run_is_refused(http) -> None:
    response = search(http, 'title contains "บ้าน"', "th")
    assert response.status_code == 400, response.text
    error = response.json()["root"]["errors"][0]
    assert error["code"] == 4 and "not supported: language 'th'" in error["message"]
    assert "ThaiAnalyzer" in error["message"]
    response = http.get("/search/", params={"yql": "select * from doc where userQuery()", "query": "title:บ้าน",
                                            "model.language": "th"})
    assert response.status_code == 400 and "not supported: language 'th'" in response.text

    response = put(http, "7", {"lang": "th", "title": "บ้าน"})
    assert response.status_code == 400 and "not supported: language 'th'" in response.json()["message"]
    assert http.get("/document/v1/test/doc/docid/7").status_code == 404  # nothing written

    # an update that would leave a document in such a language is refused whole
    response = http.put("/document/v1/test/doc/docid/4", json={"fields": {"lang": {"assign": "th"}}})
    assert response.status_code == 400 and "not supported: language 'th'" in response.json()["message"]
    assert http.get("/document/v1/test/doc/docid/4").json()["fields"]["lang"] == "sv"
    assert set(hits(http, 'title contains "sprang"', "sv")) == {"4"}
