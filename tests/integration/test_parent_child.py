"""Parent-child documents on a running 2-node cluster (one group, so each ad is on one node and
its campaign must be on both): tests/apps/parent_child, ads importing fields of their campaign
(a global parent) and, through it, of the campaign's advertiser (a global grandparent).

  advertiser a1 rating 4.5, a2 rating 2.0
  campaign   c1 "spring" budget 100 tags [x, y] in Trondheim → a1;  c2 "winter" budget 50 in Oslo → a2;
             c3 "summer" budget 10
  ad         1, 2 → c1;  3, 4 → c2;  5 → c3;  6 → c9 (never fed);  7 no reference
"""
from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from searchlib.distribution import node_in_group
from searchlib.docid import global_id
from tests.integration.conftest import feed_all

APP = Path(__file__).resolve().parents[1] / "apps" / "parent_child"
ADVERTISERS = {"a1": {"rating": 4.5}, "a2": {"rating": 2.0}}
CAMPAIGNS = {
    "c1": {"name": "spring", "budget": 100, "tags": ["x", "y"], "advertiser_ref": "id:test:advertiser::a1",
           "location": {"lat": 63.43, "lng": 10.39}},
    "c2": {"name": "winter", "budget": 50, "advertiser_ref": "id:test:advertiser::a2",
           "location": {"lat": 59.91, "lng": 10.75}},
    "c3": {"name": "summer", "budget": 10},
}
ADS = {
    "1": {"title": "red shoes", "campaign_ref": "id:test:campaign::c1"},
    "2": {"title": "blue shoes", "campaign_ref": "id:test:campaign::c1"},
    "3": {"title": "red hats", "campaign_ref": "id:test:campaign::c2"},
    "4": {"title": "blue hats", "campaign_ref": "id:test:campaign::c2"},
    "5": {"title": "red socks", "campaign_ref": "id:test:campaign::c3"},
    "6": {"title": "lost socks", "campaign_ref": "id:test:campaign::c9"},
    "7": {"title": "plain socks"},
}


@pytest.fixture(scope="module")
def http(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("parent_child"), nodes=2) as cluster:
        with httpx.Client(base_url=cluster.url, timeout=30.0) as client:
            feed_all(client, ADVERTISERS, "advertiser")
            feed_all(client, CAMPAIGNS, "campaign")
            feed_all(client, ADS, "ad")
            yield client


def query(http: httpx.Client, yql: str, **parameters) -> dict:
    response = http.get("/search/", params={"yql": yql, "hits": 20, **parameters})
    assert response.status_code == 200, response.text
    return response.json()["root"]


def ids(root: dict) -> list[str]:
    return [hit["id"].rsplit(":", 1)[1] for hit in root.get("children", [])]


def test_children_and_their_parents_are_placed_on_different_nodes() -> None:
    # else the test could pass without global distribution: a child on the node of its parent
    owner = {name: node_in_group(global_id(f"id:test:{doctype}::{name}"), (0, 1))
             for doctype, docs in (("ad", ADS), ("campaign", CAMPAIGNS)) for name in docs}
    assert any(owner[ad] != owner[fields["campaign_ref"].rsplit(":", 1)[1]]
               for ad, fields in ADS.items() if fields.get("campaign_ref", "").endswith(("c1", "c2", "c3")))
    assert {owner[ad] for ad in ADS} == {0, 1}


def test_children_match_on_imported_fields(http) -> None:
    assert sorted(ids(query(http, "select * from ad where budget = 100"))) == ["1", "2"]
    assert sorted(ids(query(http, "select * from ad where budget < 60"))) == ["3", "4", "5"]
    assert sorted(ids(query(http, 'select * from ad where campaign_name contains "winter"'))) == ["3", "4"]
    assert sorted(ids(query(http, 'select * from ad where campaign_tags contains "y"'))) == ["1", "2"]
    # the grandparent's field, imported by the campaign and again by the ad
    assert sorted(ids(query(http, "select * from ad where rating > 3"))) == ["1", "2"]
    assert sorted(ids(query(http, 'select * from ad where title contains "red" and budget > 20'))) == ["1", "3"]


def test_children_rank_by_imported_attributes_and_show_them_in_summaries(http) -> None:
    root = query(http, 'select * from ad where title contains "shoes" or title contains "hats" or '
                       'title contains "socks"', ranking="by_budget", summary="with_parent")
    hits = {hit["id"].rsplit(":", 1)[1]: hit for hit in root["children"]}
    order = ids(root)  # equal relevance: ties in global id order
    assert sorted(order[:2]) == ["1", "2"] and sorted(order[2:4]) == ["3", "4"] and order[4] == "5"
    assert [hits[i]["relevance"] for i in ("1", "3", "5")] == [100, 50, 10]
    assert hits["1"]["fields"]["summaryfeatures"]["attribute(rating)"] == 4.5
    assert hits["1"]["fields"]["budget"] == 100
    assert hits["1"]["fields"]["campaign_name"] == "spring"
    assert hits["1"]["fields"]["campaign_tags"] == ["x", "y"]
    assert hits["1"]["fields"]["rating"] == 4.5
    assert hits["1"]["fields"]["summaryfeatures"]["attribute(budget)"] == 100
    assert "rating" not in hits["5"]["fields"]  # c3 has no advertiser
    for missing in ("6", "7"):  # a missing parent, no reference: no imported values
        assert not {"budget", "campaign_name", "rating"} & hits[missing]["fields"].keys()


