"""Struct, array<struct> and map fields on a running 2-node cluster: Vespa's JSON fed through
/document/v1, read back, returned in summaries, and searched with sameElement (worked by hand).

  1 team "red"   persons Ann 31, Bob 20   scores {math: 3, art: 1}   boss Eve "chief engineer"   photo 00 01 02 ff
  2 team "red"   persons Ann 20, Bob 40   scores {math: 1, art: 5}
  3 team "blue"  persons Cid (no age)     scores given as [{"key": "math", "value": 9}]
"""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import feed_all

APP = Path(__file__).resolve().parents[1] / "apps" / "structs"
DOCS = {
    "1": {"team": "red", "height": 1.7, "photo": "AAEC/w==", "persons": [{"name": "Ann", "age": 31}, {"name": "Bob", "age": 20}],
          "scores": {"math": 3, "art": 1}, "boss": {"name": "Eve", "age": 50, "title": "chief engineer"}},
    "2": {"team": "red", "height": 1.6, "persons": [{"name": "Ann", "age": 20}, {"name": "Bob", "age": 40}],
          "scores": {"math": 1, "art": 5}},
    "3": {"team": "blue", "height": 1.8, "persons": [{"name": "Cid"}], "scores": [{"key": "math", "value": 9}]},
}


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("structs"), nodes=2) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
            feed_all(client, DOCS, "people")
            yield client


def search(http: httpx.Client, where: str, **parameters: str) -> httpx.Response:
    return http.get("/search/", params={"yql": f"select * from people where {where}", "hits": 10, **parameters})


def hit_ids(http: httpx.Client, where: str) -> set[str]:
    response = search(http, where)
    assert response.status_code == 200, response.text
    return {hit["id"].rsplit(":", 1)[1] for hit in response.json()["root"].get("children", [])}


def test_struct_and_map_values_read_back_as_fed(http) -> None:
    document = http.get("/document/v1/test/people/docid/1").json()
    assert document["fields"]["persons"] == DOCS["1"]["persons"]
    assert document["fields"]["boss"] == DOCS["1"]["boss"]
    assert document["fields"]["scores"] == {"math": 3, "art": 1}
    assert http.get("/document/v1/test/people/docid/3").json()["fields"]["scores"] == {"math": 9}


def test_same_element_over_an_array_of_structs(http) -> None:
    # Ann over 30 is in document 1 only; across elements (no sameElement) both documents match
    assert hit_ids(http, 'persons contains sameElement(name contains "Ann", age > 30)') == {"1"}
    assert hit_ids(http, 'persons.name contains "Ann" and persons.age > 30') == {"1", "2"}
    assert hit_ids(http, 'persons contains sameElement(name contains "bob", age >= 40)') == {"2"}
    assert hit_ids(http, 'persons contains sameElement(name contains "cid", !(age > 0))') == {"3"}
    assert hit_ids(http, 'team contains "red" and persons contains ({elementFilter: 0}sameElement(age < 25))') \
        == {"2"}


def test_same_element_over_a_map(http) -> None:
    assert hit_ids(http, 'scores contains sameElement(key contains "art", value > 2)') == {"2"}
    assert hit_ids(http, 'scores contains sameElement(key contains "math", value > 2)') == {"1", "3"}
    assert hit_ids(http, 'scores.key contains "art"') == {"1", "2"}


def ranked(http: httpx.Client, where: str) -> dict[str, dict]:
    """Hits by id under profile `same` (relevance = queryTermCount + 1000 * nativeAttributeMatch)."""
    response = search(http, where, ranking="same")
    assert response.status_code == 200, response.text
    return {hit["id"].rsplit(":", 1)[1]: {"relevance": hit["relevance"], **hit["fields"]["matchfeatures"]}
            for hit in response.json()["root"].get("children", [])}


