"""YQL operators on a running 2-node cluster: hits and rank features worked out by hand.

Titles and word positions (0-based):
  1 "alpha beta gamma"   alpha 0, beta 1, gamma 2         price  100
  2 "alpha x x x beta"   alpha 0, beta 4                  price  500
  3 "beta alpha"         beta 0, alpha 1                  price  700
  4 "alpha beta delta"   alpha 0, beta 1                  price -600
Tags (weighted set): 1 {red: 3, blue: 1}, 2 {red: 1}, 3 {green: 5}, 4 none.
Vectors (euclidean distance to q = [0, 0]): 1 [0, 0] → 0, 2 [3, 4] → 5, 3 [1, 0] → 1, 4 [0, 10] → 10.
Profile `counts`: relevance = matchCount(title) (ranked query terms matching the title, a phrase
one where it matched whole);
profile `dot`: relevance = rawScore(tags) + rawScore(title).
"""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from tests.content_node.native_by_hand import boost, pair
from tests.integration.conftest import feed_all

APP = Path(__file__).resolve().parents[1] / "apps" / "yql_operators"
DOCS = {
    "1": {"title": "alpha beta gamma", "price": 100, "name": "Alpha", "tags": {"red": 3, "blue": 1},
          "vec": {"values": [0, 0]}, "ipvec": [0, 0]},
    "2": {"title": "alpha x x x beta", "price": 500, "name": "alphabet", "tags": {"red": 1},
          "vec": {"values": [3, 4]}, "ipvec": [3, 4]},
    "3": {"title": "beta alpha", "price": 700, "name": "Beta", "tags": {"green": 5}, "vec": {"values": [1, 0]},
          "ipvec": [1, 0]},
    "4": {"title": "alpha beta delta", "price": -600, "name": "delta", "vec": {"values": [0, 10]},
          "ipvec": [0, 10]},
}


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("yql_ops"), nodes=2) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
            feed_all(client, DOCS, "op")
            yield client


def hits(http: httpx.Client, where: str, **parameters: str) -> dict[str, dict]:
    """Hits by user id, each with its relevance and match features."""
    response = http.get("/search/", params={"yql": f"select * from op where {where}", "ranking": "counts",
                                           "hits": 10, **parameters})
    assert response.status_code == 200, response.text
    found = {}
    for hit in response.json()["root"].get("children", []):
        features = hit["fields"]["matchfeatures"]
        found[hit["id"].rsplit(":", 1)[1]] = {"relevance": hit["relevance"], **features}
    return found


@pytest.mark.parametrize("where, expected", [
    ("price > ({filter: true}500)", {"3"}),
    ("(-500) > price", {"4"}),
    ("price <= ({hitLimit: 89}(-500))", {"4"}),
    ("({filter: true}(100)) = price", {"1"}),
    ("price >= (-600) and price < ([{filter: true}](500))", {"1", "4"}),
])
def test_annotated_and_parenthesised_numbers(http, where, expected) -> None:
    found = hits(http, where)
    assert set(found) == expected
    for user_id in expected:  # a range adds no text features
        assert found[user_id]["matchCount(title)"] == 0.0
        assert found[user_id]["attribute(price)"] == DOCS[user_id]["price"]


def test_numeric_terms_rank_with_their_weight(http) -> None:
    """Profile `numeric`: relevance = matches(price) * term(0).weight + matches(title) * term(1).weight."""
    found = hits(http, 'price = ({weight: 1}500) or title contains ({weight: 300}"gamma")', ranking="numeric")
    assert set(found) == {"1", "2"}
    two, one = found["2"], found["1"]
    assert (two["relevance"], two["matches(price)"], two["term(0).weight"], two["queryTermCount"]) == (1.0, 1.0, 1.0, 2.0)
    # attributeMatch: 1 of 1 price terms matched, 1 of 1 values: 1 * (0.95 + 0.05 * 1); weight 1 of 1 + 300
    assert two["attributeMatch(price)"] == pytest.approx(1.0)
    assert two["attributeMatch(price).weight"] == pytest.approx(1 / 301)
    assert two["attributeMatch(price).matches"] == 1.0
    assert (one["relevance"], one["matches(price)"], one["attributeMatch(price)"]) == (300.0, 0.0, 0.0)
    # a comparison is a term too: `<200` holds for 100 and -600
    below = hits(http, "price < ({weight: 7}200)", ranking="numeric")
    assert {k: (h["relevance"], h["attributeMatch(price).weight"]) for k, h in below.items()} == {
        "1": (7.0, 1.0), "4": (7.0, 1.0)}
    assert hits(http, "price = 700", ranking="numeric")["3"]["relevance"] == 100.0  # the default weight
    filtered = hits(http, "price = ({filter: true}700)", ranking="numeric")["3"]  # a filter is no rank term
    assert (filtered["relevance"], filtered["queryTermCount"], filtered["matches(price)"]) == (0.0, 0.0, 0.0)
    unranked = hits(http, "{ranked: false}(price = 700)", ranking="numeric")["3"]  # nor is an unranked one
    assert (unranked["relevance"], unranked["queryTermCount"], unranked["matches(price)"]) == (0.0, 0.0, 0.0)


