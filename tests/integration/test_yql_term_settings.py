"""Per-term YQL settings (and rank()) on a running 1-node cluster, rank features worked out by hand.

Titles and word positions (0-based), N = 3 documents, average title length 7/3:
  1 "alpha beta gamma"   alpha 0, beta 1, gamma 2
  2 "beta alpha"         beta 0, alpha 1
  3 "gamma delta"        gamma 0, delta 1
alpha and beta are each in 2 documents.

{usePositionData: false} (Vespa resolves the term with forceFilter on its fields, querynodes.h): the
term matches and counts where a feature asks whether it matched (matchCount, matches, and
fieldTermMatch's occurrences: 1 at no position), but brings no occurrences: bm25, termDistance,
nativeProximity and fieldMatch see none.
{documentFrequency: {frequency: f, count: c}} replaces this node's statistics for the term (Vespa's
vespa.term.N.docfreq, features/utils.cpp): bm25's idf is log(1 + (c - f + 0.5) / (f + 0.5)) with c at
least 1 and f in [1, c], the significance 0.5 + 0.5 * ln(f / c) / ln(1e-6) (0.5 for c = 0), before
any {significance: s}; queryTermDocumentFrequency shows f.
Array fields (schema arr): termDistance pairs occurrences in one element, or with the profile's
element gap g in the next one, the later counted from the end of the earlier's element: b + len + g
(termdistancecalculator.cpp); positions (termDistance's term positions, fieldTermMatch's first and
last) are within the element.
Profile `positions`: nativeProximity tables linear(-1,10,11) forward (10 - (d - 1)) and
linear(-0.5,5,11) reverse (5 - (d - 1) / 2), 0 where not found; normalizer 0.5 * 10 + 0.5 * 5 = 7.5.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from searchlib.errors import QueryError
from searchlib.query.yql import parse_yql
from tests.integration.conftest import feed_all
from tests.searchlib.yql_corpus import yql_cases

APP = Path(__file__).resolve().parents[1] / "apps" / "term_settings"
DOCS = {"1": {"title": "alpha beta gamma"}, "2": {"title": "beta alpha"}, "3": {"title": "gamma delta"}}
# schema arr, parts: array<string>; (element, position within it), element lengths in brackets
ARRAYS = {
    "4": {"parts": ["x alpha", "beta y", "alpha"]},  # alpha (0, 1) [2], (2, 0) [1]; beta (1, 0) [2]
    "5": {"parts": ["alpha", "q", "beta"]},  # alpha (0, 0) [1]; beta (2, 0): two elements apart
    "6": {"parts": ["alpha beta", "beta"]},  # alpha (0, 0) [2]; beta (0, 1), (1, 0)
}
# tags: weightedset<string>, indexed: each key an element of its weight
TAGS = {"7": {"tags": {"alpha": 5, "x alpha": 3, "beta": 9}}, "8": {"tags": {"beta": 4, "alpha": -2}}}
NOT_FOUND = 1000000.0
AVERAGE = 7 / 3


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("term_settings"), nodes=1) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
            feed_all(client, DOCS, "ts")
            feed_all(client, ARRAYS | TAGS, "arr")
            yield client


def hits(http: httpx.Client, where: str) -> dict[str, dict]:
    """Match features by user id."""
    response = http.get("/search/", params={"yql": f"select * from ts where {where}", "ranking": "positions",
                                           "hits": 10})
    assert response.status_code == 200, response.text
    return {hit["id"].rsplit(":", 1)[1]: hit["fields"]["matchfeatures"]
            for hit in response.json()["root"].get("children", [])}


def bm25(idf: float, tf: int, length: int) -> float:
    return idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / AVERAGE))


IDF_2_OF_3 = math.log(1 + (3 - 2 + 0.5) / (2 + 0.5))  # alpha, beta


def test_with_positions_both_terms_rank_by_their_occurrences(http) -> None:
    found = hits(http, 'title contains "alpha" and title contains "beta"')
    assert set(found) == {"1", "2"}
    one, two = found["1"], found["2"]
    assert one["bm25(title)"] == pytest.approx(2 * bm25(IDF_2_OF_3, 1, 3))
    assert (one["fieldTermMatch(title,1).firstPosition"], one["fieldTermMatch(title,1).occurrences"]) == (1.0, 1.0)
    assert (one["termDistance(title,0,1).forward"], one["termDistance(title,0,1).reverse"]) == (1.0, NOT_FOUND)
    assert (two["termDistance(title,0,1).forward"], two["termDistance(title,0,1).reverse"]) == (NOT_FOUND, 1.0)
    assert one["nativeProximity(title)"] == pytest.approx(0.5 * 10 / 7.5)  # alpha→beta at 1: forward 10
    assert two["nativeProximity(title)"] == pytest.approx(0.5 * 5 / 7.5)  # beta before alpha: reverse 5
    assert (one["fieldMatch(title).matches"], one["fieldMatch(title).queryCompleteness"]) == (2.0, 1.0)
    # fieldtermmatchfeature.cpp: .weight sums the occurrences' element weights (1 in a single value),
    # .exactness is their mean exactness (1 for an index occurrence); 0 and 0 without a match
    assert all((f["fieldTermMatch(title,0).weight"], f["fieldTermMatch(title,0).exactness"],
                f["fieldTermMatch(title,1).weight"], f["fieldTermMatch(title,1).exactness"]) == (1.0, 1.0, 1.0, 1.0)
               for f in found.values())
    gamma = hits(http, 'title contains "gamma" or title contains "delta"')
    assert {k: (f["fieldTermMatch(title,1).weight"], f["fieldTermMatch(title,1).exactness"]) for k, f in gamma.items()} \
        == {"1": (0.0, 0.0), "3": (1.0, 1.0)}


def test_rank_matches_by_its_first_child_and_ranks_by_all(http) -> None:
    """rank(a, b): the documents a matches (alpha: 1 and 2, not 3, which has only gamma), ranked by
    a and b: gamma is term 1, matched in doc 1 only; gamma is in 2 of 3 documents, as alpha."""
    found = hits(http, 'rank(title contains "alpha", title contains "gamma")')
    assert {k: (f["matchCount(title)"], f["matches(title,0)"], f["matches(title,1)"]) for k, f in found.items()} == {
        "1": (2.0, 1.0, 1.0), "2": (1.0, 1.0, 0.0)}
    assert found["1"]["bm25(title)"] == pytest.approx(2 * bm25(IDF_2_OF_3, 1, 3))
    assert found["2"]["bm25(title)"] == pytest.approx(bm25(IDF_2_OF_3, 1, 2))
    assert set(hits(http, 'rank(title contains "delta", title contains "alpha")')) == {"3"}


@pytest.mark.parametrize("where", [
    'title contains "alpha" and title contains ({usePositionData: false}"beta")',
    'title contains "alpha" and {usePositionData: false}(title contains "beta")',
])
def test_a_term_without_position_data_matches_but_brings_no_occurrences(http, where) -> None:
    found = hits(http, where)
    assert set(found) == {"1", "2"}  # matching is unchanged
    for user_id, length, alpha_at in (("1", 3, 0.0), ("2", 2, 1.0)):
        features = found[user_id]
        assert (features["matchCount(title)"], features["matches(title,1)"]) == (2.0, 1.0)  # still matched
        assert features["bm25(title)"] == pytest.approx(bm25(IDF_2_OF_3, 1, length))  # alpha's part alone
        assert (features["fieldTermMatch(title,0).firstPosition"], features["fieldTermMatch(title,0).occurrences"]) \
            == (alpha_at, 1.0)
        # fieldtermmatchfeature.cpp: matched without positions is one occurrence at no position
        assert (features["fieldTermMatch(title,1).firstPosition"], features["fieldTermMatch(title,1).occurrences"]) \
            == (NOT_FOUND, 1.0)
        assert (features["fieldTermMatch(title,1).weight"], features["fieldTermMatch(title,1).exactness"]) == (0.0, 0.0)
        assert (features["termDistance(title,0,1).forward"], features["termDistance(title,0,1).reverse"]) \
            == (NOT_FOUND, NOT_FOUND)
        assert features["nativeProximity(title)"] == 0.0
        assert (features["fieldMatch(title).matches"], features["fieldMatch(title).queryCompleteness"]) == (1.0, 0.5)


def test_a_repeated_word_keeps_its_positions_where_another_term_uses_them(http) -> None:
    # features read match data by word here: beta, asked for with and without positions, has them
    found = hits(http, 'title contains "alpha" and (title contains ({usePositionData: false}"beta") '
                       'or title contains "beta")')
    assert found["1"]["fieldTermMatch(title,1).occurrences"] == 1.0


def test_use_position_data_false_in_near_is_a_400(http) -> None:
    response = http.get("/search/", params={
        "yql": 'select * from ts where title contains near(({usePositionData: false}"alpha"), "beta")'})
    assert response.status_code == 400
    assert "{usePositionData: false} is not supported in near()" in response.text


def significance(frequency: float, count: float) -> float:
    return 0.5 + 0.5 * math.log(min(max(frequency / count, 1e-6), 1.0)) / math.log(1e-6)


@pytest.mark.parametrize("annotation, idf, beta_significance, frequency", [
    ("{documentFrequency: {frequency: 13, count: 101}}", math.log(1 + (101 - 13 + 0.5) / (13 + 0.5)),
     significance(13, 101), 13.0),
    ("{significance: 0.9, documentFrequency: {frequency: 13, count: 101L}}",  # the frequency wins
     math.log(1 + (101 - 13 + 0.5) / (13 + 0.5)), significance(13, 101), 13.0),
    ("{documentFrequency: {frequency: 0, count: 0}}", math.log(1 + 0.5 / 1.5), 0.5, 0.0),  # count 1, freq 1
    ("{documentFrequency: {frequency: 500, count: 101}}", math.log(1 + 0.5 / 101.5), 0.5, 500.0),  # held to 101
    ("", IDF_2_OF_3, significance(2, 3), 2.0),  # the node's own: beta in 2 of 3
])
def test_document_frequency_replaces_the_nodes_statistics(http, annotation, idf, beta_significance,
                                                          frequency) -> None:
    found = hits(http, f'title contains "alpha" and title contains ({annotation}"beta")')
    one = found["1"]
    assert one["term(0).significance"] == pytest.approx(significance(2, 3))  # alpha keeps the node's
    assert one["term(1).significance"] == pytest.approx(beta_significance)
    assert one["bm25(title)"] == pytest.approx(bm25(IDF_2_OF_3, 1, 3) + bm25(idf, 1, 3))
    assert one["queryTermDocumentFrequency(title)"]["cells"] == {"0": 2.0, "1": frequency}  # short form


@pytest.mark.parametrize("annotation", ["{documentFrequency: 3}", "{documentFrequency: {frequency: 3}}",
                                        "{documentFrequency: {frequency: -1, count: 3}}"])
def test_a_malformed_document_frequency_is_a_400(http, annotation) -> None:
    response = http.get("/search/", params={"yql": f'select * from ts where title contains ({annotation}"beta")'})
    assert response.status_code == 400, response.text


@pytest.mark.parametrize("origin, key", [("{original: 'beta', offset: 0}", "length"), ("{}", "original"),
                                         ("{original: 'beta', length: 4}", "offset")])
def test_an_origin_without_one_of_its_keys_is_a_located_400(http, origin, key) -> None:
    """Vespa's YqlParser.getMapValue: each of original, offset and length is required."""
    response = http.get("/search/", params={"yql": f'select * from ts where title contains ({{origin: {origin}}}"beta")'})
    assert response.status_code == 400, response.text
    message = response.json()["root"]["errors"][0]["message"]
    assert re.search(f"Map annotation 'origin' must contain an entry with key '{key}' at column \\d+", message), message
    whole = "{origin: {original: 'beta', offset: 0, length: 4}}"
    assert set(hits(http, f'title contains ({whole}"beta")')) == {"1", "2"}


