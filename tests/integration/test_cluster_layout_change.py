"""Adding a content node to a cluster that holds documents (`phasedsearch up --nodes 3` on the data
dir of a 2-node cluster), on real processes. Nothing moves stored documents to their new owners,
so the new layout must be refused: started, it hid about a third of the acknowledged documents
from gets and acknowledged removes of them left them searchable. Whatever the launcher does, every
acknowledged document stays readable and an acknowledged remove stays removed."""
from __future__ import annotations

import httpx
import pytest

from deploy.local_cluster import ClusterError, LocalCluster
from tests.integration.conftest import DEFAULT_APP, feed_all, search

DOCUMENTS = {f"layout{n}": {"title": f"layout {n}", "text": "layoutchange document"} for n in range(30)}
QUERY = 'select * from sources * where text contains "layoutchange"'


def assert_acknowledged_writes_hold(url: str, removed: set[str]) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        lost = [user_id for user_id in DOCUMENTS if user_id not in removed
                and http.get(f"/document/v1/test/doc/docid/{user_id}").status_code != 200]
        assert not lost, f"acknowledged documents no longer readable: {lost}"
        found = search(http, yql=QUERY, hits=100).json()["root"]
        assert found["fields"]["totalCount"] == len(DOCUMENTS) - len(removed), found


def test_adding_a_node_never_hides_or_resurrects_acknowledged_documents(tmp_path):
    with LocalCluster(DEFAULT_APP, tmp_path, nodes=2) as two:
        with httpx.Client(base_url=two.url, timeout=30) as http:
            feed_all(http, DOCUMENTS)
    removed: set[str] = set()
    try:
        with LocalCluster(DEFAULT_APP, tmp_path, nodes=3) as three:
            with httpx.Client(base_url=three.url, timeout=30) as http:
                for user_id in list(DOCUMENTS)[::3]:
                    assert http.delete(f"/document/v1/test/doc/docid/{user_id}").status_code == 200
                    removed.add(user_id)
            assert_acknowledged_writes_hold(three.url, removed)
    except ClusterError as refused:
        assert "not moved to their new owners" in str(refused)
        assert not removed
    with LocalCluster(DEFAULT_APP, tmp_path, nodes=2) as again:  # the recorded layout serves them all
        assert_acknowledged_writes_hold(again.url, removed)