def test_weak_and_children_keep_their_weights_for_ranking(http) -> None:
    """Profile `numeric` over weakAnd(gamma!300, delta): term(0).weight is 300, term(1).weight 100;
    relevance = matches(title) * term(1).weight = 100 for doc 1 (gamma) and doc 4 (delta)."""
    found = hits(http, 'weakAnd(title contains ({weight: 300}"gamma"), title contains "delta")', ranking="numeric")
    assert {k: (h["relevance"], h["term(0).weight"], h["term(1).weight"], h["queryTermCount"])
            for k, h in found.items()} == {"1": (100.0, 300.0, 100.0, 2.0), "4": (100.0, 300.0, 100.0, 2.0)}


def test_near_within_distance_in_any_order(http) -> None:
    found = hits(http, 'title contains near("alpha", "beta")')
    assert set(found) == {"1", "3", "4"}  # doc 2: beta is 4 positions after alpha
    assert all(h["matchCount(title)"] == 2.0 and h["queryTermCount"] == 2.0 for h in found.values())
    assert all(h["relevance"] == 2.0 for h in found.values())
    assert set(hits(http, 'title contains ({distance: 4}near("alpha", "beta"))')) == {"1", "2", "3", "4"}


def test_onear_keeps_the_order(http) -> None:
    """Profile `terms`: alpha and beta are two terms; beta is at 1 in docs 1 and 4, at 4 in doc 2."""
    found = hits(http, 'title contains ({distance: 4}onear("alpha", "beta"))', ranking="terms")
    assert {k: (h["relevance"], h["queryTermCount"], h["fieldTermMatch(title,1).firstPosition"],
                h["termDistance(title,0,1).forward"]) for k, h in found.items()} == {
        "1": (2.0, 2.0, 1.0, 1.0), "2": (2.0, 2.0, 4.0, 4.0), "4": (2.0, 2.0, 1.0, 1.0)}
    assert set(hits(http, 'title contains onear("alpha", "beta")')) == {"1", "4"}  # doc 3: beta first
    assert set(hits(http, 'title contains onear("beta", "alpha")')) == {"3"}
    assert set(hits(http, 'title contains ({distance: 3}onear("alpha", "beta"))')) == {"1", "4"}


def test_near_negative_word_excludes_within_exclusion_distance(http) -> None:
    # distance 2 → exclusionDistance 1: doc 1's window alpha(0)..beta(1) widened to -1..2 holds gamma(2)
    assert set(hits(http, 'title contains near("alpha", "beta", !"gamma")')) == {"3", "4"}
    assert set(hits(http, 'title contains ({exclusionDistance: 0}near("alpha", "beta", !"gamma"))')) == {
        "1", "3", "4"}


def test_group_annotation_unranks_the_words_inside(http) -> None:
    found = hits(http, '{ranked: false}(title contains "alpha") and title contains "beta"')
    assert set(found) == {"1", "2", "3", "4"}
    assert all(h["matchCount(title)"] == 1.0 and h["queryTermCount"] == 1.0 for h in found.values())
    ranked = hits(http, '(title contains "alpha") and title contains "beta"')
    assert all(h["matchCount(title)"] == 2.0 and h["queryTermCount"] == 2.0 for h in ranked.values())


def test_nested_phrase_items_are_one_phrase(http) -> None:
    # phrase("alpha", phrase("beta", "gamma")) is "alpha beta gamma": consecutive, in that order;
    # one query term (Vespa's one term data per phrase: queryTermCount counts it once)
    found = hits(http, 'title contains phrase("alpha", phrase("beta", "gamma"))')
    assert set(found) == {"1"}
    assert found["1"]["matchCount(title)"] == 1.0 and found["1"]["queryTermCount"] == 1.0
    assert set(hits(http, 'title contains phrase(({stem: false}"alpha"), "beta")')) == {"1", "4"}  # not 2, 3
    response = http.get("/search/", params={"yql": 'select * from op where title contains phrase("a", 5)'})
    assert response.status_code == 400
    assert "Expected a string or phrase(...) in phrase()" in response.json()["root"]["errors"][0]["message"]