@pytest.mark.parametrize("grammar, expected", [
    ("", {"1": 2.0, "2": 2.0}),  # weakAnd of alpha, beta: both documents, two terms each
    ('grammar: "segment", ', {"1": 1.0}),  # the phrase "alpha beta": doc 2 has them the other way round
    ('grammar: "raw", ', {}),  # one word "alpha beta": no title holds it
])
def test_user_input_grammars(http, grammar, expected) -> None:
    found = hits(http, f'{{{grammar}defaultIndex: "title"}}userInput("Alpha beta")')
    assert {user_id: features["matchCount(title)"] for user_id, features in found.items()} == expected
    assert set(hits(http, '{grammar: "raw", defaultIndex: "title"}userInput("Alpha")')) == {"1", "2"}


# per document: (forward, forwardTermPosition, reverse, reverseTermPosition) in profiles apart (no
# gap), joined (element-gap 0) and gap3 (element-gap 3), worked from ARRAYS
ELEMENT_PAIRS = {
    # alpha (0, 1) → beta (1, 0): 0 + 2 + g - 1; beta (1, 0) → alpha (2, 0): 0 + 2 + g - 0
    "4": {"apart": (NOT_FOUND,) * 4, "joined": (1.0, 1.0, 2.0, 0.0), "gap3": (4.0, 1.0, 5.0, 0.0)},
    # alpha in element 0, beta in 2: never adjacent, whatever the gap
    "5": {"apart": (NOT_FOUND,) * 4, "joined": (NOT_FOUND,) * 4, "gap3": (NOT_FOUND,) * 4},
    # alpha (0, 0) → beta (0, 1) in one element: 1 (beta (1, 0) across: 0 + 2 + g, farther); no beta
    # before an alpha
    "6": {profile: (1.0, 0.0, NOT_FOUND, NOT_FOUND) for profile in ("apart", "joined", "gap3")},
}


