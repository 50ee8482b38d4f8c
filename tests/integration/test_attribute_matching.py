"""Every attribute field kind under every query operator on a running 2-node cluster; the expected
hits are worked out by hand from Vespa's semantics: a document matches when one of its values (an
array's elements, a weighted set's keys, the single value) does; strings match whole values,
case-insensitively unless `match: cased`, by prefix with `match: prefix`; numbers by value or by a
range term; a field with both index and attribute is searched in its index.

Document 3 has only a title: every attribute is unset (bool defaults to false).
"""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import feed_all

APP = Path(__file__).resolve().parents[1] / "apps" / "attribute_kinds"
DOCS = {
    "1": {"title": "red planet", "name": "Space Station", "cname": "Space", "pname": "Spacecraft",
          "tags": ["space", "Moon"], "wtags": {"Space": 3, "moon": 1}, "both": ["Space Station", "moon"],
          "ids": [1, 5], "wids": {"5": 2, "7": 1}, "longs": [10000000000, 3], "flag": True, "small": 5,
          "big": 10000000000},
    "2": {"title": "blue ocean", "name": "Océan", "cname": "space", "pname": "Ocean", "tags": ["ocean"],
          "wtags": {"ocean": 2}, "both": ["ocean"], "ids": [7], "wids": {"1": 1}, "longs": [-2],
          "flag": False, "small": -5, "big": -3},
    "3": {"title": "empty"},
}


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("attribute_kinds"), nodes=2) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
            feed_all(client, DOCS, "kind")
            yield client


def hits(http: httpx.Client, where: str, ranking: str = "features") -> dict[str, dict]:
    """Match features by user id."""
    response = http.get("/search/", params={"yql": f"select * from kind where {where}",
                                           "ranking": ranking, "hits": 10})
    assert response.status_code == 200, response.text
    return {hit["id"].rsplit(":", 1)[1]: hit["fields"]["matchfeatures"]
            for hit in response.json()["root"].get("children", [])}


@pytest.mark.parametrize("where, expected", [
    # string attributes: whole values, any case
    ('tags contains "space"', {"1"}),
    ('tags contains "MOON"', {"1"}),
    ('tags contains "spa"', set()),
    ('wtags contains "space"', {"1"}),
    ('wtags contains "OCEAN"', {"2"}),
    ('name contains "space station"', {"1"}),
    ('name contains "station"', set()),
    ('name contains "OCÉAN"', {"2"}),  # the container normalized the term, the node did not
    ('cname contains "Space"', {"1"}),
    ('cname contains "space"', {"2"}),
    ('pname contains "oce"', set()),  # match: prefix has no effect on an attribute (Vespa's schema reference)
    ('pname contains ({prefix: true}"SPACE")', {"1"}),
    ('both contains "station"', {"1"}),
    ('tags contains equiv("ocean", "moon")', {"1", "2"}),
    ('name contains ({prefix: true}"SPA")', {"1"}),
    ('tags contains ({substring: true}"pac")', {"1"}),
    ('wtags contains ({suffix: true}"EAN")', {"2"}),
    ('cname contains ({prefix: true}"Spa")', {"1"}),
    ('tags contains fuzzy("spce")', {"1"}),
    ('wtags contains fuzzy("ocaen")', {"2"}),
    ('tags matches "^OC"', {"2"}),
    ('cname matches "^S"', {"1"}),  # match: cased
    ('cname contains ({maxEditDistance: 1}fuzzy("Spac"))', {"1"}),
    # numeric arrays and weighted sets: any element
    ('ids contains "5"', {"1"}),
    ("ids = 5", {"1"}),
    ("ids > 6", {"2"}),
    ('ids contains "[2;6]"', {"1"}),
    ('ids contains "<2"', {"1"}),
    ('ids contains "[-inf;2]"', {"1"}),  # the content node reads bounds as C's strtod does
    # not numbers in Vespa's (Java/C) grammar, which Python's int() would take: nothing matches
    ('ids contains "0_5"', set()), ('small contains "[-1_0;0]"', set()),
    ('wids contains "7"', {"1"}),
    ("wids = 1", {"2"}),
    ("wids >= 5", {"1"}),
    ("longs = 10000000000L", {"1"}),
    ('longs contains "10000000000"', {"1"}),
    ("longs < 0", {"2"}),
    ("range(longs, 0, 5)", {"1"}),
    # single bool, byte and long
    ("flag = true", {"1"}),
    ("flag = false", {"2", "3"}),
    ('flag contains "true"', {"1"}),
    ("small = -5", {"2"}),
    ('small contains "-5"', {"2"}),
    ("small < 0", {"2"}),
    ("big > 5000000000L", {"1"}),
    # in
    ('tags in ("space", "x")', {"1"}),
    ('wtags in ("MOON")', {"1"}),
    ('cname in ("Space")', {"1"}),
    ("ids in (5, 7)", {"1", "2"}),
    ("wids in (1)", {"2"}),
    ("small in (5)", {"1"}),
    # not and or
    ('true and !(tags contains "space")', {"2", "3"}),
    ('title contains "planet" and !(ids = 5)', set()),
    ("ids < 5 and !(ids > 5)", {"1"}),
    ('true and !(flag = true) and !(tags contains "ocean")', {"3"}),
    ('tags contains "ocean" or ids = 5', {"1", "2"}),
    # weighted-token operators
    ('weightedSet(tags, {"space": 1})', {"1"}),
    ('weightedSet(ids, {"7": 1})', {"2"}),
    ('weightedSet(cname, {"Space": 1})', {"1"}),
    ('weightedSet(name, {"OCÉAN": 1})', {"2"}),
    ('weightedSet(small, {"-5": 1})', {"2"}),
    ('dotProduct(wtags, {"space": 2})', {"1"}),
    ('wand(wids, {"5": 2, "1": 1})', {"1", "2"}),
])
def test_attribute_kinds_under_every_operator(http, where, expected) -> None:
    assert set(hits(http, where)) == expected