def test_a_phrase_is_one_term_to_every_per_term_feature(http) -> None:
    """Profile `terms`. Term 0 is the phrase "alpha beta" (weight 200), term 1 delta, as Vespa numbers
    term data (a phrase one, its positions where it starts whole, termDistance from its last word):
    doc 1 "alpha beta gamma": phrase at 0 once, no delta; doc 4 "alpha beta delta": phrase at 0,
    delta at 2 → forward 2 - (0 + 1) = 1 from position 0, and delta to the phrase reversed the same.
    Word by word term 1 would be beta (in both) and matchCount 2 and 3."""
    found = hits(http, 'title contains ({weight: 200}phrase("alpha", "beta")) or title contains "delta"',
                 ranking="terms")
    assert set(found) == {"1", "4"}
    one, four = found["1"], found["4"]
    assert (one["queryTermCount"], one["term(0).weight"], one["term(1).weight"]) == (2.0, 200.0, 100.0)
    assert (one["matchCount(title)"], four["matchCount(title)"]) == (1.0, 2.0)
    assert (one["matches(title,0)"], one["matches(title,1)"], four["matches(title,1)"]) == (1.0, 0.0, 1.0)
    assert (one["fieldTermMatch(title,0).firstPosition"], one["fieldTermMatch(title,0).occurrences"]) == (0.0, 1.0)
    assert (one["fieldTermMatch(title,1).firstPosition"], four["fieldTermMatch(title,1).firstPosition"]) == (1e6, 2.0)
    assert (four["termDistance(title,0,1).forward"], four["termDistance(title,0,1).forwardTermPosition"]) == (1.0, 0.0)
    assert (four["termDistance(title,1,0).reverse"], four["termDistance(title,1,0).reverseTermPosition"]) == (1.0, 0.0)
    assert one["termDistance(title,0,1).forward"] == 1e6  # no delta in doc 1
    # matchCount counts each term's match data, a repeated word twice (matchcountfeature.cpp)
    twice = hits(http, 'title contains "gamma" or title contains "gamma"', ranking="terms")
    assert (twice["1"]["matchCount(title)"], twice["1"]["queryTermCount"]) == (2.0, 2.0)
    # a phrase that starts inside the title: "beta gamma" at 1 in doc 1, after alpha at 0
    inner = hits(http, 'title contains "alpha" and title contains phrase("beta", "gamma")', ranking="terms")
    assert set(inner) == {"1"}
    f = inner["1"]
    assert (f["fieldTermMatch(title,1).firstPosition"], f["termDistance(title,0,1).forward"]) == (1.0, 1.0)
    assert (f["termDistance(title,1,0).reverse"], f["termDistance(title,1,0).reverseTermPosition"]) == (1.0, 0.0)


def test_native_features_and_text_similarity_read_a_phrase_as_one_term(http) -> None:
    """Profile `terms`: nativeRank, nativeProximity and textSimilarity see the phrase "alpha beta" as
    one term occurring where it starts whole, as Vespa's QueryTermHelper reads one term data per phrase."""
    # the phrase and beta: equal document frequencies on each node (the phrase's is its rarest
    # word's), so each is half of nativeFieldMatch (native_by_hand.boost: position, occurrences,
    # field length). Doc 1 "alpha beta gamma": the phrase@0, beta@1, which is the phrase's own last
    # word: a distance counts from the phrase's last word to a word after it (findBest), so the pair
    # is not found either way, as in docs 2 and 3 without the phrase: the tables' last entries.
    # nativeRank = (100 * fieldMatch + 25 * proximity) / 225
    found = hits(http, 'title contains phrase("alpha", "beta") or title contains "beta"', ranking="terms")
    expected = {
        "1": ((boost(0, 1, 3) + boost(1, 1, 3)) / 2, pair(None, None)),
        "2": (boost(4, 1, 5) / 2, pair(None, None)),
        "3": (boost(0, 1, 2) / 2, pair(None, None)),
        "4": ((boost(0, 1, 3) + boost(1, 1, 3)) / 2, pair(None, None)),
    }
    assert {doc: f["nativeRank(title)"] for doc, f in found.items()} == \
        pytest.approx({doc: (100 * field_match + 25 * proximity) / 225 for doc, (field_match, proximity) in expected.items()})
    # gamma@2, then the phrase at 0..1: gamma is 1 after the phrase's last word in reverse (table entry 0)
    found = hits(http, 'title contains "gamma" or title contains phrase("alpha", "beta")', ranking="terms")
    assert found["1"]["nativeProximity(title)"] == pytest.approx(pair(None, 1))
    # textSimilarity: doc 4 phrase@0 (weight 200) then delta@2, d 2: 1 - (1/8)^2, in order, all the
    # weight, 2 of 3 positions (word by word: 1.0); doc 1 the phrase alone: d = fieldLength 3
    found = hits(http, 'title contains ({weight: 200}phrase("alpha", "beta")) or title contains "delta"',
                 ranking="terms")
    assert found["4"]["textSimilarity(title).proximity"] == pytest.approx(1 - 1 / 64)
    assert found["4"]["textSimilarity(title)"] == pytest.approx(0.35 * (1 - 1 / 64) + 0.15 + 0.30 + 0.20 * 2 / 3)
    assert found["1"]["textSimilarity(title)"] == pytest.approx(0.35 * (1 - 1 / 16) + 0.30 * 2 / 3 + 0.20 / 3)