@pytest.mark.parametrize("profile", ["apart", "joined", "gap3"])
def test_term_distance_and_positions_are_per_element(http, profile) -> None:
    response = http.get("/search/", params={
        "yql": 'select * from arr where parts contains "alpha" and parts contains "beta"',
        "ranking": profile, "hits": 10})
    assert response.status_code == 200, response.text
    found = {hit["id"].rsplit(":", 1)[1]: hit["fields"]["matchfeatures"]
             for hit in response.json()["root"]["children"]}
    assert set(found) == {"4", "5", "6"}
    for user_id, expected in ELEMENT_PAIRS.items():
        features = found[user_id]
        assert tuple(features[f"termDistance(parts,0,1).{output}"] for output in (
            "forward", "forwardTermPosition", "reverse", "reverseTermPosition")) == expected[profile], user_id
    # alpha's positions within their elements: 4 at 1 and 0, 5 and 6 at 0
    assert {user_id: (f["fieldTermMatch(parts,0).firstPosition"], f["fieldTermMatch(parts,0).lastPosition"],
                      f["fieldTermMatch(parts,0).occurrences"]) for user_id, f in found.items()} == {
        "4": (0.0, 1.0, 2.0), "5": (0.0, 0.0, 1.0), "6": (0.0, 0.0, 1.0)}


