"""The body of an update by selection (/document/v1 PUT with `selection`) is read as every other
JSON body (container.http.request_body): bounded nesting, no NaN/Infinity literal, no number beyond
a double or a long, no lone surrogate, each a 400 naming the problem; never a 500."""
from __future__ import annotations

import pytest

from tests.container.in_process import APPS, in_process_cluster

URL = "/document/v1/test/item/docid/?selection=true&cluster=shop"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with in_process_cluster(APPS / "inprocess", tmp_path_factory.mktemp("visit_update"), nodes=1) as running:
        running.feed("item", {"a": {"title": "red", "year": 2000, "price": 1.0}})
        yield running


@pytest.mark.parametrize("body, said", [
    (b'{"fields": {"year": {"assign": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}}", "nested deeper than"),
    (b'{"fields": {"price": {"assign": NaN}}}', "NaN is not a JSON value"),
    (b'{"fields": {"price": {"assign": 1e999}}}', "out of range for a double"),
    (b'{"fields": {"year": {"assign": 99999999999999999999}}}', "does not fit in 64 bits"),
    (b'{"fields": {"title": {"assign": "\\ud800"}}}', "surrogate"),
    (b'{"fields": {"title": {"assign": "\xff"}}}', "not valid UTF-8"),
    (b'{"fields": ', "Could not parse the update JSON"),
], ids=["deep", "nan", "overflow", "long", "surrogate", "utf8", "cut"])
def test_a_bad_update_body_is_a_400(cluster, body, said) -> None:
    response = cluster.http.put(URL, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert said in response.json()["message"]
    assert cluster.http.get("/document/v1/test/item/docid/a").json()["fields"]["title"] == "red"


def test_a_good_update_by_selection_still_applies(cluster) -> None:
    response = cluster.http.put(URL, json={"fields": {"year": {"assign": 2001}}})
    assert response.status_code == 200, response.text
    assert cluster.http.get("/document/v1/test/item/docid/a").json()["fields"]["year"] == 2001