def test_native_rank_reads_its_rank_properties(http) -> None:
    """Profile `native`: the default first phase nativeRank with proximityWeight 100,
    attributeMatchWeight 0 and small tables from its rank-properties: firstOccurrenceTable 10 - x,
    occurrenceCountTable x (x = 0..10; normalizer 0.5 * 10 + 0.5 * 10), proximityTable 10 - x,
    reverseProximityTable 5 - x/2 (normalizer 7.5). alpha and beta are in every document: one
    significance, each term half of nativeFieldMatch. A term at p, n times, in L words (at least 6):
    (0.5 * first[p * 10 // (L - 1)] + 0.5 * count[n * 10 // L]) / 10."""
    found = hits(http, 'title contains "alpha" and title contains "beta"', ranking="native")
    # doc 1 "alpha beta gamma": alpha@0 (0.5 * 10 + 0.5 * 1) / 10 = 0.55, beta@1 index 2:
    # (0.5 * 8 + 0.5) / 10 = 0.45; beta right after alpha: forward 1 → 10, no reverse → 5 - 5 = 0:
    # 0.5 * 10 / 7.5 = 2/3; nativeRank = (100 * 0.5 + 100 * 2/3) / 200
    assert found["1"]["nativeFieldMatch"] == pytest.approx(0.5)
    assert found["1"]["nativeProximity"] == pytest.approx(2 / 3)
    assert found["1"]["relevance"] == pytest.approx((0.5 + 2 / 3) / 2)
    assert found["4"]["relevance"] == pytest.approx((0.5 + 2 / 3) / 2)  # "alpha beta delta": the same
    # doc 2 "alpha x x x beta": beta@4 index 8: (0.5 * 2 + 0.5) / 10 = 0.15; forward 4 → 10 - 3:
    # 0.5 * 7 / 7.5
    assert found["2"]["relevance"] == pytest.approx(((0.55 + 0.15) / 2 + 3.5 / 7.5) / 2)
    # doc 3 "beta alpha": 0.55 and 0.45 again; only reverse 1 → 5, forward not found → 10 - 10 = 0
    assert found["3"]["relevance"] == pytest.approx((0.5 + 2.5 / 7.5) / 2)


def test_native_and_bm25_rank_properties_from_a_query(http) -> None:
    """A number the node cannot use is a 400 (an OverflowError or ValueError was a 500); a query's
    table is not read (Vespa reads tables from the profile only), so it changes nothing."""
    where = 'title contains "alpha" and title contains "beta"'
    for key, value, message, profile in (
            ("nativeFieldMatch.minFieldLength", "1e30", "must be from 0 to 4294967295", "native"),
            ("nativeFieldMatch.averageFieldLength.title", "1e30", "must be from 0 to", "native"),
            ("bm25(title).k1", "abc", "must be a number", "labels")):
        response = http.get("/search/", params={"yql": f"select * from op where {where}", "ranking": profile,
                                                f"ranking.properties.{key}": value})
        assert response.status_code == 400, response.text
        assert message in response.json()["root"]["errors"][0]["message"]
    table = {"ranking.properties.nativeFieldMatch.firstOccurrenceTable": "expdecay(8000,0)",
             "ranking.properties.nativeProximity.proximityTable.title": "linear(5,0,1048576)"}
    assert hits(http, where, ranking="native", **table) == hits(http, where, ranking="native")


@pytest.mark.parametrize("key, value, profile, where", [
    ("attributeMatch(price).maxWeight", "abc", "numeric", "price = 500"),
    ("attributeMatch(price).fieldCompletenessImportance", "1_0", "numeric", "price = 500"),
    ("nativeProximity.proximityImportance", "１２", "native", 'title contains "alpha" and title contains "beta"'),
    ("bm25(title).b", "Infinity", "labels", 'title contains "alpha"'),
])
def test_a_rank_property_number_java_refuses_is_a_400_naming_it(http, key, value, profile, where) -> None:
    """Read as Java's Double.parseDouble reads it (searchlib.java_numbers): Python's float() took 1_0
    and full-width digits, and a word was a ValueError (a 500)."""
    params = {"yql": f"select * from op where {where}", "ranking": profile}
    response = http.get("/search/", params={**params, f"ranking.properties.{key}": value})
    assert response.status_code == 400, response.text
    error = response.json()["root"]["errors"][0]
    assert error["code"] == 4 and error["message"].startswith(f"{key} must be a"), error
    good = http.get("/search/", params={**params, f"ranking.properties.{key}": " 0.5 "})
    assert good.status_code == 200 and good.json()["root"]["children"], good.text


def test_alternatives_match_any_form_as_one_term(http) -> None:
    found = hits(http, 'title contains alternatives({gamma: 1.0, "delta": 0.5})')
    assert set(found) == {"1", "4"}
    assert all(h["matchCount(title)"] == 1.0 and h["queryTermCount"] == 1.0 for h in found.values())
    # inside a phrase: any form at that position
    assert set(hits(http, 'title contains phrase("beta", alternatives({gamma: 1.0, delta: 0.7}))')) == {"1", "4"}
    assert set(hits(http, 'title contains phrase("alpha", alternatives({beta: 1.0, x: 0.5}))')) == {"1", "2", "4"}
    assert set(hits(http, 'title contains equiv("gamma", phrase("beta", alternatives({alpha: 1, x: 1})))')) == {"1", "3"}
    response = http.get("/search/", params={"yql": 'select * from op where title contains alternatives({a: 2})'})
    assert response.status_code == 400
    assert "must be in [0, 1]" in response.json()["root"]["errors"][0]["message"]


