"""match-phase and diversity on a running one-node cluster (tests/apps/match_phase), worked by hand.
Every profile ranks by `attribute(score)`; the limited ones rank only 3 of the matches.

  id  popularity  score  category
  1   50          1      a
  2   40          2      a
  3   30          3      b
  4   20          4      b
  5   10          5      c
  6   (none = 0)  6      c

- plain: all six by score: 6 5 4 3 2 1
- limited (descending, max-hits 3): popularity 50, 40, 30 -> {1, 2, 3}, by score 3 2 1
- limited_total (total-max-hits 3 over the one node): as limited
- limited_ascending: popularity 0, 10, 20 -> {6, 5, 4}, by score 6 5 4
- diverse (min-groups 3: at most 3 // 3 = 1 per category, in popularity order 1 2 3 4 5 6):
  1 (a), 2 skipped (a), 3 (b), 4 skipped (b), 5 (c) -> {1, 3, 5}, by score 5 3 1
- reranked (second phase 1000 + score on the first phase's best 3): 6 5 4 reranked, then 3 2 1
- rerank_counts (second-phase rerank-count 2, no expression): as plain, nothing reranked;
  rerank_inherited (inherits it, gives 1000 + score): 6 5 reranked (1006 1005), then 4 3 2 1
- weakAnd(common, mid, rare) (words in 6, 3 and 1 of the 6 documents), by score: all six with
  plain; stopwords (stopword-limit 0.6: at most 3 documents) drops "common": {1, 2, 3};
  adjusted (adjust-target 0.2: 1 document, "rare" is closest) keeps only documents matching a term
  in at most 1 document: {1}; keep_rarest (stopword-limit 0.1: 0 documents) drops every term but
  the rarest: {1}; drop_all (and allow-drop-all) drops all: nothing
- diverse_rerank (diversity without match-phase: the rerank set takes 3 // 3 = 1 per category in
  first-phase order 6 5 4 3 2 1): 6 (c), 4 (b), 2 (a) reranked (1006 1004 1002), then 5 3 1
- the query's ranking.matchPhase.* over the profiles (test_the_query_overrides_the_match_phase):
  diversity category/minGroups 3 over limited: as diverse, 5 3 1; maxHits 4 with minGroups 4 (1 per
  category: 1 (a), 3 (b), 5 (c), 6 skipped (c)): 5 3 1, without diversity 4 3 2 1; cutoff strict
  with factor 1.0 scans only 1.0 * 3 documents (1 (a), 2 skipped, 3 (b)): 3 1, factor 2.0 scans 6:
  5 3 1; minGroups 1 over diverse (3 per category): 3 2 1; maxFilterCoverage changes nothing (the
  selection is exact): 3 2 1; totalMaxHits 2 (one node takes all of it): 2 1
Limited: 3 of 6 matches ranked -> coverage 50 %, 3 documents, degraded match-phase; totalCount
still counts all six matches.
"""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster

APP = Path(__file__).resolve().parents[1] / "apps" / "match_phase"
DOCS = {1: (50, 1.0, "a"), 2: (40, 2.0, "a"), 3: (30, 3.0, "b"), 4: (20, 4.0, "b"), 5: (10, 5.0, "c"),
        6: (None, 6.0, "c")}
WORDS = {1: "common mid rare", 2: "common mid", 3: "common mid"}  # the others: "common"


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("match_phase"), nodes=1) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
            for key, (popularity, score, category) in DOCS.items():
                fields = {"title": "x", "score": score, "category": category, "words": WORDS.get(key, "common")}
                if popularity is not None:
                    fields["popularity"] = popularity
                response = client.post(f"/document/v1/test/item/docid/{key}", json={"fields": fields})
                assert response.status_code == 200, response.text
            yield client


def search(http: httpx.Client, ranking: str, where: str = 'title contains "x"') -> dict:
    response = http.get("/search/", params={"yql": f"select * from item where {where}", "ranking": ranking})
    assert response.status_code == 200, response.text
    return response.json()["root"]


def ids(root: dict) -> list[int]:
    return [int(hit["id"].rsplit(":", 1)[1]) for hit in root.get("children", [])]