def test_field_term_match_weight_sums_the_element_weights_of_the_occurrences(http) -> None:
    """fieldtermmatchfeature.cpp: .weight is the sum of the occurrences' element weights, .exactness
    their mean exactness (1 each). Array elements weigh 1: doc 4 has alpha twice; in the weighted
    set alpha is in keys `alpha` (5) and `x alpha` (3) of doc 7, in `alpha` (-2) of doc 8."""
    names = [f"fieldTermMatch({field},0).{output}" for field in ("parts", "tags")
             for output in ("occurrences", "weight", "exactness")]

    def features(where: str) -> dict[str, tuple]:
        response = http.get("/search/", params={"yql": f"select * from arr where {where}", "ranking": "apart"})
        assert response.status_code == 200, response.text
        return {hit["id"].rsplit(":", 1)[1]: tuple(hit["fields"]["matchfeatures"][name] for name in names)
                for hit in response.json()["root"]["children"]}

    assert features('parts contains "alpha"') == {
        "4": (2.0, 2.0, 1.0, 0.0, 0.0, 0.0), "5": (1.0, 1.0, 1.0, 0.0, 0.0, 0.0), "6": (1.0, 1.0, 1.0, 0.0, 0.0, 0.0)}
    assert features('tags contains "alpha"') == {"7": (0.0, 0.0, 0.0, 2.0, 8.0, 1.0),
                                                  "8": (0.0, 0.0, 0.0, 1.0, -2.0, 1.0)}


def test_every_invalid_corpus_string_is_a_400_located_where_the_parser_refuses_it(http) -> None:
    """Vespa's YQL conformance corpus (tests/searchlib/yql_corpus.py): each string Vespa's tests
    refuse is a 400 through /search/ too. Those its parser refuses name the place (29); the 4 refused
    after parsing (`in` against field types, the limit/offset window), as Vespa's searchers do, need not."""
    located = 0
    for case in (case for case in yql_cases() if not case.valid):
        response = http.get("/search/", params={"yql": case.yql, **case.parameters})
        assert response.status_code == 400, (case.source, response.text)
        message = response.json()["root"]["errors"][0]["message"]
        try:
            parse_yql(case.yql, parameters=case.parameters, stem=False)
        except QueryError:
            assert re.search(r"at column \d+", message), (case.source, message)
            located += 1
    assert located == 29
