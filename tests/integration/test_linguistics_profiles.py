"""Linguistics profiles on a running 1-node cluster (tests/apps/linguistics_profiles): each field's
`index` profile runs at feed, its `search` profile on the query words, as Vespa documents.

  plain    whitespace + lowercase, no stemming: a word matches only as written (any case), and
           punctuation stays in its token ("dogs," is not "dogs")
  stemmed  index: whitespace + lowercase + porterStem; search: whitespace only (case kept, no stem)
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