@pytest.mark.parametrize("ranking, expected", [
    ("limited", [3, 2, 1]),
    ("limited_total", [3, 2, 1]),
    ("limited_ascending", [6, 5, 4]),
    ("diverse", [5, 3, 1]),
])
def test_only_the_best_by_the_attribute_are_ranked(http, ranking, expected) -> None:
    root = search(http, ranking)
    assert ids(root) == expected
    assert root["fields"]["totalCount"] == 6
    coverage = root["coverage"]
    assert coverage["coverage"] == 50 and coverage["documents"] == 3 and not coverage["full"]
    assert coverage["degraded"]["match-phase"] and not coverage["degraded"]["timeout"]


def test_without_limit_everything_is_ranked(http) -> None:
    root = search(http, "plain")
    assert ids(root) == [6, 5, 4, 3, 2, 1] and root["coverage"]["full"]
    few = search(http, "limited", 'title contains "x" and category contains "a"')  # 2 <= max-hits
    assert ids(few) == [2, 1] and few["coverage"]["full"] and few["coverage"]["coverage"] == 100


@pytest.mark.parametrize("ranking, overrides, expected", [
    # maxHits 2 (per node) replaces max-hits 3 / total-max-hits 3: popularity 50, 40 -> {1, 2}
    ("limited", {"maxHits": "2"}, [2, 1]),
    ("limited_total", {"maxHits": "2"}, [2, 1]),
    # ascending over the profile's descending: popularity 0, 10, 20 -> {6, 5, 4}
    ("limited", {"ascending": "true"}, [6, 5, 4]),
    # a profile without match-phase: popularity 0, 10, 20, 30 -> {6, 5, 4, 3}
    ("plain", {"maxHits": "4", "attribute": "popularity", "ascending": "true"}, [6, 5, 4, 3]),
    ("limited", {"diversity.attribute": "category", "diversity.minGroups": "3"}, [5, 3, 1]),
    ("limited", {"maxHits": "4", "diversity.attribute": "category", "diversity.minGroups": "4"}, [5, 3, 1]),
    ("limited", {"maxHits": "4"}, [4, 3, 2, 1]),
    ("diverse", {"diversity.cutoff.strategy": "strict", "diversity.cutoff.factor": "1.0"}, [3, 1]),
    ("diverse", {"diversity.cutoff.strategy": "strict", "diversity.cutoff.factor": "2"}, [5, 3, 1]),
    ("diverse", {"diversity.cutoff.factor": "1.0"}, [5, 3, 1]),  # loose (the default) scans all
    ("diverse", {"diversity.minGroups": "1"}, [3, 2, 1]),
    ("limited", {"maxFilterCoverage": "0.9"}, [3, 2, 1]),
    ("limited", {"totalMaxHits": "2"}, [2, 1]),
])
def test_the_query_overrides_the_match_phase(http, ranking, overrides, expected) -> None:
    params = {f"ranking.matchPhase.{name}": value for name, value in overrides.items()}
    response = http.get("/search/", params={"yql": 'select * from item where title contains "x"',
                                           "ranking": ranking, **params})
    assert response.status_code == 200, response.text
    root = response.json()["root"]
    assert ids(root) == expected and root["fields"]["totalCount"] == 6
    assert root["coverage"]["degraded"]["match-phase"]


@pytest.mark.parametrize("ranking, overrides, expected", [
    ("reranked", {"diversity.attribute": "category", "diversity.minGroups": "3"}, [6, 4, 2, 5, 3, 1]),
    ("diverse_rerank", {"diversity.minGroups": "1"}, [6, 5, 4, 3, 2, 1]),  # 3 per category: 6 5 4
])
def test_the_query_diversity_picks_what_the_second_phase_reranks(http, ranking, overrides, expected) -> None:
    params = {f"ranking.matchPhase.{name}": value for name, value in overrides.items()}
    response = http.get("/search/", params={"yql": 'select * from item where title contains "x"',
                                           "ranking": ranking, **params})
    root = response.json()["root"]
    assert ids(root) == expected and root["coverage"]["full"]
    assert [hit["relevance"] for hit in root["children"][:3]] == [1000 + key for key in expected[:3]]


LIMIT = "must be a number between 1 and 2147483647"