def test_fuzzy_over_a_string_attribute(http) -> None:
    # edit distance to "alpa": alpha 1, alphabet 4, beta 3, delta 3 (default maxEditDistance 2)
    found = hits(http, 'name contains fuzzy("alpa")')
    assert set(found) == {"1"}
    assert found["1"]["attribute(price)"] == 100.0 and found["1"]["matchCount(title)"] == 0.0
    assert set(hits(http, 'name contains ({maxEditDistance: 3}fuzzy("alpa"))')) == {"1", "3", "4"}
    # prefix: "alphx" is one substitution from the prefix "alpha" of both Alpha and alphabet
    assert set(hits(http, 'name contains ({prefixLength: 1, maxEditDistance: 1, prefix: true}fuzzy("alphx"))')) == {
        "1", "2"}
    assert set(hits(http, 'name contains ({prefixLength: 1}fuzzy("blpha"))')) == set()  # b != a
    # the item is a match on the attribute: matches(name) 1, matches(price) 0 (profile `numeric`)
    ranked = hits(http, 'name contains fuzzy("alpa")', ranking="numeric")["1"]
    assert (ranked["matches(name)"], ranked["matches(price)"]) == (1.0, 0.0)
    # a fuzzy item is a query term (Vespa's FuzzyItem): queryTermCount 1, term(0).weight 100
    assert (ranked["queryTermCount"], ranked["term(0).weight"], ranked["term(1).weight"]) == (1.0, 100.0, 0.0)
    weighted = hits(http, 'name contains ({weight: 250}fuzzy("alpa"))', ranking="numeric")["1"]
    assert weighted["term(0).weight"] == 250.0


def test_matches_is_an_unanchored_case_insensitive_re2_search(http) -> None:
    assert set(hits(http, 'name matches "^al.*t$"')) == {"2"}
    assert set(hits(http, 'name matches "TA"')) == {"3", "4"}
    assert set(hits(http, 'name matches "(a+)+$"')) == {"1", "3", "4"}  # catastrophic for backtrackers
    assert {k: h["matches(name)"] for k, h in hits(http, 'name matches "TA"', ranking="numeric").items()} == {
        "3": 1.0, "4": 1.0}
    # a regex item is a query term (Vespa's RegExpItem), the second here: profile `numeric`'s relevance
    # matches(price) * term(0).weight + matches(title) * term(1).weight = 0 * 100 + 1 * 100 for doc 2
    ranked = hits(http, 'name matches "^al.*t$" and title contains "alpha"', ranking="numeric")["2"]
    assert (ranked["relevance"], ranked["queryTermCount"], ranked["term(1).weight"]) == (100.0, 2.0, 100.0)
    assert hits(http, '{weight: 40}name matches "^al.*t$"', ranking="numeric")["2"]["term(0).weight"] == 40.0


@pytest.mark.parametrize("yql, message", [
    ('select * from op where name matches "(a)\\\\1"', "Invalid regular expression"),
    ('select * from op where title contains fuzzy("alpha")', "fuzzy() searches string attribute fields"),
    ('select * from op where title matches "a"', "'matches' searches string attribute fields"),
    ('select * from op where title contains near("a", !"b", "c")', "Positive terms must come before negative terms"),
])
def test_bad_items_and_operator_arguments_are_400(http, yql, message) -> None:
    response = http.get("/search/", params={"yql": yql})
    assert response.status_code == 400, response.text
    assert message in response.json()["root"]["errors"][0]["message"]


def test_in_over_integer_string_and_indexed_fields(http) -> None:
    found = hits(http, "price in (100, -600, 5)")
    assert set(found) == {"1", "4"}
    assert {found[i]["attribute(price)"] for i in found} == {100.0, -600.0}
    assert all(h["relevance"] == 0.0 and h["queryTermCount"] == 0.0 for h in found.values())
    # no query terms, but a match on the attribute: matches(price) 1 (profile `numeric`)
    ranked = hits(http, "price in (100, -600, 5)", ranking="numeric")
    assert {k: (h["matches(price)"], h["queryTermCount"]) for k, h in ranked.items()} == {
        "1": (1.0, 0.0), "4": (1.0, 0.0)}
    assert set(hits(http, "name in ('alpha', \"BETA\")")) == {"1", "3"}  # string attributes: any case
    assert set(hits(http, 'title in ("gamma", "delta")')) == {"1", "4"}  # indexed words
    assert set(hits(http, "price in (@prices)", prices="700, 500")) == {"2", "3"}


@pytest.mark.parametrize("yql, message", [
    ("select * from op where price in ('a')", "The in operator with string values needs string fields"),
    ("select * from op where price in (1, 'a')", "either integers or strings, not both"),
    ("select * from op where nofield in (1)", "Field 'nofield' does not exist"),
    ('select * from op where wand(price, {"a": 1}) and dotProduct(nofield, {"a": 1})', "does not exist"),
])
def test_bad_in_is_400(http, yql, message) -> None:
    response = http.get("/search/", params={"yql": yql})
    assert response.status_code == 400, response.text
    assert message in response.json()["root"]["errors"][0]["message"]


