"""Parent-child documents across a restart, two groups of one node each (tests/apps/parent_child):
node 1 is killed with -9, parents and children are written while it is down, and once it is back in
rotation (caught up from node 0) it alone answers queries on its children's imported values."""
from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest

from deploy.local_cluster import LocalCluster
from tests.integration.conftest import feed_all
from tests.integration.failover_load import node_documents, nodes_view, wait_for

APP = Path(__file__).resolve().parents[1] / "apps" / "parent_child"
ADVERTISERS = {"a1": {"rating": 4.5}}
CAMPAIGNS = {"c1": {"name": "spring", "budget": 100, "advertiser_ref": "id:test:advertiser::a1"},
             "c2": {"name": "winter", "budget": 50}}
ADS = {"1": {"title": "red shoes", "campaign_ref": "id:test:campaign::c1"},
       "2": {"title": "red hats", "campaign_ref": "id:test:campaign::c2"}}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with LocalCluster(APP, tmp_path_factory.mktemp("parent_child_groups"), nodes=2, groups=2) as running:
        yield running


def ids(http: httpx.Client, yql: str) -> list[str]:
    response = http.get("/search/", params={"yql": yql, "hits": 20})
    assert response.status_code == 200, response.text
    root = response.json()["root"]
    assert root["coverage"]["full"] is True and "errors" not in root, root
    return sorted(hit["id"].rsplit(":", 1)[1] for hit in root.get("children", []))


def test_a_restarted_node_gets_the_parents_written_while_it_was_down(cluster) -> None:
    addresses = {spec.distribution_key: spec.address for spec in cluster.nodes}
    with httpx.Client(base_url=cluster.url, timeout=30.0) as http:
        feed_all(http, ADVERTISERS, "advertiser")
        feed_all(http, CAMPAIGNS, "campaign")
        feed_all(http, ADS, "ad")
        cluster.kill_node(1, signal.SIGKILL)
        wait_for(lambda: not nodes_view(http)[1]["up"], 10.0)
        # while node 1 is down: a new parent with a child, a parent's update, a parent's removal
        feed_all(http, {"c3": {"name": "autumn", "budget": 70, "advertiser_ref": "id:test:advertiser::a1"}},
                 "campaign")
        feed_all(http, {"3": {"title": "red socks", "campaign_ref": "id:test:campaign::c3"}}, "ad")
        update = http.put("/document/v1/test/campaign/docid/c1", json={"fields": {"budget": {"assign": 150}}})
        assert update.status_code == 200, update.text
        assert http.delete("/document/v1/test/campaign/docid/c2").status_code == 200
        cluster.restart_node(1, wait_healthy=False)
        wait_for(lambda: nodes_view(http)[1]["up"], 60.0)  # in rotation only once caught up
        # every global document, on both nodes, the same
        parents = {d: c for d, c in node_documents(addresses[0]).items() if ":campaign::" in d or ":advertiser::" in d}
        assert sorted(parents) == ["id:test:advertiser::a1", "id:test:campaign::c1", "id:test:campaign::c3"]
        restarted = node_documents(addresses[1])
        assert {d: restarted.get(d) for d in parents} == parents
        # node 0 gone: node 1's group answers, reading its children's values through its parents
        cluster.kill_node(0, signal.SIGKILL)
        wait_for(lambda: not nodes_view(http)[0]["up"], 10.0)
        assert ids(http, "select * from ad where budget = 150") == ["1"]
        assert ids(http, "select * from ad where budget = 70 and rating > 4.0") == ["3"]
        assert ids(http, "select * from ad where budget > 0") == ["1", "3"]  # ad 2's parent was removed
        assert ids(http, 'select * from ad where title contains "red"') == ["1", "2", "3"]