@pytest.mark.parametrize("overrides, message", [
    ({"maxHits": "many"}, f"ranking.matchPhase.maxHits {LIMIT}, not 'many'"),
    ({"maxHits": "9" * 30}, LIMIT),  # never a 500 on the nodes
    ({"totalMaxHits": "0"}, f"ranking.matchPhase.totalMaxHits {LIMIT}, not '0'"),
    ({"maxHits": "2", "totalMaxHits": "2"}, "match-phase needs an attribute and one of max-hits and total-max-hits"),
    ({"attribute": "nosuch"}, "ranking.matchPhase.attribute: 'nosuch' is not a single-value numeric attribute "
                              "in schema 'item'"),
    ({"attribute": "score"}, "ranking.matchPhase.attribute: 'score' is not an attribute with fast-search"),
    ({"ascending": "maybe"}, "ranking.matchPhase.ascending must be true or false, not 'maybe'"),
    ({"maxFilterCoverage": "2"}, "ranking.matchPhase.maxFilterCoverage must be a number between 0.0 and 1.0, "
                                 "not '2'"),
    ({"maxFilterCoverage": "nan"}, "ranking.matchPhase.maxFilterCoverage must be a number"),
    ({"diversity.attribute": "words"}, "ranking.matchPhase.diversity.attribute: 'words' is not a single-value "
                                       "numeric or string attribute in schema 'item'"),
    ({"diversity.attribute": "category"}, "diversity of rank-profile 'limited' needs an attribute and min-groups"),
    ({"diversity.minGroups": "0"}, f"ranking.matchPhase.diversity.minGroups {LIMIT}, not '0'"),
    ({"diversity.cutoff.factor": "0.5"}, "ranking.matchPhase.diversity.cutoff.factor must be a number at least "
                                         "1.0, not '0.5'"),
    ({"diversity.cutoff.factor": "inf"}, "ranking.matchPhase.diversity.cutoff.factor must be a number"),
    ({"diversity.cutoff.strategy": "medium"}, "ranking.matchPhase.diversity.cutoff.strategy must be loose or "
                                              "strict, not 'medium'"),
    ({"diversity.groups": "3"}, "Unknown parameter ranking.matchPhase.diversity.groups"),
])
def test_bad_match_phase_overrides_are_refused(http, overrides, message) -> None:
    params = {f"ranking.matchPhase.{name}": value for name, value in overrides.items()}
    response = http.get("/search/", params={"yql": 'select * from item where title contains "x"',
                                           "ranking": "limited", **params})
    assert response.status_code == 400, response.text
    error = response.json()["root"]["errors"][0]
    assert error["code"] == 4 and message in error["message"]
    assert ".sd:" not in error["message"]  # the query's error, not the server's schema file


def test_a_sorted_query_is_limited_too(http) -> None:
    response = http.get("/search/", params={"yql": 'select * from item where title contains "x" order by score asc',
                                           "ranking": "limited"})
    root = response.json()["root"]
    assert ids(root) == [1, 2, 3] and root["coverage"]["degraded"]["match-phase"]


@pytest.mark.parametrize("ranking, expected, relevance", [
    ("reranked", [6, 5, 4, 3, 2, 1], [1006, 1005, 1004, 3, 2, 1]),
    ("diverse_rerank", [6, 4, 2, 5, 3, 1], [1006, 1004, 1002, 5, 3, 1]),
    ("rerank_counts", [6, 5, 4, 3, 2, 1], [6, 5, 4, 3, 2, 1]),
    ("rerank_inherited", [6, 5, 4, 3, 2, 1], [1006, 1005, 4, 3, 2, 1]),
])
def test_diversity_picks_what_the_second_phase_reranks(http, ranking, expected, relevance) -> None:
    root = search(http, ranking)
    assert ids(root) == expected and [hit["relevance"] for hit in root["children"]] == relevance
    assert root["coverage"]["full"]  # diversity before the second phase is not a degradation


@pytest.mark.parametrize("ranking, expected", [
    ("plain", [6, 5, 4, 3, 2, 1]), ("stopwords", [3, 2, 1]), ("adjusted", [1]), ("keep_rarest", [1]),
    ("drop_all", []),
])
def test_weakand_drops_terms_by_their_document_frequency(http, ranking, expected) -> None:
    weak_and = ('({targetHits: 10}weakAnd(words contains "common", words contains "mid", '
                'words contains "rare"))')
    assert ids(search(http, ranking, weak_and)) == expected