def test_equiv_matches_any_word_and_ranks_as_one_term(http) -> None:
    found = hits(http, 'title contains equiv("gamma", "delta")')
    assert set(found) == {"1", "4"}
    assert all(h["matchCount(title)"] == 1.0 and h["queryTermCount"] == 1.0 for h in found.values())
    both = hits(http, 'title contains equiv("alpha", "beta")')
    assert set(both) == {"1", "2", "3", "4"}
    # one term occurring wherever alpha or beta does: twice in every title
    assert all(h["fieldTermMatch(title,0).occurrences"] == 2.0 and h["queryTermCount"] == 1.0
               for h in both.values())
    separate = hits(http, 'title contains "alpha" or title contains "beta"')
    assert all(h["fieldTermMatch(title,0).occurrences"] == 1.0 and h["queryTermCount"] == 2.0
               for h in separate.values())


def test_weighted_set_matches_any_token_and_scores_nothing(http) -> None:
    found = hits(http, 'weightedSet(tags, {"red": 1, "pink": 9})', ranking="dot")
    assert set(found) == {"1", "2"}
    assert all(h["rawScore(tags)"] == 0.0 for h in found.values())


def test_dot_product_scores_query_weight_times_document_weight(http) -> None:
    found = hits(http, 'dotProduct(tags, {"red": 2, "green": 1})', ranking="dot")
    assert {i: h["rawScore(tags)"] for i, h in found.items()} == {"1": 6.0, "2": 2.0, "3": 5.0}
    assert {i: h["relevance"] for i, h in found.items()} == {"1": 6.0, "2": 2.0, "3": 5.0}
    # over indexed text the document weight is the term frequency: alpha x2, gamma x3
    text = hits(http, 'dotProduct(title, {"alpha": 2, "gamma": 3})', ranking="dot")
    assert {i: h["rawScore(title)"] for i, h in text.items()} == {"1": 5.0, "2": 2.0, "3": 2.0, "4": 2.0}


def test_wand_keeps_the_best_scores_above_the_threshold(http) -> None:
    found = hits(http, '{scoreThreshold: 4}wand(tags, {"red": 2, "green": 1})', ranking="dot")
    assert {i: h["rawScore(tags)"] for i, h in found.items()} == {"1": 6.0, "3": 5.0}
    best = hits(http, '{targetHits: 1}wand(tags, {"red": 2, "green": 1})', ranking="dot")
    assert "1" in best and len(best) <= 2  # one per content node: the global best is among them


def test_range_hit_limit_keeps_the_extreme_values_on_each_node(http) -> None:
    everything = hits(http, "range(price, -1000, 1000)")
    assert set(everything) == {"1", "2", "3", "4"}
    highest = hits(http, "{hitLimit: 1, descending: true}range(price, -1000, 1000)")
    assert "3" in highest and len(highest) <= 2  # 700 is the highest; one per content node
    lowest = hits(http, "{hitLimit: 1, ascending: true}range(price, -1000, 1000)")
    assert "4" in lowest and len(lowest) <= 2  # -600 is the lowest
    assert set(hits(http, "{hitLimit: -4}range(price, -1000, 1000)")) == {"1", "2", "3", "4"}


def _nearest(http: httpx.Client, annotations: str) -> list[tuple[str, float]]:
    found = hits(http, f"{{{annotations}}}nearestNeighbor(vec, q)", ranking="vec", **{"input.query(q)": "[0, 0]"})
    ranked = sorted(found.items(), key=lambda item: -item[1]["relevance"])
    return [(user_id, h["distance(field,vec)"]) for user_id, h in ranked]


def test_nearest_neighbor_total_target_hits_and_hnsw_tuning(http) -> None:
    """totalTargetHits is cluster-wide: each of the 2 nodes returns its max(total, min) nearest, a
    superset of the global best, so the 2 nearest (1 at 0, 3 at 1) always lead; with targetHits 1
    per node, doc 1 leads. The hnsw.* tuning annotations are accepted on a field without a graph."""
    total = _nearest(http, "totalTargetHits: 2")
    assert total[:2] == [("1", 0.0), ("3", 1.0)] and 2 <= len(total) <= 4
    assert _nearest(http, "totalTargetHits: 1, minTargetHits: 4") == [("1", 0.0), ("3", 1.0), ("2", 5.0), ("4", 10.0)]
    tuned = _nearest(http, "targetHits: 1, hnsw.approximateThreshold: 0.5, hnsw.postFilterThreshold: 0.9")
    assert tuned[0] == ("1", 0.0) and 1 <= len(tuned) <= 2


def test_innerproduct_ranks_by_the_dot_product(http) -> None:
    """distance-metric: innerproduct is Vespa's older name of dotproduct: distance -(q.a), closeness
    q.a, unnormalized. q = [1, 2]: dots 0, 11, 1, 20 -- the order euclidean would give (3, 1, 2, 4)
    is not it; with targetHits 2 (exact search: an attribute without an HNSW index) the two largest
    dot products lead."""
    def nearest(target_hits: int) -> list[tuple[str, float, float]]:
        found = hits(http, f"{{targetHits: {target_hits}}}nearestNeighbor(ipvec, q)", ranking="ip",
                     **{"input.query(q)": "[1, 2]"})
        ranked = sorted(found.items(), key=lambda item: -item[1]["relevance"])
        return [(k, h["relevance"], h["distance(field,ipvec)"]) for k, h in ranked]

    assert nearest(10) == [("4", 20.0, -20.0), ("2", 11.0, -11.0), ("3", 1.0, -1.0), ("1", 0.0, 0.0)]
    assert [k for k, _, _ in nearest(2)][:2] == ["4", "2"]


