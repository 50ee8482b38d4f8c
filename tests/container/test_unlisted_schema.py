"""A schema in schemas/ that no content cluster's <documents> lists (sample-apps examples/client:
article is listed, passage is not). Vespa deploys the package; the type is known to the container
but stored and searched nowhere: `sources *` searches article only and `from passage` cannot be
resolved. Vespa acknowledges a write of such a type and drops it (no route selects it); here it is a
400 that says why, since an acknowledged write must be stored. Before, the lone cluster stored and
searched passage as if it were listed."""
from __future__ import annotations

import pytest

from deploy.app_check import validate_package
from searchlib.schema.application import load_application
from tests.container.in_process import APPS, in_process_cluster

APP = APPS / "unlisted_schema"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with in_process_cluster(APP, tmp_path_factory.mktemp("unlisted"), nodes=1) as running:
        running.feed("article", {"1": {"title": "hello world"}})
        yield running


def test_the_package_loads_and_validates_as_vespa_deploys_it():
    assert validate_package(APP) == []
    application = load_application(APP)
    assert application.unserved_schemas == ("passage",)


def test_nodes_hold_only_the_listed_type(cluster):
    assert set(cluster.nodes[0].databases) == {"article"}


def test_writes_of_the_unlisted_type_are_refused_and_say_why(cluster):
    for method, body in (("POST", {"fields": {"text": "hello"}}), ("PUT", {"fields": {"text": {"assign": "x"}}}),
                         ("GET", None), ("DELETE", None)):
        response = cluster.http.request(method, "/document/v1/test/passage/docid/1", json=body)
        assert response.status_code == 400, (method, response.text)
        message = response.json()["message"]
        assert "'passage' is in no content cluster" in message and "'article' in 'content'" in message
        assert response.json()["pathId"] == "/document/v1/test/passage/docid/1"
    visit = cluster.http.get("/document/v1/test/passage/docid")
    assert visit.status_code == 400 and "no content cluster" in visit.json()["message"]


def test_queries_search_the_listed_schemas_only(cluster):
    everything = cluster.search(yql="select * from sources * where true")
    assert [hit["id"] for hit in everything["children"]] == ["id:test:article::1"]
    assert [hit["id"] for hit in cluster.search(yql="select * from content where true")["children"]] == \
        ["id:test:article::1"]
    response = cluster.http.get("/search/", params={"yql": "select * from passage where true"})
    assert response.status_code == 400
    [error] = response.json()["root"]["errors"]
    assert error["code"] == 4 and error["message"] == ("Could not resolve source ref 'passage': schema 'passage' is "
                                                       "in no content cluster's <documents> in services.xml")