def test_children_are_found_by_their_parents_position(http) -> None:
    near_trondheim = 'select * from ad where geoLocation(campaign_location, 63.4, 10.4, "20 km")'
    assert sorted(ids(query(http, near_trondheim))) == ["1", "2"]
    hit = query(http, near_trondheim, summary="with_parent")["children"][0]
    assert hit["fields"]["campaign_location"] == {"lat": 63.43, "lng": 10.39}
    oslo_to_trondheim = query(http, 'select * from ad where geoLocation(campaign_location, 59.9, 10.7, "500 km")')
    assert sorted(ids(oslo_to_trondheim)) == ["1", "2", "3", "4"]


def test_sorting_and_grouping_read_imported_attributes(http) -> None:
    order = ids(query(http, "select * from ad where budget > 0 order by budget asc"))
    assert order[0] == "5" and sorted(order[1:3]) == ["3", "4"] and sorted(order[3:]) == ["1", "2"]
    root = query(http, "select * from ad where budget > 0 | all(group(campaign_name) order(-count()) "
                       "each(output(count())))")
    groups = root["children"][-1]["children"][0]["children"]
    assert {g["value"]: g["fields"]["count()"] for g in groups} == {"spring": 2, "winter": 2, "summer": 1}


def test_a_global_type_is_answered_once_although_every_node_holds_it(http) -> None:
    root = query(http, "select * from campaign where true")
    assert root["fields"]["totalCount"] == 3
    assert sorted(ids(root)) == ["c1", "c2", "c3"]
    assert http.get("/document/v1/test/campaign/docid/c1").json()["fields"]["budget"] == 100
    visited = http.get("/document/v1/test/campaign/docid/", params={"cluster": "ads", "wantedDocumentCount": 100})
    assert visited.status_code == 200, visited.text
    assert sorted(d["id"] for d in visited.json()["documents"]) == [f"id:test:campaign::c{i}" for i in (1, 2, 3)]


def visit_ads(http: httpx.Client, selection: str) -> list[str]:
    response = http.get("/document/v1/test/ad/docid/", params={"cluster": "ads", "selection": selection,
                                                               "wantedDocumentCount": 100})
    assert response.status_code == 200, response.text
    return sorted(d["id"].rsplit(":", 1)[1] for d in response.json()["documents"])


def test_document_selections_read_imported_fields_through_the_reference(http) -> None:
    assert visit_ads(http, "ad.budget >= 50") == ["1", "2", "3", "4"]
    assert visit_ads(http, 'ad.rating > 4.0 and ad.title = "red*"') == ["1"]  # the grandparent's value
    # test-and-set against the parent's current value (the same title again: later tests read it)
    path = "/document/v1/test/ad/docid/2"
    update = {"fields": {"title": {"assign": "blue shoes"}}}
    assert http.put(path, params={"condition": 'ad.campaign_name == "winter"'}, json=update).status_code == 412
    assert http.put(path, params={"condition": 'ad.campaign_name == "spring"'}, json=update).status_code == 200
    refused = http.get("/document/v1/test/ad/docid/", params={"cluster": "ads", "selection": 'ad.campaign_tags == "x"'})
    assert refused.status_code == 400 and "only simple" in refused.json()["message"]
    # delete by selection: the children whose parent is missing (c9 never fed) or unset
    deleted = http.delete("/document/v1/test/ad/docid/", params={"cluster": "ads", "selection": "ad.budget == null"})
    assert deleted.status_code == 200, deleted.text
    assert visit_ads(http, "true") == ["1", "2", "3", "4", "5"]


def test_a_parent_update_is_seen_by_its_children_at_once(http) -> None:
    response = http.put("/document/v1/test/campaign/docid/c3", json={"fields": {"budget": {"assign": 500}}})
    assert response.status_code == 200, response.text
    assert ids(query(http, "select * from ad where budget = 500")) == ["5"]
    assert ids(query(http, "select * from ad where budget = 10")) == []
    root = query(http, "select * from ad where budget > 0", ranking="by_budget")
    assert ids(root)[0] == "5"


def test_removing_a_parent_empties_its_childrens_imported_values(http) -> None:
    assert http.delete("/document/v1/test/campaign/docid/c2").status_code == 200
    assert ids(query(http, 'select * from ad where campaign_name contains "winter"')) == []
    root = query(http, 'select * from ad where title contains "hats"', summary="with_parent")
    assert sorted(ids(root)) == ["3", "4"]  # the children stay
    for hit in root["children"]:
        assert not {"budget", "campaign_name", "rating"} & hit["fields"].keys()
    # fed again, the reference resolves again
    feed_all(http, {"c2": {"name": "autumn", "budget": 60}}, "campaign")
    assert sorted(ids(query(http, 'select * from ad where campaign_name contains "autumn"'))) == ["3", "4"]