def test_labeled_keeps_the_hits_and_scores_the_documents_matching_its_child(http) -> None:
    """labeled(x, "lw", s) is a one-child rank(): it matches what x matches, and itemRawScore(lw)
    is s for documents matching x, 0 for the others (only doc 1 has gamma, only doc 4 delta)."""
    def scores(where: str) -> dict[str, float]:
        return {k: h["itemRawScore(lw)"] for k, h in hits(http, where, ranking="labels").items()}

    assert scores('labeled(title contains "gamma", "lw", 2.5)') == {"1": 2.5}
    assert scores('title contains "alpha" or labeled(title contains "gamma", "lw", 2.5)') == {
        "1": 2.5, "2": 0.0, "3": 0.0, "4": 0.0}
    assert scores('rank(title contains "beta", labeled(title contains "delta", "lw", 3))') == {
        "1": 0.0, "2": 0.0, "3": 0.0, "4": 3.0}


def test_user_input_label_reaches_every_term_it_makes(http) -> None:
    """{label: "l"}userInput(@q): each term it makes carries l, so bm25(title, label: l) is the bm25
    of exactly its words (beta, delta), as bm25(title) of a query of only those; gamma, outside the
    userInput, adds to bm25(title) alone (only doc 1 has gamma, only doc 4 delta)."""
    labelled = hits(http, 'title contains "gamma" or {label: "l", defaultIndex: "title", grammar: "any"}userInput(@q)',
                    ranking="labels", q="beta delta")
    plain = hits(http, 'title contains "beta" or title contains "delta"', ranking="labels")
    assert set(labelled) == set(plain) == {"1", "2", "3", "4"}
    for user_id, hit in plain.items():
        assert labelled[user_id]["bm25(title,label:l)"] == pytest.approx(hit["bm25(title)"]) and hit["bm25(title)"] > 0
    assert labelled["1"]["bm25(title)"] > labelled["1"]["bm25(title,label:l)"]
    assert labelled["4"]["bm25(title)"] == pytest.approx(labelled["4"]["bm25(title,label:l)"])
    assert labelled["4"]["bm25(title)"] > labelled["3"]["bm25(title)"]  # delta counts as well
    unlabelled = hits(http, 'title contains "gamma" or {defaultIndex: "title"}userInput(@q)', ranking="labels", q="beta")
    assert len(unlabelled) == 4 and all(h["bm25(title,label:l)"] == 0.0 for h in unlabelled.values())


def test_user_input_ranked_false_and_filter_unrank_every_word_it_makes(http) -> None:
    """q = "beta delta" (grammar any): every title holds beta. Ranked, matchCount(title) counts
    gamma, beta, delta: doc 1 gamma beta → 2, doc 4 beta delta → 2, docs 2 and 3 → 1, and
    queryTermCount is 3; with {ranked: false} or {filter: true} on the userInput (or a group around
    it) only gamma ranks: doc 1 → 1, the others 0, queryTermCount 1 - the same four hits."""
    where = 'title contains "gamma" or {%sdefaultIndex: "title", grammar: "any"}userInput(@q)'
    ranked = hits(http, where % "", q="beta delta")
    assert {k: (h["matchCount(title)"], h["queryTermCount"]) for k, h in ranked.items()} == {
        "1": (2.0, 3.0), "2": (1.0, 3.0), "3": (1.0, 3.0), "4": (2.0, 3.0)}
    for annotated in (where % "ranked: false, ", where % "filter: true, ",
                      'title contains "gamma" or {ranked: false}({defaultIndex: "title", grammar: "any"}userInput(@q))'):
        found = hits(http, annotated, q="beta delta")
        assert {k: (h["matchCount(title)"], h["queryTermCount"]) for k, h in found.items()} == {
            "1": (1.0, 1.0), "2": (0.0, 1.0), "3": (0.0, 1.0), "4": (0.0, 1.0)}, annotated
    # a phrase it makes too: q = '"alpha beta"' matches docs 1 and 4; ranked, it is one more term
    # (matchCount counts it once: doc 1 gamma + the phrase → 2, doc 4 the phrase → 1), unranked none
    phrase = {k: (h["matchCount(title)"], h["queryTermCount"]) for k, h in hits(http, where % "", q='"alpha beta"').items()}
    assert phrase == {"1": (2.0, 2.0), "4": (1.0, 2.0)}
    unranked = hits(http, where % "ranked: false, ", q='"alpha beta"')
    assert {k: (h["matchCount(title)"], h["queryTermCount"]) for k, h in unranked.items()} == {
        "1": (1.0, 1.0), "4": (0.0, 1.0)}