def test_same_element_and_its_children_are_ranked_terms_within_the_matching_element(http) -> None:
    """As in Vespa, a sameElement is a query term itself on the struct field (ProtonSameElement term
    data: `matches(persons)`), and its positive descendants are query terms on the struct-field
    attributes, in query order: t0 sameElement(persons), t1 persons.name:ann (weight 300),
    t2 persons.age:>30, t3 sameElement(scores), t4 scores.key:art, t5 scores.value:>2, so
    queryTermCount is 6. Their match data counts only where their sameElement matches: doc 1 holds
    Ann 31 (persons matches) and the key art with value 1 (scores does not); doc 2 holds an Ann and
    an age 40 in different elements (persons does not) and art 5 (scores does).
    nativeAttributeMatch: pairs (term, attribute) of field weight 100 - a sameElement searches no
    attribute - so the divisor is 100 * (300 + 100 + 100 + 100) = 60000; doc 1:
    100 * (300 + 100) / 255 / 60000 = 2 / 765, doc 2: 100 * (100 + 100) / 255 / 60000 = 1 / 765."""
    found = ranked(http, 'persons contains sameElement(name contains ({weight: 300}"Ann"), age > 30) '
                         'or scores contains sameElement(key contains "art", value > 2)')
    assert set(found) == {"1", "2"}
    one, two = found["1"], found["2"]
    assert (one["queryTermCount"], one["term(0).weight"], one["term(1).weight"], one["term(2).weight"],
            one["term(3).weight"]) == (6.0, 100.0, 300.0, 100.0, 100.0)
    assert (one["matches(persons)"], one["matches(scores)"], two["matches(persons)"], two["matches(scores)"]) == (
        1.0, 0.0, 0.0, 1.0)
    assert (one["matches(persons.name)"], one["matches(persons.age)"], one["matches(scores.key)"],
            one["matches(scores.value)"]) == (1.0, 1.0, 0.0, 0.0)
    assert (two["matches(persons.name)"], two["matches(persons.age)"], two["matches(scores.key)"],
            two["matches(scores.value)"]) == (0.0, 0.0, 1.0, 1.0)
    assert one["nativeAttributeMatch"] == pytest.approx(2 / 765)
    assert two["nativeAttributeMatch"] == pytest.approx(1 / 765)
    # nativeRank(persons.name) is its attribute share, 100 * nativeAttributeMatch(persons.name) / 225,
    # of its one term ann: 1 / 255 where it counts; doc 2 holds Ann, but not in an element where the
    # sameElement matched, so 0 there (not a match in any element)
    assert (one["nativeRank(persons.name)"], two["nativeRank(persons.name)"]) == (pytest.approx(100 / 255 / 225), 0.0)
    assert (one["relevance"], two["relevance"]) == (pytest.approx(6 + 2000 / 765), pytest.approx(6 + 1000 / 765))
    # attributeMatch(persons.name).weight: the matched term weight over every term's (the two
    # sameElements' too, attributematchfeature.cpp): 300 / 800
    assert (one["attributeMatch(persons.name).weight"], two["attributeMatch(persons.name).weight"]) == (0.375, 0.0)
    # a negated child is no rank term: the sameElement and persons.name:cid
    cid = ranked(http, 'persons contains sameElement(name contains "cid", !(age > 0))')["3"]
    assert (cid["queryTermCount"], cid["matches(persons)"], cid["matches(persons.name)"],
            cid["matches(persons.age)"]) == (2.0, 1.0, 1.0, 0.0)
    # no sameElement on persons: matches(persons) is 0 though persons.name matched
    plain = ranked(http, 'persons.name contains "cid"')["3"]
    assert (plain["queryTermCount"], plain["matches(persons)"], plain["matches(persons.name)"]) == (1.0, 0.0, 1.0)


def test_struct_fields_in_summaries(http) -> None:
    response = search(http, 'boss.title contains "engineer"', summary="people_only")
    assert response.status_code == 200, response.text
    [hit] = response.json()["root"]["children"]
    assert hit["fields"]["persons"] == DOCS["1"]["persons"]
    assert hit["fields"]["names"] == ["Ann", "Bob"] and hit["fields"]["score_keys"] == ["math", "art"]
    assert "boss" not in hit["fields"] and "scores" not in hit["fields"]
    [full] = search(http, 'boss.title contains "chief"').json()["root"]["children"]
    assert full["fields"]["boss"] == DOCS["1"]["boss"] and full["fields"]["scores"] == DOCS["1"]["scores"]


