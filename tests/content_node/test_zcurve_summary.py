"""A summary of a position's z-curve attribute (`source: pos_zcurve`, Vespa's config-model test
`multiplesummaries`): the attribute's value, x (longitude) bits at even and y (latitude) bits at odd
positions, in micro-degrees - worked out by hand below."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from content_node.node import ContentNode
from searchlib.docid import global_id
from searchlib.errors import SchemaError
from searchlib.schema.application import application_from_sources

SERVICES = """<services version="1.0"><container id="c" version="1.0"><search/></container>
<content id="x" version="1.0"><documents><document type="p" mode="index"/></documents>
<nodes><node hostalias="n" distribution-key="0"/></nodes></content></services>"""
SCHEMA = """schema p {
  document p {
    field pos type position { indexing: attribute | summary }
  }
  document-summary z {
    summary pos {}
    summary where { source: pos_zcurve }
    summary pos_zcurve {}
  }
}
"""


def test_a_summary_of_the_zcurve_attribute_shows_its_value(tmp_path: Path) -> None:
    (tmp_path / "app" / "schemas").mkdir(parents=True)
    (tmp_path / "app" / "services.xml").write_text(SERVICES)
    (tmp_path / "app" / "schemas" / "p.sd").write_text(SCHEMA)
    node = ContentNode(tmp_path / "app", tmp_path / "data", 0)
    # x = 1, y = 2 micro-degrees: x bit 0 -> 1, y bit 1 -> bit 3 = 8; together 9
    node.put("id:t:p::a", json.dumps({"pos": {"lat": 0.000002, "lng": 0.000001}}))
    # x = 2 (bit 1 -> bit 2 = 4), y = 3 (bits 0, 1 -> bits 1, 3 = 2 + 8): 14
    node.put("id:t:p::b", json.dumps({"pos": {"lat": 0.000003, "lng": 0.000002}}))
    node.put("id:t:p::c", json.dumps({}))
    docsums = node.fill("p", "", "z", [global_id(f"id:t:p::{i}") for i in "abc"], None, {}, 0)
    by_id = {d.document_id: d.fields for d in docsums}
    assert by_id["id:t:p::a"] == {"pos": {"lat": 0.000002, "lng": 0.000001}, "where": 9, "pos_zcurve": 9}
    assert by_id["id:t:p::b"]["where"] == 14
    assert by_id["id:t:p::c"] == {}


def test_only_a_single_position_attribute_has_a_zcurve_summary() -> None:
    text = SCHEMA.replace("attribute | summary", "summary")
    with pytest.raises(SchemaError, match="refers to unknown field 'pos_zcurve'") as error:
        application_from_sources({"services.xml": SERVICES, "schemas/p.sd": text})
    assert str(error.value).startswith("schemas/p.sd:7:")