@pytest.mark.parametrize("query, expected", [
    ("Space", {"1"}),  # model.defaultIndex=cname: match: cased
    ('name:"space station"', {"1"}),
    ("tags:spa*", {"1"}),
    ("ids:[2;6]", {"1"}),
    ("ids:>6", {"2"}),
    ("wids:7 title:ocean", {"1", "2"}),
])
def test_user_query_items_on_attributes(http, query, expected) -> None:
    response = http.get("/search/", params={"yql": "select * from kind where userQuery()", "query": query,
                                           "model.defaultIndex": "cname", "type": "any"})
    assert response.status_code == 200, response.text
    assert {h["id"].rsplit(":", 1)[1] for h in response.json()["root"].get("children", [])} == expected


def test_model_filter_items_on_attributes(http) -> None:
    def filtered(text: str) -> set[str]:
        response = http.get("/search/", params={"yql": "select * from kind where userQuery()", "filter": text,
                                               "query": "title:ocean title:planet", "type": "any"})
        assert response.status_code == 200, response.text
        return {h["id"].rsplit(":", 1)[1] for h in response.json()["root"].get("children", [])}

    assert filtered("+cname:Space") == {"1"}
    assert filtered("+cname:Space -ids:<2") == set()  # doc 1 holds 1 < 2
    assert filtered("+tags:oce*") == {"2"}


def test_matches_tells_which_attribute_matched(http) -> None:
    found = hits(http, 'tags contains "space" or ids contains "7" or cname contains "Space"')
    assert {i: (h["matches(tags)"], h["matches(ids)"], h["matches(cname)"]) for i, h in found.items()} == {
        "1": (1.0, 0.0, 1.0), "2": (0.0, 1.0, 0.0)}
    found = hits(http, 'ids = 5 or wids in (1) or weightedSet(tags, {"ocean": 1}) or tags contains equiv("moon", "x")')
    assert {i: (h["matches(tags)"], h["matches(ids)"]) for i, h in found.items()} == {
        "1": (1.0, 1.0), "2": (1.0, 0.0)}
    negated = hits(http, 'title contains "planet" and !(ids = 7) and !(tags contains "ocean")')
    assert {i: (h["matches(tags)"], h["matches(ids)"]) for i, h in negated.items()} == {"1": (0.0, 0.0)}


def test_dot_product_over_an_integer_weighted_set(http) -> None:
    found = hits(http, 'dotProduct(wids, {"5": 3, "7": 1})')
    assert {i: h["rawScore(wids)"] for i, h in found.items()} == {"1": 7.0}  # 3·2 + 1·1


def test_collection_attribute_features(http) -> None:
    found = hits(http, "true", ranking="collections")
    assert found["1"] == {"attribute(wtags,space).weight": 3.0,  # an uncased set: any case of "Space"
                          "attribute(wtags,moon).contains": 1.0, "attribute(wids,5).weight": 2.0,
                          "attribute(ids,1)": 5.0, "attribute(tags).count": 2.0, "attribute(flag)": 1.0}
    assert found["2"]["attribute(wtags,space).weight"] == 0.0 and found["2"]["attribute(tags).count"] == 1.0
    assert found["3"]["attribute(tags).count"] == 0.0 and found["3"]["attribute(flag)"] == 0.0