def test_empty_user_input_is_refused_unless_allow_empty(http) -> None:
    where = 'title contains "gamma" and {%sdefaultIndex: "title"}userInput(@q)'
    assert set(hits(http, where % "allowEmpty: true, ", q="")) == {"1"}  # no item: gamma alone
    assert set(hits(http, where % "allowEmpty: true, ")) == {"1"}  # @q not given
    # nothing left to match at all: Vespa's backend answers a NullItem root with "Null query"
    # (code 1; VespaBackend.search), not an empty result; a 4xx here (Vespa's status is 500)
    for emptied in ('{allowEmpty: true, defaultIndex: "title"}userInput(@q)',
                    '{allowEmpty: true}userInput(@q) or {allowEmpty: true}userInput(@q)'):
        response = http.get("/search/", params={"yql": f"select * from op where {emptied}", "q": "+-!"})
        assert response.status_code == 400, response.text
        [error] = response.json()["root"]["errors"]
        assert (error["code"], error["summary"]) == (1, "Null query") and "nothing to match" in error["message"]
    for parameters in ({"q": ""}, {}, {"q": "+-!"}):
        response = http.get("/search/", params={"yql": f"select * from op where {where % ''}", **parameters})
        assert response.status_code == 400, response.text
        [error] = response.json()["root"]["errors"]
        assert error["code"] == 3 and "only resulted in NullItem" in error["message"]  # Illegal query, as any YQL error


def test_non_empty_is_its_expression_or_a_400_when_an_item_in_it_is_empty(http) -> None:
    assert set(hits(http, 'nonEmpty(title contains "gamma" or title contains "delta")')) == {"1", "4"}
    for where, message in (('nonEmpty(title contains "gamma" and title contains "+-!")', "empty string"),
                           ('nonEmpty({allowEmpty: true, defaultIndex: "title"}userInput(@q))', "NullItem")):
        response = http.get("/search/", params={"yql": f"select * from op where {where}", "q": ""})
        assert response.status_code == 400 and message in response.json()["root"]["errors"][0]["message"]


def test_normalize_case_and_accent_drop_false_keep_the_word_as_written(http) -> None:
    assert set(hits(http, 'title contains "GAMMA"')) == {"1"}  # lowercased, as the title was indexed
    assert not hits(http, 'title contains ({normalizeCase: false}"GAMMA")')  # as written: not in the index
    assert set(hits(http, '{normalizeCase: false}(title contains "gamma")')) == {"1"}
    assert set(hits(http, 'title contains "gámma"')) == {"1"}  # folded, as the title was indexed
    assert hits(http, 'title contains ({accentDrop: false}"gámma")') == {}
    assert set(hits(http, '{defaultIndex: "title"}userInput("gámma")')) == {"1"}
    assert hits(http, '{defaultIndex: "title", accentDrop: false}userInput("gámma")') == {}
    assert set(hits(http, '{defaultIndex: "title", accentDrop: false}userInput("gamma")')) == {"1"}


def test_weak_and_total_target_hits_is_each_nodes_target(http) -> None:
    """{totalTargetHits: 1}: each of the 2 nodes keeps its best 1 (a superset of the global best),
    as {targetHits: 1} does; doc 1 (alpha and gamma) is the best and leads with matchCount 2."""
    where = 'weakAnd(title contains "alpha", title contains "gamma")'
    total = hits(http, "{totalTargetHits: 1}" + where)
    assert 1 <= len(total) <= 2 and total["1"]["relevance"] == 2.0
    assert set(total) == set(hits(http, "{targetHits: 1}" + where))
    assert len(hits(http, where)) == 4  # the default 100 keeps every alpha document


def test_phrases_and_equivs_inside_equiv_and_near(http) -> None:
    """A phrase (or in near an equiv) stands as one word, occurring where the phrase starts."""
    found = hits(http, 'title contains equiv("gamma", phrase("beta", "alpha"))')
    assert set(found) == {"1", "3"}  # gamma in 1, "beta alpha" only in 3
    assert all(h["queryTermCount"] == 1.0 and h["fieldTermMatch(title,0).occurrences"] == 1.0
               for h in found.values())
    assert set(hits(http, "title contains near(phrase('alpha', 'beta'), 'delta')")) == {"4"}  # 0 and 2
    assert set(hits(http, "title contains onear('alpha-beta', 'gamma')")) == {"1"}
    assert set(hits(http, "title contains onear('gamma', 'alpha-beta')")) == set()
    # alpha/beta near in 1, 3 and 4; gamma (1) and delta (4) sit 1 past the window: excluded
    assert set(hits(http, 'title contains near("alpha", "beta", !equiv("gamma", "delta"))')) == {"3"}


def test_significance_and_connectivity_reach_the_nodes(http) -> None:
    found = hits(http, 'title contains ({id: 1, significance: 0.3}"alpha") and '
                       'title contains ({id: 2, connectivity: {id: 1, weight: 0.6}}"beta")', ranking="annotated")
    assert set(found) == {"1", "2", "3", "4"}
    for features in found.values():
        assert features["term(0).significance"] == pytest.approx(0.3)  # given, not from document frequency
        assert features["term(1).significance"] != pytest.approx(0.3)
        assert features["term(1).connectedness"] == pytest.approx(0.6)  # beta connects to alpha, term 0
        assert features["term(0).connectedness"] == pytest.approx(0.1)  # no previous term
