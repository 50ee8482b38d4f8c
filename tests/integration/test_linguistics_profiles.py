"""Linguistics profiles on a running 1-node cluster (tests/apps/linguistics_profiles): each field's
`index` profile runs at feed, its `search` profile on the query words, as Vespa documents.

  plain    whitespace + lowercase, no stemming: a word matches only as written (any case), and
           punctuation stays in its token ("dogs," is not "dogs")
  stemmed  index: whitespace + lowercase + porterStem; search: whitespace only (case kept, no stem)
  body     standard (UAX#29) + lowercase + asciiFolding + stop (lucene/en/stopwords.txt under the
           config's configDir: the, of, de); a dynamic summary
  title    standard + lowercase + stop (Lucene's English set) + porterStem; bolding: on

Positions after a removed stop word are the next ones, as Vespa's LuceneTokenizer hands on the
tokens without Lucene's position increments: "Café de Flore" is indexed cafe@0 flore@1.
"""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import feed_all

APP = Path(__file__).resolve().parents[1] / "apps" / "linguistics_profiles"
DOCS = {
    "1": {"plain": "Running Dogs, fast", "stemmed": "Running Dogs, fast", "tag": "a"},
    "2": {"plain": "runs with the dog", "stemmed": "runs with the dog", "tag": "b"},
    "3": {"body": "The Café de Flore serves crêpes, (1.5 kg) of them!", "title": "The running of the bulls"},
    "4": {"body": "A cafe-bar: the quick brown fox.", "title": "Bulls run; the fox watched"},
}


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("linguistics"), nodes=1) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
            feed_all(client, DOCS)
            yield client


def hit_ids(http: httpx.Client, where: str) -> set[str]:
    response = http.get("/search/", params={"yql": f"select * from doc where {where}", "hits": 10})
    assert response.status_code == 200, response.text
    return {hit["id"].rsplit(":", 1)[1] for hit in response.json()["root"].get("children", [])}


def test_whitespace_lowercase_profile_matches_only_the_words_as_written(http) -> None:
    assert hit_ids(http, 'plain contains "running"') == {"1"}
    assert hit_ids(http, 'plain contains "RUNNING"') == {"1"}  # the search profile lowercases too
    assert hit_ids(http, 'plain contains "run"') == set()  # no stemming: the default would find 1 and 2
    assert hit_ids(http, 'plain contains "runs"') == {"2"}
    assert hit_ids(http, 'plain contains "dogs,"') == {"1"}  # whitespace tokens keep the comma
    assert hit_ids(http, 'plain contains "dogs"') == set()


def test_index_and_search_profiles_apply_on_their_own_side(http) -> None:
    # indexed stemmed and lowercased: "Running" -> "run", "runs" -> "run", "dog" -> "dog"
    assert hit_ids(http, 'stemmed contains "run"') == {"1", "2"}
    assert hit_ids(http, 'stemmed contains "dog"') == {"2"}
    # the search profile neither lowercases nor stems the query word
    assert hit_ids(http, 'stemmed contains "Run"') == set()
    assert hit_ids(http, 'stemmed contains "running"') == set()


def test_the_simple_query_language_goes_through_the_search_profile(http) -> None:
    def ids(query: str) -> set[str]:
        response = http.get("/search/", params={"yql": "select * from doc where userQuery()", "query": query})
        assert response.status_code == 200, response.text
        return {hit["id"].rsplit(":", 1)[1] for hit in response.json()["root"].get("children", [])}

    assert ids("plain:RUNNING") == {"1"}
    assert ids("plain:run") == set()
    assert ids("stemmed:run") == {"1", "2"}
    assert ids("stemmed:Run") == set()


def summary(http: httpx.Client, where: str) -> dict[str, dict]:
    response = http.get("/search/", params={"yql": f"select * from doc where {where}", "hits": 10})
    assert response.status_code == 200, response.text
    return {hit["id"].rsplit(":", 1)[1]: hit["fields"] for hit in response.json()["root"].get("children", [])}


def test_standard_tokenizer_folding_and_stop_words_on_both_sides(http) -> None:
    assert hit_ids(http, 'body contains "cafe"') == {"3", "4"}  # "Café" folded; "cafe-bar" split at '-'
    assert hit_ids(http, 'body contains "CAFÉ"') == {"3", "4"}  # the query word goes through the same chain
    assert hit_ids(http, 'body contains "crepes"') == {"3"}  # "crêpes," without its comma
    assert hit_ids(http, 'body contains "1.5"') == {"3"}  # a number keeps its decimal point
    assert hit_ids(http, 'body contains "bar"') == {"4"}
    assert hit_ids(http, 'body contains "the"') == set()  # a stop word (from the words file) has no term
    assert hit_ids(http, 'body contains "a"') == {"4"}  # the words file replaces Lucene's English set
    assert hit_ids(http, 'title contains "a"') == set()  # ... which the title's stop filter uses


def test_phrases_skip_removed_stop_words_as_vespa_does(http) -> None:
    # "Café de Flore": "de" is removed and Vespa indexes the tokens one after another
    assert hit_ids(http, 'body contains phrase("café", "flore")') == {"3"}
    assert hit_ids(http, 'body contains phrase("cafe", "de", "flore")') == {"3"}
    assert hit_ids(http, 'title contains phrase("running", "bulls")') == {"3"}  # "running of the bulls"
    assert hit_ids(http, 'title contains phrase("bulls", "running")') == {"4"}  # "Bulls run"
    assert hit_ids(http, 'title contains phrase("running", "fox")') == {"4"}  # "run; the fox": the is gone
    assert hit_ids(http, 'title contains phrase("bulls", "fox")') == set()
    assert hit_ids(http, 'title contains "runs"') == {"3", "4"}  # Porter: run


def test_dynamic_summary_and_bolding_highlight_through_the_profile(http) -> None:
    hits = summary(http, 'body contains "cafe" and title contains "bull"')
    assert hits["3"]["body"] == "The <hi>Café</hi> de Flore serves crêpes, (1.5 kg) of them!"
    assert hits["3"]["title"] == "The running of the <hi>bulls</hi>"
    assert hits["4"]["body"] == "A <hi>cafe</hi>-bar: the quick brown fox."
    assert hits["4"]["title"] == "<hi>Bulls</hi> run; the fox watched"
    hits = summary(http, 'title contains "running" or body contains "crepe"')
    assert hits["3"]["title"] == "The <hi>running</hi> of the bulls"
    assert hits["3"]["body"] == "The Café de Flore serves crêpes, (1.5 kg) of them!"  # "crepe" is not "crepes"
