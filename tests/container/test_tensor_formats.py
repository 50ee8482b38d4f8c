"""presentation.format.tensors over the whole /search/ path (in process: real nodes, the wire
codecs, the container): summary fields fed in any JSON form, summary-features and match-features
all come back in the form asked for; Vespa 8's default is the short form with the type."""
from __future__ import annotations

import pytest

from tests.container.in_process import in_process_cluster

SERVICES = """<?xml version="1.0" encoding="utf-8"?>
<services version="1.0">
  <container id="default" version="1.0"><search/><document-api/></container>
  <content id="shapes" version="1.0">
    <redundancy>1</redundancy>
    <documents><document type="shape" mode="index"/></documents>
    <nodes><node hostalias="node0" distribution-key="0"/></nodes>
  </content>
</services>
"""
SCHEMA = """schema shape {
    document shape {
        field title type string { indexing: summary | index }
        field dense type tensor<float>(x[3]) { indexing: summary | attribute }
        field sparse type tensor(k{}) { indexing: summary | attribute }
        field multi type tensor<float>(k{},x[2]) { indexing: summary | attribute }
    }
    rank-profile shapes {
        first-phase { expression: sum(attribute(dense)) }
        summary-features { attribute(sparse) }
        match-features { attribute(multi) }
    }
}
"""
FIELDS = {"title": "one", "dense": [1.0, 2.0, 3.0],  # each in a different fed form
          "sparse": {"cells": [{"address": {"k": "a"}, "value": 0.5}]},
          "multi": {"blocks": [{"address": {"k": "p"}, "values": [1, 2]}]}}


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    app = tmp_path_factory.mktemp("tensor_formats_app")
    (app / "schemas").mkdir()
    (app / "services.xml").write_text(SERVICES)
    (app / "schemas" / "shape.sd").write_text(SCHEMA)
    with in_process_cluster(app, tmp_path_factory.mktemp("tensor_formats"), nodes=1) as cluster:
        cluster.feed("shape", {"1": FIELDS})
        yield cluster


def _fields(cluster, **params) -> dict:
    root = cluster.search(yql="select * from shape where true", ranking="shapes", **params)
    return root["children"][0]["fields"]


def test_the_default_is_the_short_form_with_types(shapes) -> None:
    fields = _fields(shapes)
    assert fields["dense"] == {"type": "tensor<float>(x[3])", "values": [1.0, 2.0, 3.0]}
    assert fields["sparse"] == {"type": "tensor(k{})", "cells": {"a": 0.5}}
    assert fields["multi"] == {"type": "tensor<float>(k{},x[2])", "blocks": {"p": [1.0, 2.0]}}
    assert fields["summaryfeatures"]["attribute(sparse)"] == {"type": "tensor(k{})", "cells": {"a": 0.5}}
    assert fields["matchfeatures"]["attribute(multi)"] == {"type": "tensor<float>(k{},x[2])",
                                                           "blocks": {"p": [1.0, 2.0]}}
    assert _fields(shapes, **{"presentation.format.tensors": "short"}) == fields


def test_long_and_value_forms(shapes) -> None:
    long = _fields(shapes, **{"presentation.format.tensors": "long"})
    assert long["sparse"] == {"type": "tensor(k{})", "cells": [{"address": {"k": "a"}, "value": 0.5}]}
    assert long["dense"]["cells"][2] == {"address": {"x": "2"}, "value": 3.0}
    assert long["matchfeatures"]["attribute(multi)"] == {
        "type": "tensor<float>(k{},x[2])",
        "cells": [{"address": {"k": "p", "x": "0"}, "value": 1.0}, {"address": {"k": "p", "x": "1"}, "value": 2.0}]}
    short_value = _fields(shapes, **{"presentation.format.tensors": "short-value"})
    assert (short_value["dense"], short_value["sparse"], short_value["multi"]) == \
        ([1.0, 2.0, 3.0], {"a": 0.5}, {"p": [1.0, 2.0]})
    assert short_value["summaryfeatures"]["attribute(sparse)"] == {"a": 0.5}
    long_value = _fields(shapes, **{"presentation.format.tensors": "long-value"})
    assert long_value["sparse"] == [{"address": {"k": "a"}, "value": 0.5}]
    assert long_value["title"] == "one"
    hex_value = _fields(shapes, **{"presentation.format.tensors": "hex-value"})
    assert hex_value["dense"] == "3f8000004000000040400000"


def test_an_unknown_form_is_a_400(shapes) -> None:
    response = shapes.http.get("/search/", params={"yql": "select * from shape where true",
                                                   "presentation.format.tensors": "verbose"})
    assert response.status_code == 400
    error = response.json()["root"]["errors"][0]
    assert error["code"] == 4 and "presentation.format.tensors" in error["message"] and "'short'" in error["message"]


def test_the_form_in_a_json_body(shapes) -> None:
    response = shapes.http.post("/search/", json={"yql": "select * from shape where true", "ranking": "shapes",
                                                  "presentation": {"format": {"tensors": "short-value"}}})
    assert response.status_code == 200, response.text
    assert response.json()["root"]["children"][0]["fields"]["sparse"] == {"a": 0.5}