def test_a_partial_update_reaches_the_struct_field_attributes(http) -> None:
    response = http.put("/document/v1/test/people/docid/3",
                        json={"fields": {"persons": {"add": [{"name": "Dan", "age": 33}]}}})
    assert response.status_code == 200, response.text
    assert hit_ids(http, 'persons contains sameElement(name contains "dan", age > 30)') == {"3"}


def test_one_map_entry_or_array_element_is_updated_by_its_path(http) -> None:
    response = http.put("/document/v1/test/people/docid/2",
                        json={"fields": {"scores{art}": {"assign": 0}, "scores{music}": {"assign": 7},
                                         "persons[0]": {"assign": {"name": "Ann", "age": 35}}}})
    assert response.status_code == 200, response.text
    assert http.get("/document/v1/test/people/docid/2").json()["fields"]["scores"] == \
        {"math": 1, "art": 0, "music": 7}
    assert hit_ids(http, 'scores contains sameElement(key contains "art", value > 2)') == set()
    assert hit_ids(http, 'scores contains sameElement(key contains "music", value = 7)') == {"2"}
    assert hit_ids(http, 'persons contains sameElement(name contains "Ann", age > 30)') == {"1", "2"}
    response = http.put("/document/v1/test/people/docid/2", json={"fields": {"persons[0]": {"assign": {"x": 1}}}})
    assert response.status_code == 400 and "No field 'x'" in response.json()["message"]


@pytest.mark.parametrize("fields, message", [
    ({"persons": [{"name": "x", "height": 2}]}, "No field 'height' in the structure of type 'person'"),
    ({"scores": {"a": "many"}}, "scores{a}"),
    ({"persons.name": ["x"]}, "No field 'persons.name'"),
])
def test_bad_struct_values_are_refused(http, fields, message) -> None:
    response = http.post("/document/v1/test/people/docid/9", json={"fields": fields})
    assert response.status_code == 400 and message in response.json()["message"], response.text
    assert http.get("/document/v1/test/people/docid/9").status_code == 404


@pytest.mark.parametrize("where, message", [
    ('boss contains sameElement(title contains "chief")', "needs struct-field 'boss.title' to be an attribute"),
    ('persons contains sameElement(height > 3)', "has no struct-field 'height'"),
    ('nosuch contains sameElement(a contains "b")', "Field 'nosuch' does not exist"),
])
def test_bad_same_element_queries_are_400(http, where, message) -> None:
    response = search(http, where)
    assert response.status_code == 400, response.text
    assert message in response.json()["root"]["errors"][0]["message"]


def test_float16_values_are_kept_at_half_precision_and_sort_and_group(http) -> None:
    response = search(http, "true order by height desc")
    assert response.status_code == 200, response.text
    hits = response.json()["root"]["children"]
    assert [hit["id"].rsplit(":", 1)[1] for hit in hits] == ["3", "1", "2"]
    assert hits[0]["fields"]["height"] == 1.7998046875  # 1.8 at float16
    grouped = http.get("/search/", params={"yql": "select * from people where true | "
                                                  "all(group(height) each(output(count())))", "hits": 0})
    assert grouped.status_code == 200, grouped.text
    groups = grouped.json()["root"]["children"][0]["children"][0]["children"]
    assert sorted(group["value"] for group in groups) == ["1.599609375", "1.7001953125", "1.7998046875"]


def test_raw_field_round_trips_as_base64(http) -> None:
    """Vespa's JSON gives a raw field as base64: fed, read back and summarized byte for byte."""
    assert http.get("/document/v1/test/people/docid/1").json()["fields"]["photo"] == "AAEC/w=="
    response = search(http, 'team contains "red"')
    photos = {hit["id"].rsplit(":", 1)[1]: hit["fields"].get("photo") for hit in response.json()["root"]["children"]}
    assert photos == {"1": "AAEC/w==", "2": None}
    bad = http.post("/document/v1/test/people/docid/9", json={"fields": {"photo": "not base64!"}})
    assert bad.status_code == 400 and "photo" in bad.json()["message"]
    assert http.get("/document/v1/test/people/docid/9").status_code == 404