def groups(http: httpx.Client, grouping: str) -> dict[str, dict]:
    response = http.get("/search/", params={"yql": f"select * from kind where true limit 0 | {grouping}"})
    assert response.status_code == 200, response.text
    [group_list] = response.json()["root"]["children"][0]["children"]
    return {group["id"]: group["fields"] for group in group_list["children"]}


def test_grouping_by_an_array_or_weighted_set_puts_a_document_in_each_of_its_groups(http) -> None:
    assert groups(http, "all(group(tags) each(output(count())))") == {
        "group:string:space": {"count()": 1}, "group:string:Moon": {"count()": 1},
        "group:string:ocean": {"count()": 1}}
    assert groups(http, "all(group(wids) each(output(count(), sum(small))))") == {
        "group:long:5": {"count()": 1, "sum(small)": 5}, "group:long:7": {"count()": 1, "sum(small)": 5},
        "group:long:1": {"count()": 1, "sum(small)": -5}}
    assert groups(http, "all(group(longs) each(output(max(big))))") == {
        "group:long:10000000000": {"max(big)": 10000000000}, "group:long:3": {"max(big)": 10000000000},
        "group:long:-2": {"max(big)": -3}}


def test_numeric_aggregates_of_arrays_are_400(http) -> None:
    response = http.get("/search/", params={
        "yql": "select * from kind where true | all(group(flag) each(output(sum(ids))))"})
    assert response.status_code == 400
    assert "sum, avg, min and max need a numeric attribute" in response.json()["root"]["errors"][0]["message"]


@pytest.mark.parametrize(("where", "message"), [
    # Vespa's QueryValidator: an index is looked up by whole words, so a prefix item is refused on it
    ('title contains ({prefix: true}"sta")', "'title' is not an attribute field: Prefix matching is not supported"),
    ('both contains ({prefix: true}"sta")',
     "'both' is an index field: Prefix matching is not supported even when it is also an attribute"),
    ('name contains "space station" and title contains ({prefix: true}"sta")', "'title' is not an attribute"),
    # a fieldset of an attribute and an index: never prefix-matched in one and whole-word in the other
    ('mixed contains ({prefix: true}"spa")', "'mixed' mixes attribute and index fields: Prefix matching"),
])
def test_prefix_items_on_an_index_are_400(http, where, message) -> None:
    response = http.get("/search/", params={"yql": f"select * from kind where {where}"})
    assert response.status_code == 400, response.text
    assert message in response.json()["root"]["errors"][0]["message"]


@pytest.mark.parametrize(("query", "message"), [
    # `x*` is Vespa's PrefixItem on any index (QueryValidatorTest: `?query=indexOnly:foo*` fails), never
    # the whole word with its `*` dropped
    ("title:sta*", "'title' is not an attribute field: Prefix matching is not supported"),
    ("tags:spa* title:ocea*", "'title' is not an attribute field"),
    ("both:spa*", "'both' is an index field"),
])
def test_user_query_prefixes_on_an_index_are_400(http, query, message) -> None:
    response = http.get("/search/", params={"yql": "select * from kind where userQuery()", "query": query})
    assert response.status_code == 400, response.text
    assert message in response.json()["root"]["errors"][0]["message"]


@pytest.mark.parametrize(("where", "message"), [
    # Vespa keeps a prefix string one unsegmented PrefixItem: never a phrase of whole words
    ('title contains ({prefix: true}"red planet")', "{prefix: true} needs one word, not the 2 of 'red planet'"),
    # a member's affix is never dropped: the phrase or equiv matches its words whole
    ('title contains phrase(({prefix: true}"re"), "planet")', "{prefix: true} is not supported on a phrase member"),
    ('title contains equiv(({prefix: true}"re"), "blue")', "{prefix: true} is not supported on a member of equiv()"),
    ('title contains near(({suffix: true}"ed"), "planet")', "{suffix: true} is not supported on a member of near()"),
])
def test_affixes_on_several_words_or_members_are_400(http, where, message) -> None:
    response = http.get("/search/", params={"yql": f"select * from kind where {where}"})
    assert response.status_code == 400, response.text
    assert message in response.json()["root"]["errors"][0]["message"]


def test_summaries_keep_the_values_as_fed(http) -> None:
    response = http.get("/search/", params={"yql": 'select * from kind where tags contains "moon"'})
    fields = response.json()["root"]["children"][0]["fields"]
    assert {name: fields[name] for name in ("tags", "wtags", "ids", "wids", "cname", "flag")} == {
        name: DOCS["1"][name] for name in ("tags", "wtags", "ids", "wids", "cname", "flag")}
